package tensor

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// ---- independent, element-at-a-time transcription of the block layouts ----

func bit(b []byte, i int) int { return int(b[i/8]>>(i%8)) & 1 }

func le16f(b []byte, off int) float32 { return F16ToF32(binary.LittleEndian.Uint16(b[off:])) }

// k4ScaleMin reads 6-bit scale/min j of a Q4_K/Q5_K 12-byte field from its
// documented bit positions: scales 0-3 and mins 0-3 are the low 6 bits of
// bytes 0-3 and 4-7; scales/mins 4-7 keep their low nibble in bytes 8-11
// (scale low, min high) and their top two bits in bits 6-7 of bytes 0-3
// (scales) and 4-7 (mins).
func k4ScaleMin(s []byte, j int) (int, int) {
	if j < 4 {
		return int(s[j] & 0x3f), int(s[4+j] & 0x3f)
	}
	sc := int(s[8+j-4]&0x0f) + int(s[j-4]>>6)*16
	mn := int(s[8+j-4]>>4) + int(s[j]>>6)*16
	return sc, mn
}

// refElem returns element i of a block the obvious way.
func refElem(t DType, b []byte, i int) float32 {
	switch t {
	case Q4_0:
		q := int(b[2+i%16]>>(4*(i/16))) & 15
		return float32(q-8) * le16f(b, 0)
	case Q4_1:
		q := int(b[4+i%16]>>(4*(i/16))) & 15
		return float32(float32(q)*le16f(b, 0)) + le16f(b, 2)
	case Q5_0:
		q := int(b[6+i%16]>>(4*(i/16)))&15 | bit(b[2:6], i)<<4
		return float32(q-16) * le16f(b, 0)
	case Q5_1:
		q := int(b[8+i%16]>>(4*(i/16)))&15 | bit(b[4:8], i)<<4
		return float32(float32(q)*le16f(b, 0)) + le16f(b, 2)
	case Q8_0:
		return float32(int8(b[2+i])) * le16f(b, 0)
	case Q8_1:
		return float32(int8(b[4+i])) * le16f(b, 0)
	case Q2_K:
		// element i: 128-chunk c, within it shift group s (32 each), lane l
		c, s, l := i/128, (i%128)/32, i%32
		q := int(b[16+32*c+l]>>(2*s)) & 3
		sc := b[i/16]
		dl := le16f(b, 80) * float32(sc&15)
		ml := le16f(b, 82) * float32(sc>>4)
		return float32(dl*float32(q)) - ml
	case Q3_K:
		c, s, l := i/128, (i%128)/32, i%32
		q := int(b[32+32*c+l]>>(2*s)) & 3
		if bit(b[0:32], l*8+4*c+s) == 0 {
			q -= 4
		}
		g := i / 16
		// 6-bit scale g: low nibble from byte g%8 (low half for g<8), top
		// two bits from byte 8+g%4 at bit 2*(g/4).
		lo := int(b[96+g%8]>>(4*(g/8))) & 15
		hi := int(b[104+g%4]>>(2*(g/4))) & 3
		dl := le16f(b, 108) * float32(lo+16*hi-32)
		return dl * float32(q)
	case Q4_K, Q5_K:
		c, half, l := i/64, (i%64)/32, i%32
		qsOff := 16
		if t == Q5_K {
			qsOff = 48
		}
		q := int(b[qsOff+32*c+l]>>(4*half)) & 15
		if t == Q5_K {
			q += 16 * bit(b[16:48], l*8+2*c+half)
		}
		sc, mn := k4ScaleMin(b[4:16], i/32)
		d := le16f(b, 0) * float32(sc)
		m := le16f(b, 2) * float32(mn)
		return float32(d*float32(q)) - m
	case Q6_K:
		c, s, l := i/128, (i%128)/32, i%32
		// low nibble: byte 64c + l (+32 for s odd), high half for s >= 2
		lo := int(b[64*c+l+32*(s%2)]>>(4*(s/2))) & 15
		hi := int(b[128+32*c+l]>>(2*s)) & 3
		q := lo + 16*hi - 32
		sc := int8(b[192+i/16])
		return le16f(b, 208) * float32(sc) * float32(q)
	case Q8_K:
		d := math.Float32frombits(binary.LittleEndian.Uint32(b))
		return d * float32(int8(b[4+i]))
	}
	panic("refElem: unhandled type " + t.String())
}

var blockTypes = []DType{Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K}

// randomBlock fills a block with random bytes, then overwrites the float
// scale fields with finite values of moderate size.
func randomBlock(rng *rand.Rand, t DType, b []byte) {
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	f16 := func(off int) {
		v := float32(rng.NormFloat64()) * float32(math.Pow(10, float64(rng.IntN(7)-4)))
		binary.LittleEndian.PutUint16(b[off:], F32ToF16(v))
	}
	switch t {
	case Q4_0, Q5_0, Q8_0:
		f16(0)
	case Q4_1, Q5_1, Q8_1, Q4_K, Q5_K:
		f16(0)
		f16(2)
	case Q2_K:
		f16(80)
		f16(82)
	case Q3_K:
		f16(108)
	case Q6_K:
		f16(208)
	case Q8_K:
		binary.LittleEndian.PutUint32(b, math.Float32bits(float32(rng.NormFloat64())))
	}
}

func TestDequantizeMatchesTranscription(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for _, dt := range blockTypes {
		t.Run(dt.String(), func(t *testing.T) {
			const nblocks = 4
			src := make([]byte, nblocks*dt.TypeSize())
			dst := make([]float32, nblocks*dt.BlockSize())
			for iter := 0; iter < 200; iter++ {
				for k := 0; k < nblocks; k++ {
					randomBlock(rng, dt, src[k*dt.TypeSize():(k+1)*dt.TypeSize()])
				}
				if err := Dequantize(dt, src, dst); err != nil {
					t.Fatal(err)
				}
				for i, got := range dst {
					k := i / dt.BlockSize()
					want := refElem(dt, src[k*dt.TypeSize():(k+1)*dt.TypeSize()], i%dt.BlockSize())
					if !sameBits(got, want) {
						t.Fatalf("iter %d elem %d: got %v, transcription %v", iter, i, got, want)
					}
				}
				one := make([]float32, dt.BlockSize())
				if err := DequantizeBlock(dt, src[:dt.TypeSize()], one); err != nil {
					t.Fatal(err)
				}
				for i := range one {
					if !sameBits(one[i], dst[i]) {
						t.Fatalf("DequantizeBlock elem %d = %v, Dequantize %v", i, one[i], dst[i])
					}
				}
			}
		})
	}
}

// Round trip: the relative RMS error of quantize→dequantize on Gaussian data
// stays below a per-type bound (measured values are about 75% of these).
func TestRoundTripError(t *testing.T) {
	bounds := map[DType]float64{
		F32: 0, F16: 3e-4, BF16: 2.5e-3,
		Q8_0: 0.007, Q8_1: 0.007, Q8_K: 0.01,
		Q6_K: 0.025, Q5_0: 0.055, Q5_1: 0.05, Q5_K: 0.05,
		Q4_0: 0.11, Q4_1: 0.1, Q4_K: 0.095, Q3_K: 0.2, Q2_K: 0.38,
	}
	rng := rand.New(rand.NewPCG(3, 5))
	const n = 4096
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	y := make([]float32, n)
	for dt, bound := range bounds {
		rb, err := RowBytes(dt, n)
		if err != nil {
			t.Fatal(err)
		}
		q := make([]byte, rb)
		if err := Quantize(dt, x, q); err != nil {
			t.Fatalf("%v: %v", dt, err)
		}
		if err := Dequantize(dt, q, y); err != nil {
			t.Fatalf("%v: %v", dt, err)
		}
		var se, sx float64
		for i := range x {
			d := float64(x[i] - y[i])
			se += d * d
			sx += float64(x[i]) * float64(x[i])
		}
		rel := math.Sqrt(se / sx)
		if rel > bound {
			t.Errorf("%v: relative RMS error %.4g > %.4g", dt, rel, bound)
		}
		t.Logf("%v: relative RMS error %.4g", dt, rel)
	}
}

// Quantizing values that are already exactly representable must be lossless
// for the symmetric 8-bit formats.
func TestQ8ExactValues(t *testing.T) {
	x := make([]float32, 256)
	for i := range x {
		x[i] = float32(i%255-127) * 0.25
		if i%32 == 0 {
			x[i] = -31.75 // every block's amax is 127*0.25
		}
	}
	for _, dt := range []DType{Q8_0, Q8_K} {
		rb, _ := RowBytes(dt, len(x))
		q := make([]byte, rb)
		y := make([]float32, len(x))
		if err := Quantize(dt, x, q); err != nil {
			t.Fatal(err)
		}
		if err := Dequantize(dt, q, y); err != nil {
			t.Fatal(err)
		}
		for i := range x {
			if math.Abs(float64(x[i]-y[i])) > 1e-5 {
				t.Fatalf("%v elem %d: %v → %v", dt, i, x[i], y[i])
			}
		}
	}
}

func TestDotReferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	const n = 1024
	w := make([]float32, n)
	x := make([]float32, n)
	for i := range w {
		w[i] = float32(rng.NormFloat64())
		x[i] = float32(rng.NormFloat64())
	}
	var exact float64
	for i := range w {
		exact += float64(w[i]) * float64(x[i])
	}
	for _, dt := range []DType{F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K} {
		rb, _ := RowBytes(dt, n)
		row := make([]byte, rb)
		if err := Quantize(dt, w, row); err != nil {
			t.Fatal(err)
		}
		// DotF32 is the float64 dot of the dequantized row.
		deq := make([]float32, n)
		if err := Dequantize(dt, row, deq); err != nil {
			t.Fatal(err)
		}
		var want float64
		for i := range deq {
			want += float64(deq[i]) * float64(x[i])
		}
		if got := DotF32(dt, row, x); got != float32(want) {
			t.Errorf("%v: DotF32 = %v, want %v", dt, got, float32(want))
		}
		// DotQ8Ref agrees with DotF32 up to activation quantization error.
		vt := VecDotType(dt)
		xb, _ := RowBytes(vt, n)
		xq := make([]byte, xb)
		if err := Quantize(vt, x, xq); err != nil {
			t.Fatal(err)
		}
		if err := CheckDotQ8(dt, row, xq, n); err != nil {
			t.Fatal(err)
		}
		got := DotQ8Ref(dt, row, xq)
		if d := math.Abs(float64(got) - want); d > 0.02*math.Sqrt(n) {
			t.Errorf("%v: DotQ8Ref = %v, DotF32 %v (|diff| %v)", dt, got, want, d)
		}
		if d := math.Abs(want - exact); d > 0.4*math.Sqrt(n) {
			t.Errorf("%v: quantized dot %v far from exact %v", dt, want, exact)
		}
	}
}

func TestVecDotType(t *testing.T) {
	for _, tc := range []struct{ in, want DType }{
		{F32, F32}, {F16, F16}, {BF16, BF16},
		{Q4_0, Q8_0}, {Q5_0, Q8_0}, {Q8_0, Q8_0},
		{Q4_1, Q8_1}, {Q5_1, Q8_1}, {Q8_1, Q8_1},
		{Q2_K, Q8_K}, {Q3_K, Q8_K}, {Q4_K, Q8_K}, {Q5_K, Q8_K}, {Q6_K, Q8_K}, {Q8_K, Q8_K},
		{I8, F32}, {DType(99), F32},
	} {
		if got := VecDotType(tc.in); got != tc.want {
			t.Errorf("VecDotType(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestErrors(t *testing.T) {
	unknown := DType(99)
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"dequantize unknown type", Dequantize(unknown, make([]byte, 4), make([]float32, 1))},
		{"dequantize integer type", Dequantize(I32, make([]byte, 4), make([]float32, 1))},
		{"dequantize partial block", Dequantize(Q4_0, make([]byte, 18), make([]float32, 31))},
		{"dequantize short src", Dequantize(Q4_K, make([]byte, 143), make([]float32, 256))},
		{"dequantize long src", Dequantize(Q8_0, make([]byte, 35), make([]float32, 32))},
		{"dequantize F16 odd bytes", Dequantize(F16, make([]byte, 3), make([]float32, 2))},
		{"dequantize block wrong size", DequantizeBlock(Q6_K, make([]byte, 209), make([]float32, 256))},
		{"dequantize block of F32", DequantizeBlock(F32, make([]byte, 4), make([]float32, 1))},
		{"quantize unknown type", Quantize(unknown, make([]float32, 32), make([]byte, 32))},
		{"quantize I8", Quantize(I8, make([]float32, 4), make([]byte, 4))},
		{"quantize partial block", Quantize(Q8_K, make([]float32, 255), make([]byte, 292))},
		{"quantize short dst", Quantize(Q5_1, make([]float32, 64), make([]byte, 47))},
		{"check dot lengths", CheckDot(Q4_0, make([]byte, 18), 64)},
		{"check dot unknown", CheckDot(unknown, nil, 0)},
		{"check q8 dot activation", CheckDotQ8(Q4_K, make([]byte, 144), make([]byte, 291), 256)},
		{"check q8 dot Q8_K", CheckDotQ8(Q8_K, make([]byte, 292), make([]byte, 292), 256)},
	} {
		if tc.err == nil {
			t.Errorf("%s: no error", tc.name)
		} else if len(tc.err.Error()) < 10 {
			t.Errorf("%s: unhelpful error %q", tc.name, tc.err)
		}
	}
	nanCases := []float32{
		DotF32(Q4_0, make([]byte, 17), make([]float32, 32)),
		DotF32(unknown, nil, nil),
		DotQ8Ref(Q4_0, make([]byte, 18), make([]byte, 33)),
		DotQ8Ref(Q8_K, make([]byte, 292), make([]byte, 292)),
		DotQ8Ref(Q4_K, make([]byte, 100), make([]byte, 292)),
		DotQ8Ref(unknown, nil, nil),
	}
	for i, v := range nanCases {
		if !math.IsNaN(float64(v)) {
			t.Errorf("invalid dot %d = %v, want NaN", i, v)
		}
	}
}

// Garbage in never panics: random bytes (including NaN/Inf scales) through
// every decoder and dot, and non-finite floats through every encoder.
func TestNoPanicOnGarbage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, dt := range append([]DType{F32, F16, BF16}, blockTypes...) {
		n := dt.BlockSize() * 2
		rb, _ := RowBytes(dt, n)
		b := make([]byte, rb)
		y := make([]float32, n)
		for iter := 0; iter < 50; iter++ {
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			_ = Dequantize(dt, b, y)
			_ = DotF32(dt, b, y)
			xb, _ := RowBytes(VecDotType(dt), n)
			_ = DotQ8Ref(dt, b, b[:min(len(b), xb)])
		}
		x := make([]float32, n)
		specials := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32, 1e-45, 0}
		for iter := 0; iter < 20; iter++ {
			for i := range x {
				if rng.IntN(4) == 0 {
					x[i] = specials[rng.IntN(len(specials))]
				} else {
					x[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(80)-40)))
				}
			}
			if err := Quantize(dt, x, b); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestHotPathsDoNotAllocate(t *testing.T) {
	const n = 512
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(i%17) - 8
	}
	y := make([]float32, n)
	for _, dt := range append([]DType{F32, F16, BF16}, blockTypes...) {
		rb, _ := RowBytes(dt, n)
		row := make([]byte, rb)
		vt := VecDotType(dt)
		xb, _ := RowBytes(vt, n)
		xq := make([]byte, xb)
		allocs := testing.AllocsPerRun(10, func() {
			_ = Quantize(dt, x, row)
			_ = Quantize(vt, x, xq)
			_ = Dequantize(dt, row, y)
			_ = DotF32(dt, row, x)
			_ = DotQ8Ref(dt, row, xq)
		})
		if allocs != 0 {
			t.Errorf("%v: %v allocations per run", dt, allocs)
		}
	}
}
