package model

import (
	"math"

	"github.com/nuri-ai/nuri/kernels"
)

// RoPE. The tables follow the Hugging Face computations (float32 inverse
// frequencies, float32 angles), which are the reference for long-context
// checks; the scaling rules are those of transformers' rope utilities.

// ropeTable holds the inverse frequencies of one RoPE variant.
type ropeTable struct {
	style     RopeStyle
	dim       int       // rotated dimensions
	invFreq   []float32 // dim/2 entries
	attnScale float32   // cos/sin multiplier (YaRN, LongRoPE attention factor), 1 if unused

	angles *ropeAngles // the cos/sin of the last position, shared by copies
}

// ropeAngles holds the cos and sin of every pair at one position, so that a
// token's queries and keys share one computation and a step allocates
// nothing. The owning model's forward pass is its only user.
type ropeAngles struct {
	pos      int // -1: none yet
	cos, sin []float32
}

// baseInvFreq computes base^(-2i/dim) in float32 as transformers does.
func baseInvFreq(theta float64, dim int) []float32 {
	inv := make([]float32, dim/2)
	for i := range inv {
		e := float32(2*i) / float32(dim)
		inv[i] = 1 / float32(math.Pow(theta, float64(e)))
	}
	return inv
}

// rope picks the table for a step. Most variants are static; LongRoPE
// switches to its long factors and dynamic NTK raises its base once the
// sequence outgrows the original context, as transformers does per forward
// call (seqLen = the largest position in the step + 1).
type rope struct {
	static      *ropeTable
	short, long *ropeTable // LongRoPE
	orig        int

	// dynamic NTK
	dynamic bool
	theta   float64
	factor  float64
	c       *Config
	cached  *ropeTable
	cachedN int
}

func (r *rope) table(seqLen int) *ropeTable {
	switch {
	case r.long != nil:
		if seqLen > r.orig {
			return r.long
		}
		return r.short
	case r.dynamic:
		if seqLen <= r.orig {
			return r.static
		}
		if r.cached == nil || r.cachedN != seqLen {
			dim := float64(r.c.RopeDim)
			base := r.theta * math.Pow(r.factor*float64(seqLen)/float64(r.orig)-(r.factor-1), dim/(dim-2))
			r.cached = &ropeTable{style: r.c.RopeStyle, dim: r.c.RopeDim, invFreq: baseInvFreq(base, r.c.RopeDim), attnScale: 1}
			r.cachedN = seqLen
		}
		return r.cached
	}
	return r.static
}

// newRope builds the RoPE of one layer kind from the config. freqs are GGUF
// per-pair divisors (rope_freqs), which replace any scaling rule.
func newRope(c *Config, theta float64, sc RopeScaling, freqs []float32) (*rope, error) {
	dim := c.RopeDim
	mk := func(inv []float32, scale float64) *ropeTable {
		return &ropeTable{style: c.RopeStyle, dim: dim, invFreq: inv, attnScale: float32(scale)}
	}
	inv := baseInvFreq(theta, dim)
	if freqs != nil {
		if len(freqs) < dim/2 {
			return nil, errorf("rope_freqs has %d entries, want %d", len(freqs), dim/2)
		}
		for i := range inv {
			inv[i] /= freqs[i]
		}
		return &rope{static: mk(inv, 1)}, nil
	}
	orig := sc.OriginalContext
	if orig <= 0 {
		orig = c.ContextLen
	}
	switch sc.Type {
	case "", "default", "none":
		return &rope{static: mk(inv, 1)}, nil
	case "linear":
		if sc.Factor > 0 {
			for i := range inv {
				inv[i] = float32(float64(inv[i]) / sc.Factor)
			}
		}
		return &rope{static: mk(inv, 1)}, nil
	case "llama3":
		if orig <= 0 || sc.Factor <= 0 || sc.HighFreqFactor <= sc.LowFreqFactor {
			return nil, errorf("llama3 RoPE scaling needs factor, original context and low < high frequency factors")
		}
		o := float64(orig)
		lowWave, highWave := o/sc.LowFreqFactor, o/sc.HighFreqFactor
		for i, f := range inv {
			wave := 2 * math.Pi / float64(f)
			switch {
			case wave < highWave:
			case wave > lowWave:
				inv[i] = float32(float64(f) / sc.Factor)
			default:
				s := (o/wave - sc.LowFreqFactor) / (sc.HighFreqFactor - sc.LowFreqFactor)
				inv[i] = float32((1-s)*float64(f)/sc.Factor + s*float64(f))
			}
		}
		return &rope{static: mk(inv, 1)}, nil
	case "yarn":
		return newYaRN(c, theta, sc, orig)
	case "dynamic":
		if orig <= 0 || sc.Factor <= 1 {
			return &rope{static: mk(inv, 1)}, nil
		}
		return &rope{static: mk(inv, 1), dynamic: true, theta: theta, factor: sc.Factor, orig: orig, c: c}, nil
	case "longrope", "su":
		if len(sc.LongFactor) < dim/2 || len(sc.ShortFactor) < dim/2 {
			return nil, errorf("LongRoPE needs %d long and short factors, have %d and %d", dim/2, len(sc.LongFactor), len(sc.ShortFactor))
		}
		if orig <= 0 {
			return nil, errorf("LongRoPE needs the original context length")
		}
		factor := sc.Factor
		if c.ContextLen > 0 && orig > 0 && c.ContextLen != orig {
			factor = float64(c.ContextLen) / float64(orig)
		}
		attn := sc.AttnFactor
		if attn == 0 {
			attn = 1
			if factor > 1 {
				attn = math.Sqrt(1 + math.Log(factor)/math.Log(float64(orig)))
			}
		}
		scaled := func(f []float64) []float32 {
			out := make([]float32, dim/2)
			for i := range out {
				// 1 / (factor · base^(2i/d)) in float32, as transformers does.
				// The power is taken directly: inverting the inverse frequency
				// again is off by an ulp for some pairs, which shows in the
				// logits at 16K+ positions.
				pow := float32(math.Pow(theta, float64(float32(2*i)/float32(dim))))
				out[i] = 1 / (float32(f[i]) * pow)
			}
			return out
		}
		return &rope{short: mk(scaled(sc.ShortFactor), attn), long: mk(scaled(sc.LongFactor), attn), orig: orig}, nil
	}
	return nil, errorf("RoPE scaling type %q: %w", sc.Type, ErrUnsupported)
}

// newYaRN blends interpolated and extrapolated frequencies with a linear ramp
// between the correction dimensions, and scales attention by the YaRN factor.
func newYaRN(c *Config, theta float64, sc RopeScaling, orig int) (*rope, error) {
	dim := c.RopeDim
	if orig <= 0 || sc.Factor <= 0 {
		return nil, errorf("YaRN RoPE scaling needs factor and original context length")
	}
	mscale := func(scale, m float64) float64 {
		if scale <= 1 {
			return 1
		}
		return 0.1*m*math.Log(scale) + 1
	}
	attn := sc.AttnFactor
	if attn == 0 {
		if sc.MScale != 0 && sc.MScaleAllDim != 0 {
			attn = mscale(sc.Factor, sc.MScale) / mscale(sc.Factor, sc.MScaleAllDim)
		} else {
			attn = mscale(sc.Factor, 1)
		}
	}
	betaFast, betaSlow := sc.BetaFast, sc.BetaSlow
	if betaFast == 0 {
		betaFast = 32
	}
	if betaSlow == 0 {
		betaSlow = 1
	}
	corr := func(rot float64) float64 {
		return float64(dim) * math.Log(float64(orig)/(rot*2*math.Pi)) / (2 * math.Log(theta))
	}
	low := math.Max(math.Floor(corr(betaFast)), 0)
	high := math.Min(math.Ceil(corr(betaSlow)), float64(dim-1))
	if low == high {
		high += 0.001
	}
	inv := make([]float32, dim/2)
	for i := range inv {
		posFreq := float32(math.Pow(theta, float64(float32(2*i)/float32(dim))))
		extra := 1 / posFreq
		inter := 1 / (float32(sc.Factor) * posFreq)
		ramp := (float32(i) - float32(low)) / (float32(high) - float32(low))
		ramp = min(max(ramp, 0), 1)
		extraFactor := 1 - ramp
		inv[i] = inter*(1-extraFactor) + extra*extraFactor
	}
	return &rope{static: &ropeTable{style: c.RopeStyle, dim: dim, invFreq: inv, attnScale: float32(attn)}}, nil
}

// apply rotates the first dim entries of each head in x (heads × headDim) for
// position pos.
func (t *ropeTable) apply(x []float32, heads, headDim int, pos int) {
	cos, sin := t.at(pos)
	kernels.Rope(x, heads, headDim, t.dim, cos, sin, t.style == RopeNormal)
}

// at returns the cos and sin of each pair at position pos: the float32 angle
// pos·invFreq[i], its sine and cosine in float64, rounded and then scaled
// by attnScale. The slices are reused by the next position.
func (t *ropeTable) at(pos int) (cos, sin []float32) {
	half := t.dim / 2
	a := t.angles
	if a == nil || len(a.cos) != half {
		a = &ropeAngles{pos: -1, cos: make([]float32, half), sin: make([]float32, half)}
		t.angles = a
	}
	if a.pos != pos {
		p := float32(pos)
		for i := range half {
			theta := p * t.invFreq[i]
			s64, c64 := math.Sincos(float64(theta))
			a.cos[i], a.sin[i] = float32(c64)*t.attnScale, float32(s64)*t.attnScale
		}
		a.pos = pos
	}
	return a.cos, a.sin
}
