package gguf

import (
	"fmt"

	"github.com/nuri-ai/nuri/internal/mmap"
)

// mapFile maps the whole file at path read-only (see mmap.Map).
func mapFile(path string) ([]byte, func() error, error) {
	data, release, err := mmap.Map(path)
	if err != nil {
		return nil, nil, fmt.Errorf("gguf: %w", err)
	}
	return data, release, nil
}

// DropPages releases the resident pages of b, a slice of this file's
// tensor data that the caller no longer reads (for example a weight it has
// repacked into memory of its own). Reading b again is still valid: the
// pages come back from the file.
func (f *File) DropPages(b []byte) { mmap.Drop(f.data, b) }
