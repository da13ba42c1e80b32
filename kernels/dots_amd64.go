package kernels

import (
	"unsafe"

	"github.com/nuri-ai/nuri/tensor"
)

//go:noescape
func q8_0PairsAVX512(w *byte, qs *byte, corr *int32, d *float32, npairs int) float32

//go:noescape
func q4_0PairsAVX512(w *byte, qs *byte, corr *int32, d *float32, npairs int) float32

//go:noescape
func q8_0PairsAVX2(w *byte, qs *byte, d *float32, npairs int) float32

//go:noescape
func q4_0PairsAVX2(w *byte, qs *byte, corr *int32, d *float32, npairs int) float32

//go:noescape
func f16DotAVX512(w *byte, x *float32, n int) float32

//go:noescape
func f16DotAVX2(w *byte, x *float32, n int) float32

//go:noescape
func bf16DotAVX512(w *byte, x *float32, n int) float32

//go:noescape
func bf16DotAVX2(w *byte, x *float32, n int) float32

//go:noescape
func f32DotAVX512(w *byte, x *float32, n int) float32

//go:noescape
func f32DotAVX2(w *byte, x *float32, n int) float32

// The row kernels below run whole block pairs in assembly and any final odd
// block in Go. Slice bounds were checked by MatMul; the assembly reads only
// within the row and the activation buffers.

func dotQ8_0(w []byte, a *q8Act, tok int) float32 {
	qs, d, corr := a.tok(tok)
	np := a.nb / 2
	var s float32
	switch {
	case np == 0 || level == Generic:
		return dotQ8_0Go(w, qs, d, 0, a.nb)
	case level == AVX512:
		s = q8_0PairsAVX512(&w[0], &qs[0], &corr[0], &d[0], np)
	default:
		s = q8_0PairsAVX2(&w[0], &qs[0], &d[0], np)
	}
	if a.nb%2 != 0 {
		s += dotQ8_0Go(w, qs, d, a.nb-1, a.nb)
	}
	return s
}

func dotQ4_0(w []byte, a *q8Act, tok int) float32 {
	qs, d, corr := a.tok(tok)
	np := a.nb / 2
	var s float32
	switch {
	case np == 0 || level == Generic:
		return dotQ4_0Go(w, qs, d, 0, a.nb, a.interlv)
	case level == AVX512:
		s = q4_0PairsAVX512(&w[0], &qs[0], &corr[0], &d[0], np)
	default:
		s = q4_0PairsAVX2(&w[0], &qs[0], &corr[0], &d[0], np)
	}
	if a.nb%2 != 0 {
		s += dotQ4_0Go(w, qs, d, a.nb-1, a.nb, a.interlv)
	}
	return s
}

// floatDot runs the vector kernel over the longest prefix it handles and
// the rest in Go. es is the weight element size in bytes.
func floatDot(w []byte, x []float32, es int, k512, k256 func(*byte, *float32, int) float32, tail func([]byte, []float32) float32) float32 {
	var n int
	var s float32
	switch level {
	case AVX512:
		n = len(x) &^ 15
		if n > 0 {
			s = k512(&w[0], &x[0], n)
		}
	case AVX2:
		n = len(x) &^ 7
		if n > 0 {
			s = k256(&w[0], &x[0], n)
		}
	}
	if n < len(x) {
		s += tail(w[n*es:], x[n:])
	}
	return s
}

func dotF32(w []byte, x []float32) float32 {
	return floatDot(w, x, 4, f32DotAVX512, f32DotAVX2, dotF32Go)
}

func dotF16(w []byte, x []float32) float32 {
	return floatDot(w, x, 2, f16DotAVX512, f16DotAVX2, dotF16Go)
}

func dotBF16(w []byte, x []float32) float32 {
	return floatDot(w, x, 2, bf16DotAVX512, bf16DotAVX2, dotBF16Go)
}

//go:noescape
func readSumAVX2(p *byte, n int) uint64

// readSum XORs b (len(b) % 256 == 0) into a checksum as fast as memory allows.
func readSum(b []byte) uint64 {
	if level >= AVX2 && len(b) > 0 {
		return readSumAVX2(&b[0], len(b))
	}
	return readSumGo(b)
}

//go:noescape
func readSum2AVX2(p, q *byte, n int) uint64

// readSum2 reads equal-length a and b (len % 256 == 0) at once, as two
// memory streams, into a checksum.
func readSum2(a, b []byte) uint64 {
	if level >= AVX2 && len(a) > 0 {
		b = b[:len(a)]
		return readSum2AVX2(&a[0], &b[0], len(a))
	}
	return readSum2Blocks(a, b)
}

// dotF32Floats is the float32 dot product of equal-length a and b.
func dotF32Floats(a, b []float32) float32 {
	w := unsafe.Slice((*byte)(unsafe.Pointer(&a[0])), 4*len(a))
	return dotF32(w, b)
}

//go:noescape
func q4KDotAVX512(w *byte, x *byte, nb int) float32

//go:noescape
func q6KDotAVX512(w *byte, x *byte, nb int) float32

// dotQ8Ref dots a weight row of type t with activations xq already in
// tensor.VecDotType(t), using assembly where there is a kernel for t.
func dotQ8Ref(t tensor.DType, w, xq []byte) float32 {
	if level == AVX512 && len(w) > 0 {
		switch t {
		case tensor.Q4_K:
			return q4KDotAVX512(&w[0], &xq[0], len(w)/144)
		case tensor.Q6_K:
			return q6KDotAVX512(&w[0], &xq[0], len(w)/210)
		}
	}
	if s, ok := dotMoreQ8(t, w, xq); ok {
		return s
	}
	return tensor.DotQ8Ref(t, w, xq)
}

//go:noescape
func q8_0PairsX4AVX512(w *byte, qs *byte, corr *int32, d *float32, npairs int, qsStride, corrStride, dStride int, out *[4]float32)

//go:noescape
func q4_0PairsX4AVX512(w *byte, qs *byte, corr *int32, d *float32, npairs int, qsStride, corrStride, dStride int, out *[4]float32)

// dotQ8x4 computes the dots of one Q8_0 or Q4_0 row with tokens tok..tok+3
// into out, when a four-token kernel exists for this level; it reports
// whether it did.
func dotQ8x4(t tensor.DType, w []byte, a *q8Act, tok int, out *[4]float32) bool {
	if level == AVX2 {
		return dotQ8x4AVX2(t, w, a, tok, out)
	}
	np := a.nb / 2
	if level != AVX512 || np == 0 {
		return false
	}
	qs, d, corr := a.tok(tok)
	qsStride, corrStride, dStride := a.nbp*32, a.nbp*8*4, a.nbp*4
	switch t {
	case tensor.Q8_0:
		q8_0PairsX4AVX512(&w[0], &qs[0], &corr[0], &d[0], np, qsStride, corrStride, dStride, out)
		addOddBlockX4(t, w, a, tok, out)
	case tensor.Q4_0:
		q4_0PairsX4AVX512(&w[0], &qs[0], &corr[0], &d[0], np, qsStride, corrStride, dStride, out)
		addOddBlockX4(t, w, a, tok, out)
	default:
		return false
	}
	return true
}

//go:noescape
func f16DotX4AVX512(w *byte, x *float32, n int, xStride int, out *[4]float32)

// dotF16x4 computes one F16 row against tokens x[0:cols], x[cols:2cols], …
// (four of them) into out when a four-token kernel exists for this level.
func dotF16x4(w []byte, x []float32, cols int, out *[4]float32) bool {
	n := cols &^ 15
	if level != AVX512 || n == 0 {
		return false
	}
	f16DotX4AVX512(&w[0], &x[0], n, 4*cols, out)
	if n < cols {
		for k := range 4 {
			out[k] += dotF16Go(w[2*n:], x[k*cols+n:(k+1)*cols])
		}
	}
	return true
}

//go:noescape
func q6KDotX4AVX512(w *byte, x *byte, nb int, xStride int, out *[4]float32)

//go:noescape
func q4KDotX4AVX512(w *byte, x *byte, nb int, xStride int, out *[4]float32)

// dotVecDotX4 computes one row of type t against four consecutive quantized
// activation rows (xStride bytes apart) into out, when a four-token kernel
// exists for t at this level; it reports whether it did.
func dotVecDotX4(t tensor.DType, w, xq []byte, xStride int, out *[4]float32) bool {
	if level == AVX2 && len(w) > 0 {
		return dotVecDotX4AVX2(t, w, xq, xStride, out)
	}
	if level != AVX512 || len(w) == 0 {
		return false
	}
	switch t {
	case tensor.Q4_K:
		q4KDotX4AVX512(&w[0], &xq[0], len(w)/144, xStride, out)
	case tensor.Q6_K:
		q6KDotX4AVX512(&w[0], &xq[0], len(w)/210, xStride, out)
	default:
		return dotMoreQ8x4(t, w, xq, xStride, out)
	}
	return true
}

//go:noescape
func quantQ8_0AVX512(x *float32, nb int, npaired int, qs *byte, d *float32, corr *int32, nbp int, negOff int32)

// quantizeTokenFast fills token b of a with the assembly quantizer when the
// level allows; it reports whether it did.
func (a *q8Act) quantizeTokenFast(b int, x []float32, off int32) bool {
	if level != AVX512 || a.nb == 0 {
		return false
	}
	nb, nbp := a.nb, a.nbp
	qs := a.qs[b*nbp*32 : (b+1)*nbp*32]
	d := a.d[b*nbp : (b+1)*nbp]
	corr := a.corr[b*nbp*8 : (b+1)*nbp*8]
	if nb < nbp {
		d[nb] = 0
		clear(qs[nb*32:])
	}
	npaired := 0
	if a.interlv {
		npaired = nb &^ 1
	}
	quantQ8_0AVX512(&x[0], nb, npaired, &qs[0], &d[0], &corr[0], nbp, -off)
	return true
}

//go:noescape
func quantQ8KAVX512(x *float32, nb int, y *byte)

// quantizeVecDot quantizes x into y as type t (tensor.VecDotType of a
// weight), bit-identical to tensor.Quantize.
func quantizeVecDot(t tensor.DType, x []float32, y []byte) {
	if t == tensor.Q8_K && level == AVX512 && len(x) >= 256 {
		nb := len(x) / 256
		quantQ8KAVX512(&x[0], nb, &y[0])
		q8KBlockSums(y, nb)
		return
	}
	_ = tensor.Quantize(t, x, y) // sizes were checked by MatMul
}

//go:noescape
func q4_0PackedAVX512(w *byte, ds *byte, qs *byte, corr *int32, d *float32, ngroups int) float32

// dotQ4_0Packed dots one packed Q4_0 row (see Prepare) with token tok of
// activations quantized in natural order with offset 8.
func dotQ4_0Packed(w []byte, a *q8Act, tok int) float32 {
	qs, d, corr := a.tok(tok)
	if level != AVX512 {
		return dotQ4_0PackedGo(w, qs, d, a.nb)
	}
	return q4_0PackedAVX512(&w[0], &w[16*a.nb], &qs[0], &corr[0], &d[0], a.nb/4)
}

//go:noescape
func q4_0PackedX4AVX512(w *byte, ds *byte, qs *byte, corr *int32, d *float32, ngroups int, qsStride, corrStride, dStride int, out *[4]float32)

// dotQ4_0PackedX4 dots one packed Q4_0 row with tokens tok..tok+3 into out
// when the level has a four-token kernel; it reports whether it did.
func dotQ4_0PackedX4(w []byte, a *q8Act, tok int, out *[4]float32) bool {
	if level != AVX512 {
		return false
	}
	qs, d, corr := a.tok(tok)
	q4_0PackedX4AVX512(&w[0], &w[16*a.nb], &qs[0], &corr[0], &d[0], a.nb/4, a.nbp*32, a.nbp*8*4, a.nbp*4, out)
	return true
}
