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
