package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// neonX4MoreTypes are the vec-dot types whose arm64 four-token kernels
// this file checks beyond the Q4_K, Q5_K and Q6_K of neonx4_arm64_test.go.
var neonX4MoreTypes = []tensor.DType{tensor.Q4_1, tensor.Q5_0, tensor.Q5_1, tensor.Q2_K, tensor.Q3_K}

// TestNEONX4MoreUsed checks that both NEON levels route these types to a
// four-token kernel, so that the shared exactness tests exercise them.
func TestNEONX4MoreUsed(t *testing.T) {
	for _, l := range []Level{NEON, NEONDot} {
		if l > MaxCPULevel() {
			continue
		}
		old := setLevel(l)
		for _, dt := range neonX4MoreTypes {
			w := make([]byte, dt.TypeSize())
			xb := tensor.VecDotType(dt).TypeSize()
			xq := make([]byte, 4*xb)
			var out [4]float32
			if !dotVecDotX4(dt, w, xq, xb, &out) {
				t.Errorf("%v: no four-token kernel for %v", l, dt)
			}
		}
		setLevel(old)
	}
}

// TestNEONX4MoreExact runs the four-token kernels at awkward block counts
// with padded activation rows: on integer-valued data each token must
// equal tensor.DotQ8Ref, and on random data the row kernel, bit for bit.
func TestNEONX4MoreExact(t *testing.T) { forLevels(t, testNEONX4MoreExact) }

func testNEONX4MoreExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	for _, dt := range neonX4MoreTypes {
		vdt := tensor.VecDotType(dt)
		for _, nb := range []int{1, 2, 3, 5, 9, 31} {
			for trial := 0; trial < 6; trial++ {
				integer := trial%2 == 0
				var w, xs []byte
				cols := nb * dt.BlockSize()
				rb, _ := tensor.RowBytes(vdt, cols)
				if integer {
					w = exactWeight(rng, dt, nb)
					xs = exactActivations(rng, dt, 4*nb, 127)
				} else {
					w = randomWeight(rng, dt, 1, cols).Data
					x := randomVec(rng, 4*cols)
					xs = make([]byte, 4*rb)
					for k := range 4 {
						if err := tensor.Quantize(vdt, x[k*cols:(k+1)*cols], xs[k*rb:(k+1)*rb]); err != nil {
							t.Fatal(err)
						}
					}
				}
				stride := rb + trial*vdt.TypeSize() + trial%3
				buf := spreadTokens(rng, xs, rb, stride)
				var out [4]float32
				if !dotVecDotX4(dt, w, buf, stride, &out) {
					if level >= NEON {
						t.Fatalf("%v: no four-token kernel at %v", dt, level)
					}
					continue
				}
				name := fmt.Sprintf("%v nb=%d trial %d stride %d", dt, nb, trial, stride)
				for k := range 4 {
					xq := xs[k*rb : (k+1)*rb]
					want := dotQ8Ref(dt, w, xq)
					if integer {
						if ref := tensor.DotQ8Ref(dt, w, xq); ref != want {
							t.Fatalf("%s: row kernel %v, reference %v", name, want, ref)
						}
					}
					if math.Float32bits(out[k]) != math.Float32bits(want) {
						t.Fatalf("%s: token %d = %v, row kernel %v", name, k, out[k], want)
					}
				}
			}
		}
	}
}

// TestNEONX4MoreMatMul runs the types through MatMul at token counts that
// use the row kernel alone (1, 3), the four-token kernel alone (4) and
// both (5, 9).
func TestNEONX4MoreMatMul(t *testing.T) { forLevels(t, testNEONX4MoreMatMul) }

func testNEONX4MoreMatMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(63, 64))
	p := NewPool(2)
	defer p.Close()
	for _, dt := range neonX4MoreTypes {
		for _, nb := range []int{1, 3, 9} {
			cols := nb * dt.BlockSize()
			for _, rows := range []int{1, 5} {
				for _, n := range []int{1, 3, 4, 5, 9} {
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

// TestNEONK23Used checks that both NEON levels route Q2_K and Q3_K to
// their row kernels, so that the shared exactness tests exercise them.
func TestNEONK23Used(t *testing.T) {
	for _, l := range []Level{NEON, NEONDot} {
		if l > MaxCPULevel() {
			continue
		}
		old := setLevel(l)
		for _, dt := range []tensor.DType{tensor.Q2_K, tensor.Q3_K} {
			w := make([]byte, dt.TypeSize())
			xq := make([]byte, tensor.Q8_K.TypeSize())
			if _, ok := dotMoreQ8(dt, w, xq); !ok {
				t.Errorf("%v: no row kernel for %v", l, dt)
			}
		}
		setLevel(old)
	}
}

// TestNEONQ2KBitExact checks the Q2_K row kernel against tensor.DotQ8Ref
// on random data: it rounds the same products in the same order, so the
// results must match bit for bit.
func TestNEONQ2KBitExact(t *testing.T) { forLevels(t, testNEONQ2KBitExact) }

func testNEONQ2KBitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(65, 66))
	for _, nb := range []int{1, 2, 3, 5, 9, 17} {
		for range 4 {
			cols := nb * 256
			w := randomWeight(rng, tensor.Q2_K, 1, cols).Data
			x := randomVec(rng, cols)
			xq := make([]byte, nb*tensor.Q8_K.TypeSize())
			if err := tensor.Quantize(tensor.Q8_K, x, xq); err != nil {
				t.Fatal(err)
			}
			got, want := dotQ8Ref(tensor.Q2_K, w, xq), tensor.DotQ8Ref(tensor.Q2_K, w, xq)
			if math.Float32bits(got) != math.Float32bits(want) {
				t.Fatalf("nb=%d: %v, want %v", nb, got, want)
			}
		}
	}
}

// TestNEONK23MatMul runs Q2_K and Q3_K through MatMul at token counts
// that use the row kernel alone (1, 3), the four-token kernel alone (4)
// and both (5, 9).
func TestNEONK23MatMul(t *testing.T) { forLevels(t, testNEONK23MatMul) }

func testNEONK23MatMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(67, 68))
	p := NewPool(2)
	defer p.Close()
	for _, dt := range []tensor.DType{tensor.Q2_K, tensor.Q3_K} {
		for _, nb := range []int{1, 3} {
			cols := nb * dt.BlockSize()
			for _, rows := range []int{1, 5} {
				for _, n := range []int{1, 3, 4, 5, 9} {
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
