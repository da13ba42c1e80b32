package model

import (
	"math"
	"testing"
)

func ropeConfig(dim, ctx int) *Config {
	return &Config{RopeDim: dim, HeadDim: dim, ContextLen: ctx, RopeStyle: RopeNeoX}
}

// TestLlama3Divisors: the llama3 rule reproduces the per-pair divisors the
// GGUF converter stored for the golden fixtures (testdata/golden/README.md).
func TestLlama3Divisors(t *testing.T) {
	for _, tc := range []struct {
		theta float64
		orig  int
		want  []float64
	}{
		{10000, 32, []float64{1, 3.29954, 8, 8, 8, 8, 8, 8}},
		{1e6, 8192, []float64{1, 1, 1, 1, 4.68148, 8, 8, 8}},
	} {
		c := ropeConfig(16, 0)
		r, err := newRope(c, tc.theta, RopeScaling{Type: "llama3", Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalContext: tc.orig}, nil)
		if err != nil {
			t.Fatal(err)
		}
		base := baseInvFreq(tc.theta, 16)
		for i, w := range tc.want {
			got := float64(base[i] / r.table(1).invFreq[i])
			if math.Abs(got-w) > 1e-4*w {
				t.Errorf("theta %g pair %d: divisor %g, want %g", tc.theta, i, got, w)
			}
		}
	}
}

// TestYaRN compares with a float64 transcription of transformers' YaRN
// parameters.
func TestYaRN(t *testing.T) {
	const dim, theta, factor, orig = 64, 10000.0, 4.0, 4096
	c := ropeConfig(dim, 16384)
	r, err := newRope(c, theta, RopeScaling{Type: "yarn", Factor: factor, OriginalContext: orig}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tab := r.table(1)
	corr := func(rot float64) float64 {
		return dim * math.Log(orig/(rot*2*math.Pi)) / (2 * math.Log(theta))
	}
	low, high := math.Max(math.Floor(corr(32)), 0), math.Min(math.Ceil(corr(1)), dim-1)
	for i := 0; i < dim/2; i++ {
		pf := math.Pow(theta, float64(2*i)/dim)
		ramp := math.Min(math.Max((float64(i)-low)/(high-low), 0), 1)
		want := (1/(factor*pf))*ramp + (1/pf)*(1-ramp)
		if got := float64(tab.invFreq[i]); math.Abs(got-want) > 1e-6*want {
			t.Errorf("pair %d: %g, want %g", i, got, want)
		}
	}
	if want := 0.1*math.Log(factor) + 1; math.Abs(float64(tab.attnScale)-want) > 1e-6 {
		t.Errorf("attention factor %g, want %g", tab.attnScale, want)
	}
}

// TestLongRoPESwitch: short factors up to the original context, long ones
// beyond, with the attention factor from the extension ratio.
func TestLongRoPESwitch(t *testing.T) {
	const dim = 8
	short := []float64{1, 1.5, 2, 2.5}
	long := []float64{2, 4, 8, 16}
	c := ropeConfig(dim, 131072)
	r, err := newRope(c, 10000, RopeScaling{Type: "longrope", OriginalContext: 4096, ShortFactor: short, LongFactor: long}, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := baseInvFreq(10000, dim)
	for _, tc := range []struct {
		seqLen int
		f      []float64
	}{{4096, short}, {4097, long}} {
		tab := r.table(tc.seqLen)
		for i := range tc.f {
			want := float64(base[i]) / tc.f[i]
			if got := float64(tab.invFreq[i]); math.Abs(got-want) > 1e-6*want {
				t.Errorf("seqLen %d pair %d: %g, want %g", tc.seqLen, i, got, want)
			}
		}
		if want := math.Sqrt(1 + math.Log(32)/math.Log(4096)); math.Abs(float64(tab.attnScale)-want) > 1e-6 {
			t.Errorf("attention factor %g, want %g", tab.attnScale, want)
		}
	}
}

// TestRopeLayouts: rotating adjacent pairs of a permuted vector equals
// rotating halves of the original, which is why GGUF llama weights are
// permuted.
func TestRopeLayouts(t *testing.T) {
	const hd, heads = 16, 2
	c := ropeConfig(hd, 0)
	r, _ := newRope(c, 10000, RopeScaling{}, nil)
	neox := *r.table(1)
	normal := neox
	normal.style = RopeNormal
	x := make([]float32, hd*heads)
	for i := range x {
		x[i] = float32(math.Sin(float64(i) * 1.7))
	}
	perm := make([]float32, len(x)) // GGUF row h*hd + 2i + t = HF row h*hd + t*hd/2 + i
	for h := 0; h < heads; h++ {
		for i := 0; i < hd/2; i++ {
			for tt := 0; tt < 2; tt++ {
				perm[h*hd+2*i+tt] = x[h*hd+tt*hd/2+i]
			}
		}
	}
	neox.apply(x, heads, hd, 37)
	normal.apply(perm, heads, hd, 37)
	for h := 0; h < heads; h++ {
		for i := 0; i < hd/2; i++ {
			for tt := 0; tt < 2; tt++ {
				if a, b := perm[h*hd+2*i+tt], x[h*hd+tt*hd/2+i]; math.Abs(float64(a-b)) > 1e-6 {
					t.Fatalf("head %d pair %d: %g vs %g", h, i, a, b)
				}
			}
		}
	}
}

func TestRopeUnsupported(t *testing.T) {
	if _, err := newRope(ropeConfig(8, 0), 10000, RopeScaling{Type: "mystery"}, nil); err == nil {
		t.Fatal("unknown scaling type accepted")
	}
}

// TestRopeApplyScaled: apply rotates the first dim entries of every head by
// pos·invFreq with cos and sin scaled by attnScale, in both layouts and with
// partial rotary, and reuses its angles across calls at the same position.
func TestRopeApplyScaled(t *testing.T) {
	for _, tc := range []struct {
		style               RopeStyle
		heads, headDim, dim int
		attnScale           float32
	}{
		{RopeNeoX, 4, 64, 64, 1}, {RopeNormal, 4, 64, 64, 1},
		{RopeNeoX, 3, 96, 32, 1.2}, {RopeNormal, 3, 96, 32, 1.2},
		{RopeNeoX, 2, 10, 6, 0.9}, {RopeNormal, 2, 10, 6, 0.9},
	} {
		tab := &ropeTable{style: tc.style, dim: tc.dim, invFreq: baseInvFreq(10000, tc.dim), attnScale: tc.attnScale}
		for _, pos := range []int{0, 5, 5, 1234} {
			x := make([]float32, tc.heads*tc.headDim)
			for i := range x {
				x[i] = float32(math.Sin(float64(i)*0.7 + float64(pos)))
			}
			orig := append([]float32(nil), x...)
			tab.apply(x, tc.heads, tc.headDim, pos)
			half := tc.dim / 2
			for h := 0; h < tc.heads; h++ {
				v, o := x[h*tc.headDim:(h+1)*tc.headDim], orig[h*tc.headDim:(h+1)*tc.headDim]
				for i := 0; i < half; i++ {
					a, b := i, i+half
					if tc.style == RopeNormal {
						a, b = 2*i, 2*i+1
					}
					s, c := math.Sincos(float64(float32(pos) * tab.invFreq[i]))
					s, c = s*float64(tc.attnScale), c*float64(tc.attnScale)
					wa := float64(o[a])*c - float64(o[b])*s
					wb := float64(o[a])*s + float64(o[b])*c
					if math.Abs(float64(v[a])-wa) > 1e-5 || math.Abs(float64(v[b])-wb) > 1e-5 {
						t.Fatalf("%+v pos %d head %d pair %d: (%v, %v) want (%v, %v)", tc, pos, h, i, v[a], v[b], wa, wb)
					}
				}
				for i := tc.dim; i < tc.headDim; i++ {
					if v[i] != o[i] {
						t.Fatalf("%+v pos %d head %d: unrotated entry %d changed", tc, pos, h, i)
					}
				}
			}
		}
	}
}

// BenchmarkRopeApply: queries of 32 heads of 64, one row per position (the
// angles are computed once per position).
func BenchmarkRopeApply(b *testing.B) {
	c := ropeConfig(64, 0)
	r, err := newRope(c, 10000, RopeScaling{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	tab := r.table(1)
	for _, rows := range []int{1, 512} {
		x := make([]float32, rows*2048)
		name := "2048"
		if rows > 1 {
			name = "512x2048"
		}
		b.Run(name, func(b *testing.B) {
			for range b.N {
				for r := range rows {
					tab.apply(x[r*2048:(r+1)*2048], 32, 64, r+100)
				}
			}
		})
	}
}
