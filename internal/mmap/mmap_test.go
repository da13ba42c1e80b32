package mmap

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"unsafe"
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

// TestAnon checks that anonymous memory comes zeroed, writable and exactly
// as long as asked, starting on a huge-page boundary where Nuri asks for
// huge pages, and that AdviseHuge accepts any slice.
func TestAnon(t *testing.T) {
	for _, size := range []int{1, 4096, 3<<20 + 5} {
		b, release, err := Anon(size)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != size || cap(b) != size {
			t.Fatalf("Anon(%d): len %d cap %d", size, len(b), cap(b))
		}
		if hp := uintptr(HugePage); hp > 0 && uintptr(size) >= hp && uintptr(unsafe.Pointer(&b[0]))%hp != 0 {
			t.Errorf("Anon(%d) starts at %p, not on a %d-byte boundary", size, &b[0], hp)
		}
		for i := range b {
			if b[i] != 0 {
				t.Fatalf("Anon(%d): byte %d is %d", size, i, b[i])
			}
			b[i] = byte(i)
		}
		if err := release(); err != nil {
			t.Fatal(err)
		}
	}
	big := make([]byte, 5<<20)
	for _, part := range [][]byte{nil, big[:1], big[1:], big[4095 : 4<<20+1]} {
		AdviseHuge(part)
	}
	for i := range big {
		big[i] = byte(i)
	}
}
