package kernels

import (
	"math"

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
}

// quantizeToken quantizes token b from x (cols floats) into a, producing
// the same quants and scales as tensor.Quantize(Q8_0, ...); off is the
// offset the corrections undo.
func (a *q8Act) quantizeToken(b int, x []float32, off int32) {
	if a.quantizeTokenFast(b, x, off) {
		return
	}
	nb, nbp := a.nb, a.nbp
	qs := a.qs[b*nbp*32 : (b+1)*nbp*32]
	d := a.d[b*nbp : (b+1)*nbp]
	corr := a.corr[b*nbp*8 : (b+1)*nbp*8]
	if nb < nbp {
		d[nb] = 0
		clear(qs[nb*32:])
		clear(corr[nb*8:])
	}
	var blk [32]byte
	for i := 0; i < nb; i++ {
		d[i] = quantBlockQ8(x[32*i:32*i+32], &blk)
		// Destination of elements 0..15 and 16..31 of this block.
		lo, hi := qs[32*i:32*i+16], qs[32*i+16:32*i+32]
		if a.interlv && (i%2 == 1 || i+1 < nb) {
			base := (i &^ 1) * 32
			k := (i & 1) * 16
			lo, hi = qs[base+k:base+k+16], qs[base+32+k:base+32+k+16]
		}
		copy(lo, blk[:16])
		copy(hi, blk[16:])
	}
	for k := 0; k < nb*8; k++ {
		q := qs[4*k : 4*k+4]
		s := int32(int8(q[0])) + int32(int8(q[1])) + int32(int8(q[2])) + int32(int8(q[3]))
		corr[k] = -off * s
	}
}

// quantBlockQ8 quantizes one block of 32 values as GGML's
// quantize_row_q8_0_ref does (d = max|x|/127 rounded to fp16; q =
// round-half-away(x · (1/d)) in float32 with the unrounded d) into q, and
// returns the fp16-rounded scale.
func quantBlockQ8(xb []float32, q *[32]byte) float32 {
	// max|x| by comparing magnitude bits (monotonic for finite floats).
	var amaxBits uint32
	for _, v := range xb[:32] {
		amaxBits = max(amaxBits, math.Float32bits(v)&^(1<<31))
	}
	dv := math.Float32frombits(amaxBits) / 127
	var id float32
	if dv != 0 {
		id = 1 / dv
	}
	for j, v := range xb[:32] {
		q[j] = byte(roundAway(v * id))
	}
	return tensor.F16ToF32(tensor.F32ToF16(dv))
}

// roundAway rounds to the nearest integer, halves away from zero (C's
// roundf), for |v| well inside the int8 range: it adds ±0.5 with v's sign
// (exact in float64) and truncates, without a data-dependent branch.
func roundAway(v float32) int8 {
	half := math.Float64frombits(0x3fe0000000000000 | uint64(math.Float32bits(v)>>31)<<63)
	return int8(int32(float64(v) + half))
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// q8KBlockSums fills the 16 int16 sums of 16 quants of each of nb Q8_K
// blocks in y.
func q8KBlockSums(y []byte, nb int) {
	for i := 0; i < nb; i++ {
		blk := y[292*i : 292*i+292]
		qs := blk[4:260]
		for j := 0; j < 16; j++ {
			var s int32
			for _, q := range qs[16*j : 16*j+16] {
				s += int32(int8(q))
			}
			blk[260+2*j] = byte(s)
			blk[261+2*j] = byte(s >> 8)
		}
	}
}
