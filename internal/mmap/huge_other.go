//go:build !linux

package mmap

// HugePage is 0 where Nuri does not ask for huge pages.
const HugePage = 0

// AdviseHuge does nothing here: transparent huge pages are a Linux feature
// (Windows' large pages need a privilege most accounts lack).
func AdviseHuge(b []byte) {}
