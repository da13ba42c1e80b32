package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// forNEONLevels runs f at each NEON level the CPU has (skipping the test
// when it has none).
func forNEONLevels(t *testing.T, f func(t *testing.T)) {
	if MaxCPULevel() < NEON {
		t.Skip("no Advanced SIMD")
	}
	for _, l := range []Level{NEON, NEONDot} {
		if l > MaxCPULevel() {
			continue
		}
		t.Run(l.String(), func(t *testing.T) {
			old := setLevel(l)
			defer setLevel(old)
			f(t)
		})
	}
}

// neonAttnCases are awkward shapes for the NEON kernels: key counts that
// leave partial groups (and several Q8_0 buffer slices), head sizes that
// leave partial column blocks, every query count up to 16.
func neonAttnCases() []attnCase {
	var cs []attnCase
	for _, kt := range []KVType{KVF32, KVF16, KVQ8_0} {
		hds := []int{64, 80, 96, 128, 256}
		if kt == KVQ8_0 {
			hds = append(hds, 544) // beyond the widening buffer: Go loops
		} else {
			hds = append(hds, 4, 12, 36, 6) // 6: not a multiple of 4
		}
		for _, hd := range hds {
			if kt == KVQ8_0 && hd%32 != 0 {
				continue
			}
			for nq := 1; nq <= 16; nq++ {
				for _, nk := range []int{1, 3, 17, 63, 100} {
					cs = append(cs, attnCase{kt, hd, nq, nk})
				}
			}
		}
	}
	return cs
}

// widenedRows returns the n rows of hd elements of type t as float64.
func widenedRows(t KVType, src []byte, stride, n, hd int) [][]float64 {
	rows := make([][]float64, n)
	buf := make([]float32, hd)
	for j := range rows {
		widenKV(t, buf, src[j*stride:])
		rows[j] = make([]float64, hd)
		for d, x := range buf {
			rows[j][d] = float64(x)
		}
	}
	return rows
}

func TestAttnNEONScores(t *testing.T) {
	forNEONLevels(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(11, 12))
		for _, c := range neonAttnCases() {
			name := fmt.Sprintf("%v/hd%d/nq%d/nk%d", c.kt, c.hd, c.nq, c.nk)
			stride := c.kt.RowBytes(c.hd) + 2 + 4*r.IntN(3) // unaligned rows
			k, _ := kvRows(r, c.kt, c.nk, c.hd, stride, 1)
			rows := widenedRows(c.kt, k, stride, c.nk, c.hd)
			q := randFloats(r, c.nq*c.hd)
			ldS := c.nk + 5
			got := make([]float32, c.nq*ldS)
			want := make([]float32, c.nq*ldS)
			for i := range got {
				got[i], want[i] = -3, -3
			}
			const scale = 0.0883883
			AttnScores(got, ldS, q, c.nq, c.hd, k, stride, c.kt, c.nk, scale, 0)
			attnScoresGo(want, ldS, q, 0, c.nq, c.hd, k, stride, c.kt, 0, c.nk, scale)
			for i := 0; i < c.nq; i++ {
				for j := 0; j < ldS; j++ {
					g, w := got[i*ldS+j], want[i*ldS+j]
					if j >= c.nk {
						if g != -3 {
							t.Fatalf("%s: wrote s[%d][%d] beyond the keys", name, i, j)
						}
						continue
					}
					var mag float64
					for d, x := range rows[j] {
						mag += math.Abs(float64(q[i*c.hd+d]) * x)
					}
					if diff := math.Abs(float64(g) - float64(w)); diff > 2e-6*mag*scale+1e-30 {
						t.Fatalf("%s: s[%d][%d] = %v, Go loops %v", name, i, j, g, w)
					}
				}
			}
		}
	})
}

func TestAttnNEONAccumulate(t *testing.T) {
	forNEONLevels(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(13, 14))
		for _, c := range neonAttnCases() {
			name := fmt.Sprintf("%v/hd%d/nq%d/nk%d", c.kt, c.hd, c.nq, c.nk)
			stride := c.kt.RowBytes(c.hd) + 2 + 4*r.IntN(3)
			v, _ := kvRows(r, c.kt, c.nk, c.hd, stride, 3)
			rows := widenedRows(c.kt, v, stride, c.nk, c.hd)
			ldP := c.nk + 2
			p := make([]float32, c.nq*ldP)
			for i := range p {
				p[i] = r.Float32()
				if r.IntN(5) == 0 {
					p[i] = 0
				}
			}
			ldO := c.hd + 3
			got := randFloats(r, c.nq*ldO)
			want := append([]float32(nil), got...)
			before := append([]float32(nil), got...)
			AttnAccumulate(got, ldO, p, ldP, c.nq, v, stride, c.kt, c.nk, c.hd, 0)
			attnAccumulateGo(want, ldO, p, ldP, c.nq, v, stride, c.kt, c.nk, c.hd)
			for i := 0; i < c.nq; i++ {
				for d := 0; d < ldO; d++ {
					g, w := got[i*ldO+d], want[i*ldO+d]
					if d >= c.hd {
						if g != before[i*ldO+d] {
							t.Fatalf("%s: wrote out[%d][%d] beyond the row", name, i, d)
						}
						continue
					}
					mag := math.Abs(float64(before[i*ldO+d]))
					for j := 0; j < c.nk; j++ {
						mag += math.Abs(float64(p[i*ldP+j]) * rows[j][d])
					}
					if diff := math.Abs(float64(g) - float64(w)); diff > 2e-6*mag+1e-30 {
						t.Fatalf("%s: out[%d][%d] = %v, Go loops %v", name, i, d, g, w)
					}
				}
			}
		}
	})
}

func TestAttnNEONWiden(t *testing.T) {
	forNEONLevels(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(15, 16))
		for _, kt := range []KVType{KVF32, KVF16, KVQ8_0} {
			for _, hd := range []int{4, 12, 20, 32, 36, 64, 80, 96, 128, 256, 544} {
				if kt == KVQ8_0 && hd%32 != 0 {
					continue
				}
				for _, n := range []int{1, 2, 3, 17} {
					stride := kt.RowBytes(hd) + 1 + r.IntN(7)
					src, _ := kvRows(r, kt, n, hd, stride, 1)
					ld := hd + 1
					got := make([]float32, (n-1)*ld+hd+1)
					want := make([]float32, len(got))
					got[len(got)-1], want[len(want)-1] = 5, 5
					AttnWiden(got, ld, src, stride, kt, n, hd)
					attnWidenGo(want, ld, src, stride, kt, n, hd)
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%v/hd%d/n%d: [%d] = %v, Go loops %v", kt, hd, n, i, got[i], want[i])
						}
					}
				}
			}
		}
	})
}

func TestAttnNEONSoftmaxParts(t *testing.T) {
	forNEONLevels(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(17, 18))
		special := []float32{0, -86.99, -87, -87.01, -88, -100, float32(math.Inf(-1)), -1e-30}
		for n := 0; n <= 41; n++ {
			x := make([]float32, n+1)
			for i := range x {
				x[i] = float32(r.NormFloat64() * 20)
				if r.IntN(6) == 0 {
					x[i] = special[r.IntN(len(special))]
				}
			}
			x[n] = 1e30 // beyond the slice
			if got, want := AttnMax(x[:n]), attnMaxGo(x[:n]); got != want {
				t.Fatalf("n=%d: max %v, Go loops %v", n, got, want)
			}
			m := attnMaxGo(x[:n])
			if n == 0 {
				m = 0
			}
			want := append([]float32(nil), x...)
			wantSum := attnExpSumGo(want[:n], m)
			sum := AttnExpSum(x[:n], m)
			for i := range x {
				g, w := x[i], want[i]
				if d := math.Abs(float64(g) - float64(w)); d > 3e-7*float64(w) || (w == 0) != (g == 0) {
					t.Fatalf("n=%d: [%d] = %v, Go loops %v", n, i, g, w)
				}
			}
			if d := math.Abs(float64(sum) - float64(wantSum)); d > 1e-6*float64(wantSum) {
				t.Fatalf("n=%d: sum %v, Go loops %v", n, sum, wantSum)
			}
		}
	})
}

// TestAttnNEONMaxNaN: a NaN anywhere makes the maximum NaN, as in Go.
func TestAttnNEONMaxNaN(t *testing.T) {
	forNEONLevels(t, func(t *testing.T) {
		for _, n := range []int{4, 17, 32} {
			for at := 0; at < n; at++ {
				x := make([]float32, n)
				x[at] = float32(math.NaN())
				if got := AttnMax(x); !math.IsNaN(float64(got)) {
					t.Fatalf("n=%d, NaN at %d: max %v", n, at, got)
				}
			}
		}
	})
}
