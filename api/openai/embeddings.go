package openai

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"time"

	"github.com/nuri-ai/nuri/engine"
	"github.com/nuri-ai/nuri/server/backend"
)

type embeddingRequest struct {
	Model          string          `json:"model"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat string          `json:"encoding_format"`
	Dimensions     *int            `json:"dimensions"`
	User           string          `json:"user"`
}

type embeddingObject struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"` // []float32, or a base64 string
}

type embeddingUsage struct {
	PromptTokens int `json:"prompt_tokens"`
	TotalTokens  int `json:"total_tokens"`
}

type embeddingResponse struct {
	Object string            `json:"object"`
	Data   []embeddingObject `json:"data"`
	Model  string            `json:"model"`
	Usage  embeddingUsage    `json:"usage"`
}

// embedInput is the decoded "input": texts, or token arrays.
type embedInput struct {
	texts  []string
	tokens [][]int32
}

// parseEmbedInput accepts a string, an array of strings, an array of
// token ids or an array of token arrays.
func parseEmbedInput(raw json.RawMessage) (embedInput, error) {
	raw = bytes.TrimSpace(raw)
	bad := backend.BadRequest("input", "input must be a string, an array of strings, an array of token ids or an array of token arrays")
	if len(raw) == 0 || string(raw) == "null" {
		return embedInput{}, backend.BadRequest("input", "input is required")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return embedInput{texts: []string{s}}, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return embedInput{}, bad
	}
	if len(list) == 0 {
		return embedInput{}, backend.BadRequest("input", "input is an empty array")
	}
	var texts []string
	if err := json.Unmarshal(raw, &texts); err == nil {
		return embedInput{texts: texts}, nil
	}
	var ids []int32
	if err := json.Unmarshal(raw, &ids); err == nil {
		return embedInput{tokens: [][]int32{ids}}, nil
	}
	var arrays [][]int32
	if err := json.Unmarshal(raw, &arrays); err == nil {
		return embedInput{tokens: arrays}, nil
	}
	return embedInput{}, bad
}

// encodeBase64 packs v as little-endian float32 bytes in base64, the form
// OpenAI clients decode for encoding_format "base64".
func encodeBase64(v []float32) string {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return base64.StdEncoding.EncodeToString(b)
}

func (a *API) embeddings(w http.ResponseWriter, r *http.Request) {
	const endpoint = "/v1/embeddings"
	start := time.Now()
	var req embeddingRequest
	if err := backend.DecodeJSON(w, r, &req); err != nil {
		WriteError(w, err)
		return
	}
	if req.Model == "" {
		WriteError(w, backend.BadRequest("model", "model is required"))
		return
	}
	switch req.EncodingFormat {
	case "", "float", "base64":
	default:
		WriteError(w, backend.BadRequest("encoding_format", "encoding_format must be \"float\" or \"base64\", got %q", req.EncodingFormat))
		return
	}
	in, err := parseEmbedInput(req.Input)
	if err != nil {
		WriteError(w, err)
		return
	}
	if len(in.texts) > backend.MaxEmbedInputs || len(in.tokens) > backend.MaxEmbedInputs {
		WriteError(w, backend.BadRequest("input", "at most %d inputs are allowed in one request", backend.MaxEmbedInputs))
		return
	}
	m, release, err := a.b.Acquire(r.Context(), req.Model, nil)
	if err != nil {
		WriteError(w, err)
		return
	}
	defer release()
	if err := m.CheckDimensions(req.Dimensions); err != nil {
		WriteError(w, err)
		return
	}
	inputs := in.tokens
	for _, t := range in.texts {
		inputs = append(inputs, m.EncodeEmbedInput(t))
	}
	vecs, tokens, err := m.Embed(r.Context(), inputs, false)
	u := engine.Usage{PromptTokens: tokens, Duration: time.Since(start)}
	if err != nil {
		a.b.Record(r, backend.Record{Endpoint: endpoint, Model: m.Name, Usage: u, Failed: true})
		WriteError(w, err)
		return
	}
	a.b.Record(r, backend.Record{Endpoint: endpoint, Model: m.Name, Usage: u})
	resp := embeddingResponse{Object: "list", Model: m.Name, Usage: embeddingUsage{PromptTokens: tokens, TotalTokens: tokens}}
	for i, v := range vecs {
		o := embeddingObject{Object: "embedding", Index: i, Embedding: v}
		if req.EncodingFormat == "base64" {
			o.Embedding = encodeBase64(v)
		}
		resp.Data = append(resp.Data, o)
	}
	backend.WriteJSON(w, http.StatusOK, resp)
}
