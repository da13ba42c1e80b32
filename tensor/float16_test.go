package tensor

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// refF16ToF64 decodes binary16 from its fields with plain arithmetic.
func refF16ToF64(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	man := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * man * math.Pow(2, -24)
	case 0x1f:
		if man == 0 {
			return math.Inf(int(sign))
		}
		return math.NaN()
	}
	return sign * (1 + man/1024) * math.Pow(2, float64(exp-15))
}

func TestF16ToF32Exhaustive(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		got := F16ToF32(h)
		want := refF16ToF64(h)
		if math.IsNaN(want) {
			b := math.Float32bits(got)
			if !math.IsNaN(float64(got)) || b&0x400000 == 0 || (b>>13)&0x3ff|0x200 != uint32(h&0x3ff)|0x200 || b>>31 != uint32(h>>15) {
				t.Fatalf("F16ToF32(%#04x) = %#08x, want quiet NaN with the same sign and payload", h, b)
			}
			continue
		}
		if float64(got) != want || math.Signbit(float64(got)) != (h&0x8000 != 0) {
			t.Fatalf("F16ToF32(%#04x) = %v, want %v", h, got, want)
		}
		// Every non-NaN binary16 survives a round trip.
		if back := F32ToF16(got); back != h {
			t.Fatalf("F32ToF16(F16ToF32(%#04x)) = %#04x", h, back)
		}
	}
}

func TestBF16ToF32Exhaustive(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		got := BF16ToF32(h)
		sign := 1.0
		if h&0x8000 != 0 {
			sign = -1
		}
		exp := int(h>>7) & 0xff
		man := float64(h & 0x7f)
		var want float64
		switch exp {
		case 0:
			want = sign * man * math.Pow(2, -133)
		case 0xff:
			if man != 0 {
				if !math.IsNaN(float64(got)) || math.Float32bits(got) != uint32(h)<<16 {
					t.Fatalf("BF16ToF32(%#04x) = %#08x, want NaN %#08x", h, math.Float32bits(got), uint32(h)<<16)
				}
				if back := F32ToBF16(got); back != h|0x40 {
					t.Fatalf("F32ToBF16 of NaN %#04x = %#04x, want quieted %#04x", h, back, h|0x40)
				}
				continue
			}
			want = math.Inf(int(sign))
		default:
			want = sign * (1 + man/128) * math.Pow(2, float64(exp-127))
		}
		if float64(got) != want || math.Signbit(float64(got)) != (h&0x8000 != 0) {
			t.Fatalf("BF16ToF32(%#04x) = %v, want %v", h, got, want)
		}
		if back := F32ToBF16(got); back != h {
			t.Fatalf("F32ToBF16(BF16ToF32(%#04x)) = %#04x", h, back)
		}
	}
}

// nearestRef rounds v to the nearest value in the sorted table vals (ties to
// the even code), independently of the bit manipulations under test.
func nearestRef(v float64, vals []float64, codes []uint16) uint16 {
	i := sort.SearchFloat64s(vals, v)
	if i < len(vals) && vals[i] == v {
		return codes[i]
	}
	lo, hi := i-1, i
	if hi == len(vals) {
		return codes[lo]
	}
	dl, dh := v-vals[lo], vals[hi]-v
	switch {
	case dl < dh:
		return codes[lo]
	case dh < dl:
		return codes[hi]
	case codes[lo]&1 == 0:
		return codes[lo]
	}
	return codes[hi]
}

func TestF32ToF16AndBF16Rounding(t *testing.T) {
	// Table of all non-negative finite values, plus the first value past
	// the end as "infinity" for rounding decisions (IEEE overflow threshold
	// is the midpoint to the next power of two).
	build := func(n int, dec func(uint16) float32, next float64) ([]float64, []uint16) {
		var vals []float64
		var codes []uint16
		for c := 0; c < n; c++ {
			vals = append(vals, float64(dec(uint16(c))))
			codes = append(codes, uint16(c))
		}
		return append(vals, next), append(codes, uint16(n))
	}
	f16v, f16c := build(0x7c00, F16ToF32, 65536)
	bfv, bfc := build(0x7f80, BF16ToF32, math.Ldexp(1, 128))

	check := func(v float32) {
		t.Helper()
		a := math.Abs(float64(v))
		sign := uint16(0)
		if math.Signbit(float64(v)) {
			sign = 0x8000
		}
		if !math.IsNaN(a) && !math.IsInf(a, 0) {
			if want := sign | nearestRef(a, f16v, f16c); F32ToF16(v) != want {
				t.Fatalf("F32ToF16(%g [%#08x]) = %#04x, want %#04x", v, math.Float32bits(v), F32ToF16(v), want)
			}
			if want := sign | nearestRef(a, bfv, bfc); F32ToBF16(v) != want {
				t.Fatalf("F32ToBF16(%g [%#08x]) = %#04x, want %#04x", v, math.Float32bits(v), F32ToBF16(v), want)
			}
		}
	}
	// Midpoints between neighbours and the floats just around them.
	for c := 0; c < 0x7c00; c++ {
		lo, hi := float64(F16ToF32(uint16(c))), float64(F16ToF32(uint16(c+1)))
		if c+1 == 0x7c00 {
			hi = 65536
		}
		mid := float32((lo + hi) / 2)
		check(mid)
		check(math.Nextafter32(mid, 0))
		check(math.Nextafter32(mid, math.MaxFloat32))
		check(-mid)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200000; i++ {
		b := rng.Uint32()
		if i%2 == 0 { // concentrate on the binary16 exponent range
			b = b&0x807fffff | uint32(100+rng.IntN(50))<<23
		}
		check(math.Float32frombits(b))
	}
	// Specials.
	for _, tc := range []struct {
		in       float32
		f16, b16 uint16
	}{
		{float32(math.Inf(1)), 0x7c00, 0x7f80},
		{float32(math.Inf(-1)), 0xfc00, 0xff80},
		{65520, 0x7c00, 0x4780},
		{math.Nextafter32(65520, 0), 0x7bff, 0x4780},
		{math.SmallestNonzeroFloat32, 0, 0},
		{float32(math.Copysign(0, -1)), 0x8000, 0x8000},
	} {
		if got := F32ToF16(tc.in); got != tc.f16 {
			t.Errorf("F32ToF16(%g) = %#04x, want %#04x", tc.in, got, tc.f16)
		}
		if got := F32ToBF16(tc.in); got != tc.b16 {
			t.Errorf("F32ToBF16(%g) = %#04x, want %#04x", tc.in, got, tc.b16)
		}
	}
	nan := math.Float32frombits(0xffc01234)
	if got := F32ToF16(nan); got != 0xfe00 {
		t.Errorf("F32ToF16(NaN) = %#04x, want 0xfe00", got)
	}
	if got := F32ToBF16(math.Float32frombits(0x7f800001)); got != 0x7fc0 {
		t.Errorf("F32ToBF16(sNaN) = %#04x, want 0x7fc0", got)
	}
}

func TestConversionSlices(t *testing.T) {
	src := []float32{1, -2.5, 65504, 1e-7}
	h := make([]uint16, len(src))
	back := make([]float32, len(src))
	if err := F32ToF16Slice(h, src); err != nil {
		t.Fatal(err)
	}
	if err := F16ToF32Slice(back, h); err != nil {
		t.Fatal(err)
	}
	for i := range src {
		if back[i] != F16ToF32(F32ToF16(src[i])) {
			t.Errorf("F16 slice round trip [%d] = %v", i, back[i])
		}
	}
	if err := F32ToBF16Slice(h, src); err != nil {
		t.Fatal(err)
	}
	if err := BF16ToF32Slice(back, h); err != nil {
		t.Fatal(err)
	}
	for i := range src {
		if back[i] != BF16ToF32(F32ToBF16(src[i])) {
			t.Errorf("BF16 slice round trip [%d] = %v", i, back[i])
		}
	}
	short := make([]uint16, 3)
	shortF := make([]float32, 3)
	for name, err := range map[string]error{
		"F32ToF16Slice":  F32ToF16Slice(short, src),
		"F16ToF32Slice":  F16ToF32Slice(shortF, h),
		"F32ToBF16Slice": F32ToBF16Slice(short, src),
		"BF16ToF32Slice": BF16ToF32Slice(shortF, h),
	} {
		if err == nil {
			t.Errorf("%s with mismatched lengths: no error", name)
		}
	}
}
