package kernels

import (
	"runtime"
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

// TestPoolStress runs many short jobs while threads are descheduled at
// random points (more pool threads than CPUs, yields inside the work), so
// that the caller often stops spinning and parks: every index must run
// exactly once per job, and Run must not return before all have.
func TestPoolStress(t *testing.T) {
	rounds := 20000
	if testing.Short() {
		rounds = 2000
	}
	for _, threads := range []int{2, 3, 5} {
		p := NewPool(threads)
		var counts [8]atomic.Int32
		for r := 0; r < rounds; r++ {
			n := 2 + r%7
			p.Run(n, func(i, thread int) {
				if (i+r)%3 == 0 {
					runtime.Gosched()
				}
				if (i*7+r)%61 == 0 {
					time.Sleep(20 * time.Microsecond)
				}
				counts[i].Add(1)
			})
			for i := 0; i < n; i++ {
				if c := counts[i].Swap(0); c != 1 {
					p.Close()
					t.Fatalf("threads=%d round %d: index %d ran %d times before Run returned", threads, r, i, c)
				}
			}
		}
		p.Close()
	}
}
