// Package usage records per-request usage without slowing the token stream
// (Recorder: a non-blocking Record, batched asynchronous writes) and turns
// the stored records into reports by model and by day, week or month with
// the change against the previous period (Report, WriteCSV).
package usage

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nuri-ai/nuri/store"
)

// Inserter is where a Recorder writes; store.Store satisfies it.
type Inserter interface {
	InsertUsage(ctx context.Context, recs []store.UsageRecord) error
}

// Options tune a Recorder; zero values take the defaults shown.
type Options struct {
	Buffer        int           // events held in memory before Record drops: 8192
	BatchSize     int           // events per write: 256
	FlushInterval time.Duration // longest wait before a partial batch is written: 1s
	WriteTimeout  time.Duration // limit on one write: 10s
	// Logf reports failed writes; nil stays silent (see Stats).
	Logf func(format string, args ...any)
}

// Stats counts what a Recorder did with the events it was given.
type Stats struct {
	Recorded uint64 `json:"recorded"` // accepted by Record
	Dropped  uint64 `json:"dropped"`  // refused: buffer full or recorder closed
	Written  uint64 `json:"written"`  // stored
	Failed   uint64 `json:"failed"`   // lost in a failed write
}

// Recorder buffers usage events and writes them in batches from one
// goroutine. Record never blocks: when the buffer is full the event is
// dropped and counted, so a slow database cannot stall generation.
type Recorder struct {
	dst Inserter
	opt Options
	ch  chan store.UsageRecord

	mu     sync.RWMutex // guards closed against sends on a closed channel
	closed bool

	flushReq  chan chan struct{}
	done      chan struct{}
	closeOnce sync.Once

	recorded, dropped, written, failed atomic.Uint64
}

// NewRecorder starts a recorder writing to dst. Call Close to flush and stop.
func NewRecorder(dst Inserter, opt Options) *Recorder {
	if opt.Buffer <= 0 {
		opt.Buffer = 8192
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 256
	}
	if opt.FlushInterval <= 0 {
		opt.FlushInterval = time.Second
	}
	if opt.WriteTimeout <= 0 {
		opt.WriteTimeout = 10 * time.Second
	}
	r := &Recorder{
		dst:      dst,
		opt:      opt,
		ch:       make(chan store.UsageRecord, opt.Buffer),
		flushReq: make(chan chan struct{}),
		done:     make(chan struct{}),
	}
	go r.loop()
	return r
}

// Record queues ev and reports whether it was accepted. A zero ev.Time is
// set to now.
func (r *Recorder) Record(ev store.UsageRecord) bool {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		r.dropped.Add(1)
		return false
	}
	select {
	case r.ch <- ev:
		r.recorded.Add(1)
		return true
	default:
		r.dropped.Add(1)
		return false
	}
}

// ErrClosed is returned by Flush after Close.
var ErrClosed = errors.New("usage recorder closed")

// Flush waits until every event recorded before the call has been written
// (or has failed), or ctx ends.
func (r *Recorder) Flush(ctx context.Context) error {
	ack := make(chan struct{})
	select {
	case r.flushReq <- ack:
	case <-r.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops accepting events, writes what is buffered and waits for it.
// It is safe to call more than once.
func (r *Recorder) Close() error {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.closed = true
		close(r.ch)
		r.mu.Unlock()
	})
	<-r.done
	return nil
}

// Stats returns the counters so far.
func (r *Recorder) Stats() Stats {
	return Stats{Recorded: r.recorded.Load(), Dropped: r.dropped.Load(), Written: r.written.Load(), Failed: r.failed.Load()}
}

func (r *Recorder) loop() {
	defer close(r.done)
	batch := make([]store.UsageRecord, 0, r.opt.BatchSize)
	tick := time.NewTicker(r.opt.FlushInterval)
	defer tick.Stop()
	write := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), r.opt.WriteTimeout)
		err := r.dst.InsertUsage(ctx, batch)
		cancel()
		if err != nil {
			r.failed.Add(uint64(len(batch)))
			if r.opt.Logf != nil {
				r.opt.Logf("usage: lost %d records: %v", len(batch), err)
			}
		} else {
			r.written.Add(uint64(len(batch)))
		}
		batch = batch[:0]
	}
	add := func(ev store.UsageRecord) {
		batch = append(batch, ev)
		if len(batch) >= r.opt.BatchSize {
			write()
		}
	}
	for {
		select {
		case ev, ok := <-r.ch:
			if !ok {
				write()
				return
			}
			add(ev)
		case <-tick.C:
			write()
		case ack := <-r.flushReq:
			// Take what is queued now; later events are not waited for.
		drain:
			for n := len(r.ch); n > 0; n-- {
				ev, ok := <-r.ch
				if !ok {
					break drain
				}
				add(ev)
			}
			write()
			close(ack)
		}
	}
}
