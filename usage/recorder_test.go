package usage

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nuri-ai/nuri/store"
)

// sink collects batches in memory; gate, when set, holds every write until
// it is closed.
type sink struct {
	mu      sync.Mutex
	batches [][]store.UsageRecord
	gate    chan struct{}
	fail    bool
}

func (s *sink) InsertUsage(ctx context.Context, recs []store.UsageRecord) error {
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("database is down")
	}
	s.batches = append(s.batches, append([]store.UsageRecord(nil), recs...))
	return nil
}

func (s *sink) sizes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	for _, b := range s.batches {
		out = append(out, len(b))
	}
	return out
}

func (s *sink) total() int {
	n := 0
	for _, v := range s.sizes() {
		n += v
	}
	return n
}

func TestRecorderBatches(t *testing.T) {
	dst := &sink{}
	r := NewRecorder(dst, Options{BatchSize: 10, FlushInterval: time.Hour})
	for i := range 25 {
		if !r.Record(store.UsageRecord{Model: "m", PromptTokens: i}) {
			t.Fatalf("event %d dropped", i)
		}
	}
	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := dst.sizes(); len(got) != 3 || got[0] != 10 || got[1] != 10 || got[2] != 5 {
		t.Fatalf("batch sizes %v, want [10 10 5]", got)
	}
	// Order is kept and times are filled in.
	for i, ev := range append(append(dst.batches[0], dst.batches[1]...), dst.batches[2]...) {
		if ev.PromptTokens != i || ev.Time.IsZero() {
			t.Fatalf("event %d: %+v", i, ev)
		}
	}
	r.Record(store.UsageRecord{Model: "m"})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if dst.total() != 26 {
		t.Fatalf("Close did not flush: %d written", dst.total())
	}
	if r.Record(store.UsageRecord{}) {
		t.Fatal("Record after Close accepted")
	}
	if err := r.Flush(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Flush after Close: %v", err)
	}
	want := Stats{Recorded: 26, Dropped: 1, Written: 26}
	if s := r.Stats(); s != want {
		t.Fatalf("stats %+v, want %+v", s, want)
	}
}

func TestRecorderInterval(t *testing.T) {
	dst := &sink{}
	r := NewRecorder(dst, Options{BatchSize: 1000, FlushInterval: 10 * time.Millisecond})
	defer r.Close()
	r.Record(store.UsageRecord{Model: "m"})
	deadline := time.Now().Add(10 * time.Second)
	for dst.total() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("partial batch never written by the timer")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRecorderNeverBlocks stalls the database: Record must keep returning
// at once, dropping and counting what does not fit.
func TestRecorderNeverBlocks(t *testing.T) {
	dst := &sink{gate: make(chan struct{})}
	r := NewRecorder(dst, Options{Buffer: 16, BatchSize: 4, FlushInterval: time.Hour})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 1000 {
			r.Record(store.UsageRecord{Model: "m"})
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Record blocked while the database was stalled")
	}
	s := r.Stats()
	if s.Recorded+s.Dropped != 1000 || s.Dropped == 0 || s.Recorded > 16+4 {
		t.Fatalf("stats with a stalled database: %+v", s)
	}
	close(dst.gate)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if s := r.Stats(); s.Written != s.Recorded || dst.total() != int(s.Recorded) {
		t.Fatalf("after unstalling: %+v, %d stored", s, dst.total())
	}
}

func TestRecorderWriteFailure(t *testing.T) {
	dst := &sink{fail: true}
	var logged []string
	var mu sync.Mutex
	r := NewRecorder(dst, Options{BatchSize: 5, Logf: func(f string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		logged = append(logged, f)
	}})
	for range 7 {
		r.Record(store.UsageRecord{Model: "m"})
	}
	r.Close()
	if s := r.Stats(); s.Failed != 7 || s.Written != 0 {
		t.Fatalf("stats %+v", s)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logged) != 2 {
		t.Fatalf("%d failures logged, want 2", len(logged))
	}
}

func TestRecorderConcurrent(t *testing.T) {
	dst := &sink{}
	r := NewRecorder(dst, Options{Buffer: 100000, BatchSize: 64, FlushInterval: time.Millisecond})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				r.Record(store.UsageRecord{Model: "m", UserID: int64(g), PromptTokens: i})
			}
		}()
	}
	// Close while nothing is recording any more, then check nothing is lost.
	wg.Wait()
	r.Close()
	if dst.total() != 4000 || r.Stats().Dropped != 0 {
		t.Fatalf("%d stored, stats %+v", dst.total(), r.Stats())
	}
}

func TestRecorderCloseRacesRecord(t *testing.T) {
	r := NewRecorder(&sink{}, Options{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2000 {
				r.Record(store.UsageRecord{Model: "m"})
			}
		}()
	}
	r.Close() // must not panic with sends in flight
	wg.Wait()
	s := r.Stats()
	if s.Recorded+s.Dropped != 8000 || s.Written != s.Recorded {
		t.Fatalf("stats %+v", s)
	}
}

func BenchmarkRecord(b *testing.B) {
	r := NewRecorder(&sink{}, Options{Buffer: 1 << 20})
	defer r.Close()
	ev := store.UsageRecord{Model: "m", Time: time.Now()}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.Record(ev)
		}
	})
}
