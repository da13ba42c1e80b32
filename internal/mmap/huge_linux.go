package mmap

import "golang.org/x/sys/unix"

// HugePage is the size of a transparent huge page on the platforms Nuri
// runs on (x86-64 and arm64 with 4 KiB base pages): memory meant for
// AdviseHuge should start on a multiple of it.
const HugePage = 2 << 20

// AdviseHuge asks the kernel to back the whole huge pages inside b with
// transparent huge pages (MADV_HUGEPAGE), and does nothing to the parts at
// either end that fill no whole huge page. Decode streams every weight once
// per token, and a long read runs faster from huge pages than from 4 KiB
// ones (fewer TLB walks, no page boundary every 64 lines for the hardware
// prefetchers to stop at): on a 2-core Zen 5 the bandwidth probe read about
// 7% more per second. Call it before b is first written: the pages faulted in
// afterwards are huge ones (pages already present are left to the kernel's
// background collapsing). It is advice only: where transparent huge pages
// are off, nothing changes.
func AdviseHuge(b []byte) { advise(b, HugePage, unix.MADV_HUGEPAGE) }
