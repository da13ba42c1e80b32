// Package backend is what the API layers (OpenAI, Anthropic, Ollama) share:
// the engine contract they submit to, loaded models with their chat
// templates, prompt rendering, tool-call parsing, the mapping of errors to
// HTTP statuses and the hooks for usage accounting. The server package
// implements Backend; the API packages only depend on this one.
package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/nuri-ai/nuri/chat"
	"github.com/nuri-ai/nuri/engine"
	"github.com/nuri-ai/nuri/model"
	"github.com/nuri-ai/nuri/sample"
	"github.com/nuri-ai/nuri/tokenizer"
)

// Engine runs requests on one model. *engine.Engine satisfies it.
type Engine interface {
	Submit(ctx context.Context, r *engine.Request) (<-chan engine.Event, error)
	// Embed returns the embedding of ids (see model.Model.Embed).
	Embed(ctx context.Context, ids []int32) ([]float32, error)
	Stats() engine.Stats
	Context() int
	Tokenizer() *tokenizer.Tokenizer
	Model() *model.Model
	Close(ctx context.Context) error
}

// Info describes a model for listings (/v1/models, /api/tags, /api/ps,
// /api/show).
type Info struct {
	Name       string
	Path       string
	Arch       string
	Format     string // "gguf" or "safetensors"
	Quant      string
	Digest     string
	Size       int64 // bytes on disk (or of the weights once loaded)
	Params     int64 // parameter count, when loaded
	Context    int   // usable context when loaded, else the trained one
	ModifiedAt time.Time
	Template   string // chat template source, when loaded
	Family     string // tool-call format ("hermes", "llama3", ...), "" if none

	// Set for loaded models only.
	Loaded    bool
	LoadedAt  time.Time
	ExpiresAt time.Time // zero: kept until evicted
	Memory    int64     // weights plus KV cache
}

// Backend serves the API layers.
type Backend interface {
	// Acquire returns a loaded model, loading it on first use. release must
	// be called when the request is finished with it; keepAlive, when not
	// nil, sets how long the model stays loaded after the last release
	// (negative: forever, 0: unload at once).
	Acquire(ctx context.Context, name string, keepAlive *time.Duration) (m *Model, release func(), err error)
	// Unload drops a loaded model as soon as no request uses it.
	Unload(name string) error
	// Models lists the models that can be served, loaded or not.
	Models(ctx context.Context) []Info
	// Running lists the loaded models.
	Running() []Info
	// Record accounts one finished request (usage store and metrics).
	Record(r *http.Request, rec Record)
	// Constraint compiles a JSON schema into a decoding constraint. It
	// returns an error wrapping ErrUnsupported when the schema (or
	// constrained decoding as a whole) is not supported.
	Constraint(schema json.RawMessage, tok *tokenizer.Tokenizer) (sample.Constraint, error)
}

// Record is one finished request, for accounting.
type Record struct {
	Endpoint string
	Model    string
	Usage    engine.Usage
	Failed   bool
}

// ErrUnsupported marks requests for features this server cannot honour
// exactly (such as a JSON schema outside the supported subset). They are
// refused with 400 rather than served without the guarantee.
var ErrUnsupported = errors.New("unsupported")

// ErrModelNotFound is returned (wrapped) by Acquire for unknown models.
var ErrModelNotFound = errors.New("model not found")

// Model is a loaded model ready to serve.
type Model struct {
	Name     string
	Engine   Engine
	Template *chat.Template    // nil when the model has no chat template
	Specials map[string]string // bos_token, eos_token, ... for the template
	Family   string            // tool-call format for chat.ParseToolCalls; "" = none
	Info     Info
}

// Tokenizer is the model's tokenizer.
func (m *Model) Tokenizer() *tokenizer.Tokenizer { return m.Engine.Tokenizer() }

// Context is the usable context in tokens.
func (m *Model) Context() int { return m.Engine.Context() }

// Error is an API error with its HTTP status. The API packages write it in
// their own error shapes.
type Error struct {
	Status     int
	Type       string // short machine-readable kind, e.g. "invalid_request_error"
	Param      string // the offending request field, when known
	Message    string
	RetryAfter int // seconds; 0 = no Retry-After header
	Err        error
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Error types, in OpenAI's vocabulary (the other APIs map them).
const (
	TypeInvalid     = "invalid_request_error"
	TypeNotFound    = "not_found_error"
	TypeAuth        = "authentication_error"
	TypeRateLimit   = "rate_limit_error"
	TypeOverloaded  = "overloaded_error"
	TypeServer      = "server_error"
	TypeUnsupported = "unsupported_error"
	TypeNotImpl     = "not_implemented_error"
)

// BadRequest is a 400 about param.
func BadRequest(param, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Type: TypeInvalid, Param: param, Message: fmt.Sprintf(format, args...)}
}

// NotImplemented is a 501.
func NotImplemented(format string, args ...any) *Error {
	return &Error{Status: http.StatusNotImplemented, Type: TypeNotImpl, Message: fmt.Sprintf(format, args...)}
}

// AsError maps any error to an API error: engine admission errors to 429 or
// 503 with Retry-After, prompts over the context and unsupported features
// to 400, unknown models to 404, everything else to 500.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var long *engine.PromptTooLongError
	switch {
	case errors.As(err, &long):
		return &Error{Status: http.StatusBadRequest, Type: TypeInvalid, Param: "messages", Message: long.Error(), Err: err}
	case errors.Is(err, engine.ErrQueueFull):
		return &Error{Status: http.StatusTooManyRequests, Type: TypeRateLimit, Message: "the request queue is full; retry later", RetryAfter: 1, Err: err}
	case errors.Is(err, engine.ErrOverloaded), errors.Is(err, engine.ErrClosed), errors.Is(err, ErrBudget):
		return &Error{Status: http.StatusServiceUnavailable, Type: TypeOverloaded, Message: err.Error(), RetryAfter: 5, Err: err}
	case errors.Is(err, ErrUnsupported):
		return &Error{Status: http.StatusBadRequest, Type: TypeInvalid, Message: err.Error(), Err: err}
	case errors.Is(err, ErrModelNotFound):
		return &Error{Status: http.StatusNotFound, Type: TypeNotFound, Param: "model", Message: err.Error(), Err: err}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: 499, Type: TypeServer, Message: "request cancelled", Err: err}
	}
	return &Error{Status: http.StatusInternalServerError, Type: TypeServer, Message: err.Error(), Err: err}
}

// ErrBudget is returned (wrapped) when a model cannot be loaded because the
// memory budget is taken by models in use.
var ErrBudget = errors.New("memory budget exhausted")
