package kernels

import "github.com/nuri-ai/nuri/tensor"

//go:noescape
func q4x16Rows2AVX512(wA, wB *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, outA, outB *float32)

//go:noescape
func q8x16Rows2AVX512(wA, wB *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, outA, outB *float32)

//go:noescape
func q4kx16Rows2AVX512(wA, wB *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, outA, outB *float32)

//go:noescape
func q5kx16Rows2AVX512(wA, wB *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, outA, outB *float32)

//go:noescape
func q6kx16Rows2AVX512(wA, wB *byte, nrows, nsg int, qs *byte, half *int32, d *float32, outA, outB *float32)

//go:noescape
func q4x16RowsAVX512(w *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, out *float32)

//go:noescape
func q8x16RowsAVX512(w *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, out *float32)

//go:noescape
func q4x16RowsX4AVX512(w *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, qsStride, aStride int, out *float32, ostride int)

//go:noescape
func q8x16RowsX4AVX512(w *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, qsStride, aStride int, out *float32, ostride int)

// The two-row, four-token kernels take nrows pairs of adjacent rows (see
// P2ROWS in x16_amd64.s).
//
//go:noescape
func q4x16Pairs4AVX512(w *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, qsStride, aStride int, out *float32, ostride int)

//go:noescape
func q4kx16Pairs4AVX512(w *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, qsStride, aStride int, out *float32, ostride int)

//go:noescape
func q8x16Pairs4AVX512(w *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, qsStride, aStride int, out *float32, ostride int)

//go:noescape
func q4kx16RowsAVX512(w *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, out *float32)

//go:noescape
func q4kx16RowsX4AVX512(w *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, qsStride, aStride int, out *float32, ostride int)

//go:noescape
func q5kx16RowsAVX512(w *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, out *float32)

//go:noescape
func q5kx16RowsX4AVX512(w *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, qsStride, aStride int, out *float32, ostride int)

//go:noescape
func q6kx16RowsAVX512(w *byte, nrows, nsg int, qs *byte, half *int32, d *float32, out *float32)

//go:noescape
func q6kx16RowsX4AVX512(w *byte, nrows, nsg int, qs *byte, half *int32, d *float32, qsStride, aStride int, out *float32, ostride int)

//go:noescape
func x16FromQ8KAVX512(y *byte, nsg int, qs *byte, corr *int32, d *float32, half *int32)

//go:noescape
func quantX16AVX512(x *float32, nb int, qs *byte, d *float32, corr *int32, negOff int32)

// quantizeFast fills token b of a with the assembly quantizer when the level
// allows; it reports whether it did.
func (a *x16Act) quantizeFast(b int, x []float32) bool {
	if level < AVX2 || a.nb == 0 {
		return false
	}
	qs, corr, d := a.tok(b)
	_ = x[a.nb*32-1]
	if level == AVX2 {
		quantX16AVX2(&x[0], a.nb, &qs[0], &d[0], &corr[0], -a.off)
	} else {
		quantX16AVX512(&x[0], a.nb, &qs[0], &d[0], &corr[0], -a.off)
	}
	return true
}

// quantizeKFast is quantizeKToken in assembly when the level allows; it
// reports whether it ran.
func (a *x16Act) quantizeKFast(b int, x []float32) bool {
	if level != AVX512 || a.nb == 0 {
		return false
	}
	qs, corr, d := a.tok(b)
	nsb := a.nb / 8
	buf := a.kbuf[b*292*nsb : (b+1)*292*nsb]
	half := a.half[b*2*a.nb : (b+1)*2*a.nb]
	_ = x[256*nsb-1]
	quantQ8KAVX512(&x[0], nsb, &buf[0])
	x16FromQ8KAVX512(&buf[0], nsb/2, &qs[0], &corr[0], &d[0], &half[0])
	return true
}

// x16Rows computes out[k] = row k · token tok for the nrows consecutive x16
// rows at w, in assembly when the level allows (AVX-512: every x16 type;
// AVX2: Q4_0); it reports whether it did.
func x16Rows(t tensor.DType, w []byte, nrows int, a *x16Act, tok int, out []float32) bool {
	if !x16Asm(t) || nrows == 0 {
		return false
	}
	qs, corr, d := a.tok(tok)
	nsg := a.nb / 16
	_ = out[nrows-1]
	_ = w[nrows*x16RowBytes(t, nsg)-1]
	if level == AVX2 {
		q4x16RowsAVX2(&w[0], nrows, nsg, &qs[0], &corr[0], &d[0], &out[0])
		return true
	}
	switch t {
	case tensor.Q6_K:
		_ = a.half[(tok+1)*2*a.nb-1]
		q6kx16RowsAVX512(&w[0], nrows, nsg, &qs[0], &a.half[tok*2*a.nb], &d[0], &out[0])
	case tensor.Q5_K:
		q5kx16RowsAVX512(&w[0], nrows, nsg, &qs[0], &corr[0], &d[0], &out[0])
	case tensor.Q4_K:
		q4kx16RowsAVX512(&w[0], nrows, nsg, &qs[0], &corr[0], &d[0], &out[0])
	case tensor.Q4_0:
		q4x16RowsAVX512(&w[0], nrows, nsg, &qs[0], &corr[0], &d[0], &out[0])
	default:
		q8x16RowsAVX512(&w[0], nrows, nsg, &qs[0], &corr[0], &d[0], &out[0])
	}
	return true
}

// x16RowsX4 is x16Rows for tokens tok..tok+3 at once; token tok+k's result
// for row r goes to out[k·ostride+r].
func x16RowsX4(t tensor.DType, w []byte, nrows int, a *x16Act, tok int, out []float32, ostride int) bool {
	if !x16Asm(t) || nrows == 0 {
		return false
	}
	qs, corr, d := a.tok(tok)
	_ = a.qs[(tok+4)*a.nb*32-1]
	_ = out[3*ostride+nrows-1]
	nsg := a.nb / 16
	_ = w[nrows*x16RowBytes(t, nsg)-1]
	if level == AVX2 {
		q4x16RowsX4AVX2(&w[0], nrows, nsg, &qs[0], &corr[0], &d[0], a.nb*32, a.nb*4, &out[0], 4*ostride)
		return true
	}
	switch t {
	case tensor.Q6_K:
		_ = a.half[(tok+4)*2*a.nb-1]
		q6kx16RowsX4AVX512(&w[0], nrows, nsg, &qs[0], &a.half[tok*2*a.nb], &d[0], a.nb*32, a.nb*4, &out[0], 4*ostride)
	case tensor.Q5_K:
		q5kx16RowsX4AVX512(&w[0], nrows, nsg, &qs[0], &corr[0], &d[0], a.nb*32, a.nb*4, &out[0], 4*ostride)
	default:
		// Row pairs, then the odd row (direct calls, so that out stays
		// on the caller's stack).
		np := nrows / 2
		if np > 0 {
			switch t {
			case tensor.Q8_0:
				q8x16Pairs4AVX512(&w[0], np, nsg, &qs[0], &corr[0], &d[0], a.nb*32, a.nb*4, &out[0], 4*ostride)
			case tensor.Q4_K:
				q4kx16Pairs4AVX512(&w[0], np, nsg, &qs[0], &corr[0], &d[0], a.nb*32, a.nb*4, &out[0], 4*ostride)
			default:
				q4x16Pairs4AVX512(&w[0], np, nsg, &qs[0], &corr[0], &d[0], a.nb*32, a.nb*4, &out[0], 4*ostride)
			}
		}
		if nrows%2 == 1 {
			last := 2 * np
			w, out := &w[last*x16RowBytes(t, nsg)], &out[last]
			switch t {
			case tensor.Q8_0:
				q8x16RowsX4AVX512(w, 1, nsg, &qs[0], &corr[0], &d[0], a.nb*32, a.nb*4, out, 4*ostride)
			case tensor.Q4_K:
				q4kx16RowsX4AVX512(w, 1, nsg, &qs[0], &corr[0], &d[0], a.nb*32, a.nb*4, out, 4*ostride)
			default:
				q4x16RowsX4AVX512(w, 1, nsg, &qs[0], &corr[0], &d[0], a.nb*32, a.nb*4, out, 4*ostride)
			}
		}
	}
	return true
}

// x16Rows2 is x16Rows on token 0 for two runs of nrows rows of type t at
// once, wA into outA and wB into outB, in the two-stream kernels (see
// PAIRROWS in x16_amd64.s); each output equals x16Rows's bit for bit. It
// reports false where there is no such kernel (x16Asm's types and levels).
func x16Rows2(t tensor.DType, wA, wB []byte, nrows int, a *x16Act, outA, outB []float32) bool {
	if !x16Asm(t) || nrows == 0 {
		return false
	}
	qs, corr, d := a.tok(0)
	nsg := a.nb / 16
	_, _ = outA[nrows-1], outB[nrows-1]
	rb := x16RowBytes(t, nsg)
	_, _ = wA[nrows*rb-1], wB[nrows*rb-1]
	if level == AVX2 {
		q4x16Rows2AVX2(&wA[0], &wB[0], nrows, nsg, &qs[0], &corr[0], &d[0], &outA[0], &outB[0])
		return true
	}
	switch t {
	case tensor.Q4_0:
		q4x16Rows2AVX512(&wA[0], &wB[0], nrows, nsg, &qs[0], &corr[0], &d[0], &outA[0], &outB[0])
	case tensor.Q4_K:
		q4kx16Rows2AVX512(&wA[0], &wB[0], nrows, nsg, &qs[0], &corr[0], &d[0], &outA[0], &outB[0])
	case tensor.Q5_K:
		q5kx16Rows2AVX512(&wA[0], &wB[0], nrows, nsg, &qs[0], &corr[0], &d[0], &outA[0], &outB[0])
	case tensor.Q6_K:
		_ = a.half[2*a.nb-1]
		q6kx16Rows2AVX512(&wA[0], &wB[0], nrows, nsg, &qs[0], &a.half[0], &d[0], &outA[0], &outB[0])
	default:
		q8x16Rows2AVX512(&wA[0], &wB[0], nrows, nsg, &qs[0], &corr[0], &d[0], &outA[0], &outB[0])
	}
	return true
}

// x16RowBytes is the size of an x16 row of nsg super groups of type t: the
// file's row size, which the layout keeps.
func x16RowBytes(t tensor.DType, nsg int) int {
	rb, _ := tensor.RowBytes(t, nsg*x16Group)
	return rb
}

// x16Asm reports whether the level has assembly kernels for x16 rows of
// type t: AVX-512 for all of them, AVX2 for Q4_0.
func x16Asm(t tensor.DType) bool {
	return level == AVX512 || level == AVX2 && t == tensor.Q4_0
}
