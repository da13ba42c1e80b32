package hub

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestLockFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.incomplete")
	a, err := openPartial(p)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := lockFile(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	b, err := openPartial(p)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if runtime.GOOS != "windows" && !unixLike() {
		t.Skip("no file locks on " + runtime.GOOS)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err = lockFile(ctx, b)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "waiting for another download of") {
		t.Fatalf("second lock: %v", err)
	}
	// The holder writes and reads its file while it holds the lock, and
	// others can read it too.
	if _, err := a.WriteAt([]byte("hello"), 0); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(p); err != nil || string(got) != "hello" {
		t.Fatalf("reading a locked file: %q %v", got, err)
	}
	// Released by unlocking and closing: the waiting one gets it.
	done := make(chan error, 1)
	go func() { done <- lockFile(context.Background(), b) }()
	time.Sleep(50 * time.Millisecond)
	unlockFile(a)
	a.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("lock not released")
	}
	// The partial file can be renamed into place while another holds it open.
	c, err := openPartial(p)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := rename(p, filepath.Join(filepath.Dir(p), "x")); err != nil {
		t.Fatalf("renaming an open partial file: %v", err)
	}
	unlockFile(b)
}

func unixLike() bool {
	switch runtime.GOOS {
	case "windows", "plan9", "js", "wasip1":
		return false
	}
	return true
}

func TestFreeSpace(t *testing.T) {
	if runtime.GOOS != "windows" && !unixLike() {
		t.Skip("free space unknown on " + runtime.GOOS)
	}
	if n := freeSpace(t.TempDir()); n <= 0 {
		t.Errorf("freeSpace = %d", n)
	}
	if n := freeSpace(filepath.Join(t.TempDir(), "missing")); n != -1 {
		t.Errorf("freeSpace of a missing folder = %d, want -1", n)
	}
}

// TestBlobOfCopies tells apart copies of blobs of one size and time.
func TestBlobOfCopies(t *testing.T) {
	repoDir := t.TempDir()
	when := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, name := range []string{"aaa", "bbb"} {
		p := filepath.Join(repoDir, "blobs", name)
		mustWrite(t, p, []byte(strings.Repeat(name[:1], 100)))
		if err := os.Chtimes(p, when, when); err != nil {
			t.Fatal(err)
		}
	}
	snap := filepath.Join(repoDir, "snapshots", strings.Repeat("a", 40))
	os.MkdirAll(snap, 0o755)
	for _, name := range []string{"bbb", "aaa"} {
		if err := copyBlob(filepath.Join(repoDir, "blobs", name), filepath.Join(snap, name+".json")); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(t, filepath.Join(snap, "other.json"), []byte(strings.Repeat("c", 100)))
	idx := blobIndex{repoDir: repoDir}
	for file, want := range map[string]string{"aaa.json": "aaa", "bbb.json": "bbb", "other.json": "", "missing": ""} {
		if got := idx.blobOf(filepath.Join(snap, file)); got != want {
			t.Errorf("blobOf(%s) = %q, want %q", file, got, want)
		}
	}
}
