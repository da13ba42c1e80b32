package ollama

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/nuri-ai/nuri/engine"
	"github.com/nuri-ai/nuri/server/backend"
)

// embedRequest is /api/embed's body; /api/embeddings (the older form)
// sends one text as "prompt" instead of "input".
type embedRequest struct {
	Model      string          `json:"model"`
	Input      json.RawMessage `json:"input"`
	Prompt     *string         `json:"prompt"`
	Truncate   *bool           `json:"truncate"`
	Dimensions int             `json:"dimensions"`
	KeepAlive  Duration        `json:"keep_alive"`
	Options    json.RawMessage `json:"options"`
}

type embedResponse struct {
	Model           string      `json:"model"`
	Embeddings      [][]float32 `json:"embeddings"`
	TotalDuration   int64       `json:"total_duration"`
	LoadDuration    int64       `json:"load_duration"`
	PromptEvalCount int         `json:"prompt_eval_count"`
}

// embedTexts decodes "input": a string or an array of strings.
func embedTexts(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, backend.BadRequest("input", "input is required")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return []string{s}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, backend.BadRequest("input", "input must be a string or an array of strings")
	}
	if len(list) == 0 {
		return nil, backend.BadRequest("input", "input is an empty array")
	}
	return list, nil
}

func (a *API) embed(w http.ResponseWriter, r *http.Request) {
	legacy := r.URL.Path == "/api/embeddings"
	endpoint := r.URL.Path
	start := time.Now()
	var req embedRequest
	if err := backend.DecodeJSON(w, r, &req); err != nil {
		WriteError(w, err)
		return
	}
	if req.Model == "" {
		WriteError(w, backend.BadRequest("model", "model is required"))
		return
	}
	var texts []string
	if legacy {
		if req.Prompt == nil {
			WriteError(w, backend.BadRequest("prompt", "prompt is required"))
			return
		}
		texts = []string{*req.Prompt}
	} else {
		var err error
		if texts, err = embedTexts(req.Input); err != nil {
			WriteError(w, err)
			return
		}
	}
	if len(texts) > backend.MaxEmbedInputs {
		WriteError(w, backend.BadRequest("input", "at most %d inputs are allowed in one request, got %d", backend.MaxEmbedInputs, len(texts)))
		return
	}
	m, release, err := a.b.Acquire(r.Context(), req.Model, req.KeepAlive.ptr())
	if err != nil {
		WriteError(w, err)
		return
	}
	defer release()
	load := time.Since(start)
	if req.Dimensions != 0 {
		if err := m.CheckDimensions(&req.Dimensions); err != nil {
			WriteError(w, err)
			return
		}
	}
	inputs := make([][]int32, len(texts))
	for i, t := range texts {
		inputs[i] = m.EncodeEmbedInput(t)
	}
	truncate := req.Truncate == nil || *req.Truncate
	vecs, tokens, err := m.Embed(r.Context(), inputs, truncate)
	u := engine.Usage{PromptTokens: tokens, Duration: time.Since(start) - load}
	if err != nil {
		a.b.Record(r, backend.Record{Endpoint: endpoint, Model: m.Name, Usage: u, Failed: true})
		WriteError(w, err)
		return
	}
	a.b.Record(r, backend.Record{Endpoint: endpoint, Model: m.Name, Usage: u})
	if legacy {
		v := make([]float64, len(vecs[0]))
		for i, x := range vecs[0] {
			v[i] = float64(x)
		}
		backend.WriteJSON(w, http.StatusOK, map[string]any{"embedding": v})
		return
	}
	backend.WriteJSON(w, http.StatusOK, embedResponse{Model: m.Name, Embeddings: vecs, TotalDuration: int64(time.Since(start)),
		LoadDuration: int64(load), PromptEvalCount: tokens})
}
