package mmap

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestDrop checks that dropping the pages of part of a mapping leaves its
// contents readable, and that parts outside the mapping are ignored.
func TestDrop(t *testing.T) {
	want := make([]byte, 5*os.Getpagesize()+123)
	for i := range want {
		want[i] = byte(i * 7)
	}
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, want, 0o644); err != nil {
		t.Fatal(err)
	}
	data, release, err := Map(path)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	_ = bytes.Equal(data, want) // fault every page in
	Drop(data, data[100:len(data)-50])
	Drop(data, make([]byte, 10)) // not inside: ignored
	Drop(data, nil)
	if !bytes.Equal(data, want) {
		t.Fatal("contents changed after Drop")
	}
}
