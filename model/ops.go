package model

import (
	"math"
)

// The small per-token operations of the forward pass. They are written to be
// read: one loop each, float32 in and out with float32 or float64 sums where
// the references use them.

// rmsNorm writes x / sqrt(mean(x²) + eps) · w to out. With plusOne the weight
// is applied as (1 + w) (Hugging Face Gemma's convention).
func rmsNorm(out, x, w []float32, eps float32, plusOne bool) {
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	scale := float32(1 / math.Sqrt(ss/float64(len(x))+float64(eps)))
	if plusOne {
		for i, v := range x {
			out[i] = v * scale * (1 + w[i])
		}
		return
	}
	for i, v := range x {
		out[i] = v * scale * w[i]
	}
}

// softmax normalises x in place.
func softmax(x []float32) {
	if len(x) == 0 {
		return
	}
	m := x[0]
	for _, v := range x[1:] {
		if v > m {
			m = v
		}
	}
	var sum float64
	for i, v := range x {
		e := float32(math.Exp(float64(v - m)))
		x[i] = e
		sum += float64(e)
	}
	inv := float32(1 / sum)
	for i := range x {
		x[i] *= inv
	}
}

// softcap applies c·tanh(x/c) in place.
func softcap(x []float32, c float32) {
	for i, v := range x {
		x[i] = c * float32(math.Tanh(float64(v/c)))
	}
}

// siluMul sets gate[i] = silu(gate[i]) · up[i].
func siluMul(gate, up []float32) {
	for i, g := range gate {
		gate[i] = g / (1 + float32(math.Exp(float64(-g)))) * up[i]
	}
}

// geluTanhMul sets gate[i] = gelu_tanh(gate[i]) · up[i].
func geluTanhMul(gate, up []float32) {
	const c = 0.7978845608028654 // √(2/π)
	for i, g := range gate {
		x := float64(g)
		gate[i] = float32(0.5*x*(1+math.Tanh(c*(x+0.044715*x*x*x)))) * up[i]
	}
}

// addScaled sets dst[i] += s·src[i].
func addScaled(dst, src []float32, s float32) {
	if s == 1 {
		for i, v := range src {
			dst[i] += v
		}
		return
	}
	for i, v := range src {
		dst[i] += s * v
	}
}

// dot returns the float32 dot product of a and b.
func dot(a, b []float32) float32 {
	var s float32
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// ropeTable holds the inverse frequencies of one RoPE variant.
type ropeTable struct {
	style     RopeStyle
	dim       int       // rotated dimensions
	invFreq   []float32 // dim/2 entries
	posScale  float32   // positions are multiplied by this (linear scaling)
	attnScale float32   // cos/sin multiplier (YaRN-style attention factor), 1 if unused
}

// newRopeTable computes the inverse frequencies the way Hugging Face does: in
// float32, base^(2i/dim), then adjusted by the scaling rule.
func newRopeTable(c *Config, theta float64, scaling RopeScaling, freqs []float32) (*ropeTable, error) {
	dim := c.RopeDim
	t := &ropeTable{style: c.RopeStyle, dim: dim, invFreq: make([]float32, dim/2), posScale: 1, attnScale: 1}
	for i := range t.invFreq {
		e := float32(2*i) / float32(dim)
		p := float32(math.Pow(theta, float64(e)))
		t.invFreq[i] = 1 / p
	}
	if freqs != nil {
		if len(freqs) < dim/2 {
			return nil, errorf("rope_freqs has %d entries, want %d", len(freqs), dim/2)
		}
		for i := range t.invFreq {
			t.invFreq[i] /= freqs[i]
		}
		return t, nil
	}
	switch scaling.Type {
	case "", "default", "none":
	case "linear":
		if scaling.Factor > 0 {
			for i := range t.invFreq {
				t.invFreq[i] = float32(float64(t.invFreq[i]) / scaling.Factor)
			}
		}
	case "llama3":
		orig := float64(scaling.OriginalContext)
		lowWave := orig / scaling.LowFreqFactor
		highWave := orig / scaling.HighFreqFactor
		for i, f := range t.invFreq {
			wave := 2 * math.Pi / float64(f)
			switch {
			case wave < highWave:
			case wave > lowWave:
				t.invFreq[i] = float32(float64(f) / scaling.Factor)
			default:
				s := (orig/wave - scaling.LowFreqFactor) / (scaling.HighFreqFactor - scaling.LowFreqFactor)
				t.invFreq[i] = float32((1-s)*float64(f)/scaling.Factor + s*float64(f))
			}
		}
	default:
		return nil, errorf("RoPE scaling type %q is not supported", scaling.Type)
	}
	return t, nil
}

// apply rotates the first dim entries of each head in x (heads × headDim) for
// position pos.
func (t *ropeTable) apply(x []float32, heads, headDim int, pos int) {
	half := t.dim / 2
	p := float32(pos) * t.posScale
	for i := 0; i < half; i++ {
		theta := p * t.invFreq[i]
		s64, c64 := math.Sincos(float64(theta))
		cos, sin := float32(c64)*t.attnScale, float32(s64)*t.attnScale
		for h := 0; h < heads; h++ {
			v := x[h*headDim : h*headDim+t.dim]
			var a, b int
			if t.style == RopeNormal {
				a, b = 2*i, 2*i+1
			} else {
				a, b = i, i+half
			}
			x0, x1 := v[a], v[b]
			v[a] = x0*cos - x1*sin
			v[b] = x0*sin + x1*cos
		}
	}
}
