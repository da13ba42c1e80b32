package kernels

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"unsafe"

	"github.com/nuri-ai/nuri/tensor"
)

// TestPrepare checks that prepared weights give the reference results at
// every CPU level (a packed weight made at the best level must still be
// multiplied correctly after the level is lowered) and that Prepare leaves
// the weights it does not repack alone.
func TestPrepare(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	type shape struct {
		t             tensor.DType
		rows, cols, n int
	}
	shapes := []shape{{tensor.Q4_0, 1, 128, 1}, {tensor.Q4_0, 17, 256, 1}, {tensor.Q4_0, 70, 640, 3},
		{tensor.Q4_0, 33, 2048, 1}, {tensor.Q4_0, 9, 2048, 6}, {tensor.Q4_0, 130, 512, 9}, {tensor.Q4_0, 5, 1536, 4},
		{tensor.Q8_0, 1, 512, 1}, {tensor.Q8_0, 33, 2048, 1}, {tensor.Q8_0, 19, 1024, 7}, {tensor.Q8_0, 40, 512, 8},
		{tensor.Q8_0, 3, 4096, 5}}
	var packed []*tensor.Tensor
	var orig []*tensor.Tensor
	for _, sh := range shapes {
		w := randomWeight(rng, sh.t, sh.rows, sh.cols)
		pw := Prepare(w)
		if level == AVX512 && pw == w {
			t.Fatalf("%v: not repacked", sh)
		}
		// AVX2 has kernels for x16 Q4_0 only.
		if x16Q4 := sh.t == tensor.Q4_0 && sh.cols%x16Group == 0; level == AVX2 && (pw == w) == x16Q4 {
			t.Fatalf("%v: repacked %v at AVX2", sh, pw != w)
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
					view := &tensor.Tensor{Name: "view", Type: sh.t, Shape: []int{2, sh.cols}, Data: packed[i].Data[3*rb : 5*rb]}
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
	registerPacked(data, packed4)
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
	registerPacked(other, packed4) // prunes freed entries
	if n := len(*packedList.Load()); n > 64 {
		t.Fatalf("%d registered buffers after pruning", n)
	}
	runtime.KeepAlive(other)
}

// TestDequantizeRow checks that rows of weights in every prepared layout read
// back as tensor.Dequantize reads the file layout.
func TestDequantizeRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, dt := range []tensor.DType{tensor.Q4_0, tensor.Q8_0, tensor.Q4_K, tensor.Q5_K, tensor.Q6_K, tensor.F16} {
		for _, cols := range []int{512, 1024, 2048} {
			w := randomWeight(rng, dt, 7, cols)
			pw := PrepareEmbedding(w)
			want := make([]float32, cols)
			got := make([]float32, cols)
			for r := 0; r < 7; r++ {
				if err := tensor.Dequantize(dt, w.Row(r), want); err != nil {
					t.Fatal(err)
				}
				if err := DequantizeRow(pw, r, got); err != nil {
					t.Fatal(err)
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("%v cols %d row %d [%d]: %v, want %v", dt, cols, r, i, got[i], want[i])
					}
				}
			}
			if err := DequantizeRow(pw, 7, got); err == nil {
				t.Fatalf("%v: row 7 of 7 read without error", dt)
			}
		}
	}
}

// TestArena checks that copies made in an Arena are the bytes Prepare and
// PrepareEmbedding make, lie inside the arena's block one after another,
// are recognised as packed, and that a full arena still prepares (in
// memory of the copy's own).
func TestArena(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	ws := []*tensor.Tensor{
		randomWeight(rng, tensor.Q4_0, 40, 2048), nil, randomWeight(rng, tensor.Q8_0, 33, 512),
		randomWeight(rng, tensor.Q4_K, 9, 1024), randomWeight(rng, tensor.Q4_0, 7, 384), randomWeight(rng, tensor.F16, 4, 64),
	}
	a := NewArena(ws[:len(ws)-1]...) // room for all but the last repackable weight
	last := randomWeight(rng, tensor.Q4_0, 5, 1024)
	var prev []byte
	for i, w := range append(ws, last) {
		if w == nil {
			continue
		}
		want := Prepare(w)
		got := a.Prepare(w)
		if i == 0 {
			if e, ref := NewArena(w).PrepareEmbedding(w), PrepareEmbedding(w); !bytes.Equal(e.Data, ref.Data) || Prepared(e) != Prepared(ref) {
				t.Fatal("PrepareEmbedding in the arena differs")
			}
		}
		if !bytes.Equal(got.Data, want.Data) || Prepared(got) != Prepared(want) {
			t.Fatalf("weight %d (%v): arena copy differs from Prepare's", i, w.Type)
		}
		if !Prepared(want) {
			if got != w {
				t.Fatalf("weight %d (%v): copied though not repacked", i, w.Type)
			}
			continue
		}
		start := uintptr(unsafe.Pointer(&got.Data[0]))
		inside := len(a.buf) > 0 && start >= uintptr(unsafe.Pointer(&a.buf[0])) && start+uintptr(len(got.Data)) <= uintptr(unsafe.Pointer(&a.buf[0]))+uintptr(len(a.buf))
		if w == last {
			if inside {
				t.Fatal("a copy beyond the reserved room landed in the arena")
			}
			continue
		}
		if level == AVX512 && !inside {
			t.Fatalf("weight %d (%v): copy not in the arena", i, w.Type)
		}
		if inside && prev != nil && start <= uintptr(unsafe.Pointer(&prev[0])) {
			t.Fatalf("weight %d: copies out of order", i)
		}
		if inside {
			prev = got.Data
		}
	}
}
