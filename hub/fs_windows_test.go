package hub

import (
	"errors"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/windows"
)

func TestDiskFullWindows(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{&os.PathError{Op: "write", Path: "x", Err: windows.ERROR_DISK_FULL}, true},
		{&os.PathError{Op: "write", Path: "x", Err: windows.ERROR_HANDLE_DISK_FULL}, true},
		{syscall.ENOSPC, true},
		{&os.PathError{Op: "write", Path: "x", Err: windows.ERROR_ACCESS_DENIED}, false},
		{errors.New("other"), false},
	}
	for _, tc := range cases {
		if got := diskFull(tc.err); got != tc.want {
			t.Errorf("diskFull(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
