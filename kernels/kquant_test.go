package kernels

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// kquantTypes are the weight types whose row kernels live in kquant_*.
var kquantTypes = []tensor.DType{tensor.Q5_K, tensor.Q4_1, tensor.Q5_0, tensor.Q5_1, tensor.Q4_K, tensor.Q6_K}

// exactWeight makes a row of nb blocks of type t with random quant bits
// and every fp16 scale set to 1 (or 1/2 for the second field), so that
// a dot product with activations of scale 1 is a small integer computed
// without rounding.
func exactWeight(rng *rand.Rand, t tensor.DType, nb int) []byte {
	bs := t.TypeSize()
	w := make([]byte, nb*bs)
	for i := range w {
		w[i] = byte(rng.Uint32())
	}
	for off := 0; off < len(w); off += bs {
		for k, f := range halfFields[t] {
			binary.LittleEndian.PutUint16(w[off+f:], tensor.F32ToF16(1/float32(k+1)))
		}
	}
	return w
}

// exactActivations makes nb blocks of activations in tensor.VecDotType(t)
// with scale 1 and quants in [-lim, lim] (with the block sums the format
// carries filled in consistently).
func exactActivations(rng *rand.Rand, t tensor.DType, nb, lim int) []byte {
	vdt := tensor.VecDotType(t)
	bs := vdt.TypeSize()
	x := make([]byte, nb*bs)
	for i := 0; i < nb; i++ {
		blk := x[i*bs : (i+1)*bs]
		switch vdt {
		case tensor.Q8_K:
			binary.LittleEndian.PutUint32(blk, math.Float32bits(1))
			for j := 4; j < 260; j++ {
				blk[j] = byte(int8(rng.IntN(2*lim+1) - lim))
			}
			q8KBlockSums(blk, 1)
		case tensor.Q8_0, tensor.Q8_1:
			off := bs - 32
			var sum int
			for j := off; j < bs; j++ {
				q := rng.IntN(2*lim+1) - lim
				blk[j] = byte(int8(q))
				sum += q
			}
			binary.LittleEndian.PutUint16(blk, tensor.F32ToF16(1))
			if vdt == tensor.Q8_1 {
				binary.LittleEndian.PutUint16(blk[2:], tensor.F32ToF16(float32(sum)))
			}
		default:
			panic(fmt.Sprintf("no exact activations for %v", vdt))
		}
	}
	return x
}

// TestMoreQ8Exact checks that the kernels' integer block sums equal the
// reference: with unit scales and small activations every partial sum is
// an integer that float32 holds exactly, so results must match bit for bit.
func TestMoreQ8Exact(t *testing.T) { forLevels(t, testMoreQ8Exact) }

func testMoreQ8Exact(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, dt := range kquantTypes {
		for _, nb := range []int{1, 2, 3, 7, 8} {
			for trial := 0; trial < 20; trial++ {
				w := exactWeight(rng, dt, nb)
				xs := exactActivations(rng, dt, 4*nb, 2)
				xb := len(xs) / 4
				var x4 [4]float32
				did := dotMoreQ8x4(dt, w, xs, xb, &x4)
				for k := 0; k < 4; k++ {
					xq := xs[k*xb : (k+1)*xb]
					want := tensor.DotQ8Ref(dt, w, xq)
					if got := dotQ8Ref(dt, w, xq); got != want {
						t.Fatalf("%v nb=%d trial %d: row kernel %v, want %v", dt, nb, trial, got, want)
					}
					if got, ok := dotMoreQ8(dt, w, xq); ok && got != want {
						t.Fatalf("%v nb=%d trial %d: dotMoreQ8 %v, want %v", dt, nb, trial, got, want)
					}
					if did && x4[k] != want {
						t.Fatalf("%v nb=%d trial %d: four-token kernel token %d = %v, want %v", dt, nb, trial, k, x4[k], want)
					}
				}
			}
		}
	}
}

// TestMoreQ8Random compares the kernels with the reference on random
// weights and full-range activations, one row at a time.
func TestMoreQ8Random(t *testing.T) { forLevels(t, testMoreQ8Random) }

func testMoreQ8Random(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, dt := range kquantTypes {
		for _, cols := range []int{dt.BlockSize(), 5 * dt.BlockSize(), 40 * dt.BlockSize()} {
			checkRowAndX4(t, rng, dt, cols, fmt.Sprintf("%v cols=%d", dt, cols), dotMoreQ8x4)
		}
	}
}

// checkRowAndX4 compares the row kernel (dotQ8Ref) and, where x4 has one
// for dt at this level, the four-token kernel with the reference on one
// random row of cols values against four random tokens.
func checkRowAndX4(t *testing.T, rng *rand.Rand, dt tensor.DType, cols int, name string, x4 func(dt tensor.DType, w, xq []byte, xStride int, out *[4]float32) bool) {
	t.Helper()
	w := randomWeight(rng, dt, 1, cols)
	x := randomVec(rng, 4*cols)
	want, mag := refMatMul(w, x, 4)
	vdt := tensor.VecDotType(dt)
	xb, _ := tensor.RowBytes(vdt, cols)
	xs := make([]byte, 4*xb)
	for k := 0; k < 4; k++ {
		if err := tensor.Quantize(vdt, x[k*cols:(k+1)*cols], xs[k*xb:(k+1)*xb]); err != nil {
			t.Fatal(err)
		}
	}
	got := make([]float32, 4)
	for k := range got {
		got[k] = dotQ8Ref(dt, w.Data, xs[k*xb:(k+1)*xb])
	}
	checkClose(t, name, got, want, mag, 1e-5)
	var o4 [4]float32
	if x4(dt, w.Data, xs, xb, &o4) {
		checkClose(t, name+" x4", o4[:], want, mag, 1e-5)
	}
}

// TestMoreQ8MatMul runs the kernels through MatMul at token counts that
// use the four-token kernel, the single-row one and both.
func TestMoreQ8MatMul(t *testing.T) { forLevels(t, testMoreQ8MatMul) }

func testMoreQ8MatMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	p := NewPool(2)
	defer p.Close()
	for _, dt := range kquantTypes {
		for _, cols := range []int{dt.BlockSize(), 3 * dt.BlockSize()} {
			for _, rows := range []int{1, 19} {
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
