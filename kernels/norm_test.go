package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// eachLevel runs f at every CPU level of this architecture that the CPU
// supports (Generic first), restoring the level afterwards.
func eachLevel(t testing.TB, f func(l Level)) {
	t.Helper()
	for _, l := range levels() {
		if l > MaxCPULevel() {
			continue
		}
		old := setLevel(l)
		f(l)
		setLevel(old)
	}
}

// ulps is the distance between a and b in units in the last place (0 when
// they are equal, including two NaNs).
func ulps(a, b float32) int64 {
	if a == b || (a != a && b != b) {
		return 0
	}
	key := func(f float32) int64 {
		u := int64(math.Float32bits(f))
		if u&(1<<31) != 0 {
			return -(u &^ (1 << 31))
		}
		return u
	}
	d := key(a) - key(b)
	if d < 0 {
		d = -d
	}
	return d
}

var awkwardLens = []int{1, 3, 15, 16, 17, 63, 100, 2048, 2049, 4095}

// refRMSNorm is the sequential float64 definition.
func refRMSNorm(x, w []float32, eps float32, plusOne bool) []float32 {
	out := make([]float32, len(x))
	normScaleGo(out, x, w, rmsScale(sumSquaresGo(x), len(x), eps), plusOne)
	return out
}

func TestRMSNormLevels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range awkwardLens {
		x, w := randomVec(rng, n), randomVec(rng, n)
		for i := range x {
			x[i] *= 30 // values well away from 1, so the scale matters
		}
		for _, plusOne := range []bool{false, true} {
			want := refRMSNorm(x, w, 1e-6, plusOne)
			eachLevel(t, func(l Level) {
				name := fmt.Sprintf("%v/n=%d/plusOne=%v", l, n, plusOne)
				got := make([]float32, n)
				inPlace := append([]float32(nil), x...)
				if plusOne {
					RMSNormPlusOne(got, x, w, 1e-6)
					RMSNormPlusOne(inPlace, inPlace, w, 1e-6)
				} else {
					RMSNorm(got, x, w, 1e-6)
					RMSNorm(inPlace, inPlace, w, 1e-6)
				}
				for i := range want {
					if d := ulps(got[i], want[i]); d > 2 {
						t.Fatalf("%s [%d]: %v want %v (%d ulps)", name, i, got[i], want[i], d)
					}
					if inPlace[i] != got[i] {
						t.Fatalf("%s [%d]: in place %v, out of place %v", name, i, inPlace[i], got[i])
					}
				}
			})
		}
	}
}

func TestAddRMSNormLevels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range awkwardLens {
		x0, d, w := randomVec(rng, n), randomVec(rng, n), randomVec(rng, n)
		for _, tc := range []struct {
			s       float32
			plusOne bool
		}{{1, false}, {0.22, false}, {1, true}, {1.4, true}} {
			wantX := append([]float32(nil), x0...)
			for i := range wantX {
				wantX[i] += float32(tc.s * d[i])
			}
			want := refRMSNorm(wantX, w, 1e-5, tc.plusOne)
			eachLevel(t, func(l Level) {
				name := fmt.Sprintf("%v/n=%d/s=%v/plusOne=%v", l, n, tc.s, tc.plusOne)
				x := append([]float32(nil), x0...)
				out := make([]float32, n)
				AddRMSNorm(x, d, out, w, tc.s, 1e-5, tc.plusOne)
				for i := range want {
					if x[i] != wantX[i] {
						t.Fatalf("%s: x[%d] = %v want %v", name, i, x[i], wantX[i])
					}
					if dd := ulps(out[i], want[i]); dd > 2 {
						t.Fatalf("%s [%d]: %v want %v (%d ulps)", name, i, out[i], want[i], dd)
					}
				}
			})
		}
	}
}

// TestNormEdges: zero rows give zeros (eps keeps the scale finite), an
// empty row is a no-op, and Inf or NaN in the input reaches the output as
// NaN at every level, as in the scalar code.
func TestNormEdges(t *testing.T) {
	eachLevel(t, func(l Level) {
		RMSNorm(nil, nil, nil, 1e-5)
		AddRMSNorm(nil, nil, nil, nil, 1, 1e-5, false)
		for _, n := range []int{5, 32, 35} {
			w := make([]float32, n)
			for i := range w {
				w[i] = 1
			}
			x := make([]float32, n)
			out := make([]float32, n)
			RMSNorm(out, x, w, 1e-5)
			for i, v := range out {
				if v != 0 {
					t.Fatalf("%v n=%d: zero row gave out[%d] = %v", l, n, i, v)
				}
			}
			x[n-1] = float32(math.Inf(1))
			RMSNorm(out, x, w, 1e-5)
			if !math.IsNaN(float64(out[n-1])) || out[0] != 0 {
				t.Fatalf("%v n=%d: Inf row gave %v", l, n, out)
			}
			x[n-1] = float32(math.NaN())
			RMSNorm(out, x, w, 1e-5)
			for i, v := range out {
				if !math.IsNaN(float64(v)) {
					t.Fatalf("%v n=%d: NaN row gave out[%d] = %v", l, n, i, v)
				}
			}
		}
	})
}

func TestAddScaleAXPYLevels(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range append([]int{0}, awkwardLens...) {
		x, y := randomVec(rng, n), randomVec(rng, n)
		wantAdd := append([]float32(nil), y...)
		addGo(wantAdd, x)
		wantScale := append([]float32(nil), y...)
		scaleGo(wantScale, 0.37)
		wantAXPY := append([]float32(nil), y...)
		axpyGo(-1.7, x, wantAXPY)
		eachLevel(t, func(l Level) {
			for _, tc := range []struct {
				name string
				f    func(a []float32)
				want []float32
			}{
				{"Add", func(a []float32) { Add(a, x) }, wantAdd},
				{"Scale", func(a []float32) { Scale(a, 0.37) }, wantScale},
				{"AXPY", func(a []float32) { AXPY(-1.7, x, a) }, wantAXPY},
			} {
				a := append([]float32(nil), y...)
				tc.f(a)
				for i := range a {
					if a[i] != tc.want[i] {
						t.Fatalf("%s %v n=%d [%d]: %v want %v", tc.name, l, n, i, a[i], tc.want[i])
					}
				}
			}
		})
	}
}

func TestRopeLevels(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct{ heads, headDim, dim int }{
		{1, 2, 2}, {3, 6, 6}, {2, 8, 8}, {4, 34, 30}, {5, 64, 64}, {8, 64, 32},
		{3, 80, 80}, {2, 128, 96}, {32, 64, 64}, {7, 128, 128}, {2, 256, 64}, {3, 16, 0},
	} {
		half := tc.dim / 2
		cos, sin := make([]float32, half+3), make([]float32, half+3)
		for i := range cos {
			s, c := math.Sincos(float64(i)*0.37 + 0.1)
			cos[i], sin[i] = float32(c)*1.1, float32(s)*1.1
		}
		x0 := randomVec(rng, tc.heads*tc.headDim+5) // a longer row is allowed
		for _, inter := range []bool{false, true} {
			want := append([]float32(nil), x0...)
			ropeGo(want, tc.heads, tc.headDim, half, 0, cos, sin, inter)
			// Check the reference against the rotation itself.
			for h := 0; h < tc.heads; h++ {
				for i := 0; i < tc.headDim; i++ {
					a, b, c, s := i, i+half, 0.0, 0.0
					if inter {
						a, b = 2*(i/2), 2*(i/2)+1
					}
					v0 := x0[h*tc.headDim:]
					var r float64
					switch {
					case i >= tc.dim:
						r = float64(v0[i])
					case inter:
						c, s = float64(cos[i/2]), float64(sin[i/2])
						if i == a {
							r = float64(v0[a])*c - float64(v0[b])*s
						} else {
							r = float64(v0[a])*s + float64(v0[b])*c
						}
					case i < half:
						c, s = float64(cos[i]), float64(sin[i])
						r = float64(v0[a])*c - float64(v0[b])*s
					default:
						c, s = float64(cos[i-half]), float64(sin[i-half])
						r = float64(v0[i-half])*s + float64(v0[i])*c
					}
					if g := float64(want[h*tc.headDim+i]); math.Abs(g-r) > 1e-6 {
						t.Fatalf("reference %+v inter=%v head %d [%d]: %v want %v", tc, inter, h, i, g, r)
					}
				}
			}
			eachLevel(t, func(l Level) {
				x := append([]float32(nil), x0...)
				Rope(x, tc.heads, tc.headDim, tc.dim, cos, sin, inter)
				for i := range x {
					if x[i] != want[i] {
						t.Fatalf("%v %+v inter=%v [%d]: %v want %v", l, tc, inter, i, x[i], want[i])
					}
				}
			})
		}
	}
}

func TestRopeBadShapes(t *testing.T) {
	for _, tc := range []struct{ n, heads, headDim, dim, cs int }{
		{64, 1, 64, 66, 33}, {64, 2, 64, 64, 32}, {64, 1, 64, 63, 32}, {64, 1, 64, 64, 31},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%+v: no panic", tc)
				}
			}()
			Rope(make([]float32, tc.n), tc.heads, tc.headDim, tc.dim, make([]float32, tc.cs), make([]float32, tc.cs), false)
		}()
	}
}

func benchRows(b *testing.B, f func(x []float32, r int)) {
	for _, rows := range []int{1, 512} {
		x := make([]float32, rows*2048)
		for i := range x {
			x[i] = float32(i%97)*0.01 - 0.4
		}
		name := "2048"
		if rows > 1 {
			name = "512x2048"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(x) * 4))
			for range b.N {
				for r := range rows {
					f(x[r*2048:(r+1)*2048], r)
				}
			}
		})
	}
}

func normWeights() []float32 {
	w := make([]float32, 2048)
	for i := range w {
		w[i] = 1 + float32(i%13)*0.01
	}
	return w
}

func BenchmarkRMSNorm(b *testing.B) {
	w := normWeights()
	benchRows(b, func(x []float32, _ int) { RMSNorm(x, x, w, 1e-5) })
}

func BenchmarkAddRMSNorm(b *testing.B) {
	w := normWeights()
	d := make([]float32, 2048)
	out := make([]float32, 2048)
	benchRows(b, func(x []float32, _ int) { AddRMSNorm(x, d, out, w, 1, 1e-5, false) })
}

// BenchmarkRope: 32 heads of 64 per row, cos/sin as a model computes them
// per position.
func BenchmarkRope(b *testing.B) {
	for _, inter := range []bool{false, true} {
		b.Run(fmt.Sprintf("interleaved=%v", inter), func(b *testing.B) {
			cos, sin := make([]float32, 32), make([]float32, 32)
			for i := range cos {
				cos[i], sin[i] = 0.6, 0.8
			}
			benchRows(b, func(x []float32, _ int) { Rope(x, 32, 64, 64, cos, sin, inter) })
		})
	}
}

func BenchmarkAdd(b *testing.B) {
	d := make([]float32, 2048)
	benchRows(b, func(x []float32, _ int) { Add(x, d) })
}

// TestSoftcapSweep compares Softcap at every level with the math.Tanh
// version over a dense sweep of float32 values of both signs (every 1009th
// bit pattern up to +Inf, so tiny, subnormal and huge values), ±Inf and NaN.
func TestSoftcapSweep(t *testing.T) {
	var vals []float32
	for b := uint32(0); b < 0x7f800000; b += 1009 {
		v := math.Float32frombits(b)
		vals = append(vals, v, -v)
	}
	inf := float32(math.Inf(1))
	vals = append(vals, inf, -inf, float32(math.NaN()), math.MaxFloat32, -math.MaxFloat32, 1, -1, 0.5)
	for _, c := range []float32{30, 50, 1, 0.37} {
		want := append([]float32(nil), vals...)
		softcapGo(want, c)
		eachLevel(t, func(l Level) {
			got := append([]float32(nil), vals...)
			Softcap(got, c)
			var worst int64
			for i := range got {
				d := ulps(got[i], want[i])
				if d > 2 {
					t.Fatalf("%v c=%v: Softcap(%v) = %v, want %v (%d ulps)", l, c, vals[i], got[i], want[i], d)
				}
				worst = max(worst, d)
			}
			if worst > 1 {
				t.Logf("%v c=%v: worst %d ulps", l, c, worst)
			}
		})
	}
}

func BenchmarkSoftcap(b *testing.B) {
	x := make([]float32, 256000) // a Gemma 2 vocabulary of logits
	for i := range x {
		x[i] = float32(i%2001-1000) * 0.05
	}
	for _, l := range []Level{Generic, MaxCPULevel()} {
		b.Run(l.String(), func(b *testing.B) {
			old := setLevel(l)
			defer setLevel(old)
			y := make([]float32, len(x))
			b.SetBytes(int64(len(x) * 4))
			for range b.N {
				copy(y, x)
				Softcap(y, 30)
			}
		})
	}
}
