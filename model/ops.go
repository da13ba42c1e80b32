package model

import "github.com/nuri-ai/nuri/kernels"

// The small operations of the forward pass live in package kernels
// (RMSNorm, AddRMSNorm, Rope, Softmax, Softcap, Add, AXPY); this is the
// residual add with an optional scale.

// addScaled sets dst[i] += s·src[i], the product rounded to float32 before
// the add.
func addScaled(dst, src []float32, s float32) {
	if s == 1 {
		kernels.Add(dst, src)
		return
	}
	kernels.AXPY(s, src, dst)
}
