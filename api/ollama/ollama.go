// Package ollama serves the Ollama API (/api/chat, /api/generate,
// /api/embed, /api/tags, /api/show, /api/ps, /api/version) with streaming
// NDJSON, so Ollama clients and apps work unchanged.
package ollama

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nuri-ai/nuri/engine"
	"github.com/nuri-ai/nuri/server/backend"
)

// Version is the Ollama API version reported by /api/version; clients
// compare it to enable features.
const Version = "0.17.4"

// API holds the handlers.
type API struct {
	b backend.Backend
}

// New returns the Ollama API over b.
func New(b backend.Backend) *API { return &API{b: b} }

// Register adds the routes to mux.
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/chat", a.chat)
	mux.HandleFunc("POST /api/generate", a.generate)
	mux.HandleFunc("POST /api/embed", a.embed)
	mux.HandleFunc("POST /api/embeddings", a.embed)
	mux.HandleFunc("GET /api/tags", a.tags)
	mux.HandleFunc("POST /api/show", a.show)
	mux.HandleFunc("GET /api/ps", a.ps)
	mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, r *http.Request) {
		backend.WriteJSON(w, http.StatusOK, map[string]string{"version": Version})
	})
	for _, p := range []string{"/api/pull", "/api/push", "/api/create", "/api/copy", "/api/delete"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			WriteError(w, backend.NotImplemented("%s is not supported by this server; use `nuri pull` to download models", r.URL.Path))
		})
	}
}

// WriteError writes {"error": "..."} with the error's status.
func WriteError(w http.ResponseWriter, err error) {
	e := backend.AsError(err)
	backend.SetRetryAfter(w, e)
	status := e.Status
	if status == 499 {
		status = http.StatusBadRequest
	}
	backend.WriteJSON(w, status, map[string]string{"error": e.Message})
}

// Duration accepts Ollama's keep_alive forms: a Go duration string, a
// number of seconds, or a negative number for "forever".
type Duration struct {
	D   time.Duration
	Set bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" || s == `""` {
		return nil
	}
	d.Set = true
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		if v, err := strconv.ParseFloat(str, 64); err == nil {
			d.D = seconds(v)
			return nil
		}
		v, err := time.ParseDuration(str)
		if err != nil {
			return fmt.Errorf("keep_alive %q: %w", str, err)
		}
		d.D = v
		if v < 0 {
			d.D = -1
		}
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("keep_alive %s: want a duration or seconds", s)
	}
	d.D = seconds(v)
	return nil
}

func seconds(v float64) time.Duration {
	if v < 0 {
		return -1
	}
	if v > math.MaxInt64/float64(time.Second) {
		return -1
	}
	return time.Duration(v * float64(time.Second))
}

func (d Duration) ptr() *time.Duration {
	if !d.Set {
		return nil
	}
	v := d.D
	return &v
}

// options are Ollama's model options (the subset that applies).
type options struct {
	Temperature      *float32 `json:"temperature"`
	TopK             *int     `json:"top_k"`
	TopP             *float32 `json:"top_p"`
	MinP             *float32 `json:"min_p"`
	NumPredict       *int     `json:"num_predict"`
	Stop             []string `json:"stop"`
	Seed             *int64   `json:"seed"`
	RepeatPenalty    *float32 `json:"repeat_penalty"`
	RepeatLastN      *int     `json:"repeat_last_n"`
	PresencePenalty  *float32 `json:"presence_penalty"`
	FrequencyPenalty *float32 `json:"frequency_penalty"`
	NumCtx           *int     `json:"num_ctx"`
}

// toOptions applies Ollama's defaults (temperature 0.8, top_k 40, top_p
// 0.9, repeat_penalty 1.1 over the last 64 tokens).
func (op *options) toOptions(format json.RawMessage) (*backend.Options, error) {
	o := &backend.Options{}
	p := &o.Sampling
	p.Temperature, p.TopK, p.TopP, p.RepeatPenalty, p.RepeatLastN = 0.8, 40, 0.9, 1.1, 64
	if op != nil {
		if op.Temperature != nil {
			p.Temperature = *op.Temperature
		}
		if op.TopK != nil {
			p.TopK = *op.TopK
		}
		if op.TopP != nil {
			p.TopP = *op.TopP
		}
		if op.MinP != nil {
			p.MinP = *op.MinP
		}
		if op.RepeatPenalty != nil {
			p.RepeatPenalty = *op.RepeatPenalty
		}
		if op.RepeatLastN != nil {
			p.RepeatLastN = *op.RepeatLastN
		}
		if op.PresencePenalty != nil {
			p.PresencePenalty = *op.PresencePenalty
		}
		if op.FrequencyPenalty != nil {
			p.FrequencyPenalty = *op.FrequencyPenalty
		}
		if op.NumPredict != nil && *op.NumPredict > 0 {
			o.MaxTokens = *op.NumPredict
		}
		o.Stop = op.Stop
		if op.Seed != nil {
			p.Seed = uint64(*op.Seed)
		}
	}
	if op == nil || op.Seed == nil {
		p.Seed = rand.Uint64()
	}
	if len(format) > 0 && string(format) != "null" && string(format) != `""` {
		var s string
		if err := json.Unmarshal(format, &s); err == nil {
			if s != "json" {
				return nil, backend.BadRequest("format", "format %q: want \"json\" or a JSON schema", s)
			}
			o.JSON = true
		} else {
			o.Schema = format
		}
	}
	return o, o.Validate()
}

// stats are the timing fields of a final response.
type stats struct {
	TotalDuration      int64 `json:"total_duration"`
	LoadDuration       int64 `json:"load_duration"`
	PromptEvalCount    int   `json:"prompt_eval_count"`
	PromptEvalDuration int64 `json:"prompt_eval_duration"`
	EvalCount          int   `json:"eval_count"`
	EvalDuration       int64 `json:"eval_duration"`
}

func statsOf(u engine.Usage, load time.Duration, total time.Duration) stats {
	return stats{
		TotalDuration:      int64(total),
		LoadDuration:       int64(load),
		PromptEvalCount:    u.PromptTokens,
		PromptEvalDuration: int64(u.TimeToFirstToken),
		EvalCount:          u.CompletionTokens,
		EvalDuration:       int64(max(0, u.Duration-u.TimeToFirstToken-u.Queued)),
	}
}

func doneReason(finish string) string {
	switch finish {
	case string(engine.FinishLength):
		return "length"
	case "tool_calls", string(engine.FinishCancelled):
		return "stop"
	}
	return "stop"
}

type details struct {
	ParentModel       string   `json:"parent_model"`
	Format            string   `json:"format"`
	Family            string   `json:"family"`
	Families          []string `json:"families"`
	ParameterSize     string   `json:"parameter_size"`
	QuantizationLevel string   `json:"quantization_level"`
}

func detailsOf(i backend.Info) details {
	return details{Format: i.Format, Family: i.Arch, Families: []string{i.Arch}, ParameterSize: paramSize(i.Params), QuantizationLevel: i.Quant}
}

func paramSize(n int64) string {
	switch {
	case n <= 0:
		return ""
	case n >= 1e9:
		return fmt.Sprintf("%.1fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1fK", float64(n)/1e3)
}

type listModel struct {
	Name       string    `json:"name"`
	Model      string    `json:"model"`
	ModifiedAt time.Time `json:"modified_at"`
	Size       int64     `json:"size"`
	Digest     string    `json:"digest"`
	Details    details   `json:"details"`
	// /api/ps only
	ExpiresAt     *time.Time `json:"expires_at,omitempty"`
	SizeVRAM      *int64     `json:"size_vram,omitempty"`
	ContextLength int        `json:"context_length,omitempty"`
}

func digestOf(i backend.Info) string {
	return strings.TrimPrefix(i.Digest, "sha256:")
}

func (a *API) tags(w http.ResponseWriter, r *http.Request) {
	list := a.b.Models(r.Context())
	out := make([]listModel, 0, len(list))
	for _, i := range list {
		out = append(out, listModel{Name: i.Name, Model: i.Name, ModifiedAt: i.ModifiedAt, Size: i.Size, Digest: digestOf(i), Details: detailsOf(i)})
	}
	backend.WriteJSON(w, http.StatusOK, map[string]any{"models": out})
}

func (a *API) ps(w http.ResponseWriter, r *http.Request) {
	list := a.b.Running()
	out := make([]listModel, 0, len(list))
	for _, i := range list {
		exp := i.ExpiresAt
		if exp.IsZero() {
			exp = time.Now().Add(100 * 365 * 24 * time.Hour)
		}
		zero := int64(0)
		out = append(out, listModel{Name: i.Name, Model: i.Name, ModifiedAt: i.ModifiedAt, Size: i.Memory, Digest: digestOf(i), Details: detailsOf(i),
			ExpiresAt: &exp, SizeVRAM: &zero, ContextLength: i.Context})
	}
	backend.WriteJSON(w, http.StatusOK, map[string]any{"models": out})
}

func (a *API) show(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model string `json:"model"`
		Name  string `json:"name"`
	}
	if err := backend.DecodeJSON(w, r, &req); err != nil {
		WriteError(w, err)
		return
	}
	name := req.Model
	if name == "" {
		name = req.Name
	}
	if name == "" {
		WriteError(w, backend.BadRequest("model", "model is required"))
		return
	}
	m, release, err := a.b.Acquire(r.Context(), name, nil)
	if err != nil {
		WriteError(w, err)
		return
	}
	defer release()
	i := m.Info
	caps := []string{"completion"}
	if m.Family != "" {
		caps = append(caps, "tools")
	}
	info := map[string]any{
		"general.architecture":     i.Arch,
		"general.parameter_count":  i.Params,
		i.Arch + ".context_length": i.Context,
	}
	if mm := m.Engine.Model(); mm != nil {
		c := mm.Config
		info[i.Arch+".embedding_length"] = c.Hidden
		info[i.Arch+".block_count"] = c.Layers
		info[i.Arch+".attention.head_count"] = c.Heads
		info[i.Arch+".attention.head_count_kv"] = c.KVHeads
		info[i.Arch+".vocab_size"] = c.VocabSize
	}
	backend.WriteJSON(w, http.StatusOK, map[string]any{
		"modelfile":    "FROM " + i.Path + "\n",
		"parameters":   "",
		"template":     i.Template,
		"details":      detailsOf(i),
		"model_info":   info,
		"capabilities": caps,
		"modified_at":  i.ModifiedAt,
	})
}
