package kernels

import (
	"fmt"
	"math"

	"github.com/nuri-ai/nuri/tensor"
)

// dequantRow expands one row of type t (len(dst) elements, stored in src) to
// float32. len(dst) must be a multiple of the block size of t and src must
// hold exactly the row's bytes; callers check both.
func dequantRow(t tensor.DType, src []byte, dst []float32) {
	switch t {
	case tensor.F32:
		for i := range dst {
			dst[i] = math.Float32frombits(le32(src[4*i:]))
		}
	case tensor.F16:
		for i := range dst {
			dst[i] = halfToFloat(le16(src[2*i:]))
		}
	case tensor.BF16:
		for i := range dst {
			dst[i] = bf16ToFloat(le16(src[2*i:]))
		}
	case tensor.Q4_0:
		forBlocks(src, dst, 18, 32, dequantQ4_0)
	case tensor.Q4_1:
		forBlocks(src, dst, 20, 32, dequantQ4_1)
	case tensor.Q5_0:
		forBlocks(src, dst, 22, 32, dequantQ5_0)
	case tensor.Q5_1:
		forBlocks(src, dst, 24, 32, dequantQ5_1)
	case tensor.Q8_0:
		forBlocks(src, dst, 34, 32, dequantQ8_0)
	case tensor.Q2_K:
		forBlocks(src, dst, 84, 256, dequantQ2K)
	case tensor.Q3_K:
		forBlocks(src, dst, 110, 256, dequantQ3K)
	case tensor.Q4_K:
		forBlocks(src, dst, 144, 256, dequantQ4K)
	case tensor.Q5_K:
		forBlocks(src, dst, 176, 256, dequantQ5K)
	case tensor.Q6_K:
		forBlocks(src, dst, 210, 256, dequantQ6K)
	case tensor.Q8_K:
		forBlocks(src, dst, 292, 256, dequantQ8K)
	default:
		panic(fmt.Sprintf("kernels: dequantRow: unsupported type %v", t)) // guarded by supported()
	}
}

// supported reports whether MatMul and DequantizeRow accept weights of type t.
func supported(t tensor.DType) bool {
	switch t {
	case tensor.F32, tensor.F16, tensor.BF16, tensor.Q4_0, tensor.Q4_1, tensor.Q5_0, tensor.Q5_1,
		tensor.Q8_0, tensor.Q2_K, tensor.Q3_K, tensor.Q4_K, tensor.Q5_K, tensor.Q6_K, tensor.Q8_K:
		return true
	}
	return false
}

// DequantizeRow expands one row of type t held in src into dst (len(dst)
// elements). It returns an error when t is unsupported or the sizes disagree.
func DequantizeRow(t tensor.DType, src []byte, dst []float32) error {
	if !supported(t) {
		return fmt.Errorf("kernels: dequantize: unsupported type %v", t)
	}
	n, err := tensor.RowBytes(t, len(dst))
	if err != nil {
		return fmt.Errorf("kernels: dequantize: %w", err)
	}
	if n != len(src) {
		return fmt.Errorf("kernels: dequantize: %d %v elements need %d bytes, got %d", len(dst), t, n, len(src))
	}
	dequantRow(t, src, dst)
	return nil
}

func forBlocks(src []byte, dst []float32, bs, qk int, f func(b []byte, y []float32)) {
	for i := 0; i < len(dst)/qk; i++ {
		f(src[i*bs:(i+1)*bs], dst[i*qk:(i+1)*qk])
	}
}

// Q4_0: fp16 d, 16 bytes; low nibbles are elements 0..15, high 16..31; x = (q-8)*d.
func dequantQ4_0(b []byte, y []float32) {
	d := halfToFloat(le16(b))
	qs := b[2:18]
	for j := 0; j < 16; j++ {
		y[j] = float32(int(qs[j]&0xf)-8) * d
		y[j+16] = float32(int(qs[j]>>4)-8) * d
	}
}

// Q4_1: fp16 d, fp16 m, 16 bytes; x = q*d + m.
func dequantQ4_1(b []byte, y []float32) {
	d := halfToFloat(le16(b))
	m := halfToFloat(le16(b[2:]))
	qs := b[4:20]
	for j := 0; j < 16; j++ {
		y[j] = float32(qs[j]&0xf)*d + m
		y[j+16] = float32(qs[j]>>4)*d + m
	}
}

// Q5_0: fp16 d, 32 high bits (little-endian u32), 16 nibble bytes; x = (q-16)*d.
func dequantQ5_0(b []byte, y []float32) {
	d := halfToFloat(le16(b))
	qh := le32(b[2:])
	qs := b[6:22]
	for j := 0; j < 16; j++ {
		h0 := byte(qh>>uint(j)) & 1
		h1 := byte(qh>>uint(j+16)) & 1
		y[j] = float32(int(qs[j]&0xf|h0<<4)-16) * d
		y[j+16] = float32(int(qs[j]>>4|h1<<4)-16) * d
	}
}

// Q5_1: fp16 d, fp16 m, 32 high bits, 16 nibble bytes; x = q*d + m.
func dequantQ5_1(b []byte, y []float32) {
	d := halfToFloat(le16(b))
	m := halfToFloat(le16(b[2:]))
	qh := le32(b[4:])
	qs := b[8:24]
	for j := 0; j < 16; j++ {
		h0 := byte(qh>>uint(j)) & 1
		h1 := byte(qh>>uint(j+16)) & 1
		y[j] = float32(qs[j]&0xf|h0<<4)*d + m
		y[j+16] = float32(qs[j]>>4|h1<<4)*d + m
	}
}

// Q8_0: fp16 d, 32 int8; x = q*d.
func dequantQ8_0(b []byte, y []float32) {
	d := halfToFloat(le16(b))
	for j := 0; j < 32; j++ {
		y[j] = float32(int8(b[2+j])) * d
	}
}

// Q2_K: 16 scale bytes (low nibble scale, high nibble min), 64 bytes of 2-bit
// quants, fp16 d, fp16 dmin. x = d*sc*q - dmin*m per 16 elements.
func dequantQ2K(b []byte, y []float32) {
	sc := b[0:16]
	qs := b[16:80]
	d := halfToFloat(le16(b[80:]))
	dmin := halfToFloat(le16(b[82:]))
	is := 0
	for n := 0; n < 2; n++ {
		q := qs[n*32 : n*32+32]
		for j := 0; j < 4; j++ {
			shift := uint(2 * j)
			for half := 0; half < 2; half++ {
				s := sc[is]
				is++
				dl := d * float32(s&0xf)
				ml := dmin * float32(s>>4)
				for l := 0; l < 16; l++ {
					y[0] = dl*float32((q[half*16+l]>>shift)&3) - ml
					y = y[1:]
				}
			}
		}
	}
}

// q3kScales unpacks the 16 6-bit scales of a Q3_K block (stored offset by 32).
func q3kScales(s []byte, out *[16]int8) {
	for j := 0; j < 8; j++ {
		// low 4 bits: bytes 0..7, low nibble for j<8 and high nibble for j>=8
		out[j] = int8(s[j] & 0xf)
		out[j+8] = int8(s[j] >> 4)
	}
	for j := 0; j < 16; j++ {
		hi := (s[8+j%4] >> (2 * uint(j/4))) & 3
		out[j] = int8(byte(out[j])|hi<<4) - 32
	}
}

// Q3_K: 32 bytes of high-bit mask, 64 bytes of 2-bit quants, 12 bytes of
// packed 6-bit scales, fp16 d. x = d*(sc-32)*(q - (hbit ? 0 : 4)).
func dequantQ3K(b []byte, y []float32) {
	hm := b[0:32]
	qs := b[32:96]
	var scales [16]int8
	q3kScales(b[96:108], &scales)
	d := halfToFloat(le16(b[108:]))
	is := 0
	m := byte(1)
	for n := 0; n < 2; n++ {
		q := qs[n*32 : n*32+32]
		for j := 0; j < 4; j++ {
			shift := uint(2 * j)
			for half := 0; half < 2; half++ {
				dl := d * float32(scales[is])
				is++
				for l := 0; l < 16; l++ {
					k := half*16 + l
					v := int((q[k] >> shift) & 3)
					if hm[k]&m == 0 {
						v -= 4
					}
					y[0] = dl * float32(v)
					y = y[1:]
				}
			}
			m <<= 1
		}
	}
}

// k4ScaleMin returns the 6-bit scale and min number j (0..7) of a Q4_K/Q5_K block.
func k4ScaleMin(j int, q []byte) (sc, m byte) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xf | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

// Q4_K: fp16 d, fp16 dmin, 12 bytes of packed 6-bit scales/mins, 128 nibble
// bytes in four 64-element groups (low nibbles first 32, high nibbles next 32).
func dequantQ4K(b []byte, y []float32) {
	d := halfToFloat(le16(b))
	dmin := halfToFloat(le16(b[2:]))
	scales := b[4:16]
	qs := b[16:144]
	for g := 0; g < 4; g++ {
		s1, m1 := k4ScaleMin(2*g, scales)
		s2, m2 := k4ScaleMin(2*g+1, scales)
		d1, o1 := d*float32(s1), dmin*float32(m1)
		d2, o2 := d*float32(s2), dmin*float32(m2)
		q := qs[g*32 : g*32+32]
		for l := 0; l < 32; l++ {
			y[g*64+l] = d1*float32(q[l]&0xf) - o1
			y[g*64+32+l] = d2*float32(q[l]>>4) - o2
		}
	}
}

// Q5_K: as Q4_K plus 32 bytes of fifth bits (two bits per 64-element group).
func dequantQ5K(b []byte, y []float32) {
	d := halfToFloat(le16(b))
	dmin := halfToFloat(le16(b[2:]))
	scales := b[4:16]
	qh := b[16:48]
	qs := b[48:176]
	for g := 0; g < 4; g++ {
		s1, m1 := k4ScaleMin(2*g, scales)
		s2, m2 := k4ScaleMin(2*g+1, scales)
		d1, o1 := d*float32(s1), dmin*float32(m1)
		d2, o2 := d*float32(s2), dmin*float32(m2)
		q := qs[g*32 : g*32+32]
		u1, u2 := byte(1)<<uint(2*g), byte(2)<<uint(2*g)
		for l := 0; l < 32; l++ {
			lo, hi := q[l]&0xf, q[l]>>4
			if qh[l]&u1 != 0 {
				lo += 16
			}
			if qh[l]&u2 != 0 {
				hi += 16
			}
			y[g*64+l] = d1*float32(lo) - o1
			y[g*64+32+l] = d2*float32(hi) - o2
		}
	}
}

// Q6_K: 128 bytes of low nibbles, 64 bytes of high 2-bit pairs, 16 int8
// scales, fp16 d. x = d*sc*(q-32).
func dequantQ6K(b []byte, y []float32) {
	ql := b[0:128]
	qh := b[128:192]
	sc := b[192:208]
	d := halfToFloat(le16(b[208:]))
	for n := 0; n < 2; n++ {
		l4 := ql[n*64 : n*64+64]
		h := qh[n*32 : n*32+32]
		s := sc[n*8 : n*8+8]
		o := y[n*128 : n*128+128]
		for l := 0; l < 32; l++ {
			is := l / 16
			q1 := int(l4[l]&0xf|(h[l]&3)<<4) - 32
			q2 := int(l4[l+32]&0xf|((h[l]>>2)&3)<<4) - 32
			q3 := int(l4[l]>>4|((h[l]>>4)&3)<<4) - 32
			q4 := int(l4[l+32]>>4|((h[l]>>6)&3)<<4) - 32
			o[l] = d * float32(int8(s[is])) * float32(q1)
			o[l+32] = d * float32(int8(s[is+2])) * float32(q2)
			o[l+64] = d * float32(int8(s[is+4])) * float32(q3)
			o[l+96] = d * float32(int8(s[is+6])) * float32(q4)
		}
	}
}

// Q8_K: float32 d, 256 int8, 16 int16 block sums (unused here).
func dequantQ8K(b []byte, y []float32) {
	d := math.Float32frombits(le32(b))
	for j := 0; j < 256; j++ {
		y[j] = float32(int8(b[4+j])) * d
	}
}
