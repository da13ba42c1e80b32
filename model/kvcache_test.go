package model

import (
	"testing"
	"unsafe"

	"github.com/nuri-ai/nuri/internal/mmap"
)

// TestAllocKV: the cache memory has the length asked for, is zeroed and
// aligned for float32 access, and a large one starts on a huge page where
// the system has them.
func TestAllocKV(t *testing.T) {
	for _, n := range []int64{0, 1, 7, 4096, 3 << 20, 9<<20 + 5} {
		b := AllocKV(n)
		if int64(len(b)) != n {
			t.Fatalf("AllocKV(%d): %d bytes", n, len(b))
		}
		if n == 0 {
			continue
		}
		at := uintptr(unsafe.Pointer(&b[0]))
		if at%4 != 0 {
			t.Errorf("AllocKV(%d) at %#x: not float32-aligned", n, at)
		}
		if h := int64(mmap.HugePage); h > 0 && n >= 4*h && at%uintptr(h) != 0 {
			t.Errorf("AllocKV(%d) at %#x: not on a huge page", n, at)
		}
		for i, c := range b {
			if c != 0 {
				t.Fatalf("AllocKV(%d): byte %d is %d", n, i, c)
			}
		}
		b[n-1] = 1 // writable to the end
	}
}
