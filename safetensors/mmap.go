package safetensors

import (
	"fmt"
	"math"
	"os"
	"syscall"
)

// mapFile maps the whole file at path read-only. An empty file yields an
// empty, unmapped slice. The returned release function undoes the mapping.
func mapFile(path string) ([]byte, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("safetensors: %s: not a regular file", path)
	}
	size := st.Size()
	if size == 0 {
		return []byte{}, func() error { return nil }, nil
	}
	if size < 0 || uint64(size) > math.MaxInt {
		return nil, nil, fmt.Errorf("safetensors: %s: file too large to map (%d bytes)", path, size)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: %s: mmap: %w", path, err)
	}
	return data, func() error { return syscall.Munmap(data) }, nil
}
