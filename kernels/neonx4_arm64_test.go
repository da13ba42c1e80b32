package kernels

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// TestNEONX4KernelsUsed checks that the arm64 levels have four-token
// kernels for the types that have them, so that the exactness and MatMul
// tests exercise them.
func TestNEONX4KernelsUsed(t *testing.T) {
	for _, l := range []Level{NEON, NEONDot} {
		if l > MaxCPULevel() {
			continue
		}
		old := setLevel(l)
		for _, dt := range []tensor.DType{tensor.Q4_K, tensor.Q5_K, tensor.Q6_K} {
			w := make([]byte, dt.TypeSize())
			xb := tensor.Q8_K.TypeSize()
			xq := make([]byte, 4*xb)
			var out [4]float32
			if !dotVecDotX4(dt, w, xq, xb, &out) {
				t.Errorf("%v: no four-token kernel for %v", l, dt)
			}
		}
		setLevel(old)
	}
}

// TestF16X4 compares the four-token F16 kernel with the Go row dot at
// lengths around the vector width, and runs F16 weights through MatMul at
// token counts that use it, the row kernel and both.
func TestF16X4(t *testing.T) { forLevels(t, testF16X4) }

func testF16X4(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, cols := range []int{1, 15, 16, 17, 31, 32, 33, 48, 100, 1000} {
		wf := randomVec(rng, cols)
		w := make([]byte, 2*cols)
		for i, v := range wf {
			binary.LittleEndian.PutUint16(w[2*i:], tensor.F32ToF16(v))
		}
		x := randomVec(rng, 4*cols)
		var out [4]float32
		did := dotF16x4(w, x, cols, &out)
		if want := level >= NEON && cols >= 16; did != want {
			t.Fatalf("cols=%d: kernel used %v, want %v", cols, did, want)
		}
		if !did {
			continue
		}
		for k := range 4 {
			xk := x[k*cols : (k+1)*cols]
			want := dotF16Go(w, xk)
			var mag float64
			for i := range xk {
				mag += math.Abs(float64(tensor.F16ToF32(tensor.F32ToF16(wf[i]))) * float64(xk[i]))
			}
			if d := math.Abs(float64(out[k] - want)); d > 1e-5*mag+1e-30 {
				t.Errorf("cols=%d token %d: %v, want %v (Σ|wx| = %v)", cols, k, out[k], want, mag)
			}
		}
	}
	p := NewPool(2)
	defer p.Close()
	for _, cols := range []int{16, 40, 333} {
		for _, rows := range []int{1, 19} {
			for _, n := range []int{1, 3, 4, 5, 9} {
				w := randomWeight(rng, tensor.F16, rows, cols)
				x := randomVec(rng, n*cols)
				got := make([]float32, n*rows)
				MatMul(p, got, w, x, n)
				want, mag := refMatMul(w, x, n)
				checkClose(t, fmt.Sprintf("F16 rows=%d cols=%d n=%d", rows, cols, n), got, want, mag, 1e-5)
			}
		}
	}
}

// TestKQuantX4Strided runs the four-token K-quant kernels on activation
// rows with padding between them (xStride larger than a row), at block
// counts around the unrolling, exactly against tensor.DotQ8Ref.
func TestKQuantX4Strided(t *testing.T) { forLevels(t, testKQuantX4Strided) }

func testKQuantX4Strided(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	for _, dt := range []tensor.DType{tensor.Q4_K, tensor.Q5_K, tensor.Q6_K} {
		for _, nb := range []int{1, 4, 5, 9, 17} {
			w := exactWeight(rng, dt, nb)
			row := nb * tensor.Q8_K.TypeSize()
			stride := row + 292*rng.IntN(3) + 4
			xs := make([]byte, 3*stride+row)
			for k := range 4 {
				copy(xs[k*stride:], exactActivations(rng, dt, nb, 31))
			}
			var out [4]float32
			if !dotMoreQ8x4(dt, w, xs, stride, &out) {
				if level >= NEON {
					t.Fatalf("%v: no four-token kernel", dt)
				}
				continue
			}
			for k := range 4 {
				want := tensor.DotQ8Ref(dt, w, xs[k*stride:k*stride+row])
				if out[k] != want {
					t.Fatalf("%v nb=%d stride %d token %d: %v, want %v", dt, nb, stride, k, out[k], want)
				}
			}
		}
	}
}

// TestNEONLegacyKernelsUsed checks that the arm64 levels route Q4_1, Q5_0
// and Q5_1 to their assembly kernels, so that the kquant tests exercise
// them.
func TestNEONLegacyKernelsUsed(t *testing.T) {
	for _, l := range []Level{NEON, NEONDot} {
		if l > MaxCPULevel() {
			continue
		}
		old := setLevel(l)
		for _, dt := range []tensor.DType{tensor.Q4_1, tensor.Q5_0, tensor.Q5_1} {
			w := make([]byte, dt.TypeSize())
			xq := make([]byte, tensor.VecDotType(dt).TypeSize())
			if _, ok := dotMoreQ8(dt, w, xq); !ok {
				t.Errorf("%v: no kernel for %v", l, dt)
			}
		}
		setLevel(old)
	}
}
