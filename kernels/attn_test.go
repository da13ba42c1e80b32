package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// encodeKV writes x as type t into dst (t.RowBytes(len(x)) bytes) and
// returns the values the encoding represents exactly.
func encodeKV(t KVType, dst []byte, x []float32) []float64 {
	exact := make([]float64, len(x))
	switch t {
	case KVF16:
		for i, v := range x {
			h := tensor.F32ToF16(v)
			dst[2*i], dst[2*i+1] = byte(h), byte(h>>8)
			exact[i] = float64(tensor.F16ToF32(h))
		}
	case KVQ8_0:
		for b := 0; b < len(x); b += 32 {
			blk := dst[b/32*34:][:34]
			var amax float32
			for _, v := range x[b : b+32] {
				amax = max(amax, float32(math.Abs(float64(v))))
			}
			h := tensor.F32ToF16(amax / 127)
			d := tensor.F16ToF32(h)
			blk[0], blk[1] = byte(h), byte(h>>8)
			for i, v := range x[b : b+32] {
				q := int8(0)
				if d != 0 {
					q = int8(max(-127, min(127, math.Round(float64(v/d)))))
				}
				blk[2+i] = byte(q)
				exact[b+i] = float64(d) * float64(q)
			}
		}
	default:
		for i, v := range x {
			u := math.Float32bits(v)
			dst[4*i], dst[4*i+1], dst[4*i+2], dst[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
			exact[i] = float64(v)
		}
	}
	return exact
}

// kvRows makes n rows of hd random values of type t, stride bytes apart at
// byte offset off, and their exact values.
func kvRows(r *rand.Rand, t KVType, n, hd, stride, off int) ([]byte, [][]float64) {
	buf := make([]byte, off+(n-1)*stride+t.RowBytes(hd))
	for i := range buf {
		buf[i] = byte(r.IntN(256)) // garbage around the rows
	}
	exact := make([][]float64, n)
	x := make([]float32, hd)
	for j := range exact {
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		exact[j] = encodeKV(t, buf[off+j*stride:], x)
	}
	return buf[off:], exact
}

func randFloats(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

type attnCase struct {
	kt         KVType
	hd, nq, nk int
}

func attnCases() []attnCase {
	var cs []attnCase
	for _, kt := range []KVType{KVF32, KVF16, KVQ8_0} {
		for _, hd := range []int{8, 40, 64, 80, 96, 128, 256} {
			if kt == KVQ8_0 && hd%32 != 0 {
				continue
			}
			for nq := 1; nq <= 16; nq++ {
				for _, nk := range []int{1, 3, 4, 7, 8, 15, 16, 17, 33, 64, 70} {
					cs = append(cs, attnCase{kt, hd, nq, nk})
				}
			}
		}
	}
	return cs
}

// prefetchDistance varies the prefetch hint over the cases: the default, a
// distance back before the rows, one far past any buffer, and a few bytes
// (inside a row). None may change a result or fault.
func prefetchDistance(i, stride int) int {
	return [...]int{0, -5 * stride, 1 << 30, 7}[i%4]
}

func TestAttnScores(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for ci, c := range attnCases() {
			name := fmt.Sprintf("%v/hd%d/nq%d/nk%d", c.kt, c.hd, c.nq, c.nk)
			// Rows of two heads; the keys are those of the second.
			stride := 2*c.kt.RowBytes(c.hd) + 4
			k, exact := kvRows(r, c.kt, c.nk, c.hd, stride, c.kt.RowBytes(c.hd))
			q := randFloats(r, c.nq*c.hd)
			ldS := c.nk + 3
			s := make([]float32, c.nq*ldS)
			for i := range s {
				s[i] = 12345
			}
			const scale = 0.125
			AttnScores(s, ldS, q, c.nq, c.hd, k, stride, c.kt, c.nk, scale, prefetchDistance(ci, stride))
			for i := 0; i < c.nq; i++ {
				for j := 0; j < ldS; j++ {
					got := s[i*ldS+j]
					if j >= c.nk {
						if got != 12345 {
							t.Fatalf("%s: wrote s[%d][%d] beyond the keys", name, i, j)
						}
						continue
					}
					var want, mag float64
					for d := 0; d < c.hd; d++ {
						p := float64(q[i*c.hd+d]) * exact[j][d]
						want += p
						mag += math.Abs(p)
					}
					want *= scale
					mag *= scale
					if diff := math.Abs(float64(got) - want); diff > 1e-5*mag+1e-30 {
						t.Fatalf("%s: s[%d][%d] = %v, want %v", name, i, j, got, want)
					}
				}
			}
		}
	})
}

func TestAttnAccumulate(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		for ci, c := range attnCases() {
			name := fmt.Sprintf("%v/hd%d/nq%d/nk%d", c.kt, c.hd, c.nq, c.nk)
			stride := 3*c.kt.RowBytes(c.hd) + 2
			v, exact := kvRows(r, c.kt, c.nk, c.hd, stride, 2*c.kt.RowBytes(c.hd))
			ldP := c.nk + 1
			p := make([]float32, c.nq*ldP)
			for i := range p {
				p[i] = r.Float32()
				if r.IntN(8) == 0 {
					p[i] = 0
				}
			}
			ldO := c.hd + 5
			out := randFloats(r, c.nq*ldO)
			before := append([]float32(nil), out...)
			AttnAccumulate(out, ldO, p, ldP, c.nq, v, stride, c.kt, c.nk, c.hd, prefetchDistance(ci, stride))
			for i := 0; i < c.nq; i++ {
				for d := 0; d < ldO; d++ {
					got := out[i*ldO+d]
					if d >= c.hd {
						if got != before[i*ldO+d] {
							t.Fatalf("%s: wrote out[%d][%d] beyond the row", name, i, d)
						}
						continue
					}
					want := float64(before[i*ldO+d])
					mag := math.Abs(want)
					for j := 0; j < c.nk; j++ {
						x := float64(p[i*ldP+j]) * exact[j][d]
						want += x
						mag += math.Abs(x)
					}
					if diff := math.Abs(float64(got) - want); diff > 1e-5*mag+1e-30 {
						t.Fatalf("%s: out[%d][%d] = %v, want %v", name, i, d, got, want)
					}
				}
			}
		}
	})
}

func TestAttnWiden(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		for _, kt := range []KVType{KVF32, KVF16, KVQ8_0} {
			for _, hd := range []int{8, 32, 64, 80, 96, 128, 256} {
				if kt == KVQ8_0 && hd%32 != 0 {
					continue
				}
				for _, n := range []int{1, 5, 64} {
					stride := 2*kt.RowBytes(hd) + 6
					src, exact := kvRows(r, kt, n, hd, stride, kt.RowBytes(hd))
					ld := hd + 3
					dst := make([]float32, n*ld)
					for i := range dst {
						dst[i] = -7
					}
					AttnWiden(dst, ld, src, stride, kt, n, hd)
					for j := 0; j < n; j++ {
						for d := 0; d < ld; d++ {
							want := -7.0
							if d < hd {
								want = exact[j][d]
							}
							if got := float64(dst[j*ld+d]); got != want && math.Abs(got-want) > 1e-7*math.Abs(want) {
								t.Fatalf("%v/hd%d/n%d: row %d [%d] = %v, want %v", kt, hd, n, j, d, got, want)
							}
						}
					}
				}
			}
		}
	})
}

func TestAttnSoftmaxParts(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		for n := 0; n <= 70; n++ {
			x := make([]float32, n+1)
			for i := range x {
				x[i] = float32(r.NormFloat64() * 30)
				if r.IntN(10) == 0 {
					x[i] = float32(math.Inf(-1))
				}
			}
			x[n] = 999 // beyond the slice: must be left alone
			want := float32(math.Inf(-1))
			for _, v := range x[:n] {
				want = max(want, v)
			}
			if got := AttnMax(x[:n]); got != want {
				t.Fatalf("n=%d: max %v, want %v", n, got, want)
			}
			m := want
			if n == 0 {
				m = 0
			}
			orig := append([]float32(nil), x...)
			sum := AttnExpSum(x[:n], m)
			var wantSum float64
			for i, v := range orig[:n] {
				arg := float64(v - m) // the kernels subtract in float32
				e := math.Exp(arg)
				if arg < -87 || math.IsNaN(arg) {
					e = 0
				}
				if d := math.Abs(float64(x[i]) - e); d > 4e-7*e {
					t.Fatalf("n=%d: e^(%v) = %v, want %v", n, v-m, x[i], e)
				}
				wantSum += e
			}
			if x[n] != 999 {
				t.Fatalf("n=%d: wrote beyond the slice", n)
			}
			if d := math.Abs(float64(sum) - wantSum); d > 1e-6*wantSum {
				t.Fatalf("n=%d: sum %v, want %v", n, sum, wantSum)
			}
		}
	})
}

func TestAttnBadShapes(t *testing.T) {
	cases := []struct {
		name string
		f    func()
	}{
		{"q8 head size", func() {
			AttnScores(make([]float32, 4), 4, make([]float32, 40), 1, 40, make([]byte, 400), 40, KVQ8_0, 4, 1, 0)
		}},
		{"short keys", func() {
			AttnScores(make([]float32, 4), 4, make([]float32, 16), 1, 16, make([]byte, 100), 64, KVF32, 4, 1, 0)
		}},
		{"short output", func() {
			AttnAccumulate(make([]float32, 10), 16, make([]float32, 4), 4, 1, make([]byte, 256), 64, KVF32, 4, 16, 0)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic")
				}
			}()
			c.f()
		})
	}
}

func BenchmarkAttnScores(b *testing.B) {
	for _, kt := range []KVType{KVF32, KVF16, KVQ8_0} {
		for _, nq := range []int{1, 2, 4, 16} {
			b.Run(fmt.Sprintf("%v/nq%d", kt, nq), func(b *testing.B) {
				const hd, nk = 64, 64
				r := rand.New(rand.NewPCG(1, 1))
				stride := 8 * kt.RowBytes(hd)
				k, _ := kvRows(r, kt, nk, hd, stride, 0)
				q := randFloats(r, nq*hd)
				s := make([]float32, nq*nk)
				for i := 0; i < b.N; i++ {
					AttnScores(s, nk, q, nq, hd, k, stride, kt, nk, 1, 0)
				}
				b.ReportMetric(float64(nq*nk*hd)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFMA/s")
			})
		}
	}
}

func BenchmarkAttnAccumulate(b *testing.B) {
	for _, kt := range []KVType{KVF32, KVF16, KVQ8_0} {
		for _, nq := range []int{1, 2, 4, 16} {
			b.Run(fmt.Sprintf("%v/nq%d", kt, nq), func(b *testing.B) {
				const hd, nk = 64, 64
				r := rand.New(rand.NewPCG(1, 1))
				stride := 8 * kt.RowBytes(hd)
				v, _ := kvRows(r, kt, nk, hd, stride, 0)
				p := randFloats(r, nq*nk)
				out := make([]float32, nq*hd)
				for i := 0; i < b.N; i++ {
					AttnAccumulate(out, hd, p, nk, nq, v, stride, kt, nk, hd, 0)
				}
				b.ReportMetric(float64(nq*nk*hd)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFMA/s")
			})
		}
	}
}
