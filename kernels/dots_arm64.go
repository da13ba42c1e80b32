package kernels

import (
	"unsafe"

	"github.com/nuri-ai/nuri/tensor"
)

// Row kernels for arm64. The assembly (dots_arm64.s) comes in two variants
// of the integer kernels: SDOT for CPUs with the dot-product extension
// (NEONDot) and widening multiplies for plain Advanced SIMD (NEON). Each
// takes whole groups of four blocks; a final partial group runs in Go.
// Slice bounds were checked by MatMul; the assembly reads only within the
// row and the activation buffers.

//go:noescape
func q8_0DotSDOT(w *byte, qs *byte, d *float32, ngroups int) float32

//go:noescape
func q8_0DotNEON(w *byte, qs *byte, d *float32, ngroups int) float32

//go:noescape
func q4_0DotILSDOT(w *byte, qs *byte, d *float32, ngroups int) float32

//go:noescape
func q4_0DotILNEON(w *byte, qs *byte, d *float32, ngroups int) float32

//go:noescape
func f32DotNEON(w *byte, x *float32, n int) float32

//go:noescape
func f16DotNEON(w *byte, x *float32, n int) float32

//go:noescape
func bf16DotNEON(w *byte, x *float32, n int) float32

//go:noescape
func readSumNEON(p *byte, n int) uint64

// pick returns the dot-product variant of a kernel at NEONDot and the
// plain one at NEON; it reports false at Generic.
func pick[F any](sdot, neon F) (F, bool) {
	switch level {
	case NEONDot:
		return sdot, true
	case NEON:
		return neon, true
	}
	return neon, false
}

func dotQ8_0(w []byte, a *q8Act, tok int) float32 {
	qs, d, _ := a.tok(tok)
	ng := a.nb / 4
	k, ok := pick(q8_0DotSDOT, q8_0DotNEON)
	if ng == 0 || !ok {
		return dotQ8_0Go(w, qs, d, 0, a.nb)
	}
	s := k(&w[0], &qs[0], &d[0], ng)
	if 4*ng < a.nb {
		s += dotQ8_0Go(w, qs, d, 4*ng, a.nb)
	}
	return s
}

func dotQ4_0(w []byte, a *q8Act, tok int) float32 {
	qs, d, _ := a.tok(tok)
	ng := a.nb / 4
	k, ok := pick(q4_0DotILSDOT, q4_0DotILNEON)
	if ng == 0 || !ok || !a.interlv { // the kernel reads interleaved pairs, MatMul's layout for Q4_0
		return dotQ4_0Go(w, qs, d, 0, a.nb, a.interlv)
	}
	s := k(&w[0], &qs[0], &d[0], ng)
	if 4*ng < a.nb {
		// Groups hold whole pairs, so the rest keeps its own pairing.
		s += dotQ4_0Go(w, qs, d, 4*ng, a.nb, a.interlv)
	}
	return s
}

// floatDot runs the vector kernel over the longest prefix of 16 elements
// it handles and the rest in Go. es is the weight element size in bytes.
func floatDot(w []byte, x []float32, es int, k func(*byte, *float32, int) float32, tail func([]byte, []float32) float32) float32 {
	var n int
	var s float32
	if level >= NEON {
		n = len(x) &^ 15
		if n > 0 {
			s = k(&w[0], &x[0], n)
		}
	}
	if n < len(x) {
		s += tail(w[n*es:], x[n:])
	}
	return s
}

func dotF32(w []byte, x []float32) float32  { return floatDot(w, x, 4, f32DotNEON, dotF32Go) }
func dotF16(w []byte, x []float32) float32  { return floatDot(w, x, 2, f16DotNEON, dotF16Go) }
func dotBF16(w []byte, x []float32) float32 { return floatDot(w, x, 2, bf16DotNEON, dotBF16Go) }

// readSum XORs b (len(b) % 256 == 0) into a checksum as fast as memory allows.
func readSum(b []byte) uint64 {
	if level >= NEON && len(b) >= 64 && len(b)%64 == 0 {
		return readSumNEON(&b[0], len(b))
	}
	return readSumGo(b)
}

// readSum2 reads equal-length a and b at once, as two memory streams.
func readSum2(a, b []byte) uint64 { return readSum2Blocks(a, b) }

// dotF32Floats is the float32 dot product of equal-length a and b.
func dotF32Floats(a, b []float32) float32 {
	if len(a) == 0 {
		return 0
	}
	w := unsafe.Slice((*byte)(unsafe.Pointer(&a[0])), 4*len(a))
	return dotF32(w, b)
}

//go:noescape
func q8_0DotX4SDOT(w *byte, qs *byte, d *float32, nb int, qsStride, dStride int, out *[4]float32)

//go:noescape
func q8_0DotX4NEON(w *byte, qs *byte, d *float32, nb int, qsStride, dStride int, out *[4]float32)

//go:noescape
func q4_0DotILX4SDOT(w *byte, qs *byte, d *float32, npairs int, qsStride, dStride int, out *[4]float32)

//go:noescape
func q4_0DotILX4NEON(w *byte, qs *byte, d *float32, npairs int, qsStride, dStride int, out *[4]float32)

// dotQ8x4 computes the dots of one Q8_0 or Q4_0 row with tokens tok..tok+3
// into out, when a four-token kernel exists for this level; it reports
// whether it did.
func dotQ8x4(t tensor.DType, w []byte, a *q8Act, tok int, out *[4]float32) bool {
	if level < NEON {
		return false
	}
	qs, d, _ := a.tok(tok)
	qsStride, dStride := a.nbp*32, a.nbp*4
	// Direct calls: out must not escape, which an indirect call would force.
	switch {
	case t == tensor.Q8_0 && a.nb > 0:
		if level == NEONDot {
			q8_0DotX4SDOT(&w[0], &qs[0], &d[0], a.nb, qsStride, dStride, out)
		} else {
			q8_0DotX4NEON(&w[0], &qs[0], &d[0], a.nb, qsStride, dStride, out)
		}
	case t == tensor.Q4_0 && a.nb >= 2 && a.interlv:
		if level == NEONDot {
			q4_0DotILX4SDOT(&w[0], &qs[0], &d[0], a.nb/2, qsStride, dStride, out)
		} else {
			q4_0DotILX4NEON(&w[0], &qs[0], &d[0], a.nb/2, qsStride, dStride, out)
		}
		addOddBlockX4(t, w, a, tok, out) // a.interlv holds here
	default:
		return false
	}
	return true
}

//go:noescape
func f16DotX4NEON(w *byte, x *float32, n int, xStride int, out *[4]float32)

// dotF16x4 computes one F16 row against tokens x[0:cols], x[cols:2cols], …
// (four of them) into out when the level has the four-token kernel.
func dotF16x4(w []byte, x []float32, cols int, out *[4]float32) bool {
	n := cols &^ 15
	if level < NEON || n == 0 {
		return false
	}
	_ = w[2*cols-1]
	_ = x[4*cols-1]
	f16DotX4NEON(&w[0], &x[0], n, 4*cols, out)
	if n < cols {
		for k := range 4 {
			out[k] += dotF16Go(w[2*n:], x[k*cols+n:(k+1)*cols])
		}
	}
	return true
}

//go:noescape
func quantQ8_0NEON(x *float32, nb int, npaired int, qs *byte, d *float32, corr *int32, negOff int32)

// quantizeTokenFast fills token b of a with the vector quantizer when the
// level allows; it reports whether it did.
func (a *q8Act) quantizeTokenFast(b int, x []float32, off int32) bool {
	if level < NEON || a.nb == 0 {
		return false
	}
	nb, nbp := a.nb, a.nbp
	qs := a.qs[b*nbp*32 : (b+1)*nbp*32]
	d := a.d[b*nbp : (b+1)*nbp]
	corr := a.corr[b*nbp*8 : (b+1)*nbp*8]
	_ = x[32*nb-1]
	if nb < nbp {
		d[nb] = 0
		clear(qs[nb*32:])
		clear(corr[nb*8:])
	}
	npaired := 0
	if a.interlv {
		npaired = nb &^ 1
	}
	quantQ8_0NEON(&x[0], nb, npaired, &qs[0], &d[0], &corr[0], -off)
	return true
}

//go:noescape
func quantQ8KNEON(x *float32, nb int, y *byte)

//go:noescape
func quantQ8FileNEON(x *float32, nb int, y *byte, bs int)

// quantizeVecDot quantizes x into y as type t (tensor.VecDotType of a
// weight), bit-identical to tensor.Quantize.
func quantizeVecDot(t tensor.DType, x []float32, y []byte) {
	if t == tensor.Q8_K && level >= NEON && len(x) >= 256 {
		nb := len(x) / 256
		_ = y[292*nb-1]
		quantQ8KNEON(&x[0], nb, &y[0])
		return
	}
	if (t == tensor.Q8_0 || t == tensor.Q8_1) && level >= NEON && len(x) >= 32 {
		nb, bs := len(x)/32, t.TypeSize()
		_ = y[bs*nb-1]
		quantQ8FileNEON(&x[0], nb, &y[0], bs)
		return
	}
	_ = tensor.Quantize(t, x, y) // sizes were checked by MatMul
}
