package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// TestFloatRows2 checks that the two-stream float kernel gives each row
// exactly what the one-row kernel gives it (so a decode result does not
// depend on how rows fall into chunk pairs) and writes nothing else, for
// row lengths with and without a 16-value tail after the 64-value steps.
func TestFloatRows2(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	forLevels(t, func(t *testing.T) {
		for _, cols := range []int{16, 48, 64, 2048, 2096} {
			const rows = 19
			w := randomWeight(rng, tensor.F16, 2*rows, cols)
			rb := len(w.Data) / (2 * rows)
			x := randomVec(rng, cols)
			want := make([]float32, 2*rows)
			if !floatRows(tensor.F16, w.Data, rb, x, want) {
				if floatRows2(tensor.F16, w.Data[:rb], w.Data[rows*rb:(rows+1)*rb], rb, x, want[:1], want[rows:rows+1]) {
					t.Fatal("a two-stream kernel without a one-row one")
				}
				continue // no F16 row kernels at this level
			}
			for _, n := range []int{1, 2, 7, rows} {
				got := make([]float32, 2*rows)
				for i := range got {
					got[i] = float32(math.NaN())
				}
				// rows [0, n) with rows [rows, rows+n)
				if !floatRows2(tensor.F16, w.Data[:n*rb], w.Data[rows*rb:(rows+n)*rb], rb, x, got[:n], got[rows:rows+n]) {
					t.Fatal("no two-stream kernel")
				}
				checkPairRows(t, fmt.Sprintf("cols %d n %d", cols, n), got, want, rows, n)
			}
		}
	})
}

// TestBF16Rows2 is TestFloatRows2 for the bfloat16 kernels, with row
// lengths that leave columns past the last multiple of 32.
func TestBF16Rows2(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	forLevels(t, func(t *testing.T) {
		for _, cols := range []int{32, 40, 2048, 2085} {
			const rows = 19
			w := randomWeight(rng, tensor.BF16, 2*rows, cols)
			rb := len(w.Data) / (2 * rows)
			xr := roundBF16s(randomVec(rng, cols))
			xb := make([]uint16, cols)
			for i, v := range xr {
				xb[i] = tensor.F32ToBF16(v)
			}
			want := make([]float32, 2*rows)
			if !bf16Rows(w.Data, rb, xb, xr, want) {
				if bf16Rows2(w.Data[:rb], w.Data[rows*rb:(rows+1)*rb], rb, xb, xr, want[:1], want[rows:rows+1]) {
					t.Fatal("a two-stream kernel without a one-row one")
				}
				continue // no bfloat16 kernels at this level
			}
			for _, n := range []int{1, 2, 7, rows} {
				got := make([]float32, 2*rows)
				for i := range got {
					got[i] = float32(math.NaN())
				}
				if !bf16Rows2(w.Data[:n*rb], w.Data[rows*rb:(rows+n)*rb], rb, xb, xr, got[:n], got[rows:rows+n]) {
					t.Fatal("no two-stream kernel")
				}
				checkPairRows(t, fmt.Sprintf("cols %d n %d", cols, n), got, want, rows, n)
			}
		}
	})
}

// checkPairRows checks what a two-stream kernel wrote for rows [0, n) and
// [rows, rows+n) of got (the rest NaN beforehand): those rows equal want,
// bit for bit, and no other row was written.
func checkPairRows(t *testing.T, name string, got, want []float32, rows, n int) {
	t.Helper()
	for i := range got {
		inA, inB := i < n, i >= rows && i < rows+n
		switch {
		case (inA || inB) && got[i] != want[i]:
			t.Fatalf("%s row %d: %v, want %v", name, i, got[i], want[i])
		case !inA && !inB && !math.IsNaN(float64(got[i])):
			t.Fatalf("%s: row %d written", name, i)
		}
	}
}
