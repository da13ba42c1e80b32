package model

import "fmt"

// DenseCache is a plain KV cache: a fixed number of sequence slots, each with
// room for a fixed number of positions, in one contiguous allocation. It
// serves single-user tools (`nuri run`, `nuri logits`) and tests; the serving
// engine uses its own paged cache behind the same KVCache interface.
type DenseCache struct {
	layers, seqs, ctx int
	kDim, vDim        int
	k, v              []float32
}

// NewDenseCache makes a cache for seqs sequences of up to ctx positions.
func NewDenseCache(c *Config, seqs, ctx int) (*DenseCache, error) {
	kDim, vDim := c.KVDim(), c.KVHeads*c.ValueDim
	total := int64(c.Layers) * int64(seqs) * int64(ctx)
	if seqs <= 0 || ctx <= 0 || total*int64(kDim+vDim) > 1<<34 {
		return nil, fmt.Errorf("model: KV cache for %d sequences × %d positions is too large or empty", seqs, ctx)
	}
	return &DenseCache{layers: c.Layers, seqs: seqs, ctx: ctx, kDim: kDim, vDim: vDim,
		k: make([]float32, total*int64(kDim)), v: make([]float32, total*int64(vDim))}, nil
}

// Context is the number of positions per sequence.
func (d *DenseCache) Context() int { return d.ctx }

// KV returns the key and value slots of (layer, seq, pos).
func (d *DenseCache) KV(layer, seq, pos int) (k, v []float32) {
	i := (layer*d.seqs+seq)*d.ctx + pos
	return d.k[i*d.kDim : (i+1)*d.kDim], d.v[i*d.vDim : (i+1)*d.vDim]
}
