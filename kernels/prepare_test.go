package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// TestPrepare checks that prepared weights give the reference results at
// every CPU level (a packed weight made at the best level must still be
// multiplied correctly after the level is lowered) and that Prepare leaves
// the weights it does not repack alone.
func TestPrepare(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	type shape struct{ rows, cols, n int }
	shapes := []shape{{1, 128, 1}, {17, 256, 1}, {70, 640, 3}, {33, 2048, 1}, {9, 2048, 6}, {130, 512, 9}}
	var packed []*tensor.Tensor
	var orig []*tensor.Tensor
	for _, sh := range shapes {
		w := randomWeight(rng, tensor.Q4_0, sh.rows, sh.cols)
		pw := Prepare(w)
		if level == AVX512 && pw == w {
			t.Fatalf("%v: not repacked", sh)
		}
		if pw.Type != w.Type || pw.Rows() != w.Rows() || pw.Cols() != w.Cols() || len(pw.Data) != len(w.Data) {
			t.Fatalf("%v: prepared weight %v %v of %d bytes", sh, pw.Type, pw.Shape, len(pw.Data))
		}
		if Prepare(pw) != pw {
			t.Fatalf("%v: a prepared weight was repacked again", sh)
		}
		orig, packed = append(orig, w), append(packed, pw)
	}
	forLevels(t, func(t *testing.T) {
		for _, threads := range []int{1, 2} {
			p := NewPool(threads)
			for i, sh := range shapes {
				x := randomVec(rng, sh.n*sh.cols)
				got := make([]float32, sh.n*sh.rows)
				MatMul(p, got, packed[i], x, sh.n)
				want, mag := refMatMul(orig[i], x, sh.n)
				checkClose(t, fmt.Sprintf("packed %v threads=%d", sh, threads), got, want, mag, 1e-5)
				// A view of some rows of a packed weight is packed too.
				if sh.rows > 4 {
					rb := len(packed[i].Data) / sh.rows
					view := &tensor.Tensor{Name: "view", Type: tensor.Q4_0, Shape: []int{2, sh.cols}, Data: packed[i].Data[3*rb : 5*rb]}
					got := make([]float32, 2)
					MatMul(p, got, view, x[:sh.cols], 1)
					for r := 0; r < 2; r++ {
						checkClose(t, fmt.Sprintf("view %v", sh), got[r:r+1], want[3+r:4+r], mag[3+r:4+r], 1e-5)
					}
				}
			}
			p.Close()
		}
	})
	for _, w := range []*tensor.Tensor{
		nil,
		randomWeight(rng, tensor.Q4_0, 3, 96), // columns not a multiple of 128
		randomWeight(rng, tensor.Q8_0, 3, 128),
		randomWeight(rng, tensor.F16, 3, 128),
		{Name: "bad", Type: tensor.Q4_0, Shape: []int{2, 128}, Data: make([]byte, 10)},
	} {
		if got := Prepare(w); got != w {
			t.Errorf("Prepare changed %v", w)
		}
	}
}

// TestPackedRegistry checks that a freed packed buffer is forgotten, so that
// memory reused for an ordinary weight is not taken for a packed one.
func TestPackedRegistry(t *testing.T) {
	data := make([]byte, 4096)
	registerPacked(data)
	if !isPacked(data) || !isPacked(data[100:]) {
		t.Fatal("registered buffer not found")
	}
	if isPacked(make([]byte, 64)) || isPacked(nil) {
		t.Fatal("unregistered buffer taken as packed")
	}
	runtime.KeepAlive(data)
	data = nil
	for range 3 {
		runtime.GC()
	}
	other := make([]byte, 10)
	registerPacked(other) // prunes freed entries
	if n := len(*packedList.Load()); n > 64 {
		t.Fatalf("%d registered buffers after pruning", n)
	}
	runtime.KeepAlive(other)
}
