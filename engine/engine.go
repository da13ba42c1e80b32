package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nuri-ai/nuri/kernels"
	"github.com/nuri-ai/nuri/kvcache"
	"github.com/nuri-ai/nuri/model"
	"github.com/nuri-ai/nuri/tokenizer"
)

// Config sizes the engine. Zero fields take the defaults noted.
type Config struct {
	MaxBatchTokens int   // per-step token budget (default 512)
	MaxRunning     int   // max sequences decoding at once (default 64)
	MaxQueue       int   // waiting requests before ErrQueueFull (default 256)
	KVMemory       int64 // bytes for the KV pool (default: a share of free RAM, capped by Context × MaxRunning)
	BlockSize      int   // tokens per block (default 16)
	Context        int   // max positions per sequence (default the model's context length, capped by KV memory)
	Threads        int   // model threads (default NumCPU)
	// KVType is the KV cache element type: f32, f16 or q8_0; empty chooses
	// f16 below model.AutoKVThreshold positions of context and q8_0 from
	// there on (see model.ResolveKVType).
	KVType model.KVType
	// SwapSpace is memory, apart from KVMemory, that holds the keys and
	// values of sequences preempted when the cache runs out, so that they
	// resume without recomputing; 0 means preempted sequences are always
	// recomputed, as are those that do not fit what is left of it.
	SwapSpace int64
}

// Defaults.
const (
	DefaultMaxBatchTokens = 512
	DefaultMaxRunning     = 64
	DefaultMaxQueue       = 256
	DefaultBlockSize      = kvcache.DefaultBlockSize

	// eventBuffer is the per-request event channel's capacity. A consumer
	// that falls this far behind is cancelled rather than stalling the loop.
	eventBuffer = 256
)

// ErrSlowConsumer ends a request whose reader stopped taking events.
var ErrSlowConsumer = errors.New("engine: the client stopped reading events")

// Engine schedules requests onto one model: continuous batching over a paged
// KV cache with prefix caching. One goroutine owns the model and runs the
// steps; Submit, Stats and Close may be called from any goroutine.
type Engine struct {
	m      *model.Model
	tok    *tokenizer.Tokenizer
	cfg    Config
	ctxLen int
	pool   *kvcache.Pool
	kpool  *kernels.Pool
	vocab  int

	mu          sync.Mutex
	queue       []*seq // submitted, not yet seen by the loop
	embeds      []*embedJob
	loopWaiting int // waiting sequences the loop holds
	closed      bool
	stats       Stats
	nextID      uint64

	wake      chan struct{}
	abort     chan struct{}
	abortOnce sync.Once
	done      chan struct{}
	closeOnce sync.Once

	// Owned by the loop goroutine.
	sched
}

// New starts an engine for m. tok decodes generated tokens into text.
func New(m *model.Model, tok *tokenizer.Tokenizer, cfg Config) (*Engine, error) {
	if m == nil || tok == nil {
		return nil, errors.New("engine: a model and a tokenizer are required")
	}
	c := &m.Config
	if cfg.MaxBatchTokens <= 0 {
		cfg.MaxBatchTokens = DefaultMaxBatchTokens
	}
	if cfg.MaxRunning <= 0 {
		cfg.MaxRunning = DefaultMaxRunning
	}
	if cfg.MaxQueue <= 0 {
		cfg.MaxQueue = DefaultMaxQueue
	}
	if cfg.BlockSize <= 0 {
		cfg.BlockSize = DefaultBlockSize
	}
	if cfg.Context <= 0 {
		cfg.Context = c.ContextLen
		if cfg.Context <= 0 {
			cfg.Context = DefaultContext
		}
	}
	kvType, err := model.ResolveKVType(c, cfg.KVType, cfg.Context)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	cfg.KVType = kvType
	// The pool is split between full-attention and sliding-window layers
	// (see kvcache.Plan); its longest sequence caps the context, so that a
	// request over it is refused up front rather than left waiting.
	plan := kvcache.PlanOptions{BlockSize: cfg.BlockSize, Seqs: cfg.MaxRunning, Step: cfg.MaxBatchTokens, Context: cfg.Context}
	if cfg.KVMemory <= 0 {
		cfg.KVMemory = defaultKVMemory(kvcache.Need(c, kvType, plan))
	}
	layout, err := kvcache.Plan(c, kvType, cfg.KVMemory, plan)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	if limit := layout.MaxContext(); cfg.Context > limit {
		cfg.Context = limit
	}
	if cfg.Context < 2 {
		return nil, fmt.Errorf("engine: a context of %d positions is too small", cfg.Context)
	}
	pool, err := kvcache.NewLayout(c, kvType, layout, cfg.MaxRunning)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	e := &Engine{
		m: m, tok: tok, cfg: cfg, ctxLen: cfg.Context, pool: pool, vocab: c.VocabSize,
		wake: make(chan struct{}, 1), abort: make(chan struct{}), done: make(chan struct{}),
	}
	e.kpool = kernels.NewPool(cfg.Threads)
	m.SetPool(e.kpool)
	e.initSched()
	e.publish()
	go e.loop()
	return e, nil
}

// Context is the usable context per sequence (prompt plus new tokens).
func (e *Engine) Context() int { return e.ctxLen }

// Tokenizer returns the engine's tokenizer.
func (e *Engine) Tokenizer() *tokenizer.Tokenizer { return e.tok }

// Model returns the engine's model. The engine's goroutine owns it while
// the engine runs: do not call Forward on it from elsewhere.
func (e *Engine) Model() *model.Model { return e.m }

// Config returns the engine's settings with the defaults filled in.
func (e *Engine) Config() Config { return e.cfg }

// Stats returns a snapshot of the engine's counters.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.stats
	s.Waiting += len(e.queue)
	return s
}

// Submit queues a request and returns its event stream at once. The stream
// ends with an event that has Done set; the channel is closed after it.
// Cancelling ctx (or its deadline passing) ends the request with
// FinishCancelled within one step and frees its cache blocks.
func (e *Engine) Submit(ctx context.Context, r *Request) (<-chan Event, error) {
	if r == nil {
		return nil, errors.New("engine: nil request")
	}
	if len(r.Prompt) == 0 {
		return nil, errors.New("engine: empty prompt")
	}
	if r.MaxTokens < 0 {
		return nil, fmt.Errorf("engine: negative max tokens %d", r.MaxTokens)
	}
	for _, id := range r.Prompt {
		if id < 0 || int(id) >= e.vocab {
			return nil, fmt.Errorf("engine: prompt token id %d is outside the vocabulary (0..%d)", id, e.vocab-1)
		}
	}
	prompt := r.Prompt
	room := e.ctxLen - max(r.MaxTokens, 1)
	if len(prompt) > room {
		if !r.Truncate || room < 1 {
			return nil, &PromptTooLongError{PromptTokens: len(prompt), MaxTokens: r.MaxTokens, Context: e.ctxLen}
		}
		prompt = prompt[len(prompt)-room:]
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &seq{
		req:       r,
		ctx:       ctx,
		out:       make(chan Event, eventBuffer),
		tokens:    append(make([]int32, 0, len(prompt)+min(max(r.MaxTokens, 16), 4096)), prompt...),
		promptLen: len(prompt),
		slot:      -1,
		submitted: time.Now(),
	}
	s.stopWatch = context.AfterFunc(ctx, e.signal)
	e.mu.Lock()
	if e.closed || len(e.queue)+e.loopWaiting >= e.cfg.MaxQueue {
		err := ErrQueueFull
		if e.closed {
			err = ErrClosed
		}
		e.mu.Unlock()
		s.stopWatch()
		return nil, err
	}
	e.nextID++
	s.id = e.nextID
	e.queue = append(e.queue, s)
	e.mu.Unlock()
	e.signal()
	return s.out, nil
}

// embedJob is one Embed call waiting for the loop.
type embedJob struct {
	ctx  context.Context
	ids  []int32
	done chan struct{}
	vec  []float32
	err  error
}

// Embed returns the embedding of ids (the model's mean-pooled, final-normed
// hidden states, unit length). It runs on the engine's goroutine between
// steps, since the model's scratch memory serves one forward pass at a
// time; it waits behind the step in progress but not behind queued
// requests. Cancelling ctx abandons the wait.
func (e *Engine) Embed(ctx context.Context, ids []int32) ([]float32, error) {
	if len(ids) == 0 {
		return nil, errors.New("engine: embed: no input tokens")
	}
	if len(ids) > e.ctxLen {
		return nil, &PromptTooLongError{PromptTokens: len(ids), Context: e.ctxLen}
	}
	for _, id := range ids {
		if id < 0 || int(id) >= e.vocab {
			return nil, fmt.Errorf("engine: embed: token id %d is outside the vocabulary (0..%d)", id, e.vocab-1)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	j := &embedJob{ctx: ctx, ids: ids, done: make(chan struct{})}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, ErrClosed
	}
	if len(e.embeds) >= e.cfg.MaxQueue {
		e.mu.Unlock()
		return nil, ErrQueueFull
	}
	e.embeds = append(e.embeds, j)
	e.mu.Unlock()
	e.signal()
	select {
	case <-j.done:
		return j.vec, j.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// runEmbeds computes the pending embeddings; it runs on the loop.
func (e *Engine) runEmbeds(jobs []*embedJob, abort error) {
	for _, j := range jobs {
		switch {
		case abort != nil:
			j.err = abort
		case j.ctx.Err() != nil:
			j.err = j.ctx.Err()
		default:
			j.vec, j.err = e.m.Embed(j.ids)
			if j.err != nil {
				j.err = fmt.Errorf("engine: embed: %w", j.err)
			}
		}
		close(j.done)
	}
}

func (e *Engine) signal() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Close stops admitting requests and lets running and queued ones finish
// until ctx is done; what is left then ends with FinishCancelled. It returns
// ctx.Err() when it had to cancel requests.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.signal()
	var err error
	select {
	case <-e.done:
	case <-ctx.Done():
		err = ctx.Err()
		e.abortOnce.Do(func() { close(e.abort) })
		<-e.done
	}
	e.closeOnce.Do(func() {
		e.m.SetPool(nil)
		e.kpool.Close()
	})
	return err
}

// publish copies the loop's view into the shared stats.
func (e *Engine) publish() {
	ps := e.pool.Stats()
	e.mu.Lock()
	e.loopWaiting = len(e.waiting)
	e.stats.Running = len(e.running)
	e.stats.Waiting = len(e.waiting)
	e.stats.KVBlocksTotal = ps.Total
	e.stats.KVBlocksUsed = ps.Used
	e.stats.KVBlockSize = e.pool.BlockSize()
	e.stats.PrefixCacheQueries += e.counts.queries
	e.stats.PrefixCacheHits += e.counts.hits
	e.stats.PromptTokens += e.counts.prompt
	e.stats.GeneratedTokens += e.counts.generated
	e.stats.Preemptions += e.counts.preemptions
	e.stats.Swaps += e.counts.swaps
	e.stats.SwapBytesUsed = e.sched.swapped
	e.mu.Unlock()
	e.counts = counters{}
}

// loop is the engine's goroutine: it takes submitted requests, runs steps
// while there is work, and sleeps otherwise.
func (e *Engine) loop() {
	defer close(e.done)
	for {
		e.mu.Lock()
		for i, s := range e.queue {
			e.waiting = append(e.waiting, s)
			e.queue[i] = nil
		}
		e.queue = e.queue[:0]
		embeds := e.embeds
		e.embeds = nil
		closing := e.closed
		e.mu.Unlock()

		select {
		case <-e.abort:
			e.runEmbeds(embeds, context.Canceled)
			e.cancelAll(context.Canceled)
			e.publish()
			return
		default:
		}
		e.runEmbeds(embeds, nil)
		e.reap()
		if len(e.running) == 0 && len(e.waiting) == 0 {
			e.publish()
			if closing {
				return
			}
			select {
			case <-e.wake:
			case <-e.abort:
			}
			continue
		}
		e.step()
		e.publish()
	}
}
