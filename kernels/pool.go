package kernels

import (
	"sync"
	"sync/atomic"
	"time"
)

// spinFor is how long an idle worker polls for new work before it parks. A
// decode step issues matmuls back to back with short serial gaps, so brief
// spinning saves a wake-up per call; parking afterwards keeps an idle or
// contended machine from burning a core.
const spinFor = 50 * time.Microsecond

// Pool is a set of persistent worker goroutines that run parallel loops. The
// goroutine calling Run takes part as thread 0, so a Pool of n threads starts
// n-1 workers. A Pool also owns the scratch buffers MatMul needs, so repeated
// calls do not allocate. Run and MatMul may be called from several goroutines;
// calls on one Pool are serialised.
type Pool struct {
	threads int
	mu      sync.Mutex // serialises Run calls

	gen     atomic.Uint64 // bumped once per job; workers wait for a change
	pending atomic.Int32  // workers still inside the current job
	fn      func(i, thread int)
	closed  atomic.Bool
	// ranges[t] holds the indices not yet taken of thread t's share of the
	// current job, packed as lo<<32 | hi (see work).
	ranges []paddedRange
	// done receives a token from the last worker to leave a job whose
	// caller stopped spinning and waits; waiting then holds that job's gen
	// (0 otherwise), so that a worker late from an earlier job cannot hand
	// its token to the wrong wait.
	waiting atomic.Uint64
	done    chan struct{}

	workers []*worker
	wg      sync.WaitGroup

	scratch scratch
	job     mmJob
}

type paddedRange struct {
	r atomic.Uint64
	_ [56]byte // one cache line per range
}

type worker struct {
	sleeping atomic.Int32 // 1 while parked (or about to park)
	wake     chan struct{}
	_        [64]byte // keep workers' flags on separate cache lines
}

// NewPool starts a pool of the given number of threads; threads <= 0 means
// one per physical core (PhysicalCores).
func NewPool(threads int) *Pool {
	if threads <= 0 {
		threads = PhysicalCores()
	}
	p := &Pool{threads: threads, ranges: make([]paddedRange, threads), done: make(chan struct{}, 1)}
	p.scratch.init(threads)
	p.bind()
	for t := 1; t < threads; t++ {
		w := &worker{wake: make(chan struct{}, 1)}
		p.workers = append(p.workers, w)
		p.wg.Add(1)
		go p.loop(w, t)
	}
	return p
}

// Threads returns the number of threads that run a loop (workers plus caller).
func (p *Pool) Threads() int { return p.threads }

// Close stops the workers. The Pool must not be used afterwards; Close is
// idempotent.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed.Swap(true) {
		return
	}
	p.gen.Add(1)
	for _, w := range p.workers {
		if w.sleeping.CompareAndSwap(1, 0) {
			w.wake <- struct{}{}
		}
	}
	p.wg.Wait()
}

// Run calls fn(i, thread) for every i in [0, n), spreading the indices over
// the pool's threads (thread is in [0, Threads())). Each thread starts on its
// own contiguous share of the indices and takes them in increasing order, so
// consecutive indices that cover consecutive memory form one stream per
// thread; a thread that finishes its share takes indices from the ends of the
// others' shares, so none idles while work is left (also when the operating
// system deschedules one). Each index should be a chunk of work worth a few
// microseconds at least. Run returns when all calls have returned; it starts
// no goroutines and does not allocate.
func (p *Pool) Run(n int, fn func(i, thread int)) {
	if n <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.run(n, fn)
}

// run is Run with p.mu held.
func (p *Pool) run(n int, fn func(i, thread int)) {
	if n == 1 || p.threads == 1 || p.closed.Load() {
		for i := 0; i < n; i++ {
			fn(i, 0)
		}
		return
	}
	p.fn = fn
	for t := range p.ranges {
		lo, hi := uint64(n*t/p.threads), uint64(n*(t+1)/p.threads)
		p.ranges[t].r.Store(lo<<32 | hi)
	}
	p.pending.Store(int32(len(p.workers)))
	gen := p.gen.Add(1)
	for _, w := range p.workers {
		if w.sleeping.CompareAndSwap(1, 0) {
			w.wake <- struct{}{}
		}
	}
	p.work(0)
	// Wait for the workers to leave the job. They are at most one index
	// behind unless the operating system descheduled one; then spinning
	// would keep it off the CPU, so after spinFor park until the last one
	// hands over a token.
	var deadline time.Time
	for spins := 0; p.pending.Load() != 0; spins++ {
		if spins&127 != 127 {
			continue
		}
		if now := time.Now(); deadline.IsZero() {
			deadline = now.Add(spinFor)
			continue
		} else if now.Before(deadline) {
			continue
		}
		p.waiting.Swap(gen) // a read-modify-write, as for sleeping in loop
		if p.pending.Load() == 0 {
			// Everyone left while we were deciding to park; a token may
			// still be on its way.
			if !p.waiting.CompareAndSwap(gen, 0) {
				<-p.done
			}
			break
		}
		<-p.done
		break
	}
	p.fn = nil
}

// work runs indices of the current job on thread: first its own share in
// increasing order, then, taking from the end, whatever is left of the
// other threads' shares. A share's lo and hi move towards each other by CAS
// on one word, so each index runs exactly once.
func (p *Pool) work(thread int) {
	fn := p.fn
	r := &p.ranges[thread].r
	for {
		s := r.Load()
		lo, hi := s>>32, s&0xffffffff
		if lo >= hi {
			break
		}
		if r.CompareAndSwap(s, (lo+1)<<32|hi) {
			fn(int(lo), thread)
		}
	}
	for k := 1; k < p.threads; k++ {
		o := &p.ranges[(thread+k)%p.threads].r
		for {
			s := o.Load()
			lo, hi := s>>32, s&0xffffffff
			if lo >= hi {
				break
			}
			if o.CompareAndSwap(s, lo<<32|(hi-1)) {
				fn(int(hi-1), thread)
			}
		}
	}
}

func (p *Pool) loop(w *worker, thread int) {
	defer p.wg.Done()
	var seen uint64 // gen is 0 until the first job, which may precede this goroutine's start
	for {
		// Spin for a while, then park until Run or Close wakes us.
		deadline := time.Now().Add(spinFor)
		for spins := 0; p.gen.Load() == seen; spins++ {
			if spins&127 == 127 && time.Now().After(deadline) {
				// Swap, not Store: an atomic read-modify-write also orders
				// this against the load below on emulators (qemu on x86)
				// that let a release store pass a later acquire load.
				w.sleeping.Swap(1)
				if p.gen.Load() != seen {
					// Work arrived while we were deciding to park.
					if !w.sleeping.CompareAndSwap(1, 0) {
						<-w.wake // Run claimed us; take its token
					}
					break
				}
				<-w.wake
				deadline = time.Now().Add(spinFor)
			}
		}
		seen = p.gen.Load()
		if p.closed.Load() {
			return
		}
		p.work(thread)
		if p.pending.Add(-1) == 0 && p.waiting.CompareAndSwap(seen, 0) {
			p.done <- struct{}{}
		}
	}
}
