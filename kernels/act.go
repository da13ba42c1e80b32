package kernels

import (
	"github.com/nuri-ai/nuri/tensor"
)

// q8Act is a batch of activation rows quantized to GGML's Q8_0 (the same
// bytes tensor.Quantize(Q8_0, ...) makes) but stored in a compact layout the
// SIMD kernels read without unpacking:
//
//   - qs: the int8 quants of each token, 32 per block. For weights whose
//     kernels unpack two blocks into one 64-byte vector (Q4_0), each pair of
//     blocks (2k, 2k+1) is stored interleaved as x[2k][0:16], x[2k+1][0:16],
//     x[2k][16:32], x[2k+1][16:32]; a final unpaired block keeps its order.
//   - corr: per block pair, 16 int32: -off times the sum of each group of four
//     consecutive stored quants. A kernel that multiplies unsigned weights
//     (q + off) with these quants adds corr to undo the offset exactly.
//   - d: the fp16 scale of each block, widened to float32.
type q8Act struct {
	n, nb   int // tokens, blocks per token
	nbp     int // blocks per token rounded up to even
	qs      []byte
	corr    []int32
	d       []float32
	raw     []byte // one token quantized by tensor.Quantize
	interlv bool
}

// prepare sizes a for n tokens of cols elements (cols%32 == 0) in the
// paired (interleave) or natural layout; quantizeToken then fills each token.
func (a *q8Act) prepare(n, cols int, interleave bool) {
	nb := cols / 32
	nbp := (nb + 1) &^ 1
	a.n, a.nb, a.nbp, a.interlv = n, nb, nbp, interleave
	a.qs = grow(a.qs, n*nbp*32)
	a.corr = grow(a.corr, n*nbp*8)
	a.d = grow(a.d, n*nbp+4) // +4: kernels may read a whole 16-byte vector of scales
	a.raw = grow(a.raw, nb*34)
}

// quantizeToken quantizes token b from x into a, using raw (cols/32*34
// bytes) as workspace; off is the offset the corrections undo.
func (a *q8Act) quantizeToken(b int, x []float32, raw []byte, off int32) {
	// Quantize only fails on mismatched lengths, which the caller rules out.
	_ = tensor.Quantize(tensor.Q8_0, x, raw)
	nb, nbp := a.nb, a.nbp
	qs := a.qs[b*nbp*32 : (b+1)*nbp*32]
	d := a.d[b*nbp : (b+1)*nbp]
	for i := 0; i < nb; i++ {
		d[i] = tensor.F16ToF32(le16(raw[34*i:]))
	}
	if nb < nbp {
		d[nb] = 0
		clear(qs[nb*32:])
	}
	for i := 0; i < nb; i += 2 {
		src := raw[34*i+2 : 34*i+34]
		dst := qs[32*i : 32*i+64]
		if !a.interlv || i+1 >= nb {
			copy(dst, src)
			if i+1 < nb {
				copy(dst[32:], raw[34*(i+1)+2:34*(i+1)+34])
			}
			continue
		}
		src1 := raw[34*(i+1)+2 : 34*(i+1)+34]
		copy(dst[0:16], src[0:16])
		copy(dst[16:32], src1[0:16])
		copy(dst[32:48], src[16:32])
		copy(dst[48:64], src1[16:32])
	}
	corr := a.corr[b*nbp*8 : (b+1)*nbp*8]
	for k := range corr {
		q := qs[4*k : 4*k+4]
		s := int32(int8(q[0])) + int32(int8(q[1])) + int32(int8(q[2])) + int32(int8(q[3]))
		corr[k] = -off * s
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
