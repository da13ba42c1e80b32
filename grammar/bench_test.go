package grammar

import (
	"testing"
	"time"
)

const benchSchema = `{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"tags":{"type":"array","items":{"type":"string","enum":["red","green","blue"]}},"city":{"anyOf":[{"type":"string"},{"type":"null"}]}},"required":["name","age","tags"]}`

// benchPositions are prefixes of a valid output, each ending at a kind of
// position the mask is computed at.
var benchPositions = []struct{ name, prefix string }{
	{"start", ``},
	{"key", `{"name": "Ann", `},
	{"string", `{"name": "Ann Lee said`},
	{"integer", `{"name": "Ann", "age": 4`},
	{"enum", `{"name": "Ann", "age": 4, "tags": ["re`},
	{"anyOf", `{"name": "Ann", "age": 4, "tags": [], "city": `},
}

func BenchmarkMask(b *testing.B) {
	for _, name := range testTokenizers {
		tok := testTokenizer(b, name)
		vocabFor(tok)
		for _, pos := range benchPositions {
			b.Run(name+"/"+pos.name, func(b *testing.B) {
				g, err := FromJSONSchema([]byte(benchSchema), tok)
				if err != nil {
					b.Fatal(err)
				}
				c := g.(*Constraint)
				for _, id := range tok.EncodeOrdinary(pos.prefix) {
					if err := c.Accept(id); err != nil {
						b.Fatalf("prefix %q: %v", pos.prefix, err)
					}
				}
				logits := make([]float32, tok.VocabSize())
				b.ResetTimer()
				for b.Loop() {
					c.Mask(logits)
				}
			})
		}
	}
}

// TestMaskSpeed reports the mask time per position on the largest
// vocabulary (informative; it fails only when masking is pathologically
// slow).
func TestMaskSpeed(t *testing.T) {
	tok := testTokenizer(t, "qwen3")
	vocabFor(tok)
	for _, pos := range benchPositions {
		g, err := FromJSONSchema([]byte(benchSchema), tok)
		if err != nil {
			t.Fatal(err)
		}
		c := g.(*Constraint)
		for _, id := range tok.EncodeOrdinary(pos.prefix) {
			if err := c.Accept(id); err != nil {
				t.Fatalf("prefix %q: %v", pos.prefix, err)
			}
		}
		logits := make([]float32, tok.VocabSize())
		const n = 20
		start := time.Now()
		for range n {
			c.Mask(logits)
		}
		per := time.Since(start) / n
		t.Logf("qwen3 %-8s %v per mask, %d tokens allowed", pos.name, per, c.allowedSet().count())
		if per > 200*time.Millisecond {
			t.Errorf("%s: %v per mask", pos.name, per)
		}
	}
}
