package tokenizer

import (
	"slices"
	"testing"

	"github.com/nuri-ai/nuri/internal/testfixtures"
)

// The same tokenizers, converted to GGUF metadata and loaded back, give the
// same ids and text.
func TestGGUFRoundTrip(t *testing.T) {
	for _, name := range testfixtures.TokenizerNames() {
		t.Run(name, func(t *testing.T) {
			hf := reference(t, name)
			g, err := FromGGUF(MetadataFromKVs(hf.GGUFMetadata()))
			if err != nil {
				t.Fatal(err)
			}
			if g.VocabSize() != hf.VocabSize() {
				t.Errorf("vocab size %d, want %d", g.VocabSize(), hf.VocabSize())
			}
			if g.ChatTemplate() != hf.ChatTemplate() {
				t.Errorf("chat template differs")
			}
			hb, hok := hf.BOS()
			gb, gok := g.BOS()
			if hb != gb || hok != gok {
				t.Errorf("BOS %d,%v want %d,%v", gb, gok, hb, hok)
			}
			for _, path := range expectedFiles(t, name) {
				for i, r := range readExpected(t, path) {
					if got := g.Encode(r.Text, false); !slices.Equal(got, r.IDs) {
						t.Errorf("line %d %q:\n got  %v\n want %v", i, r.Text, got, r.IDs)
						continue
					}
					if got := g.Encode(r.Text, true); !slices.Equal(got, r.IDsWithSpecial) {
						t.Errorf("line %d with special:\n got  %v\n want %v", i, got, r.IDsWithSpecial)
					}
					if got := g.Decode(r.IDs); got != r.Decoded {
						t.Errorf("line %d decode: got %q want %q", i, got, r.Decoded)
					}
				}
			}
		})
	}
}

func TestFromGGUFErrors(t *testing.T) {
	cases := []struct {
		name string
		md   MapMetadata
	}{
		{"empty", MapMetadata{}},
		{"no tokens", MapMetadata{"tokenizer.ggml.model": "gpt2"}},
		{"bad model", MapMetadata{"tokenizer.ggml.model": "nope", "tokenizer.ggml.tokens": []string{"a"}}},
		{"bad tokens type", MapMetadata{"tokenizer.ggml.model": "gpt2", "tokenizer.ggml.tokens": 3}},
		{"type count", MapMetadata{"tokenizer.ggml.model": "gpt2", "tokenizer.ggml.tokens": []string{"a"}, "tokenizer.ggml.token_type": []int32{1, 1}}},
		{"bad merge", MapMetadata{"tokenizer.ggml.model": "gpt2", "tokenizer.ggml.tokens": []string{"a"}, "tokenizer.ggml.merges": []string{"ab"}}},
	}
	for _, c := range cases {
		if _, err := FromGGUF(c.md); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}
