package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// legacyX4Activations quantizes four random activation rows of cols values
// each to tensor.VecDotType(t), one after another.
func legacyX4Activations(t *testing.T, rng *rand.Rand, dt tensor.DType, cols int) []byte {
	t.Helper()
	vdt := tensor.VecDotType(dt)
	rb, err := tensor.RowBytes(vdt, cols)
	if err != nil {
		t.Fatal(err)
	}
	x := randomVec(rng, 4*cols)
	xs := make([]byte, 4*rb)
	for k := 0; k < 4; k++ {
		if err := tensor.Quantize(vdt, x[k*cols:(k+1)*cols], xs[k*rb:(k+1)*rb]); err != nil {
			t.Fatal(err)
		}
	}
	return xs
}

// TestLegacyX4VecDot checks the four-token path of dotVecDotX4 (the AVX2
// kernels of legacyx4avx2_amd64.s at that level) against four calls of
// the row kernel, bit for bit per token, on integer-valued data (where
// both must equal the reference) and on random data, with the token rows
// packed or apart with junk between them.
func TestLegacyX4VecDot(t *testing.T) { forLevels(t, testLegacyX4VecDot) }

func testLegacyX4VecDot(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	must := runtime.GOARCH == "amd64" && (level == AVX2 || level == AVX512)
	for _, dt := range legacyX4Types {
		xs := tensor.VecDotType(dt).TypeSize()
		for _, nb := range []int{1, 2, 3, 7, 8, 17} {
			for trial := 0; trial < 12; trial++ {
				integer := trial%3 == 0
				var w, x []byte
				if integer {
					w = exactWeight(rng, dt, nb)
					x = exactActivations(rng, dt, 4*nb, 127)
				} else {
					w = randomWeight(rng, dt, 1, nb*dt.BlockSize()).Data
					x = legacyX4Activations(t, rng, dt, nb*dt.BlockSize())
				}
				rb := len(x) / 4
				stride := rb
				if trial%2 == 1 {
					stride = rb + 2*xs + 7
				}
				buf := spreadTokens(rng, x, rb, stride)
				var x4 [4]float32
				did := dotVecDotX4(dt, w, buf, stride, &x4)
				name := fmt.Sprintf("%v nb=%d trial %d (integer %v, stride %d)", dt, nb, trial, integer, stride)
				if must && !did {
					t.Fatalf("%s: no four-token kernel at %v", name, level)
				}
				for k := 0; k < 4; k++ {
					xq := x[k*rb : (k+1)*rb]
					want := dotQ8Ref(dt, w, xq)
					if integer {
						if ref := tensor.DotQ8Ref(dt, w, xq); want != ref {
							t.Fatalf("%s: token %d: row kernel %v, reference %v", name, k, want, ref)
						}
					}
					if did && math.Float32bits(x4[k]) != math.Float32bits(want) {
						t.Fatalf("%s: token %d = %v, row kernel %v", name, k, x4[k], want)
					}
				}
			}
		}
	}
}

// TestLegacyX4MatMulTokens runs MatMul with 4, 5 and 9 tokens (four-token
// kernel alone, and with the row kernel for the rest) and checks every
// output against the float reference and, bit for bit, against MatMul of
// each token alone.
func TestLegacyX4MatMulTokens(t *testing.T) { forLevels(t, testLegacyX4MatMulTokens) }

func testLegacyX4MatMulTokens(t *testing.T) {
	rng := rand.New(rand.NewPCG(47, 48))
	p := NewPool(2)
	defer p.Close()
	for _, dt := range legacyX4Types {
		for _, nb := range []int{1, 2, 3, 7, 8, 17} {
			cols := nb * dt.BlockSize()
			rows := 5
			w := randomWeight(rng, dt, rows, cols)
			for _, n := range []int{4, 5, 9} {
				x := randomVec(rng, n*cols)
				got := make([]float32, n*rows)
				MatMul(p, got, w, x, n)
				name := fmt.Sprintf("%v cols=%d n=%d", dt, cols, n)
				want, mag := refMatMul(w, x, n)
				checkClose(t, name, got, want, mag, 1e-5)
				one := make([]float32, rows)
				for b := 0; b < n; b++ {
					MatMul(p, one, w, x[b*cols:(b+1)*cols], 1)
					for r := range rows {
						if g := got[b*rows+r]; math.Float32bits(g) != math.Float32bits(one[r]) {
							t.Fatalf("%s: token %d row %d = %v, alone %v", name, b, r, g, one[r])
						}
					}
				}
			}
		}
	}
}
