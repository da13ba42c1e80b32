package backend

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/nuri-ai/nuri/engine"
	"github.com/nuri-ai/nuri/model"
	"github.com/nuri-ai/nuri/tokenizer"
)

// holdEngine accepts requests (refusing the one numbered refuse, from 1)
// and ends each stream only when its context is cancelled.
type holdEngine struct {
	refuse int
	mu     sync.Mutex
	seeds  []uint64
	ended  int
}

var errRefused = errors.New("refused")

func (e *holdEngine) Submit(ctx context.Context, r *engine.Request) (<-chan engine.Event, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.seeds)+1 == e.refuse {
		return nil, errRefused
	}
	e.seeds = append(e.seeds, r.Sampling.Seed)
	ch := make(chan engine.Event, 1)
	go func() {
		<-ctx.Done()
		e.mu.Lock()
		e.ended++
		e.mu.Unlock()
		ch <- engine.Event{Done: true, Finish: engine.FinishCancelled, Err: ctx.Err()}
		close(ch)
	}()
	return ch, nil
}
func (e *holdEngine) Embed(context.Context, []int32) ([]float32, error) {
	return nil, errors.New("not used")
}
func (e *holdEngine) Stats() engine.Stats             { return engine.Stats{} }
func (e *holdEngine) Context() int                    { return 4096 }
func (e *holdEngine) Tokenizer() *tokenizer.Tokenizer { return nil }
func (e *holdEngine) Model() *model.Model             { return nil }
func (e *holdEngine) Close(ctx context.Context) error { return nil }

// recBackend keeps the records; nothing else of Backend is used.
type recBackend struct {
	Backend
	recs []Record
}

func (b *recBackend) Record(_ *http.Request, rec Record) { b.recs = append(b.recs, rec) }

func TestStartN(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n       int
		refuse  int
		wantErr bool
	}{
		{"one", 1, 0, false},
		{"three choices", 3, 0, false},
		{"first refused", 3, 1, true},
		{"third refused", 3, 3, true},
		{"no choices", 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eng := &holdEngine{refuse: tc.refuse}
			m := &Model{Name: "m", Engine: eng}
			b := &recBackend{}
			r := httptest.NewRequest("POST", "/v1/chat/completions", nil)
			o := &Options{MaxTokens: 4, IgnoreEOS: true}
			o.Sampling.Seed = 40
			chans, cancel, err := m.StartN(b, r, "/x", []int32{1, 2}, o, tc.n)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want one: %v", err, tc.wantErr)
			}
			refused := tc.refuse > 0 && tc.refuse <= tc.n
			wantRecs := 0
			if refused {
				wantRecs = 1
			}
			if len(b.recs) != wantRecs || (refused && (!b.recs[0].Failed || b.recs[0].Endpoint != "/x" || b.recs[0].Model != "m")) {
				t.Errorf("records %+v", b.recs)
			}
			if err != nil {
				if refused && !errors.Is(err, errRefused) {
					t.Errorf("error %v does not wrap the refusal", err)
				}
				// The streams started before the failure were ended.
				if eng.ended != len(eng.seeds) || chans != nil || cancel != nil {
					t.Errorf("%d of %d started streams ended; got %d streams", eng.ended, len(eng.seeds), len(chans))
				}
				return
			}
			if len(chans) != tc.n {
				t.Fatalf("%d streams, want %d", len(chans), tc.n)
			}
			for i, s := range eng.seeds {
				if s != 40+uint64(i) {
					t.Errorf("seeds %v, want 40, 41, ...", eng.seeds)
					break
				}
			}
			cancel()
			for _, ch := range chans {
				for range ch {
				}
			}
		})
	}
}

func TestStartRecordsRefusal(t *testing.T) {
	m := &Model{Name: "m", Engine: &holdEngine{refuse: 1}}
	b := &recBackend{}
	r := httptest.NewRequest("POST", "/api/chat", nil)
	if _, err := m.Start(b, r, "/api/chat", []int32{1}, &Options{IgnoreEOS: true}); !errors.Is(err, errRefused) {
		t.Fatalf("error %v", err)
	}
	if len(b.recs) != 1 || !b.recs[0].Failed {
		t.Errorf("records %+v", b.recs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.Engine = &holdEngine{}
	ch, err := m.Start(b, r.WithContext(ctx), "/api/chat", []int32{1}, &Options{IgnoreEOS: true})
	if err != nil {
		t.Fatal(err)
	}
	cancel() // the request's context ends the stream
	for range ch {
	}
}
