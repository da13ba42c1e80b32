package tensor

import (
	"encoding/binary"
	"fmt"
	"math"
)

// VecDotType is the type GGML quantizes the activation row to before taking
// its dot product with a weight row of type t: Q8_0 for Q4_0, Q5_0 and Q8_0;
// Q8_1 for Q4_1, Q5_1 and Q8_1; Q8_K for the K-quants; F16 for F16; BF16 for
// BF16; F32 for F32 and for every type GGML has no dot product for.
func VecDotType(t DType) DType {
	switch t {
	case F16, BF16:
		return t
	case Q4_0, Q5_0, Q8_0:
		return Q8_0
	case Q4_1, Q5_1, Q8_1:
		return Q8_1
	case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K:
		return Q8_K
	}
	return F32
}

// DotF32 is the reference dot product of a weight row of type t with the
// float32 vector x: the row is dequantized exactly (see Dequantize) and the
// products are summed in float64, in order, then rounded to float32. It is
// slow and obviously right; faster kernels are checked against it.
//
// The row must hold exactly len(x) elements; on any invalid input (unknown
// type, wrong lengths) DotF32 returns NaN. Use CheckDot to get an error.
func DotF32(t DType, row []byte, x []float32) float32 {
	if CheckDot(t, row, len(x)) != nil {
		return float32(math.NaN())
	}
	var sum float64
	switch t {
	case F32:
		for i, v := range x {
			w := math.Float32frombits(binary.LittleEndian.Uint32(row[4*i:]))
			sum += float64(w) * float64(v)
		}
		return float32(sum)
	case F16, BF16:
		conv := F16ToF32
		if t == BF16 {
			conv = BF16ToF32
		}
		for i, v := range x {
			sum += float64(conv(binary.LittleEndian.Uint16(row[2*i:]))) * float64(v)
		}
		return float32(sum)
	}
	var buf [QK_K]float32
	bs, ts := t.BlockSize(), t.TypeSize()
	for i, j := 0, 0; j < len(x); i, j = i+ts, j+bs {
		y := buf[:bs]
		decodeBlock(t, row[i:i+ts], y)
		for k, w := range y {
			sum += float64(w) * float64(x[j+k])
		}
	}
	return float32(sum)
}

// decodeBlock is decoderFor(t)(b, y) with static calls, so that a caller's
// stack buffer y does not escape to the heap.
func decodeBlock(t DType, b []byte, y []float32) {
	switch t {
	case Q4_0:
		dequantQ4_0(b, y)
	case Q4_1:
		dequantQ4_1(b, y)
	case Q5_0:
		dequantQ5_0(b, y)
	case Q5_1:
		dequantQ5_1(b, y)
	case Q8_0:
		dequantQ8_0(b, y)
	case Q8_1:
		dequantQ8_1(b, y)
	case Q2_K:
		dequantQ2K(b, y)
	case Q3_K:
		dequantQ3K(b, y)
	case Q4_K:
		dequantQ4K(b, y)
	case Q5_K:
		dequantQ5K(b, y)
	case Q6_K:
		dequantQ6K(b, y)
	case Q8_K:
		dequantQ8K(b, y)
	}
}

// CheckDot reports whether row is a valid row of n elements of a type
// DotF32 supports.
func CheckDot(t DType, row []byte, n int) error {
	if !CanDequantize(t) {
		return errUnsupported("DotF32", t)
	}
	return checkRow("DotF32", t, len(row), n)
}

// CheckDotQ8 reports whether DotQ8Ref accepts a weight row of type t with
// n elements and the activation row xq.
func CheckDotQ8(t DType, row, xq []byte, n int) error {
	if !canDotQ8(t) {
		return errUnsupported("DotQ8Ref", t)
	}
	if err := checkRow("DotQ8Ref", t, len(row), n); err != nil {
		return err
	}
	return checkRow("DotQ8Ref activation", VecDotType(t), len(xq), n)
}

func canDotQ8(t DType) bool {
	switch t {
	case F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K:
		return true
	}
	return false
}

// DotQ8Ref is GGML's integer reference for a weight row of type t times an
// activation row xq already in VecDotType(t) (quantize it with Quantize). It
// uses the same integer sums and the same float32 operations in the same
// order as GGML's portable (non-SIMD) ggml_vec_dot_* code, so it matches that
// code bit for bit. SIMD builds of GGML reorder the float sums and agree only
// to rounding.
//
// Supported: F32, F16, BF16 (float products summed in float64, as GGML does),
// Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and Q2_K…Q6_K. GGML has no Q8_1×Q8_1 or
// Q8_K×Q8_K dot. The element count is taken from the row length; on invalid
// input DotQ8Ref returns NaN (CheckDotQ8 says why).
func DotQ8Ref(t DType, row []byte, xq []byte) float32 {
	if !canDotQ8(t) || t.TypeSize() == 0 || len(row)%t.TypeSize() != 0 {
		return float32(math.NaN())
	}
	n := len(row) / t.TypeSize() * t.BlockSize()
	if CheckDotQ8(t, row, xq, n) != nil {
		return float32(math.NaN())
	}
	switch t {
	case F32:
		var sum float64
		for i := 0; i < n; i++ {
			a := math.Float32frombits(binary.LittleEndian.Uint32(row[4*i:]))
			b := math.Float32frombits(binary.LittleEndian.Uint32(xq[4*i:]))
			sum += float64(a * b)
		}
		return float32(sum)
	case F16, BF16:
		conv := F16ToF32
		if t == BF16 {
			conv = BF16ToF32
		}
		var sum float64
		for i := 0; i < n; i++ {
			a := conv(binary.LittleEndian.Uint16(row[2*i:]))
			b := conv(binary.LittleEndian.Uint16(xq[2*i:]))
			sum += float64(a * b)
		}
		return float32(sum)
	case Q4_0:
		return dotQ4_0(row, xq)
	case Q4_1:
		return dotQ4_1(row, xq)
	case Q5_0:
		return dotQ5_0(row, xq)
	case Q5_1:
		return dotQ5_1(row, xq)
	case Q8_0:
		return dotQ8_0(row, xq)
	case Q2_K:
		return dotQ2K(row, xq)
	case Q3_K:
		return dotQ3K(row, xq)
	case Q4_K:
		return dotQ4K(row, xq)
	case Q5_K:
		return dotQ5K(row, xq)
	case Q6_K:
		return dotQ6K(row, xq)
	}
	return float32(math.NaN())
}

func errUnsupported(op string, t DType) error {
	if !t.Known() {
		return fmt.Errorf("tensor: %s: unknown type %v", op, t)
	}
	return fmt.Errorf("tensor: %s: unsupported type %v", op, t)
}

// ---- 32-element blocks (activations Q8_0: d, qs[32]; Q8_1: d, s, qs[32]) ----

func dotQ4_0(row, xq []byte) float32 {
	var sumf float32
	for ib := 0; ib < len(row)/18; ib++ {
		x := row[18*ib : 18*ib+18]
		y := xq[34*ib : 34*ib+34]
		var s0, s1 int32
		for j := 0; j < 16; j++ {
			s0 += (int32(x[2+j]&0x0f) - 8) * int32(int8(y[2+j]))
			s1 += (int32(x[2+j]>>4) - 8) * int32(int8(y[18+j]))
		}
		sumf += float32(float32(s0+s1) * f16At(x, 0) * f16At(y, 0))
	}
	return sumf
}

func dotQ4_1(row, xq []byte) float32 {
	var sumf float32
	for ib := 0; ib < len(row)/20; ib++ {
		x := row[20*ib : 20*ib+20]
		y := xq[36*ib : 36*ib+36]
		var s0, s1 int32
		for j := 0; j < 16; j++ {
			s0 += int32(x[4+j]&0x0f) * int32(int8(y[4+j]))
			s1 += int32(x[4+j]>>4) * int32(int8(y[20+j]))
		}
		dd := f16At(x, 0) * f16At(y, 0)
		sumf += float32(dd*float32(s0+s1)) + float32(f16At(x, 2)*f16At(y, 2))
	}
	return sumf
}

func dotQ5_0(row, xq []byte) float32 {
	var sumf float32
	for ib := 0; ib < len(row)/22; ib++ {
		x := row[22*ib : 22*ib+22]
		y := xq[34*ib : 34*ib+34]
		qh := binary.LittleEndian.Uint32(x[2:])
		var s0, s1 int32
		for j := 0; j < 16; j++ {
			h0 := byte(qh>>j<<4) & 0x10
			h1 := byte(qh>>(j+12)) & 0x10
			s0 += (int32(x[6+j]&0x0f|h0) - 16) * int32(int8(y[2+j]))
			s1 += (int32(x[6+j]>>4|h1) - 16) * int32(int8(y[18+j]))
		}
		sumf += float32(f16At(x, 0) * f16At(y, 0) * float32(s0+s1))
	}
	return sumf
}

func dotQ5_1(row, xq []byte) float32 {
	var sumf float32
	for ib := 0; ib < len(row)/24; ib++ {
		x := row[24*ib : 24*ib+24]
		y := xq[36*ib : 36*ib+36]
		qh := binary.LittleEndian.Uint32(x[4:])
		var s0, s1 int32
		for j := 0; j < 16; j++ {
			h0 := byte(qh>>j<<4) & 0x10
			h1 := byte(qh>>(j+12)) & 0x10
			s0 += int32(x[8+j]&0x0f|h0) * int32(int8(y[4+j]))
			s1 += int32(x[8+j]>>4|h1) * int32(int8(y[20+j]))
		}
		dd := f16At(x, 0) * f16At(y, 0)
		sumf += float32(dd*float32(s0+s1)) + float32(f16At(x, 2)*f16At(y, 2))
	}
	return sumf
}

func dotQ8_0(row, xq []byte) float32 {
	var sumf float32
	for ib := 0; ib < len(row)/34; ib++ {
		x := row[34*ib : 34*ib+34]
		y := xq[34*ib : 34*ib+34]
		var s int32
		for j := 0; j < 32; j++ {
			s += int32(int8(x[2+j])) * int32(int8(y[2+j]))
		}
		sumf += float32(float32(s) * float32(f16At(x, 0)*f16At(y, 0)))
	}
	return sumf
}

// ---- K-quants (activation Q8_K: d float32, qs[256], bsums[16]) ----

func q8kD(y []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(y)) }

func q8kBsum(y []byte, j int) int32 { return int32(int16(binary.LittleEndian.Uint16(y[260+2*j:]))) }

// laneSums mirrors GGML's portable K-quant dot: eight int32 lanes, lane l
// collecting element k when k%8 == l, each product weighted by the
// sub-block scale of k (groupShift: 4 for 16-element groups, 5 for 32).
func laneSums(a *[QK_K]int8, q8 []byte, scale func(g int) int32, groupShift uint) (lanes [8]int32) {
	for k := 0; k < QK_K; k++ {
		lanes[k%8] += scale(k>>groupShift) * int32(int16(a[k])*int16(int8(q8[k])))
	}
	return lanes
}

func dotQ2K(row, xq []byte) float32 {
	var sumf float32
	for i := 0; i < len(row)/84; i++ {
		x := row[84*i : 84*i+84]
		y := xq[292*i : 292*i+292]
		sc := x[0:16]
		q8 := y[4:260]
		var summs int32
		for j := 0; j < 16; j++ {
			summs += q8kBsum(y, j) * int32(sc[j]>>4)
		}
		dall := q8kD(y) * f16At(x, 80)
		dmin := q8kD(y) * f16At(x, 82)
		var isum int32
		for k := 0; k < 2; k++ {
			q2 := x[16+32*k : 48+32*k]
			for j := 0; j < 4; j++ {
				shift := uint(2 * j)
				for g := 0; g < 2; g++ {
					var s int32
					base := 128*k + 32*j + 16*g
					for l := 0; l < 16; l++ {
						s += int32(int8(q8[base+l])) * int32(q2[16*g+l]>>shift&3)
					}
					isum += int32(sc[8*k+2*j+g]&0x0f) * s
				}
			}
		}
		sumf += float32(dall*float32(isum)) - float32(dmin*float32(summs))
	}
	return sumf
}

func dotQ3K(row, xq []byte) float32 {
	var sums [8]float32
	for i := 0; i < len(row)/110; i++ {
		x := row[110*i : 110*i+110]
		y := xq[292*i : 292*i+292]
		hm := x[0:32]
		var a [QK_K]int8
		for h := 0; h < 2; h++ {
			q3 := x[32+32*h : 64+32*h]
			for s := 0; s < 4; s++ {
				m := byte(1) << (4*h + s)
				for l := 0; l < 32; l++ {
					v := int8(q3[l] >> (2 * s) & 3)
					if hm[l]&m == 0 {
						v -= 4
					}
					a[128*h+32*s+l] = v
				}
			}
		}
		var sc [16]int8
		q3kScales(x[96:108], &sc)
		lanes := laneSums(&a, y[4:260], func(g int) int32 { return int32(sc[g]) - 32 }, 4)
		d := f16At(x, 108) * q8kD(y)
		for l := range sums {
			sums[l] += float32(d * float32(lanes[l]))
		}
	}
	var sumf float32
	for _, s := range sums {
		sumf += s
	}
	return sumf
}

func dotQ4K(row, xq []byte) float32 { return dotQ45K(row, xq, false) }

func dotQ5K(row, xq []byte) float32 { return dotQ45K(row, xq, true) }

func dotQ45K(row, xq []byte, five bool) float32 {
	ts, qsOff := 144, 16
	if five {
		ts, qsOff = 176, 48
	}
	var sums [8]float32
	var sumf float32
	for i := 0; i < len(row)/ts; i++ {
		x := row[ts*i : ts*i+ts]
		y := xq[292*i : 292*i+292]
		var a [QK_K]int8
		for j := 0; j < 4; j++ {
			q := x[qsOff+32*j : qsOff+32*j+32]
			for l, v := range q {
				lo, hi := int8(v&0x0f), int8(v>>4)
				if five {
					qh := x[16+l]
					if qh&(1<<(2*j)) != 0 {
						lo += 16
					}
					if qh&(2<<(2*j)) != 0 {
						hi += 16
					}
				}
				a[64*j+l], a[64*j+32+l] = lo, hi
			}
		}
		var scales, mins [8]int32
		for j := 0; j < 8; j++ {
			s, m := scaleMinK4(j, x[4:16])
			scales[j], mins[j] = int32(s), int32(m)
		}
		var sumi int32
		for j := 0; j < 16; j++ {
			sumi += q8kBsum(y, j) * mins[j/2]
		}
		lanes := laneSums(&a, y[4:260], func(g int) int32 { return scales[g] }, 5)
		d := f16At(x, 0) * q8kD(y)
		for l := range sums {
			sums[l] += float32(d * float32(lanes[l]))
		}
		dmin := f16At(x, 2) * q8kD(y)
		sumf -= float32(dmin * float32(sumi))
	}
	for _, s := range sums {
		sumf += s
	}
	return sumf
}

func dotQ6K(row, xq []byte) float32 {
	var sums [8]float32
	for i := 0; i < len(row)/210; i++ {
		x := row[210*i : 210*i+210]
		y := xq[292*i : 292*i+292]
		var a [QK_K]int8
		for n := 0; n < 2; n++ {
			ql := x[64*n : 64*n+64]
			qh := x[128+32*n : 160+32*n]
			for l := 0; l < 32; l++ {
				h := qh[l]
				a[128*n+l] = int8(ql[l]&0x0f|(h&3)<<4) - 32
				a[128*n+l+32] = int8(ql[l+32]&0x0f|(h>>2&3)<<4) - 32
				a[128*n+l+64] = int8(ql[l]>>4|(h>>4&3)<<4) - 32
				a[128*n+l+96] = int8(ql[l+32]>>4|(h>>6&3)<<4) - 32
			}
		}
		sc := x[192:208]
		lanes := laneSums(&a, y[4:260], func(g int) int32 { return int32(int8(sc[g])) }, 4)
		d := f16At(x, 208) * q8kD(y)
		for l := range sums {
			sums[l] += float32(d * float32(lanes[l]))
		}
	}
	var sumf float32
	for _, s := range sums {
		sumf += s
	}
	return sumf
}
