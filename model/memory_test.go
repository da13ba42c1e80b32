package model

import (
	"path/filepath"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// TestDecodeBytes checks the per-token weight traffic that the decode
// roofline divides by: an untied embedding table is looked up, not
// streamed, and a mixture-of-experts layer streams only the chosen share of
// its experts.
func TestDecodeBytes(t *testing.T) {
	for _, name := range []string{"llama", "gemma2", "mixtral"} {
		t.Run(name, func(t *testing.T) {
			m, err := Load(filepath.Join("..", "testdata", "golden", name, "model.gguf"))
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			want := float64(m.WeightBytes())
			if m.tokenEmbd != m.output {
				want -= float64(len(m.tokenEmbd.Data))
			}
			if c := m.Config; c.Experts > 0 {
				var experts float64
				for i := range m.layers {
					w := &m.layers[i]
					for _, ts := range [][]*tensor.Tensor{w.expGate, w.expUp, w.expDown} {
						for _, e := range ts {
							experts += float64(len(e.Data))
						}
					}
				}
				if experts == 0 {
					t.Fatal("mixture-of-experts model without expert weights")
				}
				want -= experts * (1 - float64(c.ExpertsUsed)/float64(c.Experts))
			}
			t.Logf("tied %v, experts %d, %d of %d bytes", m.tokenEmbd == m.output, m.Config.Experts, m.DecodeBytes(), m.WeightBytes())
			got := float64(m.DecodeBytes())
			if got < want-1 || got > want+1 || got <= 0 {
				t.Fatalf("DecodeBytes = %.0f, want %.0f (all weights %d)", got, want, m.WeightBytes())
			}
		})
	}
}
