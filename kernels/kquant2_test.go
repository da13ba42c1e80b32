package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// kquant2Types are the vec-dot types whose kernels live in kquant2_* (and
// the K-quants whose four-token AVX2 kernels do).
var kquant2Types = []tensor.DType{tensor.Q2_K, tensor.Q3_K, tensor.Q4_K, tensor.Q5_K, tensor.Q6_K, tensor.Q4_1, tensor.Q5_0, tensor.Q5_1}

// awkwardBlocks are the row lengths (in blocks) the exactness tests visit:
// one block, odd counts, and enough to run every loop many times.
var awkwardBlocks = []int{1, 2, 3, 5, 7, 8, 17, 40}

// TestVecDotKernelsExact checks the row and four-token kernels of every
// vec-dot type against tensor.DotQ8Ref bit for bit: unit scales and small
// activations make every partial sum an integer that float32 holds exactly.
func TestVecDotKernelsExact(t *testing.T) { forLevels(t, testVecDotKernelsExact) }

func testVecDotKernelsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, dt := range kquant2Types {
		for _, nb := range awkwardBlocks {
			for trial := 0; trial < 10; trial++ {
				w := exactWeight(rng, dt, nb)
				xs := exactActivations(rng, dt, 4*nb, 3)
				xb := len(xs) / 4
				var x4 [4]float32
				did := dotVecDotX4(dt, w, xs, xb, &x4)
				if !did && hasX4(dt) {
					t.Fatalf("%v nb=%d: no four-token kernel at %v", dt, nb, level)
				}
				for k := 0; k < 4; k++ {
					xq := xs[k*xb : (k+1)*xb]
					want := tensor.DotQ8Ref(dt, w, xq)
					if got := dotQ8Ref(dt, w, xq); got != want {
						t.Fatalf("%v nb=%d trial %d token %d: row kernel %v, want %v", dt, nb, trial, k, got, want)
					}
					if did && x4[k] != want {
						t.Fatalf("%v nb=%d trial %d: four-token kernel token %d = %v, want %v", dt, nb, trial, k, x4[k], want)
					}
				}
			}
		}
	}
}

// hasX4 reports whether a four-token kernel must exist for t at the
// running level (amd64: the K-quants at AVX2 and AVX-512).
func hasX4(t tensor.DType) bool {
	if runtime.GOARCH != "amd64" || (level != AVX2 && level != AVX512) {
		return false
	}
	switch t {
	case tensor.Q2_K, tensor.Q3_K, tensor.Q4_K, tensor.Q5_K, tensor.Q6_K:
		return true
	}
	return false
}

// TestVecDotKernelsFullRange uses random scales and activations quantized
// from random floats (the full int8 range, including -128 for Q8_K): the
// kernels must agree with the reference to float rounding.
func TestVecDotKernelsFullRange(t *testing.T) { forLevels(t, testVecDotKernelsFullRange) }

func testVecDotKernelsFullRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, dt := range kquant2Types {
		for _, nb := range awkwardBlocks {
			cols := nb * dt.BlockSize()
			checkRowAndX4(t, rng, dt, cols, fmt.Sprintf("%v nb=%d", dt, nb), dotVecDotX4)
		}
	}
}

// TestQ8x4Exact checks the four-token Q8_0 and Q4_0 kernels in the
// activation layout MatMul gives each type, bit for bit against
// tensor.DotQ8Ref (unit weight scales, activations of scale 1).
func TestQ8x4Exact(t *testing.T) { forLevels(t, testQ8x4Exact) }

func testQ8x4Exact(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	for _, dt := range []tensor.DType{tensor.Q8_0, tensor.Q4_0} {
		off, interleave := int32(128), false
		if dt == tensor.Q4_0 {
			off, interleave = 8, true
		}
		for _, nb := range awkwardBlocks {
			cols := 32 * nb
			w := exactWeight(rng, dt, nb)
			var a q8Act
			a.prepare(5, cols, interleave)
			want := make([]float32, 5)
			for tok := range 5 {
				x := make([]float32, cols)
				for i := range x {
					x[i] = float32(rng.IntN(255) - 127)
				}
				for i := 0; i < cols; i += 32 {
					x[i+rng.IntN(32)] = 127
				}
				a.quantizeToken(tok, x, off)
				xq := make([]byte, nb*34)
				if err := tensor.Quantize(tensor.Q8_0, x, xq); err != nil {
					t.Fatal(err)
				}
				want[tok] = tensor.DotQ8Ref(dt, w, xq)
			}
			for _, tok := range []int{0, 1} {
				var o4 [4]float32
				if !dotQ8x4(dt, w, &a, tok, &o4) {
					if runtime.GOARCH == "amd64" && (level == AVX2 || level == AVX512) && nb >= 2 {
						t.Fatalf("%v nb=%d: no four-token kernel at %v", dt, nb, level)
					}
					continue
				}
				for k, v := range o4 {
					if v != want[tok+k] {
						t.Fatalf("%v nb=%d: four-token kernel from %d, token %d = %v, want %v", dt, nb, tok, tok+k, v, want[tok+k])
					}
				}
			}
		}
	}
}

// TestKernels2MatMul runs the types through MatMul at token counts that
// use the four-token kernels, the row kernels and both.
func TestKernels2MatMul(t *testing.T) { forLevels(t, testKernels2MatMul) }

func testKernels2MatMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(37, 38))
	p := NewPool(2)
	defer p.Close()
	types := append([]tensor.DType{tensor.Q8_0, tensor.Q4_0}, kquant2Types...)
	for _, dt := range types {
		for _, nb := range []int{1, 3, 8} {
			cols := nb * dt.BlockSize()
			for _, rows := range []int{1, 21} {
				w := randomWeight(rng, dt, rows, cols)
				for _, n := range []int{1, 3, 4, 5, 9} {
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
