package server

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"

	oapi "github.com/ollama/ollama/api"
	"github.com/openai/openai-go/v3"
)

func unitLength(t *testing.T, what string, v []float64, dims int) {
	t.Helper()
	var ss float64
	for _, x := range v {
		ss += x * x
	}
	if len(v) != dims || math.Abs(ss-1) > 1e-4 {
		t.Fatalf("%s: %d values with squared norm %v, want %d of unit length", what, len(v), ss, dims)
	}
}

func closeTo(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-5 {
			return false
		}
	}
	return true
}

// TestEmbeddings drives /v1/embeddings, /api/embed and /api/embeddings on
// the real engine with the official OpenAI and Ollama clients.
func TestEmbeddings(t *testing.T) {
	_, hs := testServer(t, func(c *Config) { c.Context = 64 })
	ctx := context.Background()
	const dims = 32 // the tiny model's hidden size
	c := openaiClient(hs.URL)

	one, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "tiny", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("서울의 날씨")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Data) != 1 || one.Model != "tiny" || one.Usage.PromptTokens < 2 || one.Usage.TotalTokens != one.Usage.PromptTokens {
		t.Fatalf("one input: %+v", one)
	}
	unitLength(t, "one input", one.Data[0].Embedding, dims)

	many, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "tiny",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"서울의 날씨", "a different text"}}, Dimensions: openai.Int(dims)})
	if err != nil {
		t.Fatal(err)
	}
	if len(many.Data) != 2 || many.Data[1].Index != 1 || !closeTo(many.Data[0].Embedding, one.Data[0].Embedding) ||
		closeTo(many.Data[1].Embedding, one.Data[0].Embedding) {
		t.Fatalf("two inputs: %+v", many.Data)
	}

	tokens, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "tiny",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfTokenArrays: [][]int64{{1, 2, 3}, {4}}}})
	if err != nil || len(tokens.Data) != 2 || tokens.Usage.PromptTokens != 4 {
		t.Fatalf("token arrays: %+v, %v", tokens, err)
	}

	// base64: little-endian float32, the same numbers.
	raw := postJSON(t, hs.URL+"/v1/embeddings", `{"model":"tiny","input":"서울의 날씨","encoding_format":"base64"}`)
	var b64 struct {
		Data []struct {
			Embedding string `json:"embedding"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &b64); err != nil || len(b64.Data) != 1 {
		t.Fatalf("base64 answer %s: %v", raw, err)
	}
	bs, err := base64.StdEncoding.DecodeString(b64.Data[0].Embedding)
	if err != nil || len(bs) != 4*dims {
		t.Fatalf("base64 embedding: %d bytes, %v", len(bs), err)
	}
	dec := make([]float64, dims)
	for i := range dec {
		dec[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(bs[4*i:])))
	}
	if !closeTo(dec, one.Data[0].Embedding) {
		t.Fatalf("base64 embedding differs from the float one")
	}

	// Refusals.
	var apiErr *openai.Error
	for _, tc := range []struct {
		name   string
		params openai.EmbeddingNewParams
		want   string
	}{
		{"dimensions", openai.EmbeddingNewParams{Model: "tiny", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")}, Dimensions: openai.Int(16)}, "32 dimensions"},
		{"over the context", openai.EmbeddingNewParams{Model: "tiny", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String(strings.Repeat("word ", 200))}}, "context is 64 tokens"},
		{"outside the vocabulary", openai.EmbeddingNewParams{Model: "tiny", Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfTokens: []int64{1, 1 << 30}}}, "outside the vocabulary"},
		{"empty", openai.EmbeddingNewParams{Model: "tiny", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("")}}, "empty"},
	} {
		_, err := c.Embeddings.New(ctx, tc.params)
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.Message, tc.want) {
			t.Errorf("%s: %v, want 400 with %q", tc.name, err, tc.want)
		}
	}
	for _, body := range []string{`{"model":"tiny","input":"x","encoding_format":"int8"}`, `{"model":"tiny","input":{"a":1}}`, `{"model":"tiny","input":[]}`} {
		resp, err := http.Post(hs.URL+"/v1/embeddings", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("%s: status %d, want 400", body, resp.StatusCode)
		}
	}

	// Ollama: /api/embed (truncating by default) and the older /api/embeddings.
	oc := ollamaClient(t, hs.URL)
	er, err := oc.Embed(ctx, &oapi.EmbedRequest{Model: "tiny", Input: []string{"서울의 날씨", strings.Repeat("word ", 200)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(er.Embeddings) != 2 || er.PromptEvalCount < 64 || er.Model != "tiny" {
		t.Fatalf("ollama embed: %d embeddings, %d tokens", len(er.Embeddings), er.PromptEvalCount)
	}
	first := make([]float64, len(er.Embeddings[0]))
	for i, x := range er.Embeddings[0] {
		first[i] = float64(x)
	}
	if !closeTo(first, one.Data[0].Embedding) {
		t.Fatal("ollama and OpenAI embeddings of one text differ")
	}
	no := false
	var se oapi.StatusError
	if _, err := oc.Embed(ctx, &oapi.EmbedRequest{Model: "tiny", Input: strings.Repeat("word ", 200), Truncate: &no}); !errors.As(err, &se) || se.StatusCode != 400 {
		t.Fatalf("ollama embed without truncation: %v", err)
	}
	legacy, err := oc.Embeddings(ctx, &oapi.EmbeddingRequest{Model: "tiny", Prompt: "서울의 날씨"})
	if err != nil || !closeTo(legacy.Embedding, one.Data[0].Embedding) {
		t.Fatalf("ollama embeddings: %v", err)
	}
}

func postJSON(t *testing.T, url, body string) []byte {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}
