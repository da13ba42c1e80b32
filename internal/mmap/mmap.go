// Package mmap maps model files read-only into memory, for the GGUF and
// safetensors readers.
package mmap

import (
	"fmt"
	"math"
	"os"
	"syscall"
	"unsafe"
)

// Map maps the whole file at path read-only. An empty file yields an empty,
// unmapped slice. The returned release function undoes the mapping. Errors
// name the path.
func Map(path string) ([]byte, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s: not a regular file", path)
	}
	size := st.Size()
	if size == 0 {
		return []byte{}, func() error { return nil }, nil
	}
	if size < 0 || uint64(size) > math.MaxInt {
		return nil, nil, fmt.Errorf("%s: file too large to map (%d bytes)", path, size)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: mmap: %w", path, err)
	}
	return data, func() error { return syscall.Munmap(data) }, nil
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
	page := uintptr(os.Getpagesize())
	lo := (p0 + page - 1) &^ (page - 1)
	hi := (p0 + uintptr(len(part))) &^ (page - 1)
	if hi <= lo {
		return
	}
	off := int(lo - r0)
	_ = syscall.Madvise(region[off:off+int(hi-lo)], syscall.MADV_DONTNEED)
}
