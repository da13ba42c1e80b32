//go:build unix

package mmap

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Anon maps size bytes of zeroed private memory outside the Go heap (the
// garbage collector neither scans nor counts it); release unmaps it. Where
// there are transparent huge pages and size fills at least one, the memory
// starts on a huge-page boundary and is advised to use them (AdviseHuge).
func Anon(size int) ([]byte, func() error, error) {
	extra := 0
	if HugePage > 0 && size >= HugePage {
		extra = HugePage // room to start the data on a huge-page boundary
	}
	b, err := unix.Mmap(-1, 0, size+extra, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return nil, nil, err
	}
	release := func() error { return unix.Munmap(b) }
	if extra == 0 {
		return b, release, nil
	}
	return HugeAligned(b, size), release, nil
}

// Lock pins b's pages in RAM.
func Lock(b []byte) error { return unix.Mlock(b) }

// mapFile maps size bytes of f read-only and shared.
func mapFile(f *os.File, size int) ([]byte, func() error, error) {
	data, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return data, func() error { return unix.Munmap(data) }, nil
}

// Drop tells the kernel that this process no longer needs the pages of
// part, a sub-slice of region (a mapping made by Map): they leave the
// process's resident set (the page cache keeps them, and reading part again
// brings them back). Only whole pages inside part are dropped; a part outside
// region is ignored.
func Drop(region, part []byte) {
	if len(region) == 0 || len(part) == 0 {
		return
	}
	r0 := uintptr(unsafe.Pointer(unsafe.SliceData(region)))
	p0 := uintptr(unsafe.Pointer(unsafe.SliceData(part)))
	if p0 < r0 || p0+uintptr(len(part)) > r0+uintptr(len(region)) {
		return
	}
	advise(part, uintptr(os.Getpagesize()), unix.MADV_DONTNEED)
}

// advise gives the kernel advice about the whole pages of size page (a
// power of two) that lie inside b, leaving the parts at either end alone.
func advise(b []byte, page uintptr, advice int) {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := (p + page - 1) &^ (page - 1)
	hi := (p + uintptr(len(b))) &^ (page - 1)
	if len(b) == 0 || hi <= lo {
		return
	}
	off := int(lo - p)
	_ = unix.Madvise(b[off:off+int(hi-lo)], advice)
}
