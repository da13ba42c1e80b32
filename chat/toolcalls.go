package chat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// ToolCall is one function call a model wrote in its reply.
type ToolCall struct {
	ID        string          // only when the model wrote one (Mistral)
	Name      string          // the function's name
	Arguments json.RawMessage // a JSON object, key order as the model wrote it
}

// ParseToolCalls extracts the tool calls in a model's reply, in the format of
// the model family, and returns the rest of the text (the reply without the
// calls, trimmed). A reply without calls gives no calls, the text unchanged
// and no error; a reply that starts a call but does not finish it correctly
// gives an error.
//
// Families:
//   - "qwen", "hermes" (also "qwen2", "qwen3"): <tool_call>{"name": ..., "arguments": {...}}</tool_call>, any number
//   - "llama3" (also "llama3.1", "llama3.2"): the whole reply is {"name": ..., "parameters": {...}}
//     (optionally after <|python_tag|>; several calls separated by ";")
//   - "mistral": [TOOL_CALLS][{"name": ..., "arguments": {...}, "id": ...}, ...]
//   - "deepseek_v3" (also "deepseek"): <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME
//     ```json ... ```<｜tool▁call▁end｜>...<｜tool▁calls▁end｜>
func ParseToolCalls(family, text string) ([]ToolCall, string, error) {
	switch strings.ToLower(family) {
	case "qwen", "qwen2", "qwen2.5", "qwen3", "hermes":
		return parseTagged(text)
	case "llama3", "llama3.1", "llama3.2", "llama3.3", "llama":
		return parseLlama3(text)
	case "mistral":
		return parseMistral(text)
	case "deepseek_v3", "deepseek-v3", "deepseek":
		return parseDeepSeek(text)
	}
	return nil, text, fmt.Errorf("tool calls: unknown model family %q", family)
}

// callJSON is a call object as the families write it.
type callJSON struct {
	Name       string          `json:"name"`
	Arguments  json.RawMessage `json:"arguments"`
	Parameters json.RawMessage `json:"parameters"`
	ID         string          `json:"id"`
}

func (c callJSON) toCall() (ToolCall, error) {
	if c.Name == "" {
		return ToolCall{}, fmt.Errorf("a tool call has no name")
	}
	args := c.Arguments
	if args == nil {
		args = c.Parameters
	}
	args, err := normalizeArgs(args)
	if err != nil {
		return ToolCall{}, fmt.Errorf("tool call %s: %w", c.Name, err)
	}
	return ToolCall{ID: c.ID, Name: c.Name, Arguments: args}, nil
}

// normalizeArgs accepts an object, or a string that holds one, and returns
// the object's JSON text as written.
func normalizeArgs(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return json.RawMessage("{}"), nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		raw = bytes.TrimSpace([]byte(s))
		if len(raw) == 0 {
			return json.RawMessage("{}"), nil
		}
	}
	if raw[0] != '{' || !json.Valid(raw) {
		return nil, fmt.Errorf("arguments are not a JSON object: %.80s", raw)
	}
	return json.RawMessage(raw), nil
}

func parseTagged(text string) ([]ToolCall, string, error) {
	const open, closeTag = "<tool_call>", "</tool_call>"
	var calls []ToolCall
	var rest strings.Builder
	s := text
	for {
		i := strings.Index(s, open)
		if i < 0 {
			rest.WriteString(s)
			break
		}
		rest.WriteString(s[:i])
		s = s[i+len(open):]
		j := strings.Index(s, closeTag)
		if j < 0 {
			return nil, text, fmt.Errorf("tool calls: %s without %s", open, closeTag)
		}
		var c callJSON
		if err := json.Unmarshal([]byte(strings.TrimSpace(s[:j])), &c); err != nil {
			return nil, text, fmt.Errorf("tool calls: bad JSON in %s: %w", open, err)
		}
		call, err := c.toCall()
		if err != nil {
			return nil, text, fmt.Errorf("tool calls: %w", err)
		}
		calls = append(calls, call)
		s = s[j+len(closeTag):]
	}
	if calls == nil {
		return nil, text, nil
	}
	return calls, strings.TrimSpace(rest.String()), nil
}

func parseLlama3(text string) ([]ToolCall, string, error) {
	body := strings.TrimSpace(text)
	tagged := strings.HasPrefix(body, "<|python_tag|>")
	body = strings.TrimSpace(strings.TrimPrefix(body, "<|python_tag|>"))
	if !strings.HasPrefix(body, "{") {
		if tagged {
			return nil, text, fmt.Errorf("tool calls: <|python_tag|> not followed by a JSON call")
		}
		return nil, text, nil
	}
	var calls []ToolCall
	dec := json.NewDecoder(strings.NewReader(body))
	for {
		var c callJSON
		if err := dec.Decode(&c); err != nil {
			if !tagged && calls == nil {
				// Plain prose that happens to start with "{".
				return nil, text, nil
			}
			return nil, text, fmt.Errorf("tool calls: bad JSON call: %w", err)
		}
		if c.Name == "" || (c.Parameters == nil && c.Arguments == nil) {
			if !tagged && calls == nil {
				return nil, text, nil
			}
		}
		call, err := c.toCall()
		if err != nil {
			return nil, text, fmt.Errorf("tool calls: %w", err)
		}
		calls = append(calls, call)
		tail := strings.TrimSpace(body[dec.InputOffset():])
		if tail == "" {
			break
		}
		if !strings.HasPrefix(tail, ";") {
			return nil, text, fmt.Errorf("tool calls: unexpected text after a call: %.40q", tail)
		}
		body = strings.TrimSpace(tail[1:])
		if body == "" {
			break
		}
		dec = json.NewDecoder(strings.NewReader(body))
	}
	return calls, "", nil
}

func parseMistral(text string) ([]ToolCall, string, error) {
	const marker = "[TOOL_CALLS]"
	i := strings.Index(text, marker)
	if i < 0 {
		return nil, text, nil
	}
	rest := strings.TrimSpace(text[:i])
	body := strings.TrimSpace(text[i+len(marker):])
	dec := json.NewDecoder(strings.NewReader(body))
	var list []callJSON
	if err := dec.Decode(&list); err != nil {
		return nil, text, fmt.Errorf("tool calls: bad JSON list after %s: %w", marker, err)
	}
	if len(list) == 0 {
		return nil, text, fmt.Errorf("tool calls: empty list after %s", marker)
	}
	calls := make([]ToolCall, 0, len(list))
	for _, c := range list {
		call, err := c.toCall()
		if err != nil {
			return nil, text, fmt.Errorf("tool calls: %w", err)
		}
		calls = append(calls, call)
	}
	if tail := strings.TrimSpace(body[dec.InputOffset():]); tail != "" && tail != "</s>" {
		rest = strings.TrimSpace(rest + "\n" + tail)
	}
	return calls, rest, nil
}

const (
	dsCallsBegin = "<｜tool▁calls▁begin｜>"
	dsCallsEnd   = "<｜tool▁calls▁end｜>"
	dsCallBegin  = "<｜tool▁call▁begin｜>"
	dsCallEnd    = "<｜tool▁call▁end｜>"
	dsSep        = "<｜tool▁sep｜>"
)

func parseDeepSeek(text string) ([]ToolCall, string, error) {
	i := strings.Index(text, dsCallsBegin)
	if i < 0 {
		return nil, text, nil
	}
	rest := strings.TrimSpace(text[:i])
	s := text[i+len(dsCallsBegin):]
	var calls []ToolCall
	for {
		s = strings.TrimLeft(s, " \n")
		if strings.HasPrefix(s, dsCallsEnd) {
			s = s[len(dsCallsEnd):]
			break
		}
		if !strings.HasPrefix(s, dsCallBegin) {
			if calls != nil && strings.TrimSpace(s) == "" {
				break // the template itself may leave the end marker out
			}
			return nil, text, fmt.Errorf("tool calls: expected %s", dsCallBegin)
		}
		s = s[len(dsCallBegin):]
		end := strings.Index(s, dsCallEnd)
		if end < 0 {
			return nil, text, fmt.Errorf("tool calls: %s without %s", dsCallBegin, dsCallEnd)
		}
		one := s[:end]
		s = s[end+len(dsCallEnd):]
		_, after, ok := strings.Cut(one, dsSep) // before the separator: the call type
		if !ok {
			return nil, text, fmt.Errorf("tool calls: no %s in a call", dsSep)
		}
		name, args, _ := strings.Cut(after, "\n")
		args = strings.TrimSpace(args)
		args = strings.TrimPrefix(args, "```json")
		args = strings.TrimSuffix(strings.TrimSpace(args), "```")
		c := callJSON{Name: strings.TrimSpace(name), Arguments: json.RawMessage(strings.TrimSpace(args))}
		if len(c.Arguments) == 0 {
			c.Arguments = nil
		}
		call, err := c.toCall()
		if err != nil {
			return nil, text, fmt.Errorf("tool calls: %w", err)
		}
		calls = append(calls, call)
	}
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "<｜end▁of▁sentence｜>"))
	if s != "" {
		rest = strings.TrimSpace(rest + "\n" + s)
	}
	return calls, rest, nil
}
