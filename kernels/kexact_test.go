package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// TestMatMulKQuantExact runs whole K-quant matrix products through MatMul,
// file layout and Prepare'd, for 1 to 9 tokens, and requires every output
// to equal tensor.DotQ8Ref on tensor.Quantize'd activations bit for bit.
// The weights have unit scales and the activations are small integers with
// one ±127 per Q8_K block, so the quantizer is exact (scale ±1) and every
// partial sum is an integer below 2^24: any order of summation gives the
// same float32, and any difference is an arithmetic error, not rounding.
func TestMatMulKQuantExact(t *testing.T) { forLevels(t, testMatMulKQuantExact) }

func testMatMulKQuantExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	p := NewPool(2)
	defer p.Close()
	const rows = 37
	for _, dt := range []tensor.DType{tensor.Q4_K, tensor.Q5_K, tensor.Q6_K} {
		for _, cols := range []int{512, 1024} {
			nb := cols / 256
			w := &tensor.Tensor{Name: fmt.Sprintf("exact_%v", dt), Type: dt, Shape: []int{rows, cols},
				Data: exactWeight(rng, dt, rows*nb)}
			for _, n := range []int{1, 4, 5, 9} {
				x := exactKActivations(rng, n*cols)
				want := make([]float32, n*rows)
				xq := make([]byte, 292*nb)
				for b := 0; b < n; b++ {
					if err := tensor.Quantize(tensor.Q8_K, x[b*cols:(b+1)*cols], xq); err != nil {
						t.Fatal(err)
					}
					for r := 0; r < rows; r++ {
						want[b*rows+r] = tensor.DotQ8Ref(dt, w.Row(r), xq)
					}
				}
				for _, pw := range []*tensor.Tensor{w, Prepare(w)} {
					got := make([]float32, n*rows)
					MatMul(p, got, pw, x, n)
					for i := range want {
						if got[i] != want[i] {
							t.Fatalf("%v cols=%d n=%d prepared=%v: token %d row %d = %v, want %v",
								dt, cols, n, Prepared(pw), i/rows, i%rows, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// exactKActivations returns n floats, in Q8_K blocks of 256, that quantize
// exactly: integers in [-2, 2] with one ±127 per block, which makes the
// block's scale ±1.
func exactKActivations(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.IntN(5) - 2)
	}
	for b := 0; b < n; b += 256 {
		x[b+rng.IntN(256)] = float32(127 * (1 - 2*rng.IntN(2)))
	}
	return x
}
