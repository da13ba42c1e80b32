package grammar

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/nuri-ai/nuri/internal/testfixtures"
	"github.com/nuri-ai/nuri/sample"
	"github.com/nuri-ai/nuri/tokenizer"
)

var (
	tokMu   sync.Mutex
	tokById = map[string]*tokenizer.Tokenizer{}
)

// testTokenizer loads a reference tokenizer once per test binary.
func testTokenizer(t testing.TB, name string) *tokenizer.Tokenizer {
	t.Helper()
	tokMu.Lock()
	defer tokMu.Unlock()
	if tok, ok := tokById[name]; ok {
		return tok
	}
	tok, err := tokenizer.Load(testfixtures.TokenizerDir(t, name))
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	tokById[name] = tok
	return tok
}

// longTests (NURI_GRAMMAR_LONG=1) runs more seeds and positions.
var longTests = os.Getenv("NURI_GRAMMAR_LONG") != ""

var testTokenizers = []string{"qwen3", "llama3_1", "gemma3"}

// generate runs Mask → sample → Accept with seeded random logits until an
// end-of-sequence token, and returns the text. The logits are spread wide
// so that both common and rare tokens come up.
func generate(t testing.TB, c sample.Constraint, tok *tokenizer.Tokenizer, seed uint64, maxTokens int) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	logits := make([]float32, tok.VocabSize()+37) // padded like real models
	noise := noiseTable()
	eos := map[int32]bool{}
	for _, e := range tok.EOS() {
		eos[e] = true
	}
	var ids []int32
	for range maxTokens {
		off := rng.IntN(len(noise) - len(logits))
		copy(logits, noise[off:])
		c.Mask(logits)
		id := sample.Greedy(logits) // the noise makes this a random pick
		if math.IsInf(float64(logits[id]), -1) {
			t.Fatalf("seed %d: sampled a masked token %d after %q", seed, id, tok.Decode(ids))
		}
		if eos[id] {
			if !c.Done() {
				t.Fatalf("seed %d: EOS allowed before Done after %q", seed, tok.Decode(ids))
			}
			return streamText(t, tok, ids)
		}
		if err := c.Accept(id); err != nil {
			t.Fatalf("seed %d: Accept(%d) after Mask allowed it: %v (text %q)", seed, id, err, tok.Decode(ids))
		}
		ids = append(ids, id)
	}
	t.Fatalf("seed %d: no end after %d tokens: %q", seed, maxTokens, tok.Decode(ids))
	return ""
}

// validator compiles a schema with an independent JSON-schema
// implementation (formats asserted).
func validator(t testing.TB, schema string) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema))
	if err != nil {
		t.Fatalf("schema: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatalf("schema: %v", err)
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		t.Fatalf("schema: %v", err)
	}
	return sch
}

func validate(t testing.TB, sch *jsonschema.Schema, text string) {
	t.Helper()
	if !json.Valid([]byte(text)) {
		t.Fatalf("not JSON: %q", text)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		t.Fatalf("not JSON: %q: %v", text, err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("%q does not match the schema: %v", text, err)
	}
}

// streamText decodes ids as the engine streams them and checks that the
// text is the concatenation of the tokens' bytes, which the grammar saw.
func streamText(t testing.TB, tok *tokenizer.Tokenizer, ids []int32) string {
	t.Helper()
	d := tok.NewStreamDecoder()
	var sb, raw strings.Builder
	for _, id := range ids {
		sb.WriteString(d.Add(id))
		raw.Write(tok.TokenBytes(id))
	}
	sb.WriteString(d.Flush())
	if sb.String() != raw.String() {
		t.Fatalf("streamed text %q differs from the token bytes %q", sb.String(), raw.String())
	}
	return sb.String()
}

var noiseOnce = sync.OnceValue(func() []float32 {
	rng := rand.New(rand.NewPCG(1, 2))
	n := make([]float32, 1<<20)
	for i := range n {
		n[i] = float32(rng.NormFloat64() * 4)
	}
	return n
})

// noiseTable is a fixed table of normal noise; windows at random offsets
// serve as random logits.
func noiseTable() []float32 { return noiseOnce() }

func jsonUnmarshal(s string) (any, error) { return jsonschema.UnmarshalJSON(strings.NewReader(s)) }

// TestTokenBytesMatchDecoding checks that streaming decoding of random
// token sequences writes exactly the tokens' bytes.
func TestTokenBytesMatchDecoding(t *testing.T) {
	for _, name := range append([]string{"deepseek_v3", "llama2"}, testTokenizers...) {
		tok := testTokenizer(t, name)
		rng := rand.New(rand.NewPCG(3, 4))
		prefix := tok.EncodeOrdinary("a")
		for range 200 {
			ids := append([]int32(nil), prefix...)
			for range 8 {
				id := int32(rng.IntN(tok.VocabSize()))
				if tok.IsSpecial(id) {
					continue
				}
				ids = append(ids, id)
			}
			// The first token stands at the start of the text, where some
			// decoders drop a space; the bytes are for the tokens after it.
			var raw []byte
			for _, id := range ids[len(prefix):] {
				raw = append(raw, tok.TokenBytes(id)...)
			}
			if !utf8.Valid(raw) {
				continue
			}
			d := tok.NewStreamDecoder()
			var sb strings.Builder
			for _, id := range prefix {
				d.Add(id)
			}
			for _, id := range ids[len(prefix):] {
				sb.WriteString(d.Add(id))
			}
			sb.WriteString(d.Flush())
			if sb.String() != string(raw) {
				t.Fatalf("%s: ids %v: decoded %q, token bytes %q", name, ids, sb.String(), raw)
			}
		}
	}
}
