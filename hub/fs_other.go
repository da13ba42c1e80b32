//go:build !unix && !windows

package hub

import (
	"context"
	"os"
)

func openPartial(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
}

func lockFile(ctx context.Context, f *os.File) error { return nil }

func unlockFile(f *os.File) {}

func rename(from, to string) error { return os.Rename(from, to) }

// diskFull cannot tell here: not every such system has ENOSPC.
func diskFull(err error) bool { return false }

func freeSpace(dir string) int64 { return -1 }
