package model

import (
	"fmt"
	"math"
)

// Activation is the FFN's gate activation.
type Activation int

// Gate activations.
const (
	SiLU     Activation = iota // x * sigmoid(x)
	GELUTanh                   // tanh approximation of GELU
)

// RopeStyle says which dimensions of a head are rotated together.
type RopeStyle int

// RoPE layouts.
const (
	// RopeNormal rotates adjacent pairs (2i, 2i+1). GGUF `llama`-family files
	// store Q/K rows permuted for this layout.
	RopeNormal RopeStyle = iota
	// RopeNeoX rotates dimension i with i+d/2 ("rotate_half"), as Hugging Face
	// models and most GGUF architectures do.
	RopeNeoX
)

// RopeScaling describes how positions or frequencies are rescaled for long
// contexts.
type RopeScaling struct {
	Type                 string  // "", "linear", "llama3", "yarn", "dynamic", "longrope"
	Factor               float64 // context extension factor
	OriginalContext      int     // trained context before extension
	LowFreqFactor        float64 // llama3
	HighFreqFactor       float64 // llama3
	BetaFast, BetaSlow   float64 // yarn
	AttnFactor           float64 // yarn / longrope attention scale (0 = derived)
	ShortFactor          []float64
	LongFactor           []float64
	MScaleAllDim, MScale float64 // yarn (DeepSeek-style), 0 when unset
}

// Config is everything the forward pass needs to know about an architecture,
// read from GGUF metadata or a Hugging Face config.json. Per-layer variation
// (sliding windows, layers without RoPE) is expressed as per-layer slices.
type Config struct {
	Arch string // canonical architecture name, e.g. "llama", "gemma2"
	Name string // model name when known

	VocabSize  int
	Hidden     int
	Layers     int
	Heads      int
	KVHeads    int
	HeadDim    int // query/key head size
	ValueDim   int // value head size (usually HeadDim)
	FFN        int // intermediate size (per expert for MoE)
	NormEps    float32
	ContextLen int // trained context length

	Act Activation

	// RoPE.
	RopeStyle     RopeStyle
	RopeDim       int     // rotated dimensions per head (≤ HeadDim)
	RopeTheta     float64 // base for global layers
	RopeThetaSWA  float64 // base for sliding-window layers (0 = RopeTheta)
	RopeScaling   RopeScaling
	RopeScaleSWA  bool      // apply RopeScaling on sliding-window layers too
	RopeFreqs     []float32 // per-pair frequency divisors (GGUF rope_freqs), nil if none
	LayerNoRope   []bool    // layers that apply no RoPE at all
	LayerSliding  []bool    // layers that use the sliding window
	SlidingWindow int       // window size in tokens (query i sees keys i-W < j ≤ i)

	// Scales and caps. Zero means "not used" unless noted.
	EmbedScale    float32 // multiply embeddings (gemma: √hidden, granite: multiplier)
	AttnScale     float32 // attention score scale; always set (default 1/√HeadDim)
	AttnSoftcap   float32 // s = c·tanh(s/c)
	FinalSoftcap  float32 // logits = c·tanh(logits/c)
	ResidualScale float32 // x += scale·f(x); 1 when unused
	LogitScale    float32 // logits /= scale; 1 when unused
	LogitMul      float32 // logits *= mul; 1 when unused

	// Mixture of experts.
	Experts       int
	ExpertsUsed   int
	NormTopKProbs bool // renormalise the chosen experts' weights to sum to 1

	// Norm semantics.
	NormPlusOne bool // weights are stored as w and applied as (1+w) (HF gemma)
}

// validate checks the numbers are usable and consistent, so that a bad file
// gives an error instead of a panic or a giant allocation later.
func (c *Config) validate() error {
	type field struct {
		name string
		v    int
		max  int
	}
	for _, f := range []field{
		{"vocabulary size", c.VocabSize, 1 << 24},
		{"hidden size", c.Hidden, 1 << 18},
		{"layer count", c.Layers, 1 << 12},
		{"head count", c.Heads, 1 << 12},
		{"KV head count", c.KVHeads, 1 << 12},
		{"head dimension", c.HeadDim, 1 << 14},
		{"value head dimension", c.ValueDim, 1 << 14},
		{"feed-forward size", c.FFN, 1 << 22},
	} {
		if f.v <= 0 || f.v > f.max {
			return fmt.Errorf("%s %d is out of range (1..%d)", f.name, f.v, f.max)
		}
	}
	if c.Heads%c.KVHeads != 0 {
		return fmt.Errorf("head count %d is not a multiple of the KV head count %d", c.Heads, c.KVHeads)
	}
	if c.RopeDim < 0 || c.RopeDim > c.HeadDim || c.RopeDim%2 != 0 {
		return fmt.Errorf("rotary dimension %d does not fit head dimension %d", c.RopeDim, c.HeadDim)
	}
	if c.Experts < 0 || c.Experts > 1<<12 || c.ExpertsUsed < 0 || c.ExpertsUsed > c.Experts {
		return fmt.Errorf("experts: %d used of %d is invalid", c.ExpertsUsed, c.Experts)
	}
	if c.Experts > 0 && c.ExpertsUsed == 0 {
		return fmt.Errorf("experts: %d experts but none used per token", c.Experts)
	}
	if len(c.LayerSliding) != c.Layers || len(c.LayerNoRope) != c.Layers {
		return fmt.Errorf("per-layer settings cover %d/%d layers, want %d", len(c.LayerSliding), len(c.LayerNoRope), c.Layers)
	}
	if c.SlidingWindow < 0 {
		return fmt.Errorf("sliding window %d is negative", c.SlidingWindow)
	}
	if !(c.NormEps > 0) || math.IsInf(float64(c.NormEps), 0) {
		return fmt.Errorf("norm epsilon %g is invalid", c.NormEps)
	}
	if !(c.RopeTheta > 0) {
		return fmt.Errorf("RoPE base %g is invalid", c.RopeTheta)
	}
	return nil
}

// fillDefaults sets the derived fields that an architecture did not set.
func (c *Config) fillDefaults() {
	if c.KVHeads == 0 {
		c.KVHeads = c.Heads
	}
	if c.HeadDim == 0 && c.Heads > 0 {
		c.HeadDim = c.Hidden / c.Heads
	}
	if c.ValueDim == 0 {
		c.ValueDim = c.HeadDim
	}
	if c.RopeDim == 0 {
		c.RopeDim = c.HeadDim
	}
	if c.RopeTheta == 0 {
		c.RopeTheta = 10000
	}
	if c.AttnScale == 0 && c.HeadDim > 0 {
		c.AttnScale = float32(1 / math.Sqrt(float64(c.HeadDim)))
	}
	if c.ResidualScale == 0 {
		c.ResidualScale = 1
	}
	if c.LogitScale == 0 {
		c.LogitScale = 1
	}
	if c.LogitMul == 0 {
		c.LogitMul = 1
	}
	if c.NormEps == 0 {
		c.NormEps = 1e-5
	}
	if c.Layers > 0 && c.Layers <= 1<<12 {
		if c.LayerSliding == nil {
			c.LayerSliding = make([]bool, c.Layers)
		}
		if c.LayerNoRope == nil {
			c.LayerNoRope = make([]bool, c.Layers)
		}
	}
}

// KVDim is the size of one token's keys (or values) in one layer.
func (c *Config) KVDim() int { return c.KVHeads * c.HeadDim }

// Window returns the attention window of layer l: 0 means unlimited.
func (c *Config) Window(l int) int {
	if c.LayerSliding[l] {
		return c.SlidingWindow
	}
	return 0
}
