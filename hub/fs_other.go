//go:build !unix

package hub

import (
	"context"
	"os"
)

func lockFile(ctx context.Context, f *os.File) error { return nil }

func freeSpace(dir string) int64 { return -1 }
