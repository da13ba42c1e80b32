package kernels

import (
	"encoding/binary"
	"math"

	"github.com/nuri-ai/nuri/tensor"
)

// The x16 layout for Q4_K (see x16.go for the idea).
//
// A Q4_K block holds 256 weights in eight sub-blocks of 32, each with a
// 6-bit scale and a 6-bit min, and the block an fp16 d and dmin. Two blocks
// make a super group of 512 values, and lane i of a 512-bit vector takes
// sub-block i (0..7 from the first block, 8..15 from the second), so the
// integer sums of the sixteen sub-blocks finish together and their scales
// apply lane by lane, as for Q4_0. A row of 2·nsg blocks keeps its 144·2·nsg
// bytes: first a 32-byte header per super group, then the quants.
//
//   - header bytes 0..7: d and dmin of the first block, then of the second
//     (fp16);
//   - bytes 8..23: lane i's byte holds the low four bits of its scale (low
//     nibble) and of its min (high nibble);
//   - bytes 24..31: two little-endian words of 4-bit fields with the top two
//     bits of the scale (bits 0..1) and of the min (bits 2..3): the even
//     lanes 2k in the first word at bits 4k.., the odd lanes in the second
//     (so a broadcast of the 64 bits puts each lane's field in its own word);
//   - quants: 256 bytes per super group arranged as x16 Q4_0 arranges a
//     group's quants, lane i's four bytes of part m holding values 4m..4m+3
//     of sub-block i in their low nibbles and 16+4m.. in their high nibbles.
//
// Q5_K is laid out the same way with, after each super group's 256 quant
// bytes, 64 bytes of fifth bits: lane i's byte t holds at bit u the fifth
// bit of value e(u)+t (rows keep their 176·2·nsg bytes: 32 + 256 + 64 per
// super group).
//
// Activations are Q8_K (one scale per 256 values) with the quants in the x16
// order; x16Act.d holds, per sub-block, the scale of the Q8_K block it lies
// in and x16Act.corr the sum of its 32 quants (for the min term). Per super
// group a lane adds (Σq·x·d·sc − Σx·dmin·m)·dx: the integer sums are those
// of GGML, the float rounding differs only by the order of additions.

// x16KHeader is the header size of one super group.
const x16KHeader = 32

// x16KQuants is the quant bytes per super group of x16 Q4_K (five false)
// or Q5_K (five true).
func x16KQuants(five bool) int {
	if five {
		return 320
	}
	return 256
}

// packX16Q45KRow rewrites one Q4_K (five false) or Q5_K row of 2·nsg blocks
// from the file layout (src) into the x16 layout (dst, same length). The
// quants move as 32-bit words (four values of one lane at a time): loading
// a large model repacks every K-quant matrix, so this runs over gigabytes.
func packX16Q45KRow(dst, src []byte, nsg int, five bool) {
	bs, qsOff, nq := 144, 16, x16KQuants(five)
	if five {
		bs, qsOff = 176, 48
	}
	le := binary.LittleEndian
	hdrs, qs := dst[:x16KHeader*nsg], dst[x16KHeader*nsg:]
	for g := 0; g < nsg; g++ {
		h := hdrs[x16KHeader*g : x16KHeader*(g+1)]
		q := qs[nq*g : nq*(g+1)]
		var hi [2]uint32
		for b := 0; b < 2; b++ {
			blk := src[bs*(2*g+b) : bs*(2*g+b+1)]
			copy(h[4*b:4*b+4], blk[:4])
			for j := 0; j < 8; j++ {
				i := 8*b + j
				sc, m := scaleMinQ4K(j, blk[4:16])
				h[8+i] = sc&15 | (m&15)<<4
				hi[i%2] |= uint32(sc>>4|(m>>4)<<2) << (4 * (i / 2))
				src4 := blk[qsOff+32*(j/2) : qsOff+32*(j/2)+32]
				shift := 4 * uint(j%2)
				for m := 0; m < 4; m++ {
					lo := le.Uint32(src4[4*m:]) >> shift & 0x0f0f0f0f
					up := le.Uint32(src4[16+4*m:]) >> shift & 0x0f0f0f0f
					le.PutUint32(q[64*m+4*i:], lo|up<<4)
				}
				if five {
					qh := blk[16:48]
					var fifth uint32
					for u := 0; u < 8; u++ {
						fifth |= (le.Uint32(qh[x16Offset(u):]) >> uint(j) & 0x01010101) << uint(u)
					}
					le.PutUint32(q[256+4*i:], fifth)
				}
			}
		}
		le.PutUint32(h[24:], hi[0])
		le.PutUint32(h[28:], hi[1])
	}
}

// scaleMinQ4K extracts sub-block j's 6-bit scale and min from a Q4_K
// block's 12 scale bytes.
func scaleMinQ4K(j int, s []byte) (sc, m byte) {
	if j < 4 {
		return s[j] & 63, s[j+4] & 63
	}
	return s[j+4]&15 | (s[j-4]>>6)<<4, s[j+4]>>4 | (s[j]>>6)<<4
}

// x16KLane reads lane i's scale and min from a super group header.
func x16KLane(h []byte, i int) (sc, m int32) {
	word := binary.LittleEndian.Uint32(h[24+4*(i%2):])
	f := word >> (4 * uint(i/2)) & 15
	return int32(h[8+i]&15 | byte(f&3)<<4), int32(h[8+i]>>4 | byte(f>>2)<<4)
}

// x16KQuant is the quant (0..15, or 0..31 when five) of value k (0..31) of
// lane i in a super group's quant bytes.
func x16KQuant(q []byte, i, k int, five bool) int32 {
	m, t := (k%16)/4, k%4
	b := q[64*m+4*i+t]
	if k >= 16 {
		b >>= 4
	}
	v := int32(b & 15)
	if five {
		u := 2*m + k/16
		v |= int32(q[256+4*i+t]>>uint(u)&1) << 4
	}
	return v
}

// dotX16Q45KGo is the portable dot product of one x16 Q4_K (five false) or
// Q5_K row (nsg super groups) with one token of x16 Q8_K activations.
func dotX16Q45KGo(w []byte, qs []byte, corr []int32, d []float32, nsg int, five bool) float32 {
	nq := x16KQuants(five)
	hdrs, wq := w[:x16KHeader*nsg], w[x16KHeader*nsg:]
	var lanes [16]float32
	for g := 0; g < nsg; g++ {
		h := hdrs[x16KHeader*g : x16KHeader*(g+1)]
		q := wq[nq*g : nq*(g+1)]
		x := qs[x16Group*g : x16Group*(g+1)]
		for i := 0; i < 16; i++ {
			var s int32
			for u := 0; u < 8; u++ {
				e := x16Offset(u)
				for t := 0; t < 4; t++ {
					s += x16KQuant(q, i, e+t, five) * int32(int8(x[64*u+4*i+t]))
				}
			}
			sc, m := x16KLane(h, i)
			db := tensor.F16ToF32(le16(h[4*(i/8):]))
			dm := tensor.F16ToF32(le16(h[4*(i/8)+2:]))
			b := 16*g + i
			v := float32(s)*(float32(sc)*db) - float32(corr[b])*(float32(m)*dm)
			lanes[i] += v * d[b]
		}
	}
	var sum float32
	for _, v := range lanes {
		sum += v
	}
	return sum
}

// dequantX16Q45KRow widens one x16 Q4_K (five false) or Q5_K row of nsg
// super groups into dst with the values tensor.Dequantize gives for the
// file layout.
func dequantX16Q45KRow(dst []float32, row []byte, nsg int, five bool) {
	nq := x16KQuants(five)
	hdrs, wq := row[:x16KHeader*nsg], row[x16KHeader*nsg:]
	for g := 0; g < nsg; g++ {
		h := hdrs[x16KHeader*g : x16KHeader*(g+1)]
		q := wq[nq*g : nq*(g+1)]
		for i := 0; i < 16; i++ {
			sc, m := x16KLane(h, i)
			d := tensor.F16ToF32(le16(h[4*(i/8):])) * float32(sc)
			mn := tensor.F16ToF32(le16(h[4*(i/8)+2:])) * float32(m)
			out := dst[x16Group*g+32*i : x16Group*g+32*i+32]
			for k := range out {
				out[k] = float32(d*float32(x16KQuant(q, i, k, five))) - mn
			}
		}
	}
}

// quantizeKToken quantizes x (nb·32 floats, nb a multiple of 16) as token b
// of K-quant activations: tensor.Quantize's Q8_K quants in the x16 order,
// each sub-block's Q8_K scale and the sum of its quants, and for Q6_K −32
// times the sums of its halves (per super group, the 16 first halves, then
// the 16 last).
func (a *x16Act) quantizeKToken(b int, x []float32) {
	if a.quantizeKFast(b, x) {
		return
	}
	qs, corr, d := a.tok(b)
	half := a.half[b*2*a.nb : (b+1)*2*a.nb]
	nsb := a.nb / 8
	buf := a.kbuf[b*292*nsb : (b+1)*292*nsb]
	quantizeVecDot(tensor.Q8_K, x[:256*nsb], buf)
	for k := 0; k < nsb; k++ {
		blk := buf[292*k : 292*(k+1)]
		dx := math.Float32frombits(binary.LittleEndian.Uint32(blk))
		for j := 0; j < 8; j++ {
			i := 8*k + j
			d[i] = dx
			ha, hb := int32(int16(le16(blk[260+4*j:]))), int32(int16(le16(blk[262+4*j:])))
			corr[i] = ha + hb
			half[32*(i/16)+i%16], half[32*(i/16)+16+i%16] = -32*ha, -32*hb
			x16Scatter(qs, blk[4+32*j:4+32*j+32], i)
		}
	}
}

// The x16 layout for Q6_K.
//
// A Q6_K block holds 256 6-bit weights with an int8 scale per 16 and an
// fp16 d. As for Q4_K, two blocks make a super group and lane i takes 32
// values: sub-block i, whose two halves have their own scales. The even
// vectors u of the x16 order hold a lane's first 16 values and the odd ones
// its last 16, so the kernels sum the halves apart and scale each. A row of
// 2·nsg blocks keeps its 210·2·nsg bytes: a 36-byte header per super group,
// then 384 bytes of quants per super group.
//
//   - header bytes 0..3: d of the first and of the second block (fp16);
//     bytes 4..19: lane i's scale for its first half (int8); bytes 20..35:
//     for its last half;
//   - quants 0..255: the low four bits, arranged as x16 Q4_0 arranges its
//     quants; quants 256..383: two 64-byte parts of top bits, lane i's byte t
//     of part p holding, at bits 2k..2k+1, the top two bits of value
//     e(4p+k)+t (see x16Offset).
//
// The stored quants are q+32 (0..63, unsigned for VPDPBUSD); the activations
// carry −32 times each half's quant sum (x16Act.half) to take the offset
// back, and the integer sums are then those of GGML.

// x16KHeader6 is the header size of one Q6_K super group.
const x16KHeader6 = 36

// packX16Q6KRow rewrites one Q6_K row of 2·nsg blocks from the file layout
// (src) into the x16 layout (dst, same length). Each block is first widened
// to its 256 six-bit quants in natural order, eight at a time, which then
// move as 32-bit words (four values of one lane).
func packX16Q6KRow(dst, src []byte, nsg int) {
	le := binary.LittleEndian
	hdrs, qs := dst[:x16KHeader6*nsg], dst[x16KHeader6*nsg:]
	var vals [256]byte
	for g := 0; g < nsg; g++ {
		h := hdrs[x16KHeader6*g : x16KHeader6*(g+1)]
		q := qs[384*g : 384*(g+1)]
		for b := 0; b < 2; b++ {
			blk := src[210*(2*g+b) : 210*(2*g+b+1)]
			copy(h[2*b:2*b+2], blk[208:210])
			q6kWiden(&vals, blk)
			for j := 0; j < 8; j++ {
				i := 8*b + j
				h[4+i], h[20+i] = blk[192+2*j], blk[192+2*j+1]
				v := vals[32*j : 32*j+32]
				for m := 0; m < 4; m++ {
					lo := le.Uint32(v[4*m:]) & 0x0f0f0f0f
					up := le.Uint32(v[16+4*m:]) & 0x0f0f0f0f
					le.PutUint32(q[64*m+4*i:], lo|up<<4)
				}
				for k := 0; k < 2; k++ { // top bits of u = 4k..4k+3
					var top uint32
					for u := 4 * k; u < 4*k+4; u++ {
						top |= (le.Uint32(v[x16Offset(u):]) >> 4 & 0x03030303) << (2 * uint(u%4))
					}
					le.PutUint32(q[256+64*k+4*i:], top)
				}
			}
		}
	}
}

// q6kWiden writes the 256 quants (0..63) of a Q6_K block in natural order.
// Value 32k+l of each half of 128 (k = 0..3, l = 0..31) has the low (k < 2)
// or high nibble of ql[l+32·(k%2)] as its low four bits and bits 2k, 2k+1
// of qh[l] as its top two; eight values are widened at a time.
func q6kWiden(vals *[256]byte, blk []byte) {
	le := binary.LittleEndian
	for n := 0; n < 2; n++ {
		ql, qh := blk[64*n:64*n+64], blk[128+32*n:128+32*n+32]
		out := vals[128*n : 128*n+128]
		for l := 0; l < 32; l += 8 {
			a, c := le.Uint64(ql[l:]), le.Uint64(ql[32+l:])
			hb := le.Uint64(qh[l:])
			const m4, m2 = 0x0f0f0f0f0f0f0f0f, 0x0303030303030303
			le.PutUint64(out[l:], a&m4|(hb&m2)<<4)
			le.PutUint64(out[32+l:], c&m4|(hb>>2&m2)<<4)
			le.PutUint64(out[64+l:], a>>4&m4|(hb>>4&m2)<<4)
			le.PutUint64(out[96+l:], c>>4&m4|(hb>>6&m2)<<4)
		}
	}
}

// x16K6Quant is the stored quant (0..63) of value k of lane i in a Q6_K
// super group's 384 quant bytes.
func x16K6Quant(q []byte, i, k int) int32 {
	u := 2*((k%16)/4) + k/16
	t := k % 4
	lo := q[64*(u/2)+4*i+t]
	if u%2 == 1 {
		lo >>= 4
	}
	hi := q[256+64*(u/4)+4*i+t] >> (2 * uint(u%4)) & 3
	return int32(lo&15 | hi<<4)
}

// dotX16Q6KGo is the portable dot product of one x16 Q6_K row (nsg super
// groups) with one token of x16 Q8_K activations.
func dotX16Q6KGo(w []byte, qs []byte, half []int32, d []float32, nsg int) float32 {
	hdrs, wq := w[:x16KHeader6*nsg], w[x16KHeader6*nsg:]
	var lanes [16]float32
	for g := 0; g < nsg; g++ {
		h := hdrs[x16KHeader6*g : x16KHeader6*(g+1)]
		q := wq[384*g : 384*(g+1)]
		x := qs[x16Group*g : x16Group*(g+1)]
		for i := 0; i < 16; i++ {
			sa, sb := half[32*g+i], half[32*g+16+i]
			for u := 0; u < 8; u++ {
				e := x16Offset(u)
				for t := 0; t < 4; t++ {
					p := x16K6Quant(q, i, e+t) * int32(int8(x[64*u+4*i+t]))
					if u%2 == 0 {
						sa += p
					} else {
						sb += p
					}
				}
			}
			s := sa*int32(int8(h[4+i])) + sb*int32(int8(h[20+i]))
			lanes[i] += float32(s) * (tensor.F16ToF32(le16(h[2*(i/8):])) * d[16*g+i])
		}
	}
	var sum float32
	for _, v := range lanes {
		sum += v
	}
	return sum
}

// dequantX16Q6KRow widens one x16 Q6_K row of nsg super groups into dst with
// the values tensor.Dequantize gives for the file layout.
func dequantX16Q6KRow(dst []float32, row []byte, nsg int) {
	hdrs, wq := row[:x16KHeader6*nsg], row[x16KHeader6*nsg:]
	for g := 0; g < nsg; g++ {
		h := hdrs[x16KHeader6*g : x16KHeader6*(g+1)]
		q := wq[384*g : 384*(g+1)]
		for i := 0; i < 16; i++ {
			d := tensor.F16ToF32(le16(h[2*(i/8):]))
			out := dst[x16Group*g+32*i : x16Group*g+32*i+32]
			for k := range out {
				sc := float32(int8(h[4+i+16*(k/16)]))
				out[k] = d * sc * float32(x16K6Quant(q, i, k)-32)
			}
		}
	}
}
