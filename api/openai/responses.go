package openai

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/nuri-ai/nuri/engine"
	"github.com/nuri-ai/nuri/server/backend"
)

// responsesRequest is a stateless /v1/responses request.
type responsesRequest struct {
	Model        string          `json:"model"`
	Input        json.RawMessage `json:"input"`
	Instructions string          `json:"instructions"`
	Stream       bool            `json:"stream"`
	samplingFields
	MaxOutputTokens    *int            `json:"max_output_tokens"`
	Tools              []responsesTool `json:"tools"`
	ToolChoice         json.RawMessage `json:"tool_choice"`
	ParallelToolCalls  *bool           `json:"parallel_tool_calls"`
	PreviousResponseID string          `json:"previous_response_id"`
	Text               *struct {
		Format *struct {
			Type   string          `json:"type"`
			Name   string          `json:"name"`
			Schema json.RawMessage `json:"schema"`
		} `json:"format"`
	} `json:"text"`
}

type responsesTool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
}

type inputItem struct {
	Type      string          `json:"type"`
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"`
	CallID    string          `json:"call_id"`
	Name      string          `json:"name"`
	Arguments string          `json:"arguments"`
	Output    json.RawMessage `json:"output"`
}

func (req *responsesRequest) messages() ([]backend.Message, error) {
	var msgs []backend.Message
	if req.Instructions != "" {
		msgs = append(msgs, backend.Message{Role: "system", Content: req.Instructions})
	}
	if len(req.Input) == 0 || string(req.Input) == "null" {
		return nil, backend.BadRequest("input", "input is required")
	}
	var s string
	if err := json.Unmarshal(req.Input, &s); err == nil {
		return append(msgs, backend.Message{Role: "user", Content: s}), nil
	}
	var items []inputItem
	if err := json.Unmarshal(req.Input, &items); err != nil {
		return nil, backend.BadRequest("input", "input must be a string or an array of input items")
	}
	for i, it := range items {
		where := fmt.Sprintf("input[%d]", i)
		switch it.Type {
		case "", "message":
			text, err := contentText(it.Content, where+".content")
			if err != nil {
				return nil, err
			}
			role := it.Role
			switch role {
			case "developer":
				role = "system"
			case "system", "user", "assistant":
			default:
				return nil, backend.BadRequest(where+".role", "unknown role %q", it.Role)
			}
			msgs = append(msgs, backend.Message{Role: role, Content: text})
		case "function_call":
			args, err := backend.ArgumentsObject(json.RawMessage(quoteIfNeeded(it.Arguments)), it.Name)
			if err != nil {
				return nil, backend.BadRequest(where+".arguments", "%v", err)
			}
			call := backend.ToolCall{ID: it.CallID, Type: "function", Function: backend.FunctionCall{Name: it.Name, Arguments: args}}
			if n := len(msgs); n > 0 && msgs[n-1].Role == "assistant" {
				msgs[n-1].ToolCalls = append(msgs[n-1].ToolCalls, call)
			} else {
				msgs = append(msgs, backend.Message{Role: "assistant", ToolCalls: []backend.ToolCall{call}})
			}
		case "function_call_output":
			out, err := contentText(it.Output, where+".output")
			if err != nil {
				return nil, err
			}
			msgs = append(msgs, backend.Message{Role: "tool", Content: out, ToolCallID: it.CallID})
		case "reasoning":
			// Earlier reasoning is not replayed to the model.
		default:
			return nil, backend.BadRequest(where+".type", "input item type %q is not supported", it.Type)
		}
	}
	return msgs, nil
}

func (req *responsesRequest) options() (*backend.Options, error) {
	var o backend.Options
	var err error
	if o.Sampling, err = req.params(); err != nil {
		return nil, err
	}
	if req.MaxOutputTokens != nil {
		o.MaxTokens = *req.MaxOutputTokens
	}
	if req.Text != nil && req.Text.Format != nil {
		switch f := req.Text.Format; f.Type {
		case "", "text":
		case "json_object":
			o.JSON = true
		case "json_schema":
			if len(f.Schema) == 0 {
				return nil, backend.BadRequest("text.format.schema", "text.format json_schema needs a schema")
			}
			o.Schema = f.Schema
		default:
			return nil, backend.BadRequest("text.format.type", "text format %q: want text, json_object or json_schema", f.Type)
		}
	}
	for i, t := range req.Tools {
		if t.Type != "function" {
			return nil, backend.BadRequest(fmt.Sprintf("tools[%d].type", i), "tool type %q is not supported; only function tools are", t.Type)
		}
		o.Tools = append(o.Tools, backend.Tool{Type: "function", Function: backend.Function{Name: t.Name, Description: t.Description, Parameters: t.Parameters}})
	}
	if o.ToolChoice, err = toolChoice(req.ToolChoice); err != nil {
		return nil, err
	}
	o.Parallel = req.ParallelToolCalls == nil || *req.ParallelToolCalls
	return &o, o.Validate()
}

type outputContent struct {
	Type        string `json:"type"`
	Text        string `json:"text"`
	Annotations []any  `json:"annotations"`
	Logprobs    []any  `json:"logprobs"`
}

type outputItem struct {
	Type      string          `json:"type"`
	ID        string          `json:"id"`
	Status    string          `json:"status"`
	Role      string          `json:"role,omitempty"`
	Content   []outputContent `json:"content,omitempty"`
	CallID    string          `json:"call_id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Arguments *string         `json:"arguments,omitempty"`
}

type responsesUsage struct {
	InputTokens        int `json:"input_tokens"`
	InputTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"input_tokens_details"`
	OutputTokens        int `json:"output_tokens"`
	OutputTokensDetails struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"output_tokens_details"`
	TotalTokens int `json:"total_tokens"`
}

type responseObject struct {
	ID                string          `json:"id"`
	Object            string          `json:"object"`
	CreatedAt         int64           `json:"created_at"`
	Status            string          `json:"status"`
	Model             string          `json:"model"`
	Output            []outputItem    `json:"output"`
	Usage             *responsesUsage `json:"usage"`
	IncompleteDetails *struct {
		Reason string `json:"reason"`
	} `json:"incomplete_details"`
	Error             any     `json:"error"`
	Instructions      *string `json:"instructions"`
	ParallelToolCalls bool    `json:"parallel_tool_calls"`
	ToolChoice        any     `json:"tool_choice"`
	Tools             []any   `json:"tools"`
	Temperature       float32 `json:"temperature"`
	TopP              float32 `json:"top_p"`
	Store             bool    `json:"store"`
	Metadata          any     `json:"metadata"`
}

func (a *API) responses(w http.ResponseWriter, r *http.Request) {
	const endpoint = "/v1/responses"
	var req responsesRequest
	if err := backend.DecodeJSON(w, r, &req); err != nil {
		WriteError(w, err)
		return
	}
	if req.Model == "" {
		WriteError(w, backend.BadRequest("model", "model is required"))
		return
	}
	if req.PreviousResponseID != "" {
		WriteError(w, backend.BadRequest("previous_response_id", "this server keeps no responses (stateless); send the whole conversation as input"))
		return
	}
	msgs, err := req.messages()
	if err != nil {
		WriteError(w, err)
		return
	}
	o, err := req.options()
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
	prompt, err := m.RenderChat(msgs, o.Tools, nil)
	if err != nil {
		WriteError(w, err)
		return
	}
	ch, err := m.Start(a.b, r, endpoint, prompt, o)
	if err != nil {
		WriteError(w, err)
		return
	}
	resp := responseObject{ID: backend.NewID("resp_"), Object: "response", CreatedAt: now(), Status: "in_progress", Model: m.Name,
		Output: []outputItem{}, ParallelToolCalls: o.Parallel, ToolChoice: "auto", Tools: []any{},
		Temperature: o.Sampling.Temperature, TopP: o.Sampling.TopP, Metadata: map[string]any{}}
	if req.Instructions != "" {
		resp.Instructions = &req.Instructions
	}
	if req.Stream {
		a.streamResponse(w, r, m, o, ch, resp)
		return
	}
	res, err := backend.Collect(ch)
	if err != nil {
		a.record(r, endpoint, m.Name, []engine.Usage{res.Usage}, true)
		WriteError(w, err)
		return
	}
	finishResponse(&resp, m.Reply(o, res.Text, res.Finish), res.Usage)
	a.record(r, endpoint, m.Name, []engine.Usage{res.Usage}, false)
	backend.WriteJSON(w, http.StatusOK, resp)
}

func messageItem(id, text, status string) outputItem {
	return outputItem{Type: "message", ID: id, Status: status, Role: "assistant",
		Content: []outputContent{{Type: "output_text", Text: text, Annotations: []any{}, Logprobs: []any{}}}}
}

func callItems(calls []backend.ToolCall) []outputItem {
	var out []outputItem
	for _, c := range calls {
		args := string(c.Function.Arguments)
		out = append(out, outputItem{Type: "function_call", ID: backend.NewID("fc_"), Status: "completed", CallID: c.ID, Name: c.Function.Name, Arguments: &args})
	}
	return out
}

// finishResponse fills output, status and usage.
func finishResponse(resp *responseObject, reply backend.Reply, u engine.Usage) {
	if reply.Content != "" || len(reply.ToolCalls) == 0 {
		resp.Output = append(resp.Output, messageItem(backend.NewID("msg_"), reply.Content, "completed"))
	}
	resp.Output = append(resp.Output, callItems(reply.ToolCalls)...)
	resp.Status = "completed"
	if reply.Finish == string(engine.FinishLength) {
		resp.Status = "incomplete"
		resp.IncompleteDetails = &struct {
			Reason string `json:"reason"`
		}{"max_output_tokens"}
	}
	resp.Usage = &responsesUsage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens, TotalTokens: u.PromptTokens + u.CompletionTokens}
	resp.Usage.InputTokensDetails.CachedTokens = u.CachedTokens
}

func (a *API) streamResponse(w http.ResponseWriter, r *http.Request, m *backend.Model, o *backend.Options, ch <-chan engine.Event, resp responseObject) {
	const endpoint = "/v1/responses"
	sse := backend.NewSSE(w)
	seq := 0
	send := func(typ string, fields map[string]any) {
		fields["type"] = typ
		fields["sequence_number"] = seq
		seq++
		_ = sse.Send(typ, fields)
	}
	send("response.created", map[string]any{"response": resp})
	send("response.in_progress", map[string]any{"response": resp})
	msgID := backend.NewID("msg_")
	opened := false
	open := func() {
		if opened {
			return
		}
		opened = true
		send("response.output_item.added", map[string]any{"output_index": 0, "item": outputItem{Type: "message", ID: msgID, Status: "in_progress", Role: "assistant", Content: []outputContent{}}})
		send("response.content_part.added", map[string]any{"item_id": msgID, "output_index": 0, "content_index": 0, "part": outputContent{Type: "output_text", Annotations: []any{}, Logprobs: []any{}}})
	}
	var text strings.Builder
	for ev := range ch {
		text.WriteString(ev.Text)
		if o.Streamable() && ev.Text != "" {
			open()
			send("response.output_text.delta", map[string]any{"item_id": msgID, "output_index": 0, "content_index": 0, "delta": ev.Text, "logprobs": []any{}})
		}
		if !ev.Done {
			continue
		}
		if ev.Err != nil {
			e := backend.AsError(ev.Err)
			resp.Status = "failed"
			resp.Error = map[string]any{"code": "server_error", "message": e.Message}
			send("response.failed", map[string]any{"response": resp})
			a.record(r, endpoint, m.Name, []engine.Usage{ev.Usage}, true)
			return
		}
		reply := m.Reply(o, text.String(), ev.Finish)
		final := resp
		finishResponse(&final, reply, ev.Usage)
		idx := 0
		if reply.Content != "" || len(reply.ToolCalls) == 0 {
			final.Output[0].ID = msgID
			open()
			if !o.Streamable() && reply.Content != "" {
				send("response.output_text.delta", map[string]any{"item_id": msgID, "output_index": 0, "content_index": 0, "delta": reply.Content, "logprobs": []any{}})
			}
			part := outputContent{Type: "output_text", Text: reply.Content, Annotations: []any{}, Logprobs: []any{}}
			send("response.output_text.done", map[string]any{"item_id": msgID, "output_index": 0, "content_index": 0, "text": reply.Content, "logprobs": []any{}})
			send("response.content_part.done", map[string]any{"item_id": msgID, "output_index": 0, "content_index": 0, "part": part})
			send("response.output_item.done", map[string]any{"output_index": 0, "item": final.Output[0]})
			idx = 1
		}
		for _, it := range final.Output[idx:] {
			added := it
			added.Status = "in_progress"
			empty := ""
			added.Arguments = &empty
			send("response.output_item.added", map[string]any{"output_index": idx, "item": added})
			send("response.function_call_arguments.delta", map[string]any{"item_id": it.ID, "output_index": idx, "delta": *it.Arguments})
			send("response.function_call_arguments.done", map[string]any{"item_id": it.ID, "output_index": idx, "arguments": *it.Arguments, "name": it.Name})
			send("response.output_item.done", map[string]any{"output_index": idx, "item": it})
			idx++
		}
		typ := "response.completed"
		if final.Status == "incomplete" {
			typ = "response.incomplete"
		}
		send(typ, map[string]any{"response": final})
		a.record(r, endpoint, m.Name, []engine.Usage{ev.Usage}, false)
	}
}
