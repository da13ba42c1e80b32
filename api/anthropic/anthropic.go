// Package anthropic serves the Anthropic Messages API: /v1/messages
// (streaming events, system prompts, tools, tool_choice, stop sequences)
// and /v1/messages/count_tokens, with errors in Anthropic's shape.
package anthropic

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"

	"github.com/nuri-ai/nuri/engine"
	"github.com/nuri-ai/nuri/server/backend"
)

// API holds the handlers.
type API struct {
	b backend.Backend
}

// New returns the Anthropic API over b.
func New(b backend.Backend) *API { return &API{b: b} }

// Register adds the routes to mux.
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/messages", a.messages)
	mux.HandleFunc("POST /v1/messages/count_tokens", a.countTokens)
}

// WriteError writes err in Anthropic's error shape.
func WriteError(w http.ResponseWriter, err error) {
	e := backend.AsError(err)
	backend.SetRetryAfter(w, e)
	typ := "api_error"
	switch e.Status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		typ = "invalid_request_error"
	case http.StatusUnauthorized:
		typ = "authentication_error"
	case http.StatusForbidden:
		typ = "permission_error"
	case http.StatusNotFound:
		typ = "not_found_error"
	case http.StatusTooManyRequests:
		typ = "rate_limit_error"
	case http.StatusServiceUnavailable:
		typ = "overloaded_error"
	case http.StatusNotImplemented:
		typ = "invalid_request_error"
	}
	status := e.Status
	if status == 499 {
		status = http.StatusBadRequest
	}
	backend.WriteJSON(w, status, map[string]any{"type": "error", "error": map[string]any{"type": typ, "message": e.Message}})
}

type block struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   bool            `json:"is_error"`
	Thinking  string          `json:"thinking"`
}

type message struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type tool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"input_schema"`
}

type messagesRequest struct {
	Model         string          `json:"model"`
	MaxTokens     *int            `json:"max_tokens"`
	Messages      []message       `json:"messages"`
	System        json.RawMessage `json:"system"`
	StopSequences []string        `json:"stop_sequences"`
	Stream        bool            `json:"stream"`
	Temperature   *float32        `json:"temperature"`
	TopP          *float32        `json:"top_p"`
	TopK          *int            `json:"top_k"`
	Tools         []tool          `json:"tools"`
	OutputConfig  *struct {
		Format *struct {
			Type   string          `json:"type"`
			Schema json.RawMessage `json:"schema"`
		} `json:"format"`
	} `json:"output_config"`
	ToolChoice *struct {
		Type                   string `json:"type"`
		Name                   string `json:"name"`
		DisableParallelToolUse bool   `json:"disable_parallel_tool_use"`
	} `json:"tool_choice"`
}

// blocks reads content given as a string or as an array of blocks.
func blocks(raw json.RawMessage, where string) ([]block, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return []block{{Type: "text", Text: s}}, nil
	}
	var bs []block
	if err := json.Unmarshal(raw, &bs); err != nil {
		return nil, backend.BadRequest(where, "%s must be a string or an array of content blocks", where)
	}
	return bs, nil
}

func textOf(bs []block, where string) (string, error) {
	var sb strings.Builder
	for i, b := range bs {
		switch b.Type {
		case "text":
			sb.WriteString(b.Text)
		default:
			return "", backend.BadRequest(fmt.Sprintf("%s[%d].type", where, i), "content block type %q is not supported here", b.Type)
		}
	}
	return sb.String(), nil
}

func (req *messagesRequest) conversation() ([]backend.Message, error) {
	var msgs []backend.Message
	if sys, err := blocks(req.System, "system"); err != nil {
		return nil, err
	} else if len(sys) > 0 {
		text, err := textOf(sys, "system")
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, backend.Message{Role: "system", Content: text})
	}
	if len(req.Messages) == 0 {
		return nil, backend.BadRequest("messages", "messages must not be empty")
	}
	for i, m := range req.Messages {
		where := fmt.Sprintf("messages[%d].content", i)
		if m.Role != "user" && m.Role != "assistant" {
			return nil, backend.BadRequest(fmt.Sprintf("messages[%d].role", i), "role must be user or assistant, got %q", m.Role)
		}
		bs, err := blocks(m.Content, where)
		if err != nil {
			return nil, err
		}
		cur := backend.Message{Role: m.Role}
		var text strings.Builder
		for j, b := range bs {
			switch b.Type {
			case "text":
				text.WriteString(b.Text)
			case "thinking", "redacted_thinking":
			case "tool_use":
				if m.Role != "assistant" {
					return nil, backend.BadRequest(fmt.Sprintf("%s[%d]", where, j), "tool_use blocks belong in assistant messages")
				}
				args, err := backend.ArgumentsObject(b.Input, b.Name)
				if err != nil {
					return nil, backend.BadRequest(fmt.Sprintf("%s[%d].input", where, j), "%v", err)
				}
				cur.ToolCalls = append(cur.ToolCalls, backend.ToolCall{ID: b.ID, Type: "function", Function: backend.FunctionCall{Name: b.Name, Arguments: args}})
			case "tool_result":
				inner, err := blocks(b.Content, fmt.Sprintf("%s[%d].content", where, j))
				if err != nil {
					return nil, err
				}
				out, err := textOf(inner, fmt.Sprintf("%s[%d].content", where, j))
				if err != nil {
					return nil, err
				}
				if b.IsError {
					out = "Error: " + out
				}
				msgs = append(msgs, backend.Message{Role: "tool", Content: out, ToolCallID: b.ToolUseID})
			default:
				return nil, backend.BadRequest(fmt.Sprintf("%s[%d].type", where, j), "content block type %q is not supported", b.Type)
			}
		}
		cur.Content = text.String()
		if cur.Content != "" || len(cur.ToolCalls) > 0 || len(bs) == 0 {
			msgs = append(msgs, cur)
		}
	}
	return msgs, nil
}

func (req *messagesRequest) options() (*backend.Options, error) {
	o := &backend.Options{Stop: req.StopSequences}
	if req.MaxTokens == nil {
		return nil, backend.BadRequest("max_tokens", "max_tokens is required")
	}
	if *req.MaxTokens < 1 {
		return nil, backend.BadRequest("max_tokens", "max_tokens must be at least 1, got %d", *req.MaxTokens)
	}
	o.MaxTokens = *req.MaxTokens
	o.Sampling.Temperature = 1
	if req.Temperature != nil {
		if *req.Temperature < 0 || *req.Temperature > 1 {
			return nil, backend.BadRequest("temperature", "temperature must be between 0 and 1, got %g", *req.Temperature)
		}
		o.Sampling.Temperature = *req.Temperature
	}
	if req.TopP != nil {
		o.Sampling.TopP = *req.TopP
	}
	if req.TopK != nil {
		o.Sampling.TopK = *req.TopK
	}
	o.Sampling.Seed = rand.Uint64()
	for i, t := range req.Tools {
		if t.Type != "" && t.Type != "custom" {
			return nil, backend.BadRequest(fmt.Sprintf("tools[%d].type", i), "tool type %q is not supported; only custom tools are", t.Type)
		}
		o.Tools = append(o.Tools, backend.Tool{Type: "function", Function: backend.Function{Name: t.Name, Description: t.Description, Parameters: t.InputSchema}})
	}
	if oc := req.OutputConfig; oc != nil && oc.Format != nil {
		if oc.Format.Type != "json_schema" || len(oc.Format.Schema) == 0 {
			return nil, backend.BadRequest("output_config.format", "output_config.format must be {\"type\": \"json_schema\", \"schema\": {...}}")
		}
		o.Schema = oc.Format.Schema
	}
	o.ToolChoice.Mode = backend.ToolAuto
	o.Parallel = true
	if tc := req.ToolChoice; tc != nil {
		switch tc.Type {
		case "auto", "":
		case "any":
			o.ToolChoice.Mode = backend.ToolRequired
		case "tool":
			o.ToolChoice = backend.ToolChoice{Mode: backend.ToolFunction, Name: tc.Name}
		case "none":
			o.ToolChoice.Mode = backend.ToolNone
		default:
			return nil, backend.BadRequest("tool_choice.type", "tool_choice type %q: want auto, any, tool or none", tc.Type)
		}
		o.Parallel = !tc.DisableParallelToolUse
	}
	return o, o.Validate()
}

type contentOut struct {
	Type  string          `json:"type"`
	Text  *string         `json:"text,omitempty"`
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
}

type usageOut struct {
	InputTokens              int `json:"input_tokens"`
	OutputTokens             int `json:"output_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
}

type messageOut struct {
	ID           string       `json:"id"`
	Type         string       `json:"type"`
	Role         string       `json:"role"`
	Model        string       `json:"model"`
	Content      []contentOut `json:"content"`
	StopReason   *string      `json:"stop_reason"`
	StopSequence *string      `json:"stop_sequence"`
	Usage        usageOut     `json:"usage"`
}

func stopReason(r backend.Reply) string {
	switch r.Finish {
	case "tool_calls":
		return "tool_use"
	case string(engine.FinishLength):
		return "max_tokens"
	}
	return "end_turn"
}

func toolUseID(id string) string {
	if strings.HasPrefix(id, "call_") {
		return "toolu_" + strings.TrimPrefix(id, "call_")
	}
	return id
}

func usageOf(u engine.Usage) usageOut {
	return usageOut{InputTokens: u.PromptTokens - u.CachedTokens, OutputTokens: u.CompletionTokens, CacheReadInputTokens: u.CachedTokens}
}

func (a *API) prepare(w http.ResponseWriter, r *http.Request, req *messagesRequest) (*backend.Model, func(), []int32, *backend.Options, bool) {
	if err := backend.DecodeJSON(w, r, req); err != nil {
		WriteError(w, err)
		return nil, nil, nil, nil, false
	}
	if req.Model == "" {
		WriteError(w, backend.BadRequest("model", "model is required"))
		return nil, nil, nil, nil, false
	}
	msgs, err := req.conversation()
	if err != nil {
		WriteError(w, err)
		return nil, nil, nil, nil, false
	}
	o, err := req.options()
	if err != nil {
		WriteError(w, err)
		return nil, nil, nil, nil, false
	}
	m, release, err := a.b.Acquire(r.Context(), req.Model, nil)
	if err != nil {
		WriteError(w, err)
		return nil, nil, nil, nil, false
	}
	prompt, err := m.RenderChat(msgs, o.Tools, nil)
	if err != nil {
		release()
		WriteError(w, err)
		return nil, nil, nil, nil, false
	}
	return m, release, prompt, o, true
}

func (a *API) countTokens(w http.ResponseWriter, r *http.Request) {
	var req messagesRequest
	one := 1
	req.MaxTokens = &one // not required here
	m, release, prompt, _, ok := a.prepare(w, r, &req)
	if !ok {
		return
	}
	defer release()
	_ = m
	backend.WriteJSON(w, http.StatusOK, map[string]int{"input_tokens": len(prompt)})
}

func (a *API) messages(w http.ResponseWriter, r *http.Request) {
	const endpoint = "/v1/messages"
	var req messagesRequest
	m, release, prompt, o, ok := a.prepare(w, r, &req)
	if !ok {
		return
	}
	defer release()
	ch, err := m.Start(a.b, r, endpoint, prompt, o)
	if err != nil {
		WriteError(w, err)
		return
	}
	msg := messageOut{ID: backend.NewID("msg_"), Type: "message", Role: "assistant", Model: m.Name, Content: []contentOut{}}
	if req.Stream {
		a.stream(w, r, m, o, ch, msg, len(prompt))
		return
	}
	res, err := backend.Collect(ch)
	if err != nil {
		a.b.Record(r, backend.Record{Endpoint: endpoint, Model: m.Name, Usage: res.Usage, Failed: true})
		WriteError(w, err)
		return
	}
	reply := m.Reply(o, res.Text, res.Finish)
	if reply.Content != "" || len(reply.ToolCalls) == 0 {
		msg.Content = append(msg.Content, contentOut{Type: "text", Text: &reply.Content})
	}
	for _, c := range reply.ToolCalls {
		msg.Content = append(msg.Content, contentOut{Type: "tool_use", ID: toolUseID(c.ID), Name: c.Function.Name, Input: c.Function.Arguments})
	}
	sr := stopReason(reply)
	msg.StopReason = &sr
	msg.Usage = usageOf(res.Usage)
	a.b.Record(r, backend.Record{Endpoint: endpoint, Model: m.Name, Usage: res.Usage})
	backend.WriteJSON(w, http.StatusOK, msg)
}

func (a *API) stream(w http.ResponseWriter, r *http.Request, m *backend.Model, o *backend.Options, ch <-chan engine.Event, msg messageOut, promptTokens int) {
	const endpoint = "/v1/messages"
	sse := backend.NewSSE(w)
	send := func(typ string, fields map[string]any) {
		fields["type"] = typ
		_ = sse.Send(typ, fields)
	}
	start := msg
	start.Usage = usageOut{InputTokens: promptTokens, OutputTokens: 1}
	send("message_start", map[string]any{"message": start})
	index := 0
	textOpen := false
	openText := func() {
		if !textOpen {
			textOpen = true
			empty := ""
			send("content_block_start", map[string]any{"index": index, "content_block": contentOut{Type: "text", Text: &empty}})
		}
	}
	send("ping", map[string]any{})
	var text strings.Builder
	for ev := range ch {
		text.WriteString(ev.Text)
		if o.Streamable() && ev.Text != "" {
			openText()
			send("content_block_delta", map[string]any{"index": index, "delta": map[string]string{"type": "text_delta", "text": ev.Text}})
		}
		if !ev.Done {
			continue
		}
		if ev.Err != nil {
			e := backend.AsError(ev.Err)
			send("error", map[string]any{"error": map[string]string{"type": "api_error", "message": e.Message}})
			a.b.Record(r, backend.Record{Endpoint: endpoint, Model: m.Name, Usage: ev.Usage, Failed: true})
			return
		}
		reply := m.Reply(o, text.String(), ev.Finish)
		if !o.Streamable() && (reply.Content != "" || len(reply.ToolCalls) == 0) {
			openText()
			if reply.Content != "" {
				send("content_block_delta", map[string]any{"index": index, "delta": map[string]string{"type": "text_delta", "text": reply.Content}})
			}
		}
		if !textOpen && len(reply.ToolCalls) == 0 {
			openText()
		}
		if textOpen {
			send("content_block_stop", map[string]any{"index": index})
			index++
		}
		for _, c := range reply.ToolCalls {
			send("content_block_start", map[string]any{"index": index, "content_block": map[string]any{"type": "tool_use", "id": toolUseID(c.ID), "name": c.Function.Name, "input": map[string]any{}}})
			send("content_block_delta", map[string]any{"index": index, "delta": map[string]string{"type": "input_json_delta", "partial_json": string(c.Function.Arguments)}})
			send("content_block_stop", map[string]any{"index": index})
			index++
		}
		u := usageOf(ev.Usage)
		send("message_delta", map[string]any{"delta": map[string]any{"stop_reason": stopReason(reply), "stop_sequence": nil}, "usage": u})
		send("message_stop", map[string]any{})
		a.b.Record(r, backend.Record{Endpoint: endpoint, Model: m.Name, Usage: ev.Usage})
	}
}
