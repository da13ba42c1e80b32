package kernels

import "github.com/nuri-ai/nuri/tensor"

//go:noescape
func q4_1X4AVX2(w *byte, x *byte, nb int, xStride int, out *[4]float32)

//go:noescape
func q5_0X4AVX2(w *byte, x *byte, nb int, xStride int, out *[4]float32)

//go:noescape
func q5_1X4AVX2(w *byte, x *byte, nb int, xStride int, out *[4]float32)

// dotLegacyX4AVX2 runs the AVX2 four-token kernel for Q4_1, Q5_0 or Q5_1:
// one row w against four activation rows in tensor.VecDotType(t) that
// start xStride bytes apart in xq. Each token's result equals the AVX2
// row kernel's bit for bit. It reports whether t has such a kernel. The
// kernels are called directly so that out stays on the caller's stack.
func dotLegacyX4AVX2(t tensor.DType, w, xq []byte, xStride int, out *[4]float32) bool {
	if len(w) == 0 || (t != tensor.Q4_1 && t != tensor.Q5_0 && t != tensor.Q5_1) {
		return false
	}
	nb := len(w) / t.TypeSize()
	_ = xq[3*xStride+nb*tensor.VecDotType(t).TypeSize()-1] // the last token's last block
	switch t {
	case tensor.Q4_1:
		q4_1X4AVX2(&w[0], &xq[0], nb, xStride, out)
	case tensor.Q5_0:
		q5_0X4AVX2(&w[0], &xq[0], nb, xStride, out)
	default:
		q5_1X4AVX2(&w[0], &xq[0], nb, xStride, out)
	}
	return true
}
