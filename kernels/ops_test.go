package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(a, b float64, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

func TestOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, n := range []int{1, 3, 17, 64, 1000} {
		x, w, y := randomVec(rng, n), randomVec(rng, n), randomVec(rng, n)

		out := make([]float32, n)
		RMSNorm(out, x, w, 1e-5)
		var ss float64
		for _, v := range x {
			ss += float64(v) * float64(v)
		}
		r := 1 / math.Sqrt(ss/float64(n)+1e-5)
		for i := range x {
			if !near(float64(out[i]), float64(x[i])*r*float64(w[i]), 1e-5) {
				t.Fatalf("RMSNorm n=%d [%d]: %v", n, i, out[i])
			}
		}

		sm := append([]float32(nil), x...)
		Softmax(sm)
		var sum float64
		for _, v := range sm {
			sum += float64(v)
		}
		if !near(sum, 1, 1e-5) {
			t.Fatalf("Softmax n=%d sums to %v", n, sum)
		}

		g := append([]float32(nil), x...)
		SiLUMul(g, y)
		for i := range g {
			want := float64(x[i]) / (1 + math.Exp(-float64(x[i]))) * float64(y[i])
			if !near(float64(g[i]), want, 1e-5) {
				t.Fatalf("SiLUMul n=%d [%d]: %v want %v", n, i, g[i], want)
			}
		}

		for _, l := range []Level{Generic, MaxCPULevel()} {
			old := setLevel(l)
			var want float64
			for i := range x {
				want += float64(x[i]) * float64(y[i])
			}
			if d := Dot(x, y); !near(float64(d), want, 1e-4) {
				t.Fatalf("Dot n=%d level %v: %v want %v", n, l, d, want)
			}
			setLevel(old)
		}

		a := append([]float32(nil), y...)
		AXPY(2, x, a)
		Add(a, x)
		Scale(a, 0.5)
		for i := range a {
			if !near(float64(a[i]), (float64(y[i])+3*float64(x[i]))/2, 1e-5) {
				t.Fatalf("AXPY/Add/Scale n=%d [%d]", n, i)
			}
		}
	}
	if v := GELUTanh(1); !near(float64(v), 0.8411919906082768, 1e-6) {
		t.Errorf("GELUTanh(1) = %v", v)
	}
	inf := float32(math.Inf(-1))
	s := []float32{inf, 0, inf}
	Softmax(s)
	if s[0] != 0 || s[1] != 1 || s[2] != 0 {
		t.Errorf("Softmax with -Inf: %v", s)
	}
}

// TestGatedMul checks the gated activations at every level and thread count
// against float64 formulas, over ordinary values, extremes and odd lengths.
func TestGatedMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, n := range []int{1, 15, 16, 33, 5000} {
		g := make([]float32, n)
		u := make([]float32, n)
		for i := range g {
			g[i] = float32(rng.NormFloat64() * 4)
			u[i] = float32(rng.NormFloat64())
		}
		special := []float32{0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 88, -88, 100, -100, 1e30, -1e30, 20, -20}
		for i := 0; i < len(special) && i < n; i++ {
			g[i] = special[i]
		}
		for _, a := range []Activation{SiLUAct, GELUTanhAct} {
			forLevels(t, func(t *testing.T) {
				for _, threads := range []int{1, 2} {
					p := NewPool(threads)
					got := append([]float32(nil), g...)
					p.GatedMul(a, got, u)
					p.Close()
					for i, x := range g {
						xf := float64(x)
						var f float64
						if a == SiLUAct {
							f = xf / (1 + math.Exp(-xf))
						} else {
							f = 0.5 * xf * (1 + math.Tanh(0.7978845608028654*(xf+0.044715*xf*xf*xf)))
						}
						want := f * float64(u[i])
						// GELU's argument of e^x carries float32 rounding of a
						// cubic, so its tail is good to a few 1e-7 less.
						tol := 4e-7
						if a == GELUTanhAct {
							tol = 2e-6
						}
						if d := math.Abs(float64(got[i]) - want); d > tol*math.Abs(want)+1e-12 {
							t.Fatalf("act %d n %d: f(%g)·%g = %g, want %g", a, n, x, u[i], got[i], want)
						}
					}
				}
			})
		}
	}
}
