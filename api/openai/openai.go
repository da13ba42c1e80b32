// Package openai serves the OpenAI API: /v1/chat/completions,
// /v1/completions, /v1/responses (stateless), /v1/embeddings and
// /v1/models, with server-sent event streaming and errors in OpenAI's shape.
package openai

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/nuri-ai/nuri/engine"
	"github.com/nuri-ai/nuri/sample"
	"github.com/nuri-ai/nuri/server/backend"
)

// API holds the handlers.
type API struct {
	b backend.Backend
}

// New returns the OpenAI API over b.
func New(b backend.Backend) *API { return &API{b: b} }

// Register adds the routes to mux.
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/chat/completions", a.chatCompletions)
	mux.HandleFunc("POST /v1/completions", a.completions)
	mux.HandleFunc("POST /v1/responses", a.responses)
	mux.HandleFunc("POST /v1/embeddings", a.embeddings)
	mux.HandleFunc("GET /v1/models", a.models)
	mux.HandleFunc("GET /v1/models/{id...}", a.model)
}

// errorBody is OpenAI's error shape.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

// WriteError writes err in OpenAI's error shape with its status.
func WriteError(w http.ResponseWriter, err error) {
	e := backend.AsError(err)
	backend.SetRetryAfter(w, e)
	d := errorDetail{Message: e.Message, Type: e.Type}
	if e.Param != "" {
		p := e.Param
		d.Param = &p
	}
	var code string
	switch e.Status {
	case http.StatusNotFound:
		code = "model_not_found"
	case http.StatusTooManyRequests:
		code = "rate_limit_exceeded"
	case http.StatusServiceUnavailable:
		code = "overloaded"
	}
	if _, ok := e.Err.(*engine.PromptTooLongError); ok || strings.Contains(e.Message, "context is") {
		code = "context_length_exceeded"
	}
	if code != "" {
		d.Code = &code
	}
	status := e.Status
	if status == 499 {
		// The client is gone; nobody reads this.
		status = http.StatusBadRequest
	}
	backend.WriteJSON(w, status, errorBody{Error: d})
}

// stopList accepts "stop" as a string or an array of strings.
func stopList(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s == "" {
			return nil, nil
		}
		return []string{s}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, backend.BadRequest("stop", "stop must be a string or an array of strings")
	}
	if len(list) > 16 {
		return nil, backend.BadRequest("stop", "at most 16 stop sequences are allowed, got %d", len(list))
	}
	out := list[:0]
	for _, s := range list {
		if s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// requestFields are the fields that chat and text completion requests
// share: the model, streaming, the number of choices, stop sequences, the
// token limit, sampling and the ignore_eos extension.
type requestFields struct {
	Model         string `json:"model"`
	Stream        bool   `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	N         *int            `json:"n"`
	Stop      json.RawMessage `json:"stop"`
	MaxTokens *int            `json:"max_tokens"`
	samplingFields
	// IgnoreEOS (an extension) generates past the end token up to max_tokens.
	IgnoreEOS bool `json:"ignore_eos"`
}

// common reads the shared generation options: sampling, stop sequences,
// max_tokens (defaultMax when not given) and ignore_eos.
func (f *requestFields) common(defaultMax int) (backend.Options, error) {
	var o backend.Options
	var err error
	if o.Sampling, err = f.params(); err != nil {
		return o, err
	}
	if o.Stop, err = stopList(f.Stop); err != nil {
		return o, err
	}
	o.MaxTokens = defaultMax
	if f.MaxTokens != nil {
		o.MaxTokens = *f.MaxTokens
	}
	o.IgnoreEOS = f.IgnoreEOS
	return o, nil
}

// choices is n, 1 when not given; more than 16 is refused.
func (f *requestFields) choices() (int, error) {
	n := 1
	if f.N != nil {
		n = *f.N
	}
	if n < 1 || n > 16 {
		return 0, backend.BadRequest("n", "n must be between 1 and 16, got %d", n)
	}
	return n, nil
}

// includeUsage says whether a stream ends with a usage chunk.
func (f *requestFields) includeUsage() bool {
	return f.StreamOptions != nil && f.StreamOptions.IncludeUsage
}

// samplingFields are the sampling parameters the OpenAI endpoints share
// (plus the common extensions top_k, min_p and repetition_penalty).
type samplingFields struct {
	Temperature       *float32 `json:"temperature"`
	TopP              *float32 `json:"top_p"`
	TopK              *int     `json:"top_k"`
	MinP              *float32 `json:"min_p"`
	FrequencyPenalty  *float32 `json:"frequency_penalty"`
	PresencePenalty   *float32 `json:"presence_penalty"`
	RepetitionPenalty *float32 `json:"repetition_penalty"`
	Seed              *int64   `json:"seed"`
}

func (f *samplingFields) params() (sample.Params, error) {
	p := sample.Params{Temperature: 1}
	if f.Temperature != nil {
		if *f.Temperature < 0 || *f.Temperature > 2 {
			return p, backend.BadRequest("temperature", "temperature must be between 0 and 2, got %g", *f.Temperature)
		}
		p.Temperature = *f.Temperature
	}
	if f.TopP != nil {
		if *f.TopP < 0 || *f.TopP > 1 {
			return p, backend.BadRequest("top_p", "top_p must be between 0 and 1, got %g", *f.TopP)
		}
		p.TopP = *f.TopP
	}
	if f.TopK != nil {
		if *f.TopK < 0 {
			return p, backend.BadRequest("top_k", "top_k must not be negative")
		}
		p.TopK = *f.TopK
	}
	if f.MinP != nil {
		p.MinP = *f.MinP
	}
	if f.FrequencyPenalty != nil {
		if *f.FrequencyPenalty < -2 || *f.FrequencyPenalty > 2 {
			return p, backend.BadRequest("frequency_penalty", "frequency_penalty must be between -2 and 2")
		}
		p.FrequencyPenalty = *f.FrequencyPenalty
	}
	if f.PresencePenalty != nil {
		if *f.PresencePenalty < -2 || *f.PresencePenalty > 2 {
			return p, backend.BadRequest("presence_penalty", "presence_penalty must be between -2 and 2")
		}
		p.PresencePenalty = *f.PresencePenalty
	}
	if f.RepetitionPenalty != nil {
		p.RepeatPenalty = *f.RepetitionPenalty
	}
	if f.Seed != nil {
		p.Seed = uint64(*f.Seed)
	} else {
		p.Seed = rand.Uint64()
	}
	return p, nil
}

// usage is OpenAI's usage object for chat and text completions.
type usage struct {
	PromptTokens        int           `json:"prompt_tokens"`
	CompletionTokens    int           `json:"completion_tokens"`
	TotalTokens         int           `json:"total_tokens"`
	PromptTokensDetails *tokenDetails `json:"prompt_tokens_details,omitempty"`
}

type tokenDetails struct {
	CachedTokens int `json:"cached_tokens"`
}

func toUsage(us []engine.Usage) usage {
	var u usage
	for i, x := range us {
		if i == 0 {
			// n choices share one prompt.
			u.PromptTokens = x.PromptTokens
			u.PromptTokensDetails = &tokenDetails{CachedTokens: x.CachedTokens}
		}
		u.CompletionTokens += x.CompletionTokens
	}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return u
}

// record accounts one request.
func (a *API) record(r *http.Request, endpoint, model string, us []engine.Usage, failed bool) {
	var total engine.Usage
	for i, u := range us {
		if i == 0 {
			total = u
			continue
		}
		total.CompletionTokens += u.CompletionTokens
		total.Duration = max(total.Duration, u.Duration)
	}
	a.b.Record(r, backend.Record{Endpoint: endpoint, Model: model, Usage: total, Failed: failed})
}

type modelObject struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

func toModelObject(i backend.Info) modelObject {
	created := i.ModifiedAt
	if created.IsZero() {
		created = i.LoadedAt
	}
	return modelObject{ID: i.Name, Object: "model", Created: created.Unix(), OwnedBy: "nuri"}
}

func (a *API) models(w http.ResponseWriter, r *http.Request) {
	list := a.b.Models(r.Context())
	data := make([]modelObject, 0, len(list))
	for _, i := range list {
		data = append(data, toModelObject(i))
	}
	backend.WriteJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

func (a *API) model(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	for _, i := range a.b.Models(r.Context()) {
		if i.Name == id {
			backend.WriteJSON(w, http.StatusOK, toModelObject(i))
			return
		}
	}
	WriteError(w, fmt.Errorf("model %q: %w", id, backend.ErrModelNotFound))
}

// now is the creation time stamp of responses.
func now() int64 { return time.Now().Unix() }
