package kernels

import (
	"math"
	"testing"
)

// TestGatedActSweep runs the gated activations over a dense sweep of gate
// values, across the range where e^x over- and underflows, at lengths that
// leave tails for the Go path, against float64 formulas (where e^x
// overflows float32, results below 1e-35 may flush to zero).
func TestGatedActSweep(t *testing.T) {
	for _, l := range []Level{NEON, NEONDot} {
		if l > MaxCPULevel() {
			continue
		}
		t.Run(l.String(), func(t *testing.T) {
			old := setLevel(l)
			defer setLevel(old)
			testGatedActSweep(t)
		})
	}
}

func testGatedActSweep(t *testing.T) {
	var g []float32
	for v := -130.0; v <= 130; v += 0.173 {
		g = append(g, float32(v))
	}
	for _, v := range []float64{-89, -88.72, -88.5, -88, -87.3, -44.4, -44, 43.9, 44.4, 87.3, 88, 88.72, 89} {
		g = append(g, float32(v))
	}
	for _, n := range []int{len(g), len(g) - 3, 8, 7, 9} {
		for _, a := range []Activation{SiLUAct, GELUTanhAct} {
			got := append([]float32(nil), g[:n]...)
			up := make([]float32, n)
			for i := range up {
				up[i] = 1 + float32(i%5)/4
			}
			gatedMul(a, got, up)
			for i, x := range g[:n] {
				xf := float64(x)
				var f float64
				tol := 4e-7
				if a == SiLUAct {
					f = xf / (1 + math.Exp(-xf))
				} else {
					// (1 + tanh u)/2 = 1/(1 + e^-2u), without tanh's cancellation.
					u := 2 * 0.7978845608028654 * (xf + 0.044715*xf*xf*xf)
					f = xf / (1 + math.Exp(-u))
					// The float32 argument of e^x is off by a few ulp of u.
					tol = 4e-7 + 2e-7*math.Abs(u)
				}
				want := f * float64(up[i])
				if d := math.Abs(float64(got[i]) - want); d > tol*math.Abs(want)+1e-35 {
					t.Fatalf("act %d n %d: f(%g)·%g = %g, want %g", a, n, x, up[i], got[i], want)
				}
			}
		}
	}
}
