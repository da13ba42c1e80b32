package kernels

import "github.com/nuri-ai/nuri/tensor"

//go:noescape
func q5KDotAVX512(w *byte, x *byte, nb int) float32

//go:noescape
func q5KDotX4AVX512(w *byte, x *byte, nb int, xStride int, out *[4]float32)

// dotMoreQ8 dots a weight row of type t with activations xq in
// tensor.VecDotType(t) when one of the kernels of kquant_amd64.s handles t
// at this level; it reports whether it did. Slice sizes were checked by
// MatMul.
func dotMoreQ8(t tensor.DType, w, xq []byte) (float32, bool) {
	if len(w) == 0 || level == Generic {
		return 0, false
	}
	if level == AVX512 {
		switch t {
		case tensor.Q5_K:
			return q5KDotAVX512(&w[0], &xq[0], len(w)/176), true
		}
	}
	return 0, false
}

// dotMoreQ8x4 is dotMoreQ8 for four activation rows xStride bytes apart,
// results in out.
func dotMoreQ8x4(t tensor.DType, w, xq []byte, xStride int, out *[4]float32) bool {
	if len(w) == 0 || level != AVX512 {
		return false
	}
	switch t {
	case tensor.Q5_K:
		q5KDotX4AVX512(&w[0], &xq[0], len(w)/176, xStride, out)
		return true
	}
	return false
}
