//go:build unix

package hub

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// openPartial opens (creating it if needed) the partial file of a download.
func openPartial(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
}

// lockFile takes an exclusive advisory lock on f, waiting (until ctx ends)
// while another process holds it.
func lockFile(ctx context.Context, f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			return fmt.Errorf("locking %s: %w", f.Name(), err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for another download of %s to finish: %w", f.Name(), ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// unlockFile does nothing: the lock goes with the file's last close, which
// on these systems can wait until the file has been renamed into place.
func unlockFile(f *os.File) {}

// rename moves a file into place.
func rename(from, to string) error { return os.Rename(from, to) }

// diskFull reports whether err says that the disk is full.
func diskFull(err error) bool { return errors.Is(err, syscall.ENOSPC) }

// freeSpace returns the bytes available to this user in the file system
// holding dir, or -1 when unknown.
func freeSpace(dir string) int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return -1
	}
	return int64(st.Bavail) * int64(st.Bsize)
}
