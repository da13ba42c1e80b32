package openai

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/nuri-ai/nuri/engine"
	"github.com/nuri-ai/nuri/server/backend"
)

type chatRequest struct {
	requestFields
	Messages            []chatMessage      `json:"messages"`
	Logprobs            bool               `json:"logprobs"`
	TopLogprobs         *int               `json:"top_logprobs"`
	MaxCompletionTokens *int               `json:"max_completion_tokens"`
	ResponseFormat      *responseFormat    `json:"response_format"`
	Tools               []backend.Tool     `json:"tools"`
	ToolChoice          json.RawMessage    `json:"tool_choice"`
	ParallelToolCalls   *bool              `json:"parallel_tool_calls"`
	ChatTemplateKwargs  map[string]any     `json:"chat_template_kwargs"`
	Functions           []backend.Function `json:"functions"`
}

type responseFormat struct {
	Type       string `json:"type"`
	JSONSchema *struct {
		Name   string          `json:"name"`
		Schema json.RawMessage `json:"schema"`
		Strict *bool           `json:"strict"`
	} `json:"json_schema"`
}

type chatMessage struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	Name       string          `json:"name"`
	ToolCalls  []wireToolCall  `json:"tool_calls"`
	ToolCallID string          `json:"tool_call_id"`
}

// wireToolCall is a tool call as OpenAI sends it: arguments are a string.
type wireToolCall struct {
	Index    *int   `json:"index,omitempty"`
	ID       string `json:"id,omitempty"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

func toWire(calls []backend.ToolCall, withIndex bool) []wireToolCall {
	out := make([]wireToolCall, len(calls))
	for i, c := range calls {
		out[i].ID, out[i].Type = c.ID, "function"
		out[i].Function.Name = c.Function.Name
		out[i].Function.Arguments = string(c.Function.Arguments)
		if withIndex {
			idx := i
			out[i].Index = &idx
		}
	}
	return out
}

// contentText flattens message content: a string, null, or an array of
// text parts. Other parts (images, audio) are refused.
func contentText(raw json.RawMessage, where string) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", backend.BadRequest(where, "%s must be a string or an array of content parts", where)
	}
	var sb strings.Builder
	for i, p := range parts {
		switch p.Type {
		case "text", "input_text", "output_text":
			sb.WriteString(p.Text)
		default:
			return "", backend.BadRequest(fmt.Sprintf("%s[%d].type", where, i), "content part type %q is not supported (text only)", p.Type)
		}
	}
	return sb.String(), nil
}

func (req *chatRequest) messages() ([]backend.Message, error) {
	out := make([]backend.Message, 0, len(req.Messages))
	for i, m := range req.Messages {
		where := fmt.Sprintf("messages[%d]", i)
		text, err := contentText(m.Content, where+".content")
		if err != nil {
			return nil, err
		}
		msg := backend.Message{Role: m.Role, Content: text, Name: m.Name, ToolCallID: m.ToolCallID}
		switch m.Role {
		case "system", "user", "assistant", "tool":
		case "developer":
			msg.Role = "system"
		case "function":
			msg.Role = "tool"
		default:
			return nil, backend.BadRequest(where+".role", "unknown role %q", m.Role)
		}
		for j, c := range m.ToolCalls {
			args, err := backend.ArgumentsObject(json.RawMessage(quoteIfNeeded(c.Function.Arguments)), c.Function.Name)
			if err != nil {
				return nil, backend.BadRequest(fmt.Sprintf("%s.tool_calls[%d].function.arguments", where, j), "%v", err)
			}
			msg.ToolCalls = append(msg.ToolCalls, backend.ToolCall{ID: c.ID, Type: "function", Function: backend.FunctionCall{Name: c.Function.Name, Arguments: args}})
		}
		out = append(out, msg)
	}
	return out, nil
}

// quoteIfNeeded makes a JSON string of s (arguments arrive as a string).
func quoteIfNeeded(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// toolChoice parses "auto" | "none" | "required" | {"type":"function","function":{"name":...}}.
func toolChoice(raw json.RawMessage) (backend.ToolChoice, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return backend.ToolChoice{Mode: backend.ToolAuto}, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return backend.ToolChoice{Mode: s}, nil
	}
	var obj struct {
		Type     string `json:"type"`
		Name     string `json:"name"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return backend.ToolChoice{}, backend.BadRequest("tool_choice", "tool_choice must be a string or a function object")
	}
	name := obj.Function.Name
	if name == "" {
		name = obj.Name
	}
	return backend.ToolChoice{Mode: backend.ToolFunction, Name: name}, nil
}

func (req *chatRequest) options() (*backend.Options, int, error) {
	o, err := req.common(0)
	if err != nil {
		return nil, 0, err
	}
	if req.MaxCompletionTokens != nil {
		o.MaxTokens = *req.MaxCompletionTokens
	}
	o.Logprobs = req.Logprobs
	if req.TopLogprobs != nil {
		if !req.Logprobs {
			return nil, 0, backend.BadRequest("top_logprobs", "top_logprobs needs logprobs set to true")
		}
		o.TopLogprobs = *req.TopLogprobs
	}
	if rf := req.ResponseFormat; rf != nil {
		switch rf.Type {
		case "", "text":
		case "json_object":
			o.JSON = true
		case "json_schema":
			if rf.JSONSchema == nil || len(rf.JSONSchema.Schema) == 0 {
				return nil, 0, backend.BadRequest("response_format.json_schema", "response_format json_schema needs json_schema.schema")
			}
			o.Schema = rf.JSONSchema.Schema
		default:
			return nil, 0, backend.BadRequest("response_format.type", "response_format type %q: want text, json_object or json_schema", rf.Type)
		}
	}
	o.Tools = req.Tools
	for _, f := range req.Functions {
		o.Tools = append(o.Tools, backend.Tool{Type: "function", Function: f})
	}
	if o.ToolChoice, err = toolChoice(req.ToolChoice); err != nil {
		return nil, 0, err
	}
	o.Parallel = req.ParallelToolCalls == nil || *req.ParallelToolCalls
	if err := o.Validate(); err != nil {
		return nil, 0, err
	}
	n, err := req.choices()
	if err != nil {
		return nil, 0, err
	}
	return &o, n, nil
}

// choiceLogprobs is OpenAI's per-choice logprobs object.
type choiceLogprobs struct {
	Content []tokenLogprob `json:"content"`
}

type tokenLogprob struct {
	Token       string       `json:"token"`
	Logprob     float32      `json:"logprob"`
	Bytes       []int        `json:"bytes"`
	TopLogprobs []topLogprob `json:"top_logprobs"`
}

type topLogprob struct {
	Token   string  `json:"token"`
	Logprob float32 `json:"logprob"`
	Bytes   []int   `json:"bytes"`
}

func byteList(s string) []int {
	out := make([]int, len(s))
	for i := 0; i < len(s); i++ {
		out[i] = int(s[i])
	}
	return out
}

func toLogprob(ev engine.Event) (tokenLogprob, bool) {
	if ev.Logprob == nil {
		return tokenLogprob{}, false
	}
	t := tokenLogprob{Token: ev.Logprob.Text, Logprob: ev.Logprob.Logprob, Bytes: byteList(ev.Logprob.Text), TopLogprobs: []topLogprob{}}
	for _, c := range ev.Top {
		t.TopLogprobs = append(t.TopLogprobs, topLogprob{Token: c.Text, Logprob: c.Logprob, Bytes: byteList(c.Text)})
	}
	return t, true
}

type chatMessageOut struct {
	Role      string         `json:"role"`
	Content   *string        `json:"content"`
	ToolCalls []wireToolCall `json:"tool_calls,omitempty"`
	Refusal   *string        `json:"refusal"`
}

type chatChoice struct {
	Index        int             `json:"index"`
	Message      chatMessageOut  `json:"message"`
	Logprobs     *choiceLogprobs `json:"logprobs"`
	FinishReason string          `json:"finish_reason"`
}

type chatResponse struct {
	ID                string       `json:"id"`
	Object            string       `json:"object"`
	Created           int64        `json:"created"`
	Model             string       `json:"model"`
	SystemFingerprint string       `json:"system_fingerprint"`
	Choices           []chatChoice `json:"choices"`
	Usage             usage        `json:"usage"`
}

type chunkDelta struct {
	Role      string         `json:"role,omitempty"`
	Content   *string        `json:"content,omitempty"`
	ToolCalls []wireToolCall `json:"tool_calls,omitempty"`
}

type chunkChoice struct {
	Index        int             `json:"index"`
	Delta        chunkDelta      `json:"delta"`
	Logprobs     *choiceLogprobs `json:"logprobs"`
	FinishReason *string         `json:"finish_reason"`
}

type chatChunk struct {
	ID                string        `json:"id"`
	Object            string        `json:"object"`
	Created           int64         `json:"created"`
	Model             string        `json:"model"`
	SystemFingerprint string        `json:"system_fingerprint"`
	Choices           []chunkChoice `json:"choices"`
	Usage             *usage        `json:"usage,omitempty"`
}

// finishReason maps the engine's reasons to OpenAI's.
func finishReason(s string) string {
	if s == string(engine.FinishCancelled) {
		return "stop"
	}
	return s
}

const fingerprint = "fp_nuri"

func (a *API) chatCompletions(w http.ResponseWriter, r *http.Request) {
	const endpoint = "/v1/chat/completions"
	var req chatRequest
	if err := backend.DecodeJSON(w, r, &req); err != nil {
		WriteError(w, err)
		return
	}
	if req.Model == "" {
		WriteError(w, backend.BadRequest("model", "model is required"))
		return
	}
	msgs, err := req.messages()
	if err != nil {
		WriteError(w, err)
		return
	}
	o, n, err := req.options()
	if err != nil {
		WriteError(w, err)
		return
	}
	m, release, err := a.b.Acquire(r.Context(), req.Model, nil)
	if err != nil {
		WriteError(w, err)
		return
	}
	defer release()
	tools := o.Tools
	prompt, err := m.RenderChat(msgs, tools, req.ChatTemplateKwargs)
	if err != nil {
		WriteError(w, err)
		return
	}
	chans, cancel, err := m.StartN(a.b, r, endpoint, prompt, o, n)
	if err != nil {
		WriteError(w, err)
		return
	}
	defer cancel()
	id := backend.NewID("chatcmpl-")
	if req.Stream {
		a.streamChat(w, r, m, o, chans, id, req.includeUsage())
		return
	}
	resp := chatResponse{ID: id, Object: "chat.completion", Created: now(), Model: m.Name, SystemFingerprint: fingerprint}
	var usages []engine.Usage
	for i, ch := range chans {
		res, err := backend.Collect(ch)
		usages = append(usages, res.Usage)
		if err != nil {
			cancel()
			for _, rest := range chans[i+1:] {
				for range rest {
				}
			}
			a.record(r, endpoint, m.Name, usages, true)
			WriteError(w, err)
			return
		}
		reply := m.Reply(o, res.Text, res.Finish)
		c := chatChoice{Index: i, FinishReason: finishReason(reply.Finish)}
		c.Message.Role = "assistant"
		if reply.Content != "" || len(reply.ToolCalls) == 0 {
			c.Message.Content = &reply.Content
		}
		c.Message.ToolCalls = toWire(reply.ToolCalls, false)
		if o.Logprobs {
			c.Logprobs = &choiceLogprobs{Content: []tokenLogprob{}}
			for _, ev := range res.Tokens {
				if lp, ok := toLogprob(ev); ok {
					c.Logprobs.Content = append(c.Logprobs.Content, lp)
				}
			}
		}
		resp.Choices = append(resp.Choices, c)
	}
	resp.Usage = toUsage(usages)
	a.record(r, endpoint, m.Name, usages, false)
	backend.WriteJSON(w, http.StatusOK, resp)
}

type tagged struct {
	i  int
	ev engine.Event
}

// merge forwards the events of several streams into one channel.
func merge(chans []<-chan engine.Event) <-chan tagged {
	out := make(chan tagged)
	done := make(chan struct{})
	for i, ch := range chans {
		go func() {
			for ev := range ch {
				out <- tagged{i, ev}
			}
			done <- struct{}{}
		}()
	}
	go func() {
		for range chans {
			<-done
		}
		close(out)
	}()
	return out
}

func (a *API) streamChat(w http.ResponseWriter, r *http.Request, m *backend.Model, o *backend.Options, chans []<-chan engine.Event, id string, includeUsage bool) {
	const endpoint = "/v1/chat/completions"
	sse := backend.NewSSE(w)
	created := now()
	chunk := func(choices []chunkChoice) chatChunk {
		return chatChunk{ID: id, Object: "chat.completion.chunk", Created: created, Model: m.Name, SystemFingerprint: fingerprint, Choices: choices}
	}
	empty := ""
	for i := range chans {
		_ = sse.Send("", chunk([]chunkChoice{{Index: i, Delta: chunkDelta{Role: "assistant", Content: &empty}}}))
	}
	usages := make([]engine.Usage, len(chans))
	texts := make([]strings.Builder, len(chans))
	failed := false
	for t := range merge(chans) {
		ev := t.ev
		if !ev.Done || ev.Text != "" {
			texts[t.i].WriteString(ev.Text)
		}
		if o.Streamable() && (ev.Text != "" || ev.Logprob != nil) {
			c := chunkChoice{Index: t.i}
			if ev.Text != "" {
				txt := ev.Text
				c.Delta.Content = &txt
			}
			if o.Logprobs {
				if lp, ok := toLogprob(ev); ok {
					c.Logprobs = &choiceLogprobs{Content: []tokenLogprob{lp}}
				}
			}
			_ = sse.Send("", chunk([]chunkChoice{c}))
		}
		if !ev.Done {
			continue
		}
		usages[t.i] = ev.Usage
		if ev.Err != nil {
			if r.Context().Err() == nil || !errors.Is(ev.Err, r.Context().Err()) {
				failed = true // not just the client hanging up (judged below)
			}
			e := backend.AsError(ev.Err)
			_ = sse.Send("", errorBody{Error: errorDetail{Message: e.Message, Type: e.Type}})
			continue
		}
		reply := m.Reply(o, texts[t.i].String(), ev.Finish)
		if !o.Streamable() {
			if reply.Content != "" {
				c := reply.Content
				_ = sse.Send("", chunk([]chunkChoice{{Index: t.i, Delta: chunkDelta{Content: &c}}}))
			}
			if len(reply.ToolCalls) > 0 {
				_ = sse.Send("", chunk([]chunkChoice{{Index: t.i, Delta: chunkDelta{ToolCalls: toWire(reply.ToolCalls, true)}}}))
			}
		}
		fr := finishReason(reply.Finish)
		_ = sse.Send("", chunk([]chunkChoice{{Index: t.i, Delta: chunkDelta{}, FinishReason: &fr}}))
	}
	if includeUsage && !failed {
		u := toUsage(usages)
		c := chunk([]chunkChoice{})
		c.Usage = &u
		_ = sse.Send("", c)
	}
	_ = sse.Send("", "[DONE]")
	// A client that hangs up after text arrived (a stop button) has been
	// served; one that got nothing counts as a failed request.
	gone := r.Context().Err() != nil && toUsage(usages).CompletionTokens == 0
	a.record(r, endpoint, m.Name, usages, failed || gone)
}
