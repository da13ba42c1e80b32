package kernels

import (
	"encoding/binary"

	"github.com/nuri-ai/nuri/tensor"
)

// The x16 layout: weights and activations transposed by 16 blocks.
//
// A 512-bit VPDPBUSD adds four byte products into each of 16 int32 lanes.
// When lane i only ever sees block i of a group of 16 blocks (a "super
// group" of 512 values), eight VPDPBUSDs finish 16 block sums at once and
// one float multiply-add applies the 16 block scales: no per-lane scale
// shuffling, no horizontal sums per block, and one correction word per block
// instead of one per four values. Prepare rewrites Q4_0 and Q8_0 weights
// whose rows are a multiple of 512 values into this layout (same bytes per
// row), and MatMul quantizes activations to match:
//
//   - vector u (0..7) of a super group holds, in lane i (4 bytes), values
//     e(u)..e(u)+3 of block i, with e(u) = 16·(u%2) + 4·(u/2);
//   - Q4_0 rows: 256 bytes per super group, part m (0..3) is 64 bytes whose
//     lane i is bytes 4m..4m+3 of block i's quants as the file stores them
//     (low nibbles: values 4m.., vector u = 2m; high nibbles: values
//     16+4m.., vector u = 2m+1);
//   - Q8_0 rows: 512 bytes per super group, vector u as above, each quant
//     stored as q+128 (an unsigned byte);
//   - both put the row's fp16 block scales first, so a row is read front to
//     back in one stream (scales at the end cost a cache miss per row);
//   - activations: the Q8_0 quants of a token in the vector order above, the
//     correction -off·Σq per block (off = 8 for Q4_0, 128 for Q8_0), and the
//     block scales widened to float32.
//
// The integer block sums are exact, so results differ from GGML's only by
// the order of float32 additions.

// x16Group is the number of values in one super group.
const x16Group = 512

// x16Offset is the value offset e(u) of vector u.
func x16Offset(u int) int { return 16*(u%2) + 4*(u/2) }

// x16Act is a batch of activation rows quantized for x16 weights.
type x16Act struct {
	nb   int
	off  int32
	k    bool      // Q8_K activations for K-quant weights (x16k.go)
	qs   []byte    // n·nb·32
	corr []int32   // n·nb
	d    []float32 // n·nb
	kbuf []byte    // n Q8_K rows, when k
	half []int32   // n·2·nb, when k (see quantizeKToken)
}

// prepare sizes a for n tokens of cols values: Q8_0 activations with
// correction offset off, or, when off is 0, Q8_K activations.
func (a *x16Act) prepare(n, cols int, off int32) {
	a.nb, a.off, a.k = cols/32, off, off == 0
	a.qs = grow(a.qs, n*a.nb*32)
	a.corr = grow(a.corr, n*a.nb)
	a.d = grow(a.d, n*a.nb)
	if a.k {
		a.kbuf = grow(a.kbuf, n*292*(cols/256))
		a.half = grow(a.half, n*2*a.nb)
	}
}

// x16ActOff is the correction offset of the activations x16 weights of type
// t take: 8 for Q4_0 and 128 for Q8_0 (see quantizeToken), 0 for the
// K-quants, whose activations are Q8_K.
func x16ActOff(t tensor.DType) int32 {
	switch t {
	case tensor.Q4_0:
		return 8
	case tensor.Q8_0:
		return 128
	}
	return 0
}

// tokens is how many tokens a has room for.
func (a *x16Act) tokens() int {
	if a.nb == 0 {
		return 0
	}
	return len(a.d) / a.nb
}

// tok returns token b's quants, corrections and scales.
func (a *x16Act) tok(b int) (qs []byte, corr []int32, d []float32) {
	nb := a.nb
	return a.qs[b*nb*32 : (b+1)*nb*32], a.corr[b*nb : (b+1)*nb], a.d[b*nb : (b+1)*nb]
}

// quantizeToken quantizes x (nb·32 floats) as token b, with the quants and
// scales of tensor.Quantize(Q8_0, ...) in the x16 order.
func (a *x16Act) quantizeToken(b int, x []float32) {
	if a.k {
		a.quantizeKToken(b, x)
		return
	}
	if a.quantizeFast(b, x) {
		return
	}
	qs, corr, d := a.tok(b)
	var blk [32]byte
	for i := 0; i < a.nb; i++ {
		d[i] = quantBlockQ8(x[32*i:32*i+32], &blk)
		corr[i] = -a.off * blockSum(blk[:])
		x16Scatter(qs, blk[:], i)
	}
}

func blockSum(q []byte) int32 {
	var s int32
	for _, v := range q {
		s += int32(int8(v))
	}
	return s
}

// x16Scatter stores the 32 natural-order bytes of block i into an x16
// activation row.
func x16Scatter(dst, blk []byte, i int) {
	base := (i / 16) * x16Group
	lane := 4 * (i % 16)
	for u := 0; u < 8; u++ {
		e := x16Offset(u)
		copy(dst[base+64*u+lane:base+64*u+lane+4], blk[e:e+4])
	}
}

// packX16Row rewrites one Q4_0, Q8_0, Q4_K, Q5_K or Q6_K row of nb 32-value
// blocks (nb%16 == 0) from the file layout (src) into the x16 layout (dst,
// same length). For Q4_0 and Q8_0 it moves whole 4-byte words: every word
// of a block's quants lands in one lane.
func packX16Row(t tensor.DType, dst, src []byte, nb int) {
	ds := dst[:2*nb]
	qs := dst[2*nb:]
	switch t {
	case tensor.Q4_K, tensor.Q5_K:
		packX16Q45KRow(dst, src, nb/16, t == tensor.Q5_K)
	case tensor.Q6_K:
		packX16Q6KRow(dst, src, nb/16)
	case tensor.Q4_0:
		for i := 0; i < nb; i++ {
			blk := src[18*i : 18*i+18]
			ds[2*i], ds[2*i+1] = blk[0], blk[1]
			at := (i/16)*256 + 4*(i%16)
			for m := 0; m < 4; m++ {
				copy(qs[at+64*m:at+64*m+4], blk[2+4*m:2+4*m+4])
			}
		}
	case tensor.Q8_0:
		for i := 0; i < nb; i++ {
			blk := src[34*i : 34*i+34]
			ds[2*i], ds[2*i+1] = blk[0], blk[1]
			at := (i/16)*x16Group + 4*(i%16)
			for u := 0; u < 8; u++ {
				e := 2 + x16Offset(u)
				w := binary.LittleEndian.Uint32(blk[e:e+4]) ^ 0x80808080
				binary.LittleEndian.PutUint32(qs[at+64*u:at+64*u+4], w)
			}
		}
	}
}

// dotX16Go is the portable dot product of one x16 row (Q4_0 or Q8_0) with
// one token of x16 activations; the assembly kernels compute the same
// integer sums.
func dotX16Go(t tensor.DType, w []byte, qs []byte, corr []int32, d []float32, nb int) float32 {
	ws, wq := w[:2*nb], w[2*nb:]
	var sum float32
	for g := 0; g < nb/16; g++ {
		for i := 0; i < 16; i++ {
			b := 16*g + i
			s := corr[b]
			for u := 0; u < 8; u++ {
				x := qs[g*x16Group+64*u+4*i:]
				var wv [4]int32
				if t == tensor.Q8_0 {
					for j := range wv {
						wv[j] = int32(wq[g*x16Group+64*u+4*i+j])
					}
				} else {
					shift := uint(4 * (u % 2))
					for j := range wv {
						wv[j] = int32(wq[g*256+64*(u/2)+4*i+j] >> shift & 15)
					}
				}
				for j := range wv {
					s += wv[j] * int32(int8(x[j]))
				}
			}
			sum += float32(s) * (tensor.F16ToF32(le16(ws[2*b:])) * d[b])
		}
	}
	return sum
}

// dequantX16Row widens one x16 row of nb blocks into dst with the values of
// tensor.Dequantize for the file layout.
func dequantX16Row(t tensor.DType, dst []float32, row []byte, nb int) {
	switch t {
	case tensor.Q4_K, tensor.Q5_K:
		dequantX16Q45KRow(dst, row, nb/16, t == tensor.Q5_K)
		return
	case tensor.Q6_K:
		dequantX16Q6KRow(dst, row, nb/16)
		return
	}
	ws, wq := row[:2*nb], row[2*nb:]
	for i := 0; i < nb; i++ {
		d := tensor.F16ToF32(le16(ws[2*i:]))
		out := dst[32*i : 32*i+32]
		lane := 4 * (i % 16)
		if t == tensor.Q8_0 {
			base := (i / 16) * x16Group
			for u := 0; u < 8; u++ {
				e := x16Offset(u)
				for j := 0; j < 4; j++ {
					out[e+j] = float32(int8(wq[base+64*u+lane+j]^0x80)) * d
				}
			}
			continue
		}
		base := (i / 16) * 256
		for m := 0; m < 4; m++ {
			for j := 0; j < 4; j++ {
				b := wq[base+64*m+lane+j]
				out[4*m+j] = float32(int32(b&15)-8) * d
				out[16+4*m+j] = float32(int32(b>>4)-8) * d
			}
		}
	}
}
