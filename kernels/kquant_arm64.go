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

// Q4_1, Q5_0 and Q5_1 row kernels (legacy_arm64.s) against activations
// in tensor.VecDotType, one block per step.

//go:noescape
func q4_1DotSDOT(w *byte, x *byte, nb int) float32

//go:noescape
func q4_1DotNEON(w *byte, x *byte, nb int) float32

//go:noescape
func q5_0DotSDOT(w *byte, x *byte, nb int) float32

//go:noescape
func q5_0DotNEON(w *byte, x *byte, nb int) float32

//go:noescape
func q5_1DotSDOT(w *byte, x *byte, nb int) float32

//go:noescape
func q5_1DotNEON(w *byte, x *byte, nb int) float32

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
	case tensor.Q2_K:
		k, _ = pick(q2KDotSDOT, q2KDotNEON)
	case tensor.Q3_K:
		k, _ = pick(q3KDotSDOT, q3KDotNEON)
	case tensor.Q4_1:
		k, _ = pick(q4_1DotSDOT, q4_1DotNEON)
	case tensor.Q5_0:
		k, _ = pick(q5_0DotSDOT, q5_0DotNEON)
	case tensor.Q5_1:
		k, _ = pick(q5_1DotSDOT, q5_1DotNEON)
	default:
		return 0, false
	}
	return k(&w[0], &xq[0], len(w)/t.TypeSize()), true
}

func dotVecDotX4(t tensor.DType, w, xq []byte, xStride int, out *[4]float32) bool {
	return dotMoreQ8x4(t, w, xq, xStride, out)
}

// Four-token kernels (kquantx4_arm64.s): one weight row against the Q8_K
// activations of four tokens xStride bytes apart, results in out.

//go:noescape
func q4KDotX4SDOT(w *byte, x *byte, nb int, xStride int, out *[4]float32)

//go:noescape
func q4KDotX4NEON(w *byte, x *byte, nb int, xStride int, out *[4]float32)

//go:noescape
func q5KDotX4SDOT(w *byte, x *byte, nb int, xStride int, out *[4]float32)

//go:noescape
func q5KDotX4NEON(w *byte, x *byte, nb int, xStride int, out *[4]float32)

//go:noescape
func q6KDotX4SDOT(w *byte, x *byte, nb int, xStride int, out *[4]float32)

//go:noescape
func q6KDotX4NEON(w *byte, x *byte, nb int, xStride int, out *[4]float32)

// dotMoreQ8x4 is dotMoreQ8 for four activation rows xStride bytes apart,
// results in out; it reports whether a kernel handled t.
func dotMoreQ8x4(t tensor.DType, w, xq []byte, xStride int, out *[4]float32) bool {
	if len(w) == 0 || level < NEON {
		return false
	}
	switch t {
	case tensor.Q2_K, tensor.Q3_K, tensor.Q4_K, tensor.Q5_K, tensor.Q6_K, tensor.Q4_1, tensor.Q5_0, tensor.Q5_1:
	default:
		return false
	}
	nb := len(w) / t.TypeSize()
	_ = xq[3*xStride+nb*tensor.VecDotType(t).TypeSize()-1]
	sdot := level == NEONDot
	// Direct calls: out must not escape, which an indirect call would force.
	switch {
	case t == tensor.Q2_K && sdot:
		q2KDotX4SDOT(&w[0], &xq[0], nb, xStride, out)
	case t == tensor.Q2_K:
		q2KDotX4NEON(&w[0], &xq[0], nb, xStride, out)
	case t == tensor.Q3_K && sdot:
		q3KDotX4SDOT(&w[0], &xq[0], nb, xStride, out)
	case t == tensor.Q3_K:
		q3KDotX4NEON(&w[0], &xq[0], nb, xStride, out)
	case t == tensor.Q4_K && sdot:
		q4KDotX4SDOT(&w[0], &xq[0], nb, xStride, out)
	case t == tensor.Q4_K:
		q4KDotX4NEON(&w[0], &xq[0], nb, xStride, out)
	case t == tensor.Q5_K && sdot:
		q5KDotX4SDOT(&w[0], &xq[0], nb, xStride, out)
	case t == tensor.Q5_K:
		q5KDotX4NEON(&w[0], &xq[0], nb, xStride, out)
	case t == tensor.Q6_K && sdot:
		q6KDotX4SDOT(&w[0], &xq[0], nb, xStride, out)
	case t == tensor.Q6_K:
		q6KDotX4NEON(&w[0], &xq[0], nb, xStride, out)
	case t == tensor.Q4_1 && sdot:
		q4_1DotX4SDOT(&w[0], &xq[0], nb, xStride, out)
	case t == tensor.Q4_1:
		q4_1DotX4NEON(&w[0], &xq[0], nb, xStride, out)
	case t == tensor.Q5_0 && sdot:
		q5_0DotX4SDOT(&w[0], &xq[0], nb, xStride, out)
	case t == tensor.Q5_0:
		q5_0DotX4NEON(&w[0], &xq[0], nb, xStride, out)
	case t == tensor.Q5_1 && sdot:
		q5_1DotX4SDOT(&w[0], &xq[0], nb, xStride, out)
	case t == tensor.Q5_1:
		q5_1DotX4NEON(&w[0], &xq[0], nb, xStride, out)
	default:
		return false
	}
	return true
}
