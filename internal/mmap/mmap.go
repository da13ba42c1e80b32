// Package mmap maps model files read-only into memory, for the GGUF and
// safetensors readers, and gives the memory weights are copied into, advised
// onto huge pages.
package mmap

import (
	"fmt"
	"math"
	"os"
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
	data, release, err := mapFile(f, int(size))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: mmap: %w", path, err)
	}
	return data, release, nil
}

// HugeAligned returns the n bytes of b that start at its first huge-page
// boundary (at its start where Nuri asks for no huge pages), advised onto
// huge pages (AdviseHuge): b must hold n+HugePage bytes.
func HugeAligned(b []byte, n int) []byte {
	off := 0
	if h := uintptr(HugePage); h > 0 {
		off = int((h - uintptr(unsafe.Pointer(unsafe.SliceData(b)))%h) % h)
	}
	a := b[off : off+n : off+n]
	AdviseHuge(a)
	return a
}
