package kernels

import "github.com/nuri-ai/nuri/tensor"

//go:noescape
func q8_0X4AVX2(w *byte, qs *byte, d *float32, nb int, qsStride, dStride int, out *[4]float32)

//go:noescape
func q4_0PairsX4AVX2(w *byte, qs *byte, corr *int32, d *float32, npairs int, qsStride, corrStride, dStride int, out *[4]float32)

//go:noescape
func q4KDotX4AVX2(w *byte, x *byte, nb int, xStride int, out *[4]float32)

//go:noescape
func q5KDotX4AVX2(w *byte, x *byte, nb int, xStride int, out *[4]float32)

//go:noescape
func q6KDotX4AVX2(w *byte, x *byte, nb int, xStride int, out *[4]float32)

//go:noescape
func q2KDotX4AVX2(w *byte, x *byte, nb int, xStride int, out *[4]float32)

//go:noescape
func q3KDotX4AVX2(w *byte, x *byte, nb int, xStride int, out *[4]float32)

// dotQ8x4AVX2 is dotQ8x4 at the AVX2 level: one Q8_0 row (natural
// activation layout) or Q4_0 row (interleaved pairs) against tokens
// tok..tok+3.
func dotQ8x4AVX2(t tensor.DType, w []byte, a *q8Act, tok int, out *[4]float32) bool {
	qs, d, corr := a.tok(tok)
	qsStride, corrStride, dStride := a.nbp*32, a.nbp*8*4, a.nbp*4
	switch t {
	case tensor.Q8_0:
		q8_0X4AVX2(&w[0], &qs[0], &d[0], a.nb, qsStride, dStride, out)
	case tensor.Q4_0:
		np := a.nb / 2
		if np == 0 {
			return false
		}
		q4_0PairsX4AVX2(&w[0], &qs[0], &corr[0], &d[0], np, qsStride, corrStride, dStride, out)
		addOddBlockX4(t, w, a, tok, out)
	default:
		return false
	}
	return true
}

// dotVecDotX4AVX2 is dotVecDotX4 at the AVX2 level: one Q2_K–Q6_K, Q4_1,
// Q5_0 or Q5_1 row against four activation rows (tensor.VecDotType of the
// row's type) xStride bytes apart.
func dotVecDotX4AVX2(t tensor.DType, w, xq []byte, xStride int, out *[4]float32) bool {
	switch t {
	case tensor.Q4_K:
		q4KDotX4AVX2(&w[0], &xq[0], len(w)/144, xStride, out)
	case tensor.Q5_K:
		q5KDotX4AVX2(&w[0], &xq[0], len(w)/176, xStride, out)
	case tensor.Q6_K:
		q6KDotX4AVX2(&w[0], &xq[0], len(w)/210, xStride, out)
	case tensor.Q2_K:
		q2KDotX4AVX2(&w[0], &xq[0], len(w)/84, xStride, out)
	case tensor.Q3_K:
		q3KDotX4AVX2(&w[0], &xq[0], len(w)/110, xStride, out)
	case tensor.Q4_1, tensor.Q5_0, tensor.Q5_1:
		return dotLegacyX4AVX2(t, w, xq, xStride, out)
	default:
		return false
	}
	return true
}

//go:noescape
func q2KDotAVX2(w *byte, x *byte, nb int) float32

//go:noescape
func q3KDotAVX2(w *byte, x *byte, nb int) float32

//go:noescape
func q2KDotAVX512(w *byte, x *byte, nb int) float32

//go:noescape
func q3KDotAVX512(w *byte, x *byte, nb int) float32

//go:noescape
func q2KDotX4AVX512(w *byte, x *byte, nb int, xStride int, out *[4]float32)

//go:noescape
func q3KDotX4AVX512(w *byte, x *byte, nb int, xStride int, out *[4]float32)

//go:noescape
func q4_1DotAVX2(w *byte, x *byte, nb int) float32

//go:noescape
func q5_0DotAVX2(w *byte, x *byte, nb int) float32

//go:noescape
func q5_1DotAVX2(w *byte, x *byte, nb int) float32

// dotMoreQ8b dots a row of type t with activations xq in
// tensor.VecDotType(t) when a kernel of kquant2_amd64.s handles t at this
// level (Q2_K and Q3_K at AVX-512 and AVX2; Q4_1, Q5_0 and Q5_1 at AVX2);
// it reports whether it did. len(w) > 0 and the sizes were checked by
// MatMul.
func dotMoreQ8b(t tensor.DType, w, xq []byte) (float32, bool) {
	switch {
	case level == AVX512 && t == tensor.Q2_K:
		return q2KDotAVX512(&w[0], &xq[0], len(w)/84), true
	case level == AVX512 && t == tensor.Q3_K:
		return q3KDotAVX512(&w[0], &xq[0], len(w)/110), true
	case level != AVX2:
		return 0, false
	}
	switch t {
	case tensor.Q2_K:
		return q2KDotAVX2(&w[0], &xq[0], len(w)/84), true
	case tensor.Q3_K:
		return q3KDotAVX2(&w[0], &xq[0], len(w)/110), true
	case tensor.Q4_1:
		return q4_1DotAVX2(&w[0], &xq[0], len(w)/20), true
	case tensor.Q5_0:
		return q5_0DotAVX2(&w[0], &xq[0], len(w)/22), true
	case tensor.Q5_1:
		return q5_1DotAVX2(&w[0], &xq[0], len(w)/24), true
	}
	return 0, false
}

// dotK23x4AVX512 runs the four-token AVX-512 kernel of Q2_K or Q3_K (see
// dotMoreQ8x4); it reports whether t has one.
func dotK23x4AVX512(t tensor.DType, w, xq []byte, xStride int, out *[4]float32) bool {
	switch t {
	case tensor.Q2_K:
		q2KDotX4AVX512(&w[0], &xq[0], len(w)/84, xStride, out)
	case tensor.Q3_K:
		q3KDotX4AVX512(&w[0], &xq[0], len(w)/110, xStride, out)
	default:
		return false
	}
	return true
}
