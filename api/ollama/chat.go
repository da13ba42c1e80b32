package ollama

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/nuri-ai/nuri/server/backend"
)

type toolCall struct {
	ID       string `json:"id,omitempty"`
	Function struct {
		Index     int             `json:"index"`
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	} `json:"function"`
}

type chatMessage struct {
	Role       string     `json:"role"`
	Content    string     `json:"content"`
	Thinking   string     `json:"thinking,omitempty"`
	Images     []string   `json:"images,omitempty"`
	ToolCalls  []toolCall `json:"tool_calls,omitempty"`
	ToolName   string     `json:"tool_name,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

type chatRequest struct {
	Model     string          `json:"model"`
	Messages  []chatMessage   `json:"messages"`
	Tools     []backend.Tool  `json:"tools"`
	Format    json.RawMessage `json:"format"`
	Options   *options        `json:"options"`
	Stream    *bool           `json:"stream"`
	KeepAlive Duration        `json:"keep_alive"`
	Think     json.RawMessage `json:"think"`
}

type chatResponse struct {
	Model      string      `json:"model"`
	CreatedAt  time.Time   `json:"created_at"`
	Message    chatMessage `json:"message"`
	Done       bool        `json:"done"`
	DoneReason string      `json:"done_reason,omitempty"`
	*stats
}

func (req *chatRequest) messages() ([]backend.Message, error) {
	out := make([]backend.Message, 0, len(req.Messages))
	for i, m := range req.Messages {
		where := fmt.Sprintf("messages[%d]", i)
		switch m.Role {
		case "system", "user", "assistant", "tool":
		default:
			return nil, backend.BadRequest(where+".role", "unknown role %q", m.Role)
		}
		if len(m.Images) > 0 {
			return nil, backend.BadRequest(where+".images", "images are not supported by this server")
		}
		msg := backend.Message{Role: m.Role, Content: m.Content, Name: m.ToolName, ToolCallID: m.ToolCallID}
		for _, c := range m.ToolCalls {
			args, err := backend.ArgumentsObject(c.Function.Arguments, c.Function.Name)
			if err != nil {
				return nil, backend.BadRequest(where+".tool_calls", "%v", err)
			}
			msg.ToolCalls = append(msg.ToolCalls, backend.ToolCall{ID: c.ID, Type: "function", Function: backend.FunctionCall{Name: c.Function.Name, Arguments: args}})
		}
		out = append(out, msg)
	}
	return out, nil
}

func toToolCalls(calls []backend.ToolCall) []toolCall {
	out := make([]toolCall, len(calls))
	for i, c := range calls {
		out[i].ID = c.ID
		out[i].Function.Index = i
		out[i].Function.Name = c.Function.Name
		out[i].Function.Arguments = c.Function.Arguments
	}
	return out
}

// thinkVar turns Ollama's think (bool or "low"/"medium"/"high") into the
// enable_thinking template variable.
func thinkVar(raw json.RawMessage) map[string]any {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return map[string]any{"enable_thinking": b}
	}
	return map[string]any{"enable_thinking": true}
}

func (a *API) chat(w http.ResponseWriter, r *http.Request) {
	const endpoint = "/api/chat"
	start := time.Now()
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
	o, err := req.Options.toOptions(req.Format)
	if err != nil {
		WriteError(w, err)
		return
	}
	o.Tools, o.Parallel = req.Tools, true
	if err := o.Validate(); err != nil {
		WriteError(w, err)
		return
	}
	m, release, err := a.b.Acquire(r.Context(), req.Model, req.KeepAlive.ptr())
	if err != nil {
		WriteError(w, err)
		return
	}
	defer release()
	load := time.Since(start)
	if len(msgs) == 0 {
		// An empty chat loads (or, with keep_alive 0, unloads) the model.
		reason := "load"
		if req.KeepAlive.Set && req.KeepAlive.D == 0 {
			reason = "unload"
			_ = a.b.Unload(m.Name)
		}
		backend.WriteJSON(w, http.StatusOK, chatResponse{Model: m.Name, CreatedAt: time.Now().UTC(), Message: chatMessage{Role: "assistant"}, Done: true, DoneReason: reason})
		return
	}
	prompt, err := m.RenderChat(msgs, o.Tools, thinkVar(req.Think))
	if err != nil {
		WriteError(w, err)
		return
	}
	ch, err := m.Start(a.b, r, endpoint, prompt, o)
	if err != nil {
		WriteError(w, err)
		return
	}
	stream := req.Stream == nil || *req.Stream
	if !stream {
		res, err := backend.Collect(ch)
		if err != nil {
			a.b.Record(r, backend.Record{Endpoint: endpoint, Model: m.Name, Usage: res.Usage, Failed: true})
			WriteError(w, err)
			return
		}
		reply := m.Reply(o, res.Text, res.Finish)
		st := statsOf(res.Usage, load, time.Since(start))
		a.b.Record(r, backend.Record{Endpoint: endpoint, Model: m.Name, Usage: res.Usage})
		backend.WriteJSON(w, http.StatusOK, chatResponse{Model: m.Name, CreatedAt: time.Now().UTC(),
			Message: chatMessage{Role: "assistant", Content: reply.Content, ToolCalls: toToolCalls(reply.ToolCalls)},
			Done:    true, DoneReason: doneReason(reply.Finish), stats: &st})
		return
	}
	nd := backend.NewNDJSON(w)
	var text strings.Builder
	for ev := range ch {
		text.WriteString(ev.Text)
		if o.Streamable() && ev.Text != "" {
			_ = nd.Send(chatResponse{Model: m.Name, CreatedAt: time.Now().UTC(), Message: chatMessage{Role: "assistant", Content: ev.Text}})
		}
		if !ev.Done {
			continue
		}
		if ev.Err != nil {
			a.b.Record(r, backend.Record{Endpoint: endpoint, Model: m.Name, Usage: ev.Usage, Failed: true})
			_ = nd.Send(map[string]string{"error": backend.AsError(ev.Err).Message})
			return
		}
		reply := m.Reply(o, text.String(), ev.Finish)
		final := chatMessage{Role: "assistant"}
		if !o.Streamable() {
			final.Content, final.ToolCalls = reply.Content, toToolCalls(reply.ToolCalls)
		}
		st := statsOf(ev.Usage, load, time.Since(start))
		a.b.Record(r, backend.Record{Endpoint: endpoint, Model: m.Name, Usage: ev.Usage})
		_ = nd.Send(chatResponse{Model: m.Name, CreatedAt: time.Now().UTC(), Message: final, Done: true, DoneReason: doneReason(reply.Finish), stats: &st})
	}
}

type generateRequest struct {
	Model     string          `json:"model"`
	Prompt    string          `json:"prompt"`
	Suffix    string          `json:"suffix"`
	System    string          `json:"system"`
	Template  string          `json:"template"`
	Context   []int32         `json:"context"`
	Raw       bool            `json:"raw"`
	Format    json.RawMessage `json:"format"`
	Images    []string        `json:"images"`
	Options   *options        `json:"options"`
	Stream    *bool           `json:"stream"`
	KeepAlive Duration        `json:"keep_alive"`
	Think     json.RawMessage `json:"think"`
}

type generateResponse struct {
	Model      string    `json:"model"`
	CreatedAt  time.Time `json:"created_at"`
	Response   string    `json:"response"`
	Done       bool      `json:"done"`
	DoneReason string    `json:"done_reason,omitempty"`
	Context    []int32   `json:"context,omitempty"`
	*stats
}

func (a *API) generate(w http.ResponseWriter, r *http.Request) {
	const endpoint = "/api/generate"
	start := time.Now()
	var req generateRequest
	if err := backend.DecodeJSON(w, r, &req); err != nil {
		WriteError(w, err)
		return
	}
	if req.Model == "" {
		WriteError(w, backend.BadRequest("model", "model is required"))
		return
	}
	if len(req.Images) > 0 {
		WriteError(w, backend.BadRequest("images", "images are not supported by this server"))
		return
	}
	if req.Suffix != "" {
		WriteError(w, backend.BadRequest("suffix", "suffix (fill-in-the-middle) is not supported"))
		return
	}
	if req.Template != "" {
		WriteError(w, backend.BadRequest("template", "custom Go templates are not supported; the model's own chat template is used (or raw mode)"))
		return
	}
	o, err := req.Options.toOptions(req.Format)
	if err != nil {
		WriteError(w, err)
		return
	}
	m, release, err := a.b.Acquire(r.Context(), req.Model, req.KeepAlive.ptr())
	if err != nil {
		WriteError(w, err)
		return
	}
	defer release()
	load := time.Since(start)
	if req.Prompt == "" && len(req.Context) == 0 {
		reason := "load"
		if req.KeepAlive.Set && req.KeepAlive.D == 0 {
			reason = "unload"
			_ = a.b.Unload(m.Name)
		}
		backend.WriteJSON(w, http.StatusOK, generateResponse{Model: m.Name, CreatedAt: time.Now().UTC(), Done: true, DoneReason: reason})
		return
	}
	var prompt []int32
	switch {
	case req.Raw || m.Template == nil:
		prompt = append(append(prompt, req.Context...), m.Tokenizer().Encode(req.Prompt, len(req.Context) == 0)...)
	default:
		var msgs []backend.Message
		if req.System != "" {
			msgs = append(msgs, backend.Message{Role: "system", Content: req.System})
		}
		msgs = append(msgs, backend.Message{Role: "user", Content: req.Prompt})
		p, err := m.RenderChat(msgs, nil, thinkVar(req.Think))
		if err != nil {
			WriteError(w, err)
			return
		}
		prompt = append(append(prompt, req.Context...), p...)
	}
	ch, err := m.Start(a.b, r, endpoint, prompt, o)
	if err != nil {
		WriteError(w, err)
		return
	}
	stream := req.Stream == nil || *req.Stream
	var nd *backend.NDJSON
	if stream {
		nd = backend.NewNDJSON(w)
	}
	var text strings.Builder
	context := prompt
	for ev := range ch {
		text.WriteString(ev.Text)
		if !ev.Done {
			context = append(context, ev.Token)
		}
		if stream && ev.Text != "" {
			_ = nd.Send(generateResponse{Model: m.Name, CreatedAt: time.Now().UTC(), Response: ev.Text})
		}
		if !ev.Done {
			continue
		}
		if ev.Err != nil {
			a.b.Record(r, backend.Record{Endpoint: endpoint, Model: m.Name, Usage: ev.Usage, Failed: true})
			if stream {
				_ = nd.Send(map[string]string{"error": backend.AsError(ev.Err).Message})
			} else {
				WriteError(w, ev.Err)
			}
			return
		}
		st := statsOf(ev.Usage, load, time.Since(start))
		a.b.Record(r, backend.Record{Endpoint: endpoint, Model: m.Name, Usage: ev.Usage})
		final := generateResponse{Model: m.Name, CreatedAt: time.Now().UTC(), Done: true, DoneReason: doneReason(string(ev.Finish)), Context: context, stats: &st}
		if stream {
			_ = nd.Send(final)
		} else {
			final.Response = text.String()
			backend.WriteJSON(w, http.StatusOK, final)
		}
		return
	}
}
