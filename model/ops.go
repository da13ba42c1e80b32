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
