package backend

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/nuri-ai/nuri/chat"
	"github.com/nuri-ai/nuri/engine"
)

// Message is one chat turn in the shape Hugging Face chat templates expect
// (OpenAI's, with tool-call arguments as JSON objects).
type Message struct {
	Role       string     `json:"role"`
	Content    string     `json:"content"`
	Name       string     `json:"name,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

// ToolCall is a function call, in a message or in a reply.
type ToolCall struct {
	ID       string       `json:"id,omitempty"`
	Type     string       `json:"type"`
	Function FunctionCall `json:"function"`
}

// FunctionCall names a function and its arguments (a JSON object).
type FunctionCall struct {
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

// Tool is a function the model may call.
type Tool struct {
	Type     string   `json:"type"`
	Function Function `json:"function"`
}

// Function describes a callable function; Parameters is a JSON schema.
type Function struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
}

// NewID returns prefix followed by 24 random hex digits.
func NewID(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// ArgumentsObject turns tool-call arguments given as a JSON string (as the
// OpenAI API sends them) or as an object into a JSON object. Anything that
// is not an object after unquoting is an error naming the call.
func ArgumentsObject(raw json.RawMessage, call string) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage("{}"), nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("tool call %s: arguments: %w", call, err)
		}
		if strings.TrimSpace(s) == "" {
			return json.RawMessage("{}"), nil
		}
		raw = json.RawMessage(s)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("tool call %s: arguments must be a JSON object: %w", call, err)
	}
	return raw, nil
}

// RenderChat applies the model's chat template to the conversation, with
// the assistant's turn opened, and tokenizes the result. vars are further
// template variables (enable_thinking and the like).
func (m *Model) RenderChat(msgs []Message, tools []Tool, vars map[string]any) ([]int32, error) {
	if len(msgs) == 0 {
		return nil, BadRequest("messages", "messages must not be empty")
	}
	if m.Template == nil {
		return nil, BadRequest("messages", "model %s has no chat template; use the completions endpoint with a plain prompt", m.Name)
	}
	rawMsgs, err := json.Marshal(msgs)
	if err != nil {
		return nil, fmt.Errorf("render chat for %s: %w", m.Name, err)
	}
	in := chat.Input{Messages: json.RawMessage(rawMsgs), AddGenerationPrompt: true, Vars: map[string]any{}}
	if len(tools) > 0 {
		rawTools, err := json.Marshal(tools)
		if err != nil {
			return nil, fmt.Errorf("render chat for %s: tools: %w", m.Name, err)
		}
		in.Tools = json.RawMessage(rawTools)
	}
	for k, v := range m.Specials {
		in.Vars[k] = v
	}
	for k, v := range vars {
		in.Vars[k] = v
	}
	text, err := m.Template.Render(in)
	if err != nil {
		var ce *chat.Error
		if errors.As(err, &ce) && ce.Raised {
			return nil, &Error{Status: 400, Type: TypeInvalid, Param: "messages", Message: "the model's chat template refused the conversation: " + ce.Msg, Err: err}
		}
		return nil, fmt.Errorf("render chat template of %s: %w", m.Name, err)
	}
	// The template writes BOS itself where the model wants it.
	return m.Tokenizer().Encode(text, false), nil
}

// EncodePrompt tokenizes a plain-text prompt with the tokenizer's special
// tokens (BOS) added.
func (m *Model) EncodePrompt(text string) []int32 {
	return m.Tokenizer().Encode(text, true)
}

// CheckContext refuses a prompt that does not fit the context together with
// the requested new tokens, saying the numbers.
func (m *Model) CheckContext(promptTokens, maxTokens int) error {
	n := m.Context()
	if promptTokens == 0 {
		return BadRequest("prompt", "the prompt is empty")
	}
	if promptTokens >= n || maxTokens > 0 && promptTokens+maxTokens > n {
		return &Error{Status: 400, Type: TypeInvalid, Param: "messages",
			Message: fmt.Sprintf("this model's context is %d tokens; the prompt has %d tokens and %d new tokens were requested", n, promptTokens, maxTokens),
			Err:     &engine.PromptTooLongError{PromptTokens: promptTokens, MaxTokens: maxTokens, Context: n}}
	}
	return nil
}

// Start builds the engine request for prompt and submits it. A submission the
// engine refuses is recorded as a failed request of endpoint.
func (m *Model) Start(b Backend, r *http.Request, endpoint string, prompt []int32, o *Options) (<-chan engine.Event, error) {
	chans, err := m.start(r.Context(), b, r, endpoint, prompt, o, 1)
	if err != nil {
		return nil, err
	}
	return chans[0], nil
}

// StartN is Start for n choices of one prompt: n engine requests, the i-th
// with its sampling seed moved on by i so that seeded choices differ, all
// under a context of their own that cancel ends (the caller calls it when
// done with the streams). When a request cannot be built or is refused,
// the ones already started are cancelled and drained, and only the error is
// returned; a refusal is recorded as a failed request of endpoint.
func (m *Model) StartN(b Backend, r *http.Request, endpoint string, prompt []int32, o *Options, n int) (chans []<-chan engine.Event, cancel context.CancelFunc, err error) {
	ctx, cancel := context.WithCancel(r.Context())
	chans, err = m.start(ctx, b, r, endpoint, prompt, o, n)
	if err != nil {
		cancel()
		for _, ch := range chans {
			for range ch {
			}
		}
		return nil, nil, err
	}
	return chans, cancel, nil
}

// start submits n requests under ctx. On failure it returns the error
// with the streams started before it, for the caller to cancel and drain.
func (m *Model) start(ctx context.Context, b Backend, r *http.Request, endpoint string, prompt []int32, o *Options, n int) ([]<-chan engine.Event, error) {
	if n < 1 {
		return nil, fmt.Errorf("model %s: %d choices requested", m.Name, n)
	}
	chans := make([]<-chan engine.Event, 0, n)
	for i := range n {
		er, err := m.NewRequest(b, prompt, o, i)
		if err == nil {
			var ch <-chan engine.Event
			if ch, err = m.Submit(ctx, er); err == nil {
				chans = append(chans, ch)
				continue
			}
			b.Record(r, Record{Endpoint: endpoint, Model: m.Name, Failed: true})
		}
		return chans, err
	}
	return chans, nil
}

// Submit checks the request against the context, adds the tokenizer's end
// tokens to the stop tokens (unless r.IgnoreEOS) and submits it to the
// engine.
func (m *Model) Submit(ctx context.Context, r *engine.Request) (<-chan engine.Event, error) {
	if err := m.CheckContext(len(r.Prompt), r.MaxTokens); err != nil {
		return nil, err
	}
	if err := m.overloaded(len(r.Prompt) + max(r.MaxTokens, 1)); err != nil {
		return nil, err
	}
	if r.ID == "" {
		r.ID = NewID("req-")
	}
	if !r.IgnoreEOS {
		r.StopTokens = append(r.StopTokens, m.Tokenizer().EOS()...)
	}
	ch, err := m.Engine.Submit(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", m.Name, err)
	}
	return ch, nil
}

// OverloadQueue is how many requests may wait for a model's KV cache
// before a new request that does not fit in the free cache is refused with
// 503 (engine.ErrOverloaded) instead of joining the queue: with that many
// ahead of it, it would wait long, and a client or load balancer does
// better to try again later or elsewhere.
const OverloadQueue = 32

// overloaded applies the OverloadQueue rule to a request that may need
// tokens positions of cache.
func (m *Model) overloaded(tokens int) error {
	st := m.Engine.Stats()
	if st.Waiting < OverloadQueue || st.KVBlockSize <= 0 {
		return nil
	}
	need := (tokens + st.KVBlockSize - 1) / st.KVBlockSize
	free := st.KVBlocksTotal - st.KVBlocksUsed
	if need <= free {
		return nil
	}
	return fmt.Errorf("model %s: %w: %d requests are waiting for KV cache and this one needs %d blocks of %d tokens while %d of %d are free; retry later",
		m.Name, engine.ErrOverloaded, st.Waiting, need, st.KVBlockSize, free, st.KVBlocksTotal)
}

// Result is a finished generation.
type Result struct {
	Text     string
	Tokens   []engine.Event // one per generated token, with logprobs when asked
	Finish   engine.FinishReason
	Usage    engine.Usage
	Duration time.Duration
}

// Collect reads a stream to its end.
func Collect(ch <-chan engine.Event) (Result, error) {
	var res Result
	var sb strings.Builder
	for ev := range ch {
		if ev.Done {
			res.Finish, res.Usage = ev.Finish, ev.Usage
			sb.WriteString(ev.Text)
			res.Text = sb.String()
			if ev.Err != nil {
				return res, ev.Err
			}
			return res, nil
		}
		sb.WriteString(ev.Text)
		res.Tokens = append(res.Tokens, ev)
	}
	res.Text = sb.String()
	return res, errors.New("engine stream ended without a final event")
}

// ParseToolCalls extracts tool calls from a reply in the model family's
// format and gives them ids. Models without a known format return the text
// unchanged.
func (m *Model) ParseToolCalls(text string) ([]ToolCall, string, error) {
	if m.Family == "" {
		return nil, text, nil
	}
	calls, rest, err := chat.ParseToolCalls(m.Family, text)
	if err != nil {
		return nil, text, err
	}
	out := make([]ToolCall, len(calls))
	for i, c := range calls {
		id := c.ID
		if id == "" {
			id = NewID("call_")
		}
		args := c.Arguments
		if len(args) == 0 {
			args = json.RawMessage("{}")
		}
		out[i] = ToolCall{ID: id, Type: "function", Function: FunctionCall{Name: c.Name, Arguments: args}}
	}
	return out, rest, nil
}

// ToolFamily guesses the tool-call format from a chat template's text.
func ToolFamily(template, arch string) string {
	switch {
	case strings.Contains(template, "<tool_call>"):
		return "hermes"
	case strings.Contains(template, "[TOOL_CALLS]"):
		return "mistral"
	case strings.Contains(template, "tool▁calls▁begin"):
		return "deepseek_v3"
	case strings.Contains(template, "<|python_tag|>"), strings.Contains(template, "<|eom_id|>"):
		return "llama3"
	}
	return ""
}

// ForcedCallSchema is the JSON schema of a single call to one of tools (or
// to the one named), used when tool_choice forces a call: the output is then
// a JSON object {"name": ..., "arguments": {...}} read by ParseForcedCall.
func ForcedCallSchema(tools []Tool, name string) (json.RawMessage, error) {
	var alts []any
	for _, t := range tools {
		if name != "" && t.Function.Name != name {
			continue
		}
		params := t.Function.Parameters
		if len(params) == 0 || string(params) == "null" {
			params = json.RawMessage(`{"type":"object"}`)
		}
		alts = append(alts, map[string]any{
			"type":                 "object",
			"properties":           map[string]any{"name": map[string]any{"const": t.Function.Name}, "arguments": params},
			"required":             []string{"name", "arguments"},
			"additionalProperties": false,
		})
	}
	switch len(alts) {
	case 0:
		if name != "" {
			return nil, BadRequest("tool_choice", "tool_choice names %q, which is not among the tools", name)
		}
		return nil, BadRequest("tool_choice", "tool_choice requires a tool call but no tools were given")
	case 1:
		return json.Marshal(alts[0])
	}
	return json.Marshal(map[string]any{"anyOf": alts})
}

// ParseForcedCall reads the output of a ForcedCallSchema-constrained
// generation.
func ParseForcedCall(text string) (ToolCall, error) {
	var c struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	}
	if err := json.Unmarshal([]byte(text), &c); err != nil {
		return ToolCall{}, fmt.Errorf("forced tool call: %w", err)
	}
	if c.Name == "" {
		return ToolCall{}, errors.New("forced tool call: no function name")
	}
	if len(c.Arguments) == 0 {
		c.Arguments = json.RawMessage("{}")
	}
	return ToolCall{ID: NewID("call_"), Type: "function", Function: FunctionCall{Name: c.Name, Arguments: c.Arguments}}, nil
}
