package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nuri-ai/nuri/model"
	"github.com/nuri-ai/nuri/tokenizer"
)

const (
	goldenLlama  = "../testdata/golden/llama/model.gguf"
	goldenGemma2 = "../testdata/golden/gemma2/model.gguf" // sliding-window layers (window 8)
)

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
	modelsMu sync.Mutex
	models   = map[string]*model.Model{}
)

// loadModel loads a fixture once per test binary.
func loadModel(t testing.TB, path string) *model.Model {
	t.Helper()
	modelsMu.Lock()
	defer modelsMu.Unlock()
	if m, ok := models[path]; ok {
		return m
	}
	m, err := model.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	models[path] = m
	return m
}

// newTestEngine makes an engine on the golden llama model.
func newTestEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	return newEngineFor(t, goldenLlama, cfg)
}

func newEngineFor(t testing.TB, path string, cfg Config) *Engine {
	t.Helper()
	return newEngineWith(t, path, nil, cfg)
}

// newEngineWith makes an engine on the model at path; a nil tokenizer means
// the byte-level test tokenizer.
func newEngineWith(t testing.TB, path string, tok *tokenizer.Tokenizer, cfg Config) *Engine {
	t.Helper()
	m := loadModel(t, path)
	if tok == nil {
		tok = testTokenizer(t, m.Config.VocabSize)
	}
	if cfg.Threads == 0 {
		cfg.Threads = 2
	}
	if cfg.KVType == "" {
		// Exact comparisons with the dense float32 cache of Generate.
		cfg.KVType = model.KVF32
	}
	e, err := New(m, tok, cfg)
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
	tests := []struct {
		name    string
		path    string
		cfg     Config
		preempt bool
	}{
		{"llama", goldenLlama, Config{MaxBatchTokens: 64, BlockSize: 8}, false},
		{"sliding window", goldenGemma2, Config{MaxBatchTokens: 48, BlockSize: 4}, false},
		// 40 blocks of 8 hold about three of the sixteen sequences: the
		// scheduler must preempt and recompute.
		{"preemption", goldenLlama, Config{MaxBatchTokens: 64, BlockSize: 8, KVMemory: 40 * 4096}, true},
		{"one token per step", goldenLlama, Config{MaxBatchTokens: 1, MaxRunning: 3}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngineFor(t, tc.path, tc.cfg)
			runConcurrent(t, e, tc.preempt)
		})
	}
}

func runConcurrent(t *testing.T, e *Engine, preempt bool) {
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
	if preempt != (st.Preemptions > 0) {
		t.Errorf("preemptions: %d", st.Preemptions)
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

func TestFilterStops(t *testing.T) {
	tests := []struct {
		name    string
		stops   []string
		chunks  []string
		want    []string
		stopped bool
	}{
		{"none", nil, []string{"ab", "cd"}, []string{"ab", "cd"}, false},
		{"no match", []string{"xyz"}, []string{"ab", "cd"}, []string{"ab", "cd"}, false},
		{"held then released", []string{"xyz"}, []string{"abx", "q"}, []string{"ab", "xq"}, false},
		{"split match", []string{"xyz"}, []string{"abx", "yz!"}, []string{"ab", ""}, true},
		{"match in one chunk", []string{"END"}, []string{"fooENDbar"}, []string{"foo"}, true},
		{"earliest of several", []string{"cd", "b"}, []string{"abcd"}, []string{"a"}, true},
		{"longest partial held", []string{"aab"}, []string{"xaa"}, []string{"x"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &seq{}
			var got []string
			stopped := false
			for _, c := range tc.chunks {
				out, st := s.filterStops(c, tc.stops)
				got = append(got, out)
				if st {
					stopped = true
					break
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || stopped != tc.stopped {
				t.Errorf("got %q stopped=%v, want %q stopped=%v", got, stopped, tc.want, tc.stopped)
			}
		})
	}
}

func TestStopStringsAndTokens(t *testing.T) {
	e := newTestEngine(t, Config{})
	prompt := []int32{'H', 'e', 'l', 'l', 'o'}
	ch, err := e.Submit(context.Background(), &Request{Prompt: prompt, MaxTokens: 40})
	if err != nil {
		t.Fatal(err)
	}
	ids, text, _ := collect(ch)
	runes := []rune(text)
	if len(runes) < 12 {
		t.Fatalf("short output %q", text)
	}
	stop := string(runes[8:10])
	want := text[:strings.Index(text, stop)]
	ch, err = e.Submit(context.Background(), &Request{Prompt: prompt, MaxTokens: 40, StopStrings: []string{stop}})
	if err != nil {
		t.Fatal(err)
	}
	_, got, last := collect(ch)
	if got != want || last.Finish != FinishStop {
		t.Errorf("with stop %q: %q (%s), want %q", stop, got, last.Finish, want)
	}

	ch, err = e.Submit(context.Background(), &Request{Prompt: prompt, MaxTokens: 40, StopTokens: []int32{ids[5]}})
	if err != nil {
		t.Fatal(err)
	}
	got5, _, last := collect(ch)
	first := slices.Index(ids, ids[5])
	if fmt.Sprint(got5) != fmt.Sprint(ids[:first]) || last.Finish != FinishStop {
		t.Errorf("with stop token %d: %v (%s), want %v", ids[5], got5, last.Finish, ids[:first])
	}
}

func TestLogprobs(t *testing.T) {
	e := newTestEngine(t, Config{})
	ch, err := e.Submit(context.Background(), &Request{Prompt: []int32{1, 2, 3}, MaxTokens: 5, Logprobs: true, TopLogprobs: 3})
	if err != nil {
		t.Fatal(err)
	}
	for ev := range ch {
		if ev.Done {
			continue
		}
		if ev.Logprob == nil || ev.Logprob.ID != ev.Token || ev.Logprob.Logprob > 0 {
			t.Fatalf("logprob %+v for token %d", ev.Logprob, ev.Token)
		}
		if len(ev.Top) != 3 || ev.Top[0].ID != ev.Token || ev.Top[0].Logprob < ev.Top[1].Logprob || ev.Top[1].Logprob < ev.Top[2].Logprob {
			t.Fatalf("top logprobs %+v for greedy token %d", ev.Top, ev.Token)
		}
	}
}

// onlyTokens allows a fixed set of tokens for n steps, then only the end.
type onlyTokens struct {
	allowed map[int32]bool
	n       int
}

func (c *onlyTokens) Mask(logits []float32) {
	for i := range logits {
		if c.n == 0 || !c.allowed[int32(i)] {
			logits[i] = float32(math.Inf(-1))
		}
	}
}

func (c *onlyTokens) Accept(id int32) error {
	if c.n == 0 || !c.allowed[id] {
		return fmt.Errorf("token %d not allowed", id)
	}
	c.n--
	return nil
}

func (c *onlyTokens) Done() bool { return c.n == 0 }

func TestConstraint(t *testing.T) {
	e := newTestEngine(t, Config{})
	c := &onlyTokens{allowed: map[int32]bool{'a': true, 'b': true}, n: 6}
	const eos = 300
	ch, err := e.Submit(context.Background(), &Request{Prompt: []int32{1, 2, 3}, MaxTokens: 20, Constraint: c, StopTokens: []int32{eos}})
	if err != nil {
		t.Fatal(err)
	}
	ids, text, last := collect(ch)
	if len(ids) != 6 || last.Finish != FinishStop || last.Err != nil || strings.Trim(text, "ab") != "" {
		t.Errorf("constrained output %v %q, finish %s err %v", ids, text, last.Finish, last.Err)
	}
}

func TestCancelFreesBlocksAtOnce(t *testing.T) {
	e := newTestEngine(t, Config{BlockSize: 4})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Fewer tokens than the event buffer holds: this test reads no events
	// until it cancels, and a stream that filled the buffer would be
	// cancelled as a slow consumer (freeing its blocks) before it looks.
	ch, err := e.Submit(ctx, &Request{Prompt: []int32{1, 2, 3, 4, 5, 6}, MaxTokens: eventBuffer - 2})
	if err != nil {
		t.Fatal(err)
	}
	<-ch
	inUse := e.Stats().KVBlocksUsed
	cancel()
	var last Event
	for ev := range ch {
		last = ev
	}
	if inUse == 0 && last.Done && last.Finish != FinishCancelled {
		t.Skipf("the stream finished (%s) before the test looked", last.Finish)
	}
	if inUse == 0 {
		t.Error("no blocks in use mid-stream")
	}
	if !last.Done || last.Finish != FinishCancelled {
		t.Fatalf("final event %+v", last)
	}
	if st := e.Stats(); st.KVBlocksUsed != 0 {
		t.Errorf("blocks still used when the final event arrives: %+v", st)
	}
}

func TestDeadline(t *testing.T) {
	e := newTestEngine(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	ch, err := e.Submit(ctx, &Request{Prompt: []int32{1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	_, _, last := collect(ch)
	if last.Finish != FinishCancelled || !errors.Is(last.Err, context.DeadlineExceeded) {
		t.Errorf("final event %+v", last)
	}
}

func TestSlowConsumer(t *testing.T) {
	e := newTestEngine(t, Config{})
	ch, err := e.Submit(context.Background(), &Request{Prompt: []int32{1, 2, 3}, MaxTokens: 2 * eventBuffer})
	if err != nil {
		t.Fatal(err)
	}
	// Meanwhile other requests proceed.
	ch2, err := e.Submit(context.Background(), &Request{Prompt: []int32{4, 5, 6}, MaxTokens: 2 * eventBuffer})
	if err != nil {
		t.Fatal(err)
	}
	if ids, _, last := collect(ch2); len(ids) != 2*eventBuffer || last.Err != nil {
		t.Errorf("reading stream: %d tokens, %v", len(ids), last.Err)
	}
	ids, _, last := collect(ch)
	if len(ids) >= 2*eventBuffer || !errors.Is(last.Err, ErrSlowConsumer) || last.Finish != FinishCancelled {
		t.Errorf("stalled stream: %d tokens, %+v", len(ids), last)
	}
}

func TestCloseDrains(t *testing.T) {
	e := newTestEngine(t, Config{})
	var chans []<-chan Event
	for i := 0; i < 4; i++ {
		ch, err := e.Submit(context.Background(), &Request{Prompt: []int32{int32(i + 1), 2, 3}, MaxTokens: 30})
		if err != nil {
			t.Fatal(err)
		}
		chans = append(chans, ch)
	}
	done := make(chan []Event)
	go func() {
		var lasts []Event
		for _, ch := range chans {
			_, _, last := collect(ch)
			lasts = append(lasts, last)
		}
		done <- lasts
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for i, last := range <-done {
		if last.Finish != FinishLength || last.Usage.CompletionTokens != 30 {
			t.Errorf("stream %d: %+v", i, last)
		}
	}
	if _, err := e.Submit(context.Background(), &Request{Prompt: []int32{1}}); !errors.Is(err, ErrClosed) {
		t.Errorf("submit after close: %v", err)
	}
}

func TestCloseTimeoutCancels(t *testing.T) {
	e := newTestEngine(t, Config{})
	// Far more work than the deadline allows, even on a fast machine: with
	// a single short request the tiny model could fill its context before
	// the deadline when a loaded machine delays this goroutine's timers.
	var wg sync.WaitGroup
	var cancelled atomic.Int32
	for k := 0; k < 16; k++ {
		prompt := make([]int32, 400)
		for i := range prompt {
			prompt[i] = int32(3 + (i*7+k*13)%500)
		}
		ch, err := e.Submit(context.Background(), &Request{Prompt: prompt})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for ev := range ch {
				if ev.Done && ev.Finish == FinishCancelled {
					cancelled.Add(1)
				}
			}
		})
	}
	<-time.After(10 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := e.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("close: %v", err)
	}
	if st := e.Stats(); st.Running != 0 || st.KVBlocksUsed != 0 {
		t.Errorf("after close: %+v", st)
	}
	wg.Wait()
	if cancelled.Load() == 0 {
		t.Error("no request ended cancelled")
	}
}

func TestPromptLargerThanFreeBlocks(t *testing.T) {
	// Ten blocks of eight tokens: the context shrinks to 80, the pool holds
	// fewer tokens than one step's budget, and a 70-token prompt still runs.
	e := newTestEngine(t, Config{BlockSize: 8, KVMemory: 10 * 4096})
	if e.Context() != 80 {
		t.Fatalf("context %d, want 80", e.Context())
	}
	prompt := make([]int32, 70)
	for i := range prompt {
		prompt[i] = int32(i)
	}
	ch, err := e.Submit(context.Background(), &Request{Prompt: prompt, MaxTokens: 10})
	if err != nil {
		t.Fatal(err)
	}
	ids, _, last := collect(ch)
	if len(ids) != 10 || last.Finish != FinishLength {
		t.Errorf("%d tokens, %+v", len(ids), last)
	}
	if want := reference(t, e.Model(), prompt, 10); fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", ids, want)
	}
}
