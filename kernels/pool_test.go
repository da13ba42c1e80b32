package kernels

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestPoolRun(t *testing.T) {
	for _, threads := range []int{1, 2, 5} {
		p := NewPool(threads)
		if p.Threads() != threads {
			t.Fatalf("Threads() = %d, want %d", p.Threads(), threads)
		}
		for _, n := range []int{0, 1, 2, 7, 1000} {
			for round := 0; round < 3; round++ {
				counts := make([]atomic.Int32, n)
				var bad atomic.Bool
				p.Run(n, func(i, thread int) {
					if thread < 0 || thread >= threads {
						bad.Store(true)
					}
					counts[i].Add(1)
				})
				if bad.Load() {
					t.Fatalf("threads=%d n=%d: thread index out of range", threads, n)
				}
				for i := range counts {
					if c := counts[i].Load(); c != 1 {
						t.Fatalf("threads=%d n=%d: index %d ran %d times", threads, n, i, c)
					}
				}
			}
			// Let the workers park, then check that they wake up again.
			time.Sleep(2 * spinFor)
		}
		p.Close()
		p.Close()
	}
	p0 := NewPool(0)
	defer p0.Close()
	if p0.Threads() < 1 {
		t.Fatal("NewPool(0) has no threads")
	}
}
