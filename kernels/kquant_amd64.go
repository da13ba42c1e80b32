package kernels

import "github.com/nuri-ai/nuri/tensor"

//go:noescape
func q5KDotAVX512(w *byte, x *byte, nb int) float32

//go:noescape
func q5KDotX4AVX512(w *byte, x *byte, nb int, xStride int, out *[4]float32)

//go:noescape
func q4_1PairsAVX512(w *byte, x *byte, npairs int) float32

//go:noescape
func q5_1PairsAVX512(w *byte, x *byte, npairs int) float32

//go:noescape
func q5_0PairsAVX512(w *byte, x *byte, npairs int) float32

//go:noescape
func q4KDotAVX2(w *byte, x *byte, nb int) float32

//go:noescape
func q5KDotAVX2(w *byte, x *byte, nb int) float32

//go:noescape
func q6KDotAVX2(w *byte, x *byte, nb int) float32

// pairsDot runs a two-blocks-per-step kernel over the whole pairs of a row
// and the reference over a final odd block.
func pairsDot(t tensor.DType, w, xq []byte, k func(*byte, *byte, int) float32) float32 {
	ws, xs := t.TypeSize(), tensor.VecDotType(t).TypeSize()
	nb := len(w) / ws
	var s float32
	if np := nb / 2; np > 0 {
		s = k(&w[0], &xq[0], np)
	}
	if nb%2 != 0 {
		s += tensor.DotQ8Ref(t, w[(nb-1)*ws:nb*ws], xq[(nb-1)*xs:nb*xs])
	}
	return s
}

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
		case tensor.Q4_1:
			return pairsDot(t, w, xq, q4_1PairsAVX512), true
		case tensor.Q5_0:
			return pairsDot(t, w, xq, q5_0PairsAVX512), true
		case tensor.Q5_1:
			return pairsDot(t, w, xq, q5_1PairsAVX512), true
		}
	}
	if s, ok := dotMoreQ8b(t, w, xq); ok {
		return s, true
	}
	switch t {
	case tensor.Q4_K:
		return q4KDotAVX2(&w[0], &xq[0], len(w)/144), true
	case tensor.Q5_K:
		return q5KDotAVX2(&w[0], &xq[0], len(w)/176), true
	case tensor.Q6_K:
		return q6KDotAVX2(&w[0], &xq[0], len(w)/210), true
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
	case tensor.Q4_1, tensor.Q5_0, tensor.Q5_1:
		return dotLegacyX4AVX512(t, w, xq, xStride, out)
	}
	return dotK23x4AVX512(t, w, xq, xStride, out)
}
