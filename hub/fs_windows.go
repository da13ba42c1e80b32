//go:build windows

package hub

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/windows"
)

// The lock covers one byte far past the end of any real file. Windows
// byte-range locks are mandatory, so locking the content itself would make
// reads by other processes fail (a server reading a blob that a second pull
// has just opened, for one); a byte nobody reads avoids that.
const (
	lockOffsetHigh = 0x40000000 // offset 1<<62
	lockLen        = 1
)

// longPath lets absolute paths pass MAX_PATH.
func longPath(p string) string {
	if len(p) < 248 || !filepath.IsAbs(p) || strings.HasPrefix(p, `\\?\`) {
		return p
	}
	p = filepath.Clean(p)
	if strings.HasPrefix(p, `\\`) {
		return `\\?\UNC\` + p[2:]
	}
	return `\\?\` + p
}

// openPartial opens (creating it if needed) the partial file of a download.
// Unlike os.OpenFile it shares the file for deletion, so that the process
// that finishes the download can rename it into place while other pulls of
// the same file hold it open, waiting for the lock, as on Unix.
func openPartial(path string) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(longPath(path))
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ|windows.GENERIC_WRITE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, windows.OPEN_ALWAYS, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}

// lockFile takes an exclusive lock on f, waiting (until ctx ends) while
// another process, or another handle in this one, holds it.
func lockFile(ctx context.Context, f *os.File) error {
	for {
		ol := windows.Overlapped{OffsetHigh: lockOffsetHigh}
		err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, lockLen, 0, &ol)
		if err == nil {
			return nil
		}
		if !errors.Is(err, windows.ERROR_LOCK_VIOLATION) && !errors.Is(err, windows.ERROR_IO_PENDING) {
			return fmt.Errorf("locking %s: %w", f.Name(), err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for another download of %s to finish: %w", f.Name(), ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// unlockFile releases the lock of lockFile. Closing the handle releases it
// too, but Windows documents that release as happening at some later time,
// so it is done explicitly before every close.
func unlockFile(f *os.File) {
	ol := windows.Overlapped{OffsetHigh: lockOffsetHigh}
	windows.UnlockFileEx(windows.Handle(f.Fd()), 0, lockLen, 0, &ol)
}

// rename moves a file into place. A virus scanner or an indexer may hold
// the target or the source open for a moment, without sharing it for
// deletion; such refusals are retried for a little while.
func rename(from, to string) error {
	var err error
	for i := 0; i < 20; i++ {
		if err = os.Rename(from, to); err == nil {
			return nil
		}
		if !errors.Is(err, windows.ERROR_SHARING_VIOLATION) && !errors.Is(err, windows.ERROR_ACCESS_DENIED) && !errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// diskFull reports whether err says that the disk is full.
func diskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, windows.ERROR_DISK_FULL) || errors.Is(err, windows.ERROR_HANDLE_DISK_FULL)
}

// freeSpace returns the bytes available to this user on the volume holding
// dir, or -1 when unknown.
func freeSpace(dir string) int64 {
	p, err := windows.UTF16PtrFromString(longPath(dir))
	if err != nil {
		return -1
	}
	var avail, total, free uint64
	if err := windows.GetDiskFreeSpaceEx(p, &avail, &total, &free); err != nil {
		return -1
	}
	return int64(min(avail, 1<<63-1))
}
