package mmap

import "testing"

// TestLockLarge locks a region far beyond Windows' default minimum working
// set, which Lock must raise to succeed.
func TestLockLarge(t *testing.T) {
	for _, size := range []int{4096, 64 << 20} {
		b, release, err := Anon(size)
		if err != nil {
			t.Fatalf("Anon(%d): %v", size, err)
		}
		if err := Lock(b); err != nil {
			t.Errorf("Lock(%d bytes): %v", size, err)
		}
		b[size-1] = 1
		if err := release(); err != nil {
			t.Errorf("release: %v", err)
		}
	}
}
