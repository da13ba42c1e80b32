package model

import "github.com/nuri-ai/nuri/kernels"

// KVType is the element type of the KV cache.
type KVType string

// KV cache element types.
const (
	KVF32 KVType = "f32"
	KVF16 KVType = "f16"
	KVQ8  KVType = "q8_0"
)

// BytesPerElement is the storage cost of one cached value (Q8_0: 34 bytes per
// 32 values).
func (t KVType) BytesPerElement() float64 {
	switch t {
	case KVF16:
		return 2
	case KVQ8:
		return 34.0 / 32
	}
	return 4
}

// MemoryPlan is what running a model at a given context costs, in bytes.
type MemoryPlan struct {
	Context    int
	KVType     KVType
	Weights    int64
	KV         int64   // held for one sequence of Context tokens
	KVPerToken float64 // what one more position of context adds to KV
	// KVSavedByWindows is what sliding-window layers do not hold: they keep
	// only their window and one step (Batch) of positions, not the whole
	// context. KV + KVSavedByWindows is what keeping every position of
	// every layer would take.
	KVSavedByWindows int64
	Scratch          int64 // activations of one step of Batch tokens
	Batch            int
	Threads          int // attention working memory is per thread
	Total            int64
	TrainedLimit     int // the model's trained context (0 if unknown)
}

// Plan estimates memory for one sequence of ctx tokens with a KV cache of
// type kv (empty: the automatic choice, see ResolveKVType) and forward
// steps of up to batch tokens.
func (m *Model) Plan(ctx int, kv KVType, batch int) MemoryPlan {
	c := &m.Config
	if batch <= 0 {
		batch = 512
	}
	if t, err := ResolveKVType(c, kv, ctx); err == nil {
		kv = t
	} else {
		kv = KVF16
	}
	threads := kernels.PhysicalCores()
	if m.pool != nil {
		threads = m.pool.Threads()
	}
	p := MemoryPlan{Context: ctx, KVType: kv, Weights: m.WeightBytes(), Batch: batch, Threads: threads, TrainedLimit: c.ContextLen}
	per := int64(kv.RowBytes(c.KVDim()) + kv.RowBytes(c.KVHeads*c.ValueDim))
	for l := 0; l < c.Layers; l++ {
		held := ctx
		if w := c.Window(l); w > 0 {
			held = min(ctx, w+batch)
		}
		p.KV += int64(held) * per
		p.KVSavedByWindows += int64(ctx-held) * per
		if held == ctx {
			p.KVPerToken += float64(per)
		}
	}
	// Activations per token: residual, normed copy, q, k, v, attention out,
	// projection out, gate, up, FFN out (and fused buffers), all float32.
	perTok := 4 * (4*c.Hidden + 2*c.Heads*c.HeadDim + 2*c.KVDim() + 4*c.FFN)
	if c.Experts > 0 {
		perTok += 4 * (2*c.Hidden + c.Experts)
	}
	// Attention works on tiles whatever the context: per thread, the query
	// rows of a task (a prefill tile of one KV head, or a few decoding
	// tokens of every head), their scores for one key block, one key and
	// value block widened, and the rows' accumulators; plus the partial
	// results of split key ranges.
	group := c.Heads / max(c.KVHeads, 1)
	rows := max(tileTokens*group, widenRows*max(c.KVHeads, 1))
	perThread := 4 * (rows*(c.HeadDim+keyBlock+2+c.ValueDim) + keyBlock*(c.HeadDim+c.ValueDim))
	attn := int64(threads*perThread) + int64(4*4*threads*rows*(2+c.ValueDim))
	p.Scratch = int64(batch*perTok) + attn + int64(4*c.VocabSize*min(batch, 64))
	p.Total = p.Weights + p.KV + p.Scratch
	return p
}
