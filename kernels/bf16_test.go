package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// TestMatMulBF16 checks BF16 weights on shapes that reach every part of the
// bfloat16 paths (whole 128-value steps, 32-value tails, columns past the
// last multiple of 32, tiles of four rows × four tokens and the rows and
// tokens left over), at every level, with and without AVX512_BF16 where the
// CPU has it, against the reference on bfloat16-rounded activations.
func TestMatMulBF16(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		for _, useBF16 := range []bool{true, false} {
			if useBF16 && !bf16Dot() {
				continue
			}
			t.Run(fmt.Sprint("bf16dot=", useBF16), func(t *testing.T) {
				defer setBF16(setBF16(useBF16))
				rng := rand.New(rand.NewPCG(11, 12))
				for _, threads := range []int{1, 2} {
					p := NewPool(threads)
					for _, cols := range []int{32, 64, 160, 2048, 4100} {
						for _, rows := range []int{1, 4, 5, 33} {
							for _, n := range []int{1, 4, 8, 9} {
								w := randomWeight(rng, tensor.BF16, rows, cols)
								x := randomVec(rng, n*cols)
								got := make([]float32, n*rows)
								MatMul(p, got, w, x, n)
								want, mag := refMatMul(w, x, n)
								checkClose(t, fmt.Sprintf("threads=%d rows=%d cols=%d n=%d", threads, rows, cols, n), got, want, mag, 1e-5)
							}
						}
					}
					p.Close()
				}
			})
		}
	})
}

// TestBF16RoundsActivations pins the semantics: a BF16 product sees its
// activations rounded to bfloat16 (to nearest even), as GGML computes it,
// not the float32 values.
func TestBF16RoundsActivations(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		const cols = 64
		w := &tensor.Tensor{Name: "ones", Type: tensor.BF16, Shape: []int{1, cols}, Data: make([]byte, 2*cols)}
		for i := 0; i < cols; i++ {
			w.Data[2*i], w.Data[2*i+1] = 0x80, 0x3f // 1.0
		}
		x := make([]float32, cols)
		x[0] = 1 + 1.0/256 // halfway between bfloat16 neighbours 1/128 apart: to even, 1
		x[1] = 2 + 3.0/128 // halfway between neighbours 1/64 apart: up to the even 2 + 1/32
		p := NewPool(1)
		defer p.Close()
		out := make([]float32, 1)
		MatMul(p, out, w, x, 1)
		if want := float32(3 + 1.0/32); out[0] != want { // unrounded: 3.02734375
			t.Fatalf("sum = %v, want %v", out[0], want)
		}
	})
}
