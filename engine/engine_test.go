package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/nuri-ai/nuri/model"
	"github.com/nuri-ai/nuri/tokenizer"
)

const goldenLlama = "../testdata/golden/llama/model.gguf"

// byteRunes is the byte-level BPE alphabet: printable bytes stand for
// themselves, the others are shifted above U+0100.
func byteRunes() [256]rune {
	var out [256]rune
	n := 0
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			out[b] = rune(b)
		} else {
			out[b] = rune(256 + n)
			n++
		}
	}
	return out
}

// testTokenizer is a byte-level tokenizer of the given vocabulary size: ids
// 0..255 are bytes, the rest are special tokens "<tN>".
func testTokenizer(t testing.TB, vocab int) *tokenizer.Tokenizer {
	t.Helper()
	runes := byteRunes()
	tokens := make([]string, vocab)
	types := make([]int32, vocab)
	for i := range tokens {
		if i < 256 {
			tokens[i] = string(runes[i])
			types[i] = 1
		} else {
			tokens[i] = fmt.Sprintf("<t%d>", i)
			types[i] = 3
		}
	}
	tok, err := tokenizer.FromGGUF(tokenizer.MapMetadata{
		"tokenizer.ggml.model":      "gpt2",
		"tokenizer.ggml.tokens":     tokens,
		"tokenizer.ggml.token_type": types,
		"tokenizer.ggml.merges":     []string{},
	})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var (
	modelOnce sync.Once
	modelErr  error
	llama     *model.Model
)

func loadLlama(t testing.TB) *model.Model {
	t.Helper()
	modelOnce.Do(func() { llama, modelErr = model.Load(goldenLlama) })
	if modelErr != nil {
		t.Fatal(modelErr)
	}
	return llama
}

// newTestEngine makes an engine on the golden llama model.
func newTestEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	m := loadLlama(t)
	if cfg.Threads == 0 {
		cfg.Threads = 2
	}
	e, err := New(m, testTokenizer(t, m.Config.VocabSize), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return e
}

// collect reads a stream to its end.
func collect(ch <-chan Event) (ids []int32, text string, last Event) {
	for ev := range ch {
		if ev.Done {
			text += ev.Text
			last = ev
			continue
		}
		ids = append(ids, ev.Token)
		text += ev.Text
	}
	return ids, text, last
}

// reference runs a prompt alone through the dense-cache generator.
func reference(t *testing.T, m *model.Model, prompt []int32, n int) []int32 {
	t.Helper()
	var out []int32
	_, err := Generate(context.Background(), m, prompt, GenerateOptions{MaxTokens: n, Context: 512}, func(id int32) error {
		out = append(out, id)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func randomPrompt(r *rand.Rand, shared []int32, n int) []int32 {
	p := append([]int32(nil), shared...)
	for len(p) < n {
		p = append(p, int32(r.IntN(256)))
	}
	return p
}

func TestConcurrentMatchesSequential(t *testing.T) {
	e := newTestEngine(t, Config{MaxBatchTokens: 64, BlockSize: 8})
	m := e.Model()
	r := rand.New(rand.NewPCG(1, 2))
	shared := randomPrompt(r, nil, 40) // a common system prompt: prefix-cache hits
	const streams, newTokens = 16, 24
	prompts := make([][]int32, streams)
	want := make([][]int32, streams)
	for i := range prompts {
		prompts[i] = randomPrompt(r, shared, 45+r.IntN(40))
	}
	var wg sync.WaitGroup
	got := make([][]int32, streams)
	fins := make([]Event, streams)
	for i := range prompts {
		ch, err := e.Submit(context.Background(), &Request{ID: fmt.Sprint(i), Prompt: prompts[i], MaxTokens: newTokens})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _, fins[i] = collect(ch)
		}()
	}
	wg.Wait()
	for i := range prompts {
		want[i] = reference(t, m, prompts[i], newTokens)
	}
	for i := range prompts {
		if fins[i].Err != nil || fins[i].Finish != FinishLength {
			t.Errorf("stream %d: finish %q, err %v", i, fins[i].Finish, fins[i].Err)
		}
		if fmt.Sprint(got[i]) != fmt.Sprint(want[i]) {
			t.Errorf("stream %d:\n got %v\nwant %v", i, got[i], want[i])
		}
		u := fins[i].Usage
		if u.PromptTokens != len(prompts[i]) || u.CompletionTokens != newTokens {
			t.Errorf("stream %d: usage %+v", i, u)
		}
	}
	st := e.Stats()
	if st.PrefixCacheHits == 0 || st.PrefixCacheQueries == 0 {
		t.Errorf("no prefix-cache hits: %+v", st)
	}
	if st.GeneratedTokens != streams*newTokens {
		t.Errorf("generated %d tokens, want %d", st.GeneratedTokens, streams*newTokens)
	}
	if st.Running != 0 || st.Waiting != 0 || st.KVBlocksUsed != 0 {
		t.Errorf("engine not idle after the streams: %+v", st)
	}
	t.Logf("stats: %+v", st)
}

func TestSubmitErrors(t *testing.T) {
	e := newTestEngine(t, Config{Context: 64, KVMemory: 1 << 20})
	long := make([]int32, 70)
	tests := []struct {
		name string
		req  *Request
		ok   bool
		too  bool
	}{
		{"empty", &Request{}, false, false},
		{"bad id", &Request{Prompt: []int32{1, 9999}}, false, false},
		{"too long", &Request{Prompt: long}, false, true},
		{"too long with max tokens", &Request{Prompt: long[:60], MaxTokens: 10}, false, true},
		{"truncated", &Request{Prompt: long, MaxTokens: 4, Truncate: true}, true, false},
		{"fits", &Request{Prompt: long[:10], MaxTokens: 4}, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ch, err := e.Submit(context.Background(), tc.req)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				_, _, last := collect(ch)
				if last.Err != nil || last.Usage.CompletionTokens != 4 {
					t.Errorf("final event %+v", last)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			var pe *PromptTooLongError
			if errors.As(err, &pe) != tc.too {
				t.Errorf("error %v: PromptTooLongError %v, want %v", err, !tc.too, tc.too)
			}
		})
	}
}

func TestCancelFreesBlocks(t *testing.T) {
	e := newTestEngine(t, Config{BlockSize: 4})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := e.Submit(ctx, &Request{Prompt: []int32{1, 2, 3, 4, 5, 6}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	var last Event
	for ev := range ch {
		if ev.Done {
			last = ev
			break
		}
		n++
		if n == 5 {
			if e.Stats().KVBlocksUsed == 0 {
				t.Error("no blocks in use mid-stream")
			}
			cancel()
		}
	}
	if last.Finish != FinishCancelled || !errors.Is(last.Err, context.Canceled) {
		t.Errorf("final event %+v", last)
	}
	// The loop frees the blocks before it sends the final event.
	if st := e.Stats(); st.KVBlocksUsed != 0 || st.Running != 0 {
		// Stats are published after the step; allow one step more.
		time.Sleep(50 * time.Millisecond)
		if st := e.Stats(); st.KVBlocksUsed != 0 || st.Running != 0 {
			t.Errorf("blocks not freed after cancel: %+v", st)
		}
	}
}

func TestQueueFull(t *testing.T) {
	e := newTestEngine(t, Config{MaxQueue: 4, MaxRunning: 2})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var chans []<-chan Event
	full := 0
	for i := 0; i < 20; i++ {
		ch, err := e.Submit(ctx, &Request{Prompt: []int32{1, 2, 3}, MaxTokens: 200})
		switch {
		case errors.Is(err, ErrQueueFull):
			full++
		case err != nil:
			t.Fatal(err)
		default:
			chans = append(chans, ch)
		}
	}
	if full == 0 {
		t.Fatal("no ErrQueueFull")
	}
	cancel()
	for _, ch := range chans {
		collect(ch)
	}
	// Still healthy.
	ch, err := e.Submit(context.Background(), &Request{Prompt: []int32{1, 2, 3}, MaxTokens: 3})
	if err != nil {
		t.Fatal(err)
	}
	if ids, _, last := collect(ch); len(ids) != 3 || last.Finish != FinishLength {
		t.Errorf("after overload: %v %+v", ids, last)
	}
}
