package model

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
	Context      int
	KVType       KVType
	Weights      int64
	KV           int64 // for one sequence of Context tokens
	KVPerToken   float64
	Scratch      int64 // activations of one step of Batch tokens
	Batch        int
	Total        int64
	TrainedLimit int // the model's trained context (0 if unknown)
}

// Plan estimates memory for one sequence of ctx tokens with a KV cache of
// type kv and forward steps of up to batch tokens. Sliding-window layers
// only keep their window.
func (m *Model) Plan(ctx int, kv KVType, batch int) MemoryPlan {
	c := &m.Config
	if batch <= 0 {
		batch = 512
	}
	p := MemoryPlan{Context: ctx, KVType: kv, Weights: m.WeightBytes(), Batch: batch, TrainedLimit: c.ContextLen}
	per := float64(c.KVDim()+c.KVHeads*c.ValueDim) * kv.BytesPerElement()
	var kvBytes float64
	for l := 0; l < c.Layers; l++ {
		keep := ctx
		if w := c.Window(l); w > 0 && w < keep {
			keep = w
		}
		kvBytes += float64(keep) * per
		p.KVPerToken += per
	}
	p.KV = int64(kvBytes)
	// Activations per token: residual, normed copy, q, k, v, attention out,
	// projection out, gate, up, FFN out (and fused buffers), all float32.
	perTok := 4 * (4*c.Hidden + 2*c.Heads*c.HeadDim + 2*c.KVDim() + 4*c.FFN)
	if c.Experts > 0 {
		perTok += 4 * (2*c.Hidden + c.Experts)
	}
	// Attention scores per thread for the longest span, and the logits.
	scores := int64(4 * ctx * (c.Heads / c.KVHeads))
	p.Scratch = int64(batch*perTok) + 2*scores + int64(4*c.VocabSize*min(batch, 64))
	p.Total = p.Weights + p.KV + p.Scratch
	return p
}
