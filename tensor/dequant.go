package tensor

import (
	"encoding/binary"
	"fmt"
	"math"
)

// This file decodes GGML blocks to float32. Every formula keeps GGML's
// operation order and float32 rounding so that results are bit-identical with
// GGML's dequantize_row_* functions. Products that feed an addition are
// wrapped in float32(...) so the compiler can never fuse them into an FMA on
// architectures where it otherwise might.

// blockDecoder decodes exactly one block: len(b) == TypeSize, len(y) == BlockSize.
type blockDecoder func(b []byte, y []float32)

func decoderFor(t DType) blockDecoder {
	switch t {
	case Q4_0:
		return dequantQ4_0
	case Q4_1:
		return dequantQ4_1
	case Q5_0:
		return dequantQ5_0
	case Q5_1:
		return dequantQ5_1
	case Q8_0:
		return dequantQ8_0
	case Q8_1:
		return dequantQ8_1
	case Q2_K:
		return dequantQ2K
	case Q3_K:
		return dequantQ3K
	case Q4_K:
		return dequantQ4K
	case Q5_K:
		return dequantQ5K
	case Q6_K:
		return dequantQ6K
	case Q8_K:
		return dequantQ8K
	}
	return nil
}

// CanDequantize reports whether Dequantize supports t.
func CanDequantize(t DType) bool {
	return t == F32 || t == F16 || t == BF16 || decoderFor(t) != nil
}

// checkRow validates that src holds exactly n elements of type t, n being a
// multiple of t's block size.
func checkRow(op string, t DType, srcLen, n int) error {
	if !t.Known() {
		return fmt.Errorf("tensor: %s: unknown type %v", op, t)
	}
	bs, ts := t.BlockSize(), t.TypeSize()
	if n%bs != 0 {
		return fmt.Errorf("tensor: %s %v: %d elements is not a multiple of the block size %d", op, t, n, bs)
	}
	if want := n / bs * ts; srcLen != want {
		return fmt.Errorf("tensor: %s %v: %d elements need %d bytes, got %d", op, t, n, want, srcLen)
	}
	return nil
}

// Dequantize decodes src, a run of whole blocks of type t, into dst.
// len(dst) must be a multiple of t's block size and src must hold exactly
// len(dst) elements. The results are bit-identical with GGML's
// dequantize_row_* (Q8_1, which GGML cannot decode, uses d·q). It does not
// allocate.
func Dequantize(t DType, src []byte, dst []float32) error {
	if !CanDequantize(t) {
		return fmt.Errorf("tensor: Dequantize: unsupported type %v", t)
	}
	if err := checkRow("Dequantize", t, len(src), len(dst)); err != nil {
		return err
	}
	switch t {
	case F32:
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
		return nil
	case F16:
		for i := range dst {
			dst[i] = F16ToF32(binary.LittleEndian.Uint16(src[2*i:]))
		}
		return nil
	case BF16:
		for i := range dst {
			dst[i] = BF16ToF32(binary.LittleEndian.Uint16(src[2*i:]))
		}
		return nil
	}
	dec := decoderFor(t)
	bs, ts := t.BlockSize(), t.TypeSize()
	for i, j := 0, 0; j < len(dst); i, j = i+ts, j+bs {
		dec(src[i:i+ts], dst[j:j+bs])
	}
	return nil
}

// DequantizeBlock decodes one block of a quantized type t (len(src) ==
// t.TypeSize(), len(dst) == t.BlockSize()).
func DequantizeBlock(t DType, src []byte, dst []float32) error {
	dec := decoderFor(t)
	if dec == nil {
		return fmt.Errorf("tensor: DequantizeBlock: %v is not a block-quantized type", t)
	}
	if len(src) != t.TypeSize() || len(dst) != t.BlockSize() {
		return fmt.Errorf("tensor: DequantizeBlock %v: want %d bytes into %d floats, got %d into %d",
			t, t.TypeSize(), t.BlockSize(), len(src), len(dst))
	}
	dec(src, dst)
	return nil
}

func f16At(b []byte, off int) float32 {
	return F16ToF32(binary.LittleEndian.Uint16(b[off:]))
}

func dequantQ4_0(b []byte, y []float32) {
	b, y = b[:18], y[:32]
	d := f16At(b, 0)
	qs := b[2:18]
	for j, q := range qs {
		y[j] = float32(int32(q&0x0f)-8) * d
		y[j+16] = float32(int32(q>>4)-8) * d
	}
}

func dequantQ4_1(b []byte, y []float32) {
	b, y = b[:20], y[:32]
	d, m := f16At(b, 0), f16At(b, 2)
	qs := b[4:20]
	for j, q := range qs {
		y[j] = float32(float32(q&0x0f)*d) + m
		y[j+16] = float32(float32(q>>4)*d) + m
	}
}

func dequantQ5_0(b []byte, y []float32) {
	b, y = b[:22], y[:32]
	d := f16At(b, 0)
	qh := binary.LittleEndian.Uint32(b[2:])
	qs := b[6:22]
	for j, q := range qs {
		h0 := byte(qh>>j<<4) & 0x10
		h1 := byte(qh>>(j+12)) & 0x10
		y[j] = float32(int32(q&0x0f|h0)-16) * d
		y[j+16] = float32(int32(q>>4|h1)-16) * d
	}
}

func dequantQ5_1(b []byte, y []float32) {
	b, y = b[:24], y[:32]
	d, m := f16At(b, 0), f16At(b, 2)
	qh := binary.LittleEndian.Uint32(b[4:])
	qs := b[8:24]
	for j, q := range qs {
		h0 := byte(qh>>j<<4) & 0x10
		h1 := byte(qh>>(j+12)) & 0x10
		y[j] = float32(float32(q&0x0f|h0)*d) + m
		y[j+16] = float32(float32(q>>4|h1)*d) + m
	}
}

func dequantQ8_0(b []byte, y []float32) {
	b, y = b[:34], y[:32]
	d := f16At(b, 0)
	for j, q := range b[2:34] {
		y[j] = float32(int8(q)) * d
	}
}

func dequantQ8_1(b []byte, y []float32) {
	b, y = b[:36], y[:32]
	d := f16At(b, 0)
	for j, q := range b[4:36] {
		y[j] = float32(int8(q)) * d
	}
}

// Q2_K block: scales[16] (low nibble scale, high nibble min), qs[64], d, dmin.
func dequantQ2K(b []byte, y []float32) {
	b, y = b[:84], y[:256]
	sc := b[0:16]
	d, dmin := f16At(b, 80), f16At(b, 82)
	for half := 0; half < 2; half++ {
		q := b[16+32*half : 48+32*half]
		for j := 0; j < 4; j++ {
			shift := uint(2 * j)
			for g := 0; g < 2; g++ {
				s := sc[8*half+2*j+g]
				dl := d * float32(s&0x0f)
				ml := dmin * float32(s>>4)
				out := y[128*half+32*j+16*g : 128*half+32*j+16*g+16]
				for l := range out {
					out[l] = float32(dl*float32(q[16*g+l]>>shift&3)) - ml
				}
			}
		}
	}
}

// q3kScales unpacks the sixteen 6-bit scales of a Q3_K block, still biased by 32.
func q3kScales(packed []byte, s *[16]int8) {
	packed = packed[:12]
	for j := 0; j < 16; j++ {
		var lo byte
		if j < 8 {
			lo = packed[j] & 0x0f
		} else {
			lo = packed[j-8] >> 4
		}
		hi := packed[8+j%4] >> (2 * (j / 4)) & 3
		s[j] = int8(lo | hi<<4)
	}
}

// Q3_K block: hmask[32], qs[64], scales[12], d.
func dequantQ3K(b []byte, y []float32) {
	b, y = b[:110], y[:256]
	hm := b[0:32]
	d := f16At(b, 108)
	var s [16]int8
	q3kScales(b[96:108], &s)
	for half := 0; half < 2; half++ {
		q := b[32+32*half : 64+32*half]
		for j := 0; j < 4; j++ {
			shift := uint(2 * j)
			m := byte(1) << (4*half + j)
			for g := 0; g < 2; g++ {
				dl := d * float32(int32(s[8*half+2*j+g])-32)
				out := y[128*half+32*j+16*g : 128*half+32*j+16*g+16]
				for l := range out {
					v := int32(q[16*g+l] >> shift & 3)
					if hm[16*g+l]&m == 0 {
						v -= 4
					}
					out[l] = dl * float32(v)
				}
			}
		}
	}
}

// scaleMinK4 extracts the j-th 6-bit scale and min of a Q4_K/Q5_K block.
func scaleMinK4(j int, q []byte) (sc, m byte) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0x0f | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

// Q4_K block: d, dmin, scales[12], qs[128].
func dequantQ4K(b []byte, y []float32) {
	b, y = b[:144], y[:256]
	d, dmin := f16At(b, 0), f16At(b, 2)
	scales := b[4:16]
	for j := 0; j < 4; j++ {
		q := b[16+32*j : 48+32*j]
		sc, m := scaleMinK4(2*j, scales)
		d1, m1 := d*float32(sc), dmin*float32(m)
		sc, m = scaleMinK4(2*j+1, scales)
		d2, m2 := d*float32(sc), dmin*float32(m)
		lo, hi := y[64*j:64*j+32], y[64*j+32:64*j+64]
		for l, v := range q {
			lo[l] = float32(d1*float32(v&0x0f)) - m1
			hi[l] = float32(d2*float32(v>>4)) - m2
		}
	}
}

// Q5_K block: d, dmin, scales[12], qh[32], qs[128].
func dequantQ5K(b []byte, y []float32) {
	b, y = b[:176], y[:256]
	d, dmin := f16At(b, 0), f16At(b, 2)
	scales := b[4:16]
	qh := b[16:48]
	for j := 0; j < 4; j++ {
		q := b[48+32*j : 80+32*j]
		u1, u2 := byte(1)<<(2*j), byte(2)<<(2*j)
		sc, m := scaleMinK4(2*j, scales)
		d1, m1 := d*float32(sc), dmin*float32(m)
		sc, m = scaleMinK4(2*j+1, scales)
		d2, m2 := d*float32(sc), dmin*float32(m)
		lo, hi := y[64*j:64*j+32], y[64*j+32:64*j+64]
		for l, v := range q {
			a, c := int32(v&0x0f), int32(v>>4)
			if qh[l]&u1 != 0 {
				a += 16
			}
			if qh[l]&u2 != 0 {
				c += 16
			}
			lo[l] = float32(d1*float32(a)) - m1
			hi[l] = float32(d2*float32(c)) - m2
		}
	}
}

// Q6_K block: ql[128], qh[64], scales[16] (int8), d.
func dequantQ6K(b []byte, y []float32) {
	b, y = b[:210], y[:256]
	d := f16At(b, 208)
	for n := 0; n < 2; n++ {
		ql := b[64*n : 64*n+64]
		qh := b[128+32*n : 160+32*n]
		sc := b[192+8*n : 200+8*n]
		out := y[128*n : 128*n+128]
		for l := 0; l < 32; l++ {
			is := l / 16
			h := qh[l]
			q1 := int32(ql[l]&0x0f|(h&3)<<4) - 32
			q2 := int32(ql[l+32]&0x0f|(h>>2&3)<<4) - 32
			q3 := int32(ql[l]>>4|(h>>4&3)<<4) - 32
			q4 := int32(ql[l+32]>>4|(h>>6&3)<<4) - 32
			out[l] = d * float32(int8(sc[is])) * float32(q1)
			out[l+32] = d * float32(int8(sc[is+2])) * float32(q2)
			out[l+64] = d * float32(int8(sc[is+4])) * float32(q3)
			out[l+96] = d * float32(int8(sc[is+6])) * float32(q4)
		}
	}
}

// Q8_K block: d (float32), qs[256], bsums[16] (int16).
func dequantQ8K(b []byte, y []float32) {
	b, y = b[:292], y[:256]
	d := math.Float32frombits(binary.LittleEndian.Uint32(b))
	for j, q := range b[4:260] {
		y[j] = d * float32(int8(q))
	}
}
