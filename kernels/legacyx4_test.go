package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// legacyX4Types are the 32-value formats with a min or a fifth bit whose
// four-token kernels live in legacyx4_*.
var legacyX4Types = []tensor.DType{tensor.Q4_1, tensor.Q5_0, tensor.Q5_1}

// spreadTokens copies four activation rows of rb bytes each into a buffer
// with rows stride bytes apart (the gap filled with junk), so that a
// kernel reading past its row or ignoring the stride shows.
func spreadTokens(rng *rand.Rand, xs []byte, rb, stride int) []byte {
	out := make([]byte, 3*stride+rb)
	for i := range out {
		out[i] = byte(rng.Uint32())
	}
	for k := 0; k < 4; k++ {
		copy(out[k*stride:k*stride+rb], xs[k*rb:(k+1)*rb])
	}
	return out
}

// TestLegacyX4Exact checks that the four-token kernels give, for every
// token, exactly the result of the row kernel (dotQ8Ref): bit for bit on
// integer-valued data, where both must also equal the reference, and on
// random data, where the kernels take the same float steps per token.
func TestLegacyX4Exact(t *testing.T) { forLevels(t, testLegacyX4Exact) }

func testLegacyX4Exact(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, dt := range legacyX4Types {
		for _, nb := range []int{1, 2, 3, 7, 8, 17} {
			for trial := 0; trial < 12; trial++ {
				integer := trial%2 == 0
				var w, xs []byte
				if integer {
					w = exactWeight(rng, dt, nb)
					xs = exactActivations(rng, dt, 4*nb, 127)
				} else {
					cols := nb * dt.BlockSize()
					w = randomWeight(rng, dt, 1, cols).Data
					x := randomVec(rng, 4*cols)
					vdt := tensor.VecDotType(dt)
					rb, _ := tensor.RowBytes(vdt, cols)
					xs = make([]byte, 4*rb)
					for k := 0; k < 4; k++ {
						if err := tensor.Quantize(vdt, x[k*cols:(k+1)*cols], xs[k*rb:(k+1)*rb]); err != nil {
							t.Fatal(err)
						}
					}
				}
				rb := len(xs) / 4
				stride := rb
				if trial%3 == 1 {
					stride = rb + 3*tensor.VecDotType(dt).TypeSize() + 5
				}
				buf := spreadTokens(rng, xs, rb, stride)
				var x4 [4]float32
				did := dotMoreQ8x4(dt, w, buf, stride, &x4)
				if level == AVX512 && !did {
					t.Fatalf("%v: no four-token kernel at AVX512", dt)
				}
				name := fmt.Sprintf("%v nb=%d trial %d (integer %v, stride %d)", dt, nb, trial, integer, stride)
				for k := 0; k < 4; k++ {
					xq := xs[k*rb : (k+1)*rb]
					want := dotQ8Ref(dt, w, xq)
					if integer {
						if ref := tensor.DotQ8Ref(dt, w, xq); want != ref {
							t.Fatalf("%s: row kernel %v, reference %v", name, want, ref)
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

// TestLegacyX4MatMul runs the formats through MatMul at token counts that
// use the four-token kernels alone (4) and with the row kernel (5, 9).
func TestLegacyX4MatMul(t *testing.T) { forLevels(t, testLegacyX4MatMul) }

func testLegacyX4MatMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	p := NewPool(2)
	defer p.Close()
	for _, dt := range legacyX4Types {
		for _, nb := range []int{1, 2, 3, 17} {
			cols := nb * dt.BlockSize()
			for _, rows := range []int{1, 7} {
				for _, n := range []int{4, 5, 9} {
					w := randomWeight(rng, dt, rows, cols)
					x := randomVec(rng, n*cols)
					got := make([]float32, n*rows)
					MatMul(p, got, w, x, n)
					want, mag := refMatMul(w, x, n)
					checkClose(t, fmt.Sprintf("%v rows=%d cols=%d n=%d", dt, rows, cols, n), got, want, mag, 1e-5)
				}
			}
		}
	}
}
