package model

import (
	"math"

	"github.com/nuri-ai/nuri/kernels"
)

// The small per-token operations of the forward pass that are not kernels
// (RMSNorm, RoPE, softmax and the vector adds are in package kernels).

// softcap applies c·tanh(x/c) in place.
func softcap(x []float32, c float32) {
	for i, v := range x {
		x[i] = c * float32(math.Tanh(float64(v/c)))
	}
}

// addScaled sets dst[i] += s·src[i], the product rounded to float32 before
// the add.
func addScaled(dst, src []float32, s float32) {
	if s == 1 {
		kernels.Add(dst, src)
		return
	}
	kernels.AXPY(s, src, dst)
}
