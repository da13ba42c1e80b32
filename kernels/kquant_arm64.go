package kernels

import "github.com/nuri-ai/nuri/tensor"

// K-quant row kernels against Q8_K activations (kquant_arm64.s), with SDOT
// at NEONDot and widening multiplies at NEON. Each takes whole rows of
// blocks.

//go:noescape
func q4KDotSDOT(w *byte, x *byte, nb int) float32

//go:noescape
func q4KDotNEON(w *byte, x *byte, nb int) float32

//go:noescape
func q5KDotSDOT(w *byte, x *byte, nb int) float32

//go:noescape
func q5KDotNEON(w *byte, x *byte, nb int) float32

//go:noescape
func q6KDotSDOT(w *byte, x *byte, nb int) float32

//go:noescape
func q6KDotNEON(w *byte, x *byte, nb int) float32

// dotQ8Ref dots a weight row of type t with activations xq already in
// tensor.VecDotType(t), using assembly where there is a kernel for t.
func dotQ8Ref(t tensor.DType, w, xq []byte) float32 {
	if s, ok := dotMoreQ8(t, w, xq); ok {
		return s
	}
	return tensor.DotQ8Ref(t, w, xq)
}

// dotMoreQ8 dots a weight row of type t with activations xq in
// tensor.VecDotType(t) when a kernel handles t at this level; it reports
// whether it did. Slice sizes were checked by MatMul.
func dotMoreQ8(t tensor.DType, w, xq []byte) (float32, bool) {
	if len(w) == 0 || level < NEON {
		return 0, false
	}
	var k func(*byte, *byte, int) float32
	switch t {
	case tensor.Q4_K:
		k, _ = pick(q4KDotSDOT, q4KDotNEON)
	case tensor.Q5_K:
		k, _ = pick(q5KDotSDOT, q5KDotNEON)
	case tensor.Q6_K:
		k, _ = pick(q6KDotSDOT, q6KDotNEON)
	default:
		return 0, false
	}
	return k(&w[0], &xq[0], len(w)/t.TypeSize()), true
}

func dotVecDotX4(t tensor.DType, w, xq []byte, xStride int, out *[4]float32) bool {
	return dotMoreQ8x4(t, w, xq, xStride, out)
}

func dotMoreQ8x4(t tensor.DType, w, xq []byte, xStride int, out *[4]float32) bool {
	return false
}
