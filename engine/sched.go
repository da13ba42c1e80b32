package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nuri-ai/nuri/kvcache"
	"github.com/nuri-ai/nuri/model"
	"github.com/nuri-ai/nuri/sample"
	"github.com/nuri-ai/nuri/tokenizer"
)

// seq is one request inside the engine.
type seq struct {
	id        uint64 // arrival order
	req       *Request
	ctx       context.Context
	out       chan Event
	stopWatch func() bool

	tokens    []int32 // prompt, then generated tokens
	promptLen int
	computed  int // tokens whose keys and values are in the cache
	committed int // full blocks offered to the prefix cache
	hashes    []kvcache.Hash
	slot      int // cache sequence slot while running, else -1
	scheduled int // tokens scheduled in the current step

	sampler   *sample.Sampler
	dec       *tokenizer.StreamDecoder
	held      string // text held back while it may start a stop string
	generated int
	cached    int
	admitted  bool
	finished  bool
	swapped   *kvcache.Swapped // KV blocks copied out while preempted by swap

	submitted, started, first time.Time
}

type counters struct {
	queries, hits, prompt, generated, preemptions, swaps int64
}

// sched is the loop goroutine's state.
type sched struct {
	waiting []*seq // FCFS; preempted sequences go back to the front
	running []*seq // by arrival
	slots   []int  // free cache sequence slots
	work    []*seq // scheduled this step, in batch order
	rows    []*seq // sequences whose last token's logits come back
	batch   model.Batch
	logits  []float32
	lp      []float32
	stopMem []float32
	counts  counters
	swapped int64 // bytes of the swap area in use
}

func (e *Engine) initSched() {
	n := e.cfg.MaxRunning
	e.slots = make([]int, n)
	for i := range e.slots {
		e.slots[i] = n - 1 - i
	}
	e.running = make([]*seq, 0, n)
	e.work = make([]*seq, 0, n)
	e.rows = make([]*seq, 0, n)
	e.logits = make([]float32, n*e.vocab)
	e.lp = make([]float32, e.vocab)
	bt := e.cfg.MaxBatchTokens
	e.batch = model.Batch{Tokens: make([]int32, 0, bt), Pos: make([]int32, 0, bt),
		Seq: make([]int32, 0, bt), Logits: make([]bool, 0, bt)}
}

// defaultKVMemory takes half of the available memory, capped by need (what
// MaxRunning sequences of the full context take).
func defaultKVMemory(need int64) int64 {
	if need <= 0 {
		need = math.MaxInt64
	}
	avail := availableMemory()
	if avail <= 0 {
		avail = 4 << 30
	}
	return min(need, avail/2)
}

// availableMemory reads MemAvailable from /proc/meminfo (0 if unknown).
func availableMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				return 0
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// ensureHashes computes the chain hashes of the first n full blocks.
func (e *Engine) ensureHashes(s *seq, n int) {
	bs := e.pool.BlockSize()
	for i := len(s.hashes); i < n; i++ {
		var parent kvcache.Hash
		if i > 0 {
			parent = s.hashes[i-1]
		}
		s.hashes = append(s.hashes, kvcache.BlockHash(s.req.CacheSalt, parent, s.tokens[i*bs:(i+1)*bs]))
	}
}

// reap ends cancelled requests, running or waiting.
func (e *Engine) reap() {
	for _, s := range e.running {
		if err := s.ctx.Err(); err != nil {
			e.finish(s, FinishCancelled, err)
		}
	}
	for _, s := range e.waiting {
		if err := s.ctx.Err(); err != nil {
			e.finish(s, FinishCancelled, err)
		}
	}
	e.compact()
}

func (e *Engine) cancelAll(err error) {
	for _, s := range e.running {
		e.finish(s, FinishCancelled, err)
	}
	for _, s := range e.waiting {
		e.finish(s, FinishCancelled, err)
	}
	e.mu.Lock()
	q := e.queue
	e.queue = nil
	e.mu.Unlock()
	for _, s := range q {
		e.finish(s, FinishCancelled, err)
	}
	e.compact()
}

// compact drops finished sequences from the running and waiting lists.
func (e *Engine) compact() {
	keep := func(l []*seq) []*seq {
		n := 0
		for _, s := range l {
			if !s.finished {
				l[n] = s
				n++
			}
		}
		clear(l[n:])
		return l[:n]
	}
	e.running = keep(e.running)
	e.waiting = keep(e.waiting)
}

// preempt returns a running sequence to the front of the queue, freeing its
// blocks. Its keys and values are copied to the swap area when that has
// room (see swapOut); otherwise it is recomputed when admitted again (its
// full blocks usually survive in the prefix cache).
func (e *Engine) preempt(s *seq) {
	if !e.swapOut(s) {
		e.pool.Release(s.slot)
		s.computed, s.committed = 0, 0
	}
	e.slots = append(e.slots, s.slot)
	s.slot, s.scheduled = -1, 0
	i := 0
	for i < len(e.running) && e.running[i] != s {
		i++
	}
	e.running = append(e.running[:i], e.running[i+1:]...)
	e.waiting = append(e.waiting, nil)
	copy(e.waiting[1:], e.waiting)
	e.waiting[0] = s
	e.counts.preemptions++
}

// victim picks the newest running sequence that has nothing scheduled yet.
func (e *Engine) victim() *seq {
	for i := len(e.running) - 1; i >= 0; i-- {
		if e.running[i].scheduled == 0 {
			return e.running[i]
		}
	}
	return nil
}

// reserve gets cache blocks for s to compute n more tokens, preempting the
// newest unscheduled sequences when the pool runs dry. It reports false when
// s itself had to be preempted.
func (e *Engine) reserve(s *seq, n int) bool {
	for {
		err := e.pool.Reserve(s.slot, s.computed+n)
		if err == nil {
			return true
		}
		v := e.victim()
		if v == nil {
			v = s
		}
		e.preempt(v)
		if v == s {
			return false
		}
	}
}

// schedule picks this step's work within the token budget: first one token
// for every decoding sequence, then prompt chunks of running sequences, then
// new sequences from the queue in arrival order.
func (e *Engine) schedule() {
	budget := e.cfg.MaxBatchTokens
	e.work = e.work[:0]
	preempted := false
	for pass := 0; pass < 2; pass++ {
		for i := 0; i < len(e.running) && budget > 0; i++ {
			s := e.running[i]
			left := len(s.tokens) - s.computed
			if s.scheduled > 0 || (pass == 0) != (left == 1) {
				continue
			}
			n := min(left, budget)
			if !e.reserve(s, n) {
				preempted = true
				i-- // running shifted
				continue
			}
			s.scheduled = n
			budget -= n
			e.work = append(e.work, s)
		}
	}
	if preempted {
		return
	}
	bs := e.pool.BlockSize()
	for len(e.waiting) > 0 && budget > 0 && len(e.slots) > 0 {
		s := e.waiting[0]
		slot := e.slots[len(e.slots)-1]
		if s.swapped != nil {
			if !e.admitSwapped(s, slot, &budget) {
				break
			}
			continue
		}
		// Reuse cached full blocks, but always compute the last token.
		full := (len(s.tokens) - 1) / bs
		e.ensureHashes(s, full)
		hit := e.pool.Match(slot, s.hashes[:full], s.tokens)
		cached := hit * bs
		// Take no more than the free blocks allow, keeping one block per
		// running sequence so that admissions do not force preemptions.
		free := e.pool.Available() - len(e.running)
		n := min(len(s.tokens)-cached, budget, free*bs)
		if n <= 0 {
			e.pool.Release(slot)
			break
		}
		if err := e.pool.Reserve(slot, cached+n); err != nil {
			e.pool.Release(slot)
			break
		}
		e.slots = e.slots[:len(e.slots)-1]
		e.waiting[0] = nil
		e.waiting = e.waiting[1:]
		s.slot, s.computed, s.committed = slot, cached, hit
		if !s.admitted {
			s.admitted = true
			s.started = time.Now()
			s.cached = cached
			s.sampler = sample.New(s.req.Sampling)
			s.dec = e.tok.NewStreamDecoder()
			e.counts.queries += int64(s.promptLen)
			e.counts.hits += int64(cached)
			e.counts.prompt += int64(s.promptLen)
		}
		s.scheduled = n
		budget -= n
		e.work = append(e.work, s)
		e.addRunning(s)
	}
}

// step runs one forward step over the scheduled work and handles its
// outputs.
func (e *Engine) step() {
	e.schedule()
	if len(e.work) == 0 {
		// Nothing fits (every sequence waits for blocks held by finished
		// work that has not been reaped); yield until something changes.
		time.Sleep(time.Millisecond)
		return
	}
	b := &e.batch
	b.Tokens, b.Pos, b.Seq, b.Logits = b.Tokens[:0], b.Pos[:0], b.Seq[:0], b.Logits[:0]
	e.rows = e.rows[:0]
	for _, s := range e.work {
		n := s.scheduled
		last := s.computed+n == len(s.tokens)
		for j := 0; j < n; j++ {
			p := s.computed + j
			b.Tokens = append(b.Tokens, s.tokens[p])
			b.Pos = append(b.Pos, int32(p))
			b.Seq = append(b.Seq, int32(s.slot))
			b.Logits = append(b.Logits, last && j == n-1)
		}
		if last {
			e.rows = append(e.rows, s)
		}
	}
	if err := e.m.Forward(b, e.pool, e.logits[:len(e.rows)*e.vocab]); err != nil {
		err = fmt.Errorf("engine: forward step: %w", err)
		for _, s := range e.work {
			e.finish(s, "", err)
		}
		e.compact()
		return
	}
	bs := e.pool.BlockSize()
	for _, s := range e.work {
		s.computed += s.scheduled
		s.scheduled = 0
		full := s.computed / bs
		e.ensureHashes(s, full)
		for ; s.committed < full; s.committed++ {
			i := s.committed
			var parent kvcache.Hash
			if i > 0 {
				parent = s.hashes[i-1]
			}
			e.pool.Commit(s.slot, i, parent, s.hashes[i], s.tokens[i*bs:(i+1)*bs])
		}
		// Sliding-window layers give back what the next query cannot see.
		e.pool.Advance(s.slot, s.computed)
	}
	for r, s := range e.rows {
		e.next(s, e.logits[r*e.vocab:(r+1)*e.vocab])
	}
	e.compact()
}

// next samples s's next token from its logits row and streams it.
func (e *Engine) next(s *seq, row []float32) {
	r := s.req
	if c := r.Constraint; c != nil {
		// Stop tokens are the engine's business: allowed exactly when the
		// constraint is complete.
		e.stopMem = e.stopMem[:0]
		for _, id := range r.StopTokens {
			if id >= 0 && int(id) < len(row) {
				e.stopMem = append(e.stopMem, row[id])
			}
		}
		c.Mask(row)
		done := c.Done()
		k := 0
		for _, id := range r.StopTokens {
			if id >= 0 && int(id) < len(row) {
				if done {
					row[id] = e.stopMem[k]
				} else {
					row[id] = float32(math.Inf(-1))
				}
				k++
			}
		}
		if !anyFinite(row) {
			if done {
				e.finish(s, FinishStop, nil)
			} else {
				e.finish(s, "", errors.New("engine: the output constraint allows no token"))
			}
			return
		}
	}
	wantLP := r.Logprobs || r.TopLogprobs > 0
	if wantLP {
		sample.LogSoftmax(e.lp, row)
	}
	id := s.sampler.Sample(row, s.tokens)
	now := time.Now()
	if s.first.IsZero() {
		s.first = now
	}
	if slicesContains(r.StopTokens, id) {
		e.finish(s, FinishStop, nil)
		return
	}
	if c := r.Constraint; c != nil {
		if err := c.Accept(id); err != nil {
			e.finish(s, "", fmt.Errorf("engine: output constraint: %w", err))
			return
		}
	}
	s.tokens = append(s.tokens, id)
	s.generated++
	e.counts.generated++
	ev := Event{Token: id}
	if wantLP {
		if r.Logprobs {
			ev.Logprob = &TokenLogprob{ID: id, Text: e.tok.Decode([]int32{id}), Logprob: e.lp[id]}
		}
		if r.TopLogprobs > 0 {
			ev.Top = e.topLogprobs(r.TopLogprobs)
		}
	}
	text, stopped := s.filterStops(s.dec.Add(id), r.StopStrings)
	ev.Text = text
	if !e.send(s, ev) {
		return
	}
	switch {
	case stopped:
		e.finish(s, FinishStop, nil)
	case r.MaxTokens > 0 && s.generated >= r.MaxTokens:
		e.finish(s, FinishLength, nil)
	case len(s.tokens) >= e.ctxLen:
		e.finish(s, FinishLength, nil)
	}
}

func anyFinite(row []float32) bool {
	for _, v := range row {
		if !math.IsInf(float64(v), -1) && !math.IsNaN(float64(v)) {
			return true
		}
	}
	return false
}

func slicesContains(ids []int32, id int32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// topLogprobs returns the k most likely tokens of e.lp, best first.
func (e *Engine) topLogprobs(k int) []TokenLogprob {
	k = min(k, len(e.lp))
	top := make([]TokenLogprob, 0, k)
	for i, v := range e.lp {
		if len(top) == k && v <= top[k-1].Logprob {
			continue
		}
		if len(top) < k {
			top = append(top, TokenLogprob{})
		}
		j := len(top) - 1
		for j > 0 && top[j-1].Logprob < v {
			top[j] = top[j-1]
			j--
		}
		top[j] = TokenLogprob{ID: int32(i), Logprob: v}
	}
	for i := range top {
		top[i].Text = e.tok.Decode([]int32{top[i].ID})
	}
	return top
}

// filterStops adds new text to what is held back and returns the text that
// can no longer be part of a stop string; stopped reports a complete stop
// string (the text from it on is dropped).
func (s *seq) filterStops(text string, stops []string) (out string, stopped bool) {
	if len(stops) == 0 {
		return text, false
	}
	s.held += text
	cut := -1
	for _, st := range stops {
		if st == "" {
			continue
		}
		if i := strings.Index(s.held, st); i >= 0 && (cut < 0 || i < cut) {
			cut = i
		}
	}
	if cut >= 0 {
		out = s.held[:cut]
		s.held = ""
		return out, true
	}
	keep := 0
	for _, st := range stops {
		for k := min(len(st)-1, len(s.held)); k > keep; k-- {
			if strings.HasSuffix(s.held, st[:k]) {
				keep = k
				break
			}
		}
	}
	out = s.held[:len(s.held)-keep]
	s.held = s.held[len(s.held)-keep:]
	return out, false
}

// send delivers an event without blocking; a consumer whose buffer is full
// (one slot stays reserved for the final event) is cancelled.
func (e *Engine) send(s *seq, ev Event) bool {
	if len(s.out) >= cap(s.out)-1 {
		e.finish(s, FinishCancelled, ErrSlowConsumer)
		return false
	}
	s.out <- ev
	return true
}

// finish ends s: the final event (with any held-back text unless a stop
// string ended it), then the channel closes and the blocks go back.
func (e *Engine) finish(s *seq, reason FinishReason, err error) {
	if s.finished {
		return
	}
	s.finished = true
	if s.stopWatch != nil {
		s.stopWatch()
	}
	e.dropSwap(s)
	if s.slot >= 0 {
		e.pool.Release(s.slot)
		e.slots = append(e.slots, s.slot)
		s.slot = -1
		used := e.pool.Stats().Used
		e.mu.Lock()
		e.stats.KVBlocksUsed = used
		e.mu.Unlock()
	}
	ev := Event{Token: -1, Done: true, Finish: reason, Err: err}
	if reason == FinishStop || reason == FinishLength {
		tail := ""
		if s.dec != nil {
			tail = s.dec.Flush()
		}
		text, stopped := s.filterStops(tail, s.req.StopStrings)
		ev.Text = text + s.held
		if stopped {
			ev.Text = text
		}
		s.held = ""
	}
	now := time.Now()
	ev.Usage = Usage{
		PromptTokens:     s.promptLen,
		CompletionTokens: s.generated,
		CachedTokens:     s.cached,
		Duration:         now.Sub(s.submitted),
	}
	if !s.started.IsZero() {
		ev.Usage.Queued = s.started.Sub(s.submitted)
	}
	if !s.first.IsZero() {
		ev.Usage.TimeToFirstToken = s.first.Sub(s.submitted)
	}
	s.out <- ev
	close(s.out)
}

// addRunning adds s to the running sequences, which stay in arrival order.
func (e *Engine) addRunning(s *seq) {
	j := len(e.running)
	e.running = append(e.running, s)
	for j > 0 && e.running[j-1].id > s.id {
		e.running[j] = e.running[j-1]
		j--
	}
	e.running[j] = s
}
