package gguf_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/nuri-ai/nuri/gguf"
	"github.com/nuri-ai/nuri/safetensors"
)

// TestSameWeightsAsSafetensors checks that the GGUF and Hugging Face forms of
// each fixture hold byte-identical tensors where the converter copies them
// unchanged, with GGUF shapes equal to the Hugging Face ones.
func TestSameWeightsAsSafetensors(t *testing.T) {
	dirs := []string{"llama", "llama3_rope", "qwen2", "gemma2", "exaone", "phi3", "granite", "mixtral"}
	for _, dir := range dirs {
		t.Run(dir, func(t *testing.T) {
			g, err := gguf.Open(filepath.Join("../testdata/golden", dir, "model.gguf"))
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			hf, err := safetensors.OpenDir(filepath.Join("../testdata/golden", dir))
			if err != nil {
				t.Fatal(err)
			}
			defer hf.Close()
			pairs := map[string]string{
				"token_embd.weight":        "model.embed_tokens.weight",
				"blk.0.attn_v.weight":      "model.layers.0.self_attn.v_proj.weight",
				"blk.1.attn_output.weight": "model.layers.1.self_attn.o_proj.weight",
			}
			switch dir {
			case "exaone":
				pairs = map[string]string{
					"token_embd.weight":        "transformer.wte.weight",
					"blk.0.attn_v.weight":      "transformer.h.0.attn.attention.v_proj.weight",
					"blk.1.attn_output.weight": "transformer.h.1.attn.attention.out_proj.weight",
				}
			case "phi3":
				pairs["blk.0.attn_qkv.weight"] = "model.layers.0.self_attn.qkv_proj.weight"
				delete(pairs, "blk.0.attn_v.weight")
			}
			for gn, hn := range pairs {
				a, err := g.Tensor(gn)
				if err != nil {
					t.Fatal(err)
				}
				b, err := hf.Tensor(hn)
				if err != nil {
					t.Fatal(err)
				}
				if a.Type != b.Type || len(a.Shape) != len(b.Shape) || !bytes.Equal(a.Data, b.Data) {
					t.Errorf("%s (%v %v) differs from %s (%v %v)", gn, a.Type, a.Shape, hn, b.Type, b.Shape)
				}
				for i := range a.Shape {
					if a.Shape[i] != b.Shape[i] {
						t.Errorf("%s shape %v, %s shape %v", gn, a.Shape, hn, b.Shape)
						break
					}
				}
			}
		})
	}
}
