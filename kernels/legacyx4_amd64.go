package kernels

import "github.com/nuri-ai/nuri/tensor"

//go:noescape
func q4_1PairsX4AVX512(w *byte, x *byte, npairs int, xStride int, out *[4]float32)

//go:noescape
func q5_1PairsX4AVX512(w *byte, x *byte, npairs int, xStride int, out *[4]float32)

//go:noescape
func q5_0PairsX4AVX512(w *byte, x *byte, npairs int, xStride int, out *[4]float32)

// pairsDotX4 is pairsDot for four activation rows xStride bytes apart:
// the four-token kernel of t runs over the whole pairs of the row and the
// reference adds a final odd block to each token's sum in out. The kernels
// are called directly (not through a func value) so that out stays on the
// caller's stack.
func pairsDotX4(t tensor.DType, w, xq []byte, xStride int, out *[4]float32) {
	ws, xs := t.TypeSize(), tensor.VecDotType(t).TypeSize()
	nb := len(w) / ws
	*out = [4]float32{}
	if np := nb / 2; np > 0 {
		switch t {
		case tensor.Q4_1:
			q4_1PairsX4AVX512(&w[0], &xq[0], np, xStride, out)
		case tensor.Q5_0:
			q5_0PairsX4AVX512(&w[0], &xq[0], np, xStride, out)
		case tensor.Q5_1:
			q5_1PairsX4AVX512(&w[0], &xq[0], np, xStride, out)
		}
	}
	if nb%2 != 0 {
		last := w[(nb-1)*ws : nb*ws]
		for i := range out {
			x := xq[i*xStride+(nb-1)*xs : i*xStride+nb*xs]
			out[i] += tensor.DotQ8Ref(t, last, x)
		}
	}
}

// dotLegacyX4AVX512 runs the four-token kernel for Q4_1, Q5_0 or Q5_1
// (activations in tensor.VecDotType(t)); it reports whether t has one.
func dotLegacyX4AVX512(t tensor.DType, w, xq []byte, xStride int, out *[4]float32) bool {
	switch t {
	case tensor.Q4_1, tensor.Q5_0, tensor.Q5_1:
		pairsDotX4(t, w, xq, xStride, out)
		return true
	}
	return false
}
