package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nuri-ai/nuri/engine"
	"github.com/nuri-ai/nuri/internal/testfixtures"
	"github.com/nuri-ai/nuri/model"
	"github.com/nuri-ai/nuri/server/backend"
	"github.com/nuri-ai/nuri/store"
	"github.com/nuri-ai/nuri/testmodel"
	"github.com/nuri-ai/nuri/tokenizer"
)

var (
	tmpRoot   string
	modelOnce sync.Once
	modelDir  string
	modelErr  error
)

func TestMain(m *testing.M) {
	var err error
	tmpRoot, err = os.MkdirTemp("", "nuri-server-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(tmpRoot)
	os.Exit(code)
}

// tinyModels returns a folder holding tiny.gguf and tiny2.gguf: random
// two-layer Llamas of hidden size 32 with the real Qwen3 tokenizer and chat
// template. Random weights make the text meaningless, not the protocol.
func tinyModels(t testing.TB) string {
	t.Helper()
	modelOnce.Do(func() {
		tokDir := testfixtures.TokenizerDir(t, "qwen3")
		modelDir = filepath.Join(tmpRoot, "models")
		if modelErr = os.MkdirAll(modelDir, 0o755); modelErr != nil {
			return
		}
		tok, err := tokenizer.Load(tokDir)
		if err != nil {
			modelErr = err
			return
		}
		for i, name := range []string{"tiny", "tiny2"} {
			spec := testmodel.Spec{Arch: "llama", Vocab: tok.VocabSize(), Hidden: 32, Layers: 2, Heads: 2, KVHeads: 1, FFN: 64,
				Context: 1024, NormEps: 1e-5, RopeTheta: 10000, Tied: true}
			modelErr = testmodel.Write(context.Background(), testmodel.Options{
				Spec: &spec, TokenizerDir: tokDir, Out: filepath.Join(modelDir, name+".gguf"),
				Type: testmodel.TypeF16, Seed: uint64(i + 1), Std: 0.5, Name: name,
			})
			if modelErr != nil {
				return
			}
		}
	})
	if modelErr != nil {
		t.Fatalf("writing the tiny models: %v", modelErr)
	}
	return modelDir
}

// fakeEngine replies with scripted text, a token at a time, so that tool
// calls, admission and cancellation can be tested deterministically. It
// holds at most capacity requests (running or waiting) and answers
// ErrQueueFull beyond that.
type fakeEngine struct {
	m        *model.Model
	tok      *tokenizer.Tokenizer
	reply    func(r *engine.Request) string
	delay    time.Duration
	capacity int

	mu        sync.Mutex
	active    int
	closed    bool
	cancelled atomic.Int64
	requests  []*engine.Request
}

func (f *fakeEngine) Submit(ctx context.Context, r *engine.Request) (<-chan engine.Event, error) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil, engine.ErrClosed
	}
	if f.capacity > 0 && f.active >= f.capacity {
		f.mu.Unlock()
		return nil, engine.ErrQueueFull
	}
	f.active++
	f.requests = append(f.requests, r)
	f.mu.Unlock()
	text := f.reply(r)
	ids := f.tok.Encode(text, false)
	ch := make(chan engine.Event, 4)
	go func() {
		defer close(ch)
		defer func() {
			f.mu.Lock()
			f.active--
			f.mu.Unlock()
		}()
		start := time.Now()
		u := engine.Usage{PromptTokens: len(r.Prompt)}
		finish := engine.FinishStop
		var out strings.Builder
		for i, id := range ids {
			if r.MaxTokens > 0 && i >= r.MaxTokens {
				finish = engine.FinishLength
				break
			}
			select {
			case <-ctx.Done():
				f.cancelled.Add(1)
				u.Duration = time.Since(start)
				ch <- engine.Event{Done: true, Finish: engine.FinishCancelled, Usage: u}
				return
			case <-time.After(f.delay):
			}
			piece := f.tok.Decode([]int32{id})
			out.WriteString(piece)
			stopped := false
			for _, s := range r.StopStrings {
				if strings.Contains(out.String(), s) {
					stopped = true
				}
			}
			if stopped {
				break
			}
			u.CompletionTokens++
			if i == 0 {
				u.TimeToFirstToken = time.Since(start)
			}
			ev := engine.Event{Token: id, Text: piece}
			if r.Logprobs {
				ev.Logprob = &engine.TokenLogprob{ID: id, Text: piece, Logprob: -0.5}
				for k := 0; k < r.TopLogprobs; k++ {
					ev.Top = append(ev.Top, engine.TokenLogprob{ID: id + int32(k), Text: f.tok.Decode([]int32{id + int32(k)}), Logprob: -0.5 - float32(k)})
				}
			}
			ch <- ev
		}
		u.Duration = time.Since(start)
		ch <- engine.Event{Done: true, Finish: finish, Usage: u}
	}()
	return ch, nil
}

func (f *fakeEngine) Embed(ctx context.Context, ids []int32) ([]float32, error) {
	return f.m.Embed(ids)
}

func (f *fakeEngine) Stats() engine.Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return engine.Stats{Running: f.active, KVBlocksTotal: 100, KVBlocksUsed: 25, KVBlockSize: 16}
}
func (f *fakeEngine) Context() int                    { return 512 }
func (f *fakeEngine) Tokenizer() *tokenizer.Tokenizer { return f.tok }
func (f *fakeEngine) Model() *model.Model             { return f.m }
func (f *fakeEngine) Close(ctx context.Context) error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	return nil
}

// fakeFactory makes engines replying with reply; the engines it made are
// sent to made.
func fakeFactory(reply func(r *engine.Request) string, delay time.Duration, capacity int, made chan<- *fakeEngine) EngineFactory {
	return func(m *model.Model, tok *tokenizer.Tokenizer, cfg engine.Config) (backend.Engine, error) {
		f := &fakeEngine{m: m, tok: tok, reply: reply, delay: delay, capacity: capacity}
		if made != nil {
			made <- f
		}
		return f, nil
	}
}

// testServer starts a server over the tiny models (real engine unless
// edit sets NewEngine) and returns it with its HTTP test server.
func testServer(t testing.TB, edit func(c *Config)) (*Server, *httptest.Server) {
	t.Helper()
	dir := tinyModels(t)
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "nuri.db"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		ModelsDir: dir, KeepAlive: time.Minute, KVMemory: 4 << 20, Context: 512, Threads: 1,
		Store: st, NoHubListing: true, Logf: t.Logf,
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		s.Close(context.Background())
		st.Close()
	})
	return s, hs
}
