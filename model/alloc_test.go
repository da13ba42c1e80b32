package model

import (
	"path/filepath"
	"testing"

	"github.com/nuri-ai/nuri/kernels"
)

// TestDecodeNoAlloc: a decode step allocates nothing once warm.
func TestDecodeNoAlloc(t *testing.T) {
	for _, name := range []string{"llama", "mixtral", "gemma2"} {
		m, err := Load(filepath.Join("..", "testdata", "golden", name, "model.gguf"))
		if err != nil {
			t.Fatal(err)
		}
		pool := kernels.NewPool(2)
		m.SetPool(pool)
		kv, _ := NewDenseCache(&m.Config, 1, 64)
		logits := make([]float32, m.Config.VocabSize)
		b := &Batch{Tokens: []int32{1}, Pos: []int32{0}, Seq: []int32{0}}
		pos := int32(0)
		step := func() {
			b.Pos[0] = pos % 60
			pos++
			if err := m.Forward(b, kv, logits); err != nil {
				t.Fatal(err)
			}
		}
		step()
		step()
		if a := testing.AllocsPerRun(20, step); a != 0 {
			t.Errorf("%s: %v allocations per decode step", name, a)
		}
		m.Close()
		pool.Close()
	}
}
