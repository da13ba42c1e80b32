package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/nuri-ai/nuri/engine"
)

func TestArgumentsObject(t *testing.T) {
	cases := []struct {
		in, want string
		bad      bool
	}{
		{`{"a": 1}`, `{"a": 1}`, false},
		{`"{\"a\": 1}"`, `{"a": 1}`, false},
		{`""`, `{}`, false},
		{`null`, `{}`, false},
		{``, `{}`, false},
		{`"[1, 2]"`, ``, true},
		{`[1]`, ``, true},
		{`"not json"`, ``, true},
	}
	for _, c := range cases {
		got, err := ArgumentsObject(json.RawMessage(c.in), "f")
		if (err != nil) != c.bad || !c.bad && string(got) != c.want {
			t.Errorf("ArgumentsObject(%s) = %s, %v", c.in, got, err)
		}
	}
}

func TestToolFamily(t *testing.T) {
	cases := map[string]string{
		"{{- '<tool_call>\\n' }}":              "hermes",
		"[TOOL_CALLS] {{ tool_calls|tojson }}": "mistral",
		"<｜tool▁calls▁begin｜>":                 "deepseek_v3",
		"{{ '<|python_tag|>' }}":               "llama3",
		"{{ messages }}":                       "",
	}
	for tpl, want := range cases {
		if got := ToolFamily(tpl, "llama"); got != want {
			t.Errorf("ToolFamily(%q) = %q, want %q", tpl, got, want)
		}
	}
}

func TestForcedCallSchema(t *testing.T) {
	tools := []Tool{
		{Type: "function", Function: Function{Name: "a", Parameters: json.RawMessage(`{"type":"object","properties":{"x":{"type":"integer"}}}`)}},
		{Type: "function", Function: Function{Name: "b"}},
	}
	one, err := ForcedCallSchema(tools, "b")
	if err != nil || string(one) != `{"additionalProperties":false,"properties":{"arguments":{"type":"object"},"name":{"const":"b"}},"required":["name","arguments"],"type":"object"}` {
		t.Fatalf("named: %s, %v", one, err)
	}
	any, err := ForcedCallSchema(tools, "")
	if err != nil || !json.Valid(any) {
		t.Fatalf("required: %s, %v", any, err)
	}
	var s struct{ AnyOf []json.RawMessage }
	if json.Unmarshal(any, &s) != nil || len(s.AnyOf) != 2 {
		t.Fatalf("required should give anyOf of 2: %s", any)
	}
	if _, err := ForcedCallSchema(tools, "c"); err == nil {
		t.Fatal("unknown function accepted")
	}
	call, err := ParseForcedCall(`{"name": "a", "arguments": {"x": 3}}`)
	if err != nil || call.Function.Name != "a" || string(call.Function.Arguments) != `{"x": 3}` || call.ID == "" {
		t.Fatalf("ParseForcedCall: %+v, %v", call, err)
	}
}

func TestAsError(t *testing.T) {
	cases := []struct {
		err    error
		status int
		retry  bool
	}{
		{fmt.Errorf("m: %w", engine.ErrQueueFull), http.StatusTooManyRequests, true},
		{fmt.Errorf("m: %w", engine.ErrOverloaded), http.StatusServiceUnavailable, true},
		{fmt.Errorf("m: %w", ErrBudget), http.StatusServiceUnavailable, true},
		{&engine.PromptTooLongError{PromptTokens: 10, MaxTokens: 5, Context: 12}, http.StatusBadRequest, false},
		{fmt.Errorf("x: %w", ErrUnsupported), http.StatusBadRequest, false},
		{fmt.Errorf("x: %w", ErrModelNotFound), http.StatusNotFound, false},
		{context.Canceled, 499, false},
		{errors.New("boom"), http.StatusInternalServerError, false},
		{BadRequest("n", "bad n"), http.StatusBadRequest, false},
	}
	for _, c := range cases {
		e := AsError(c.err)
		if e.Status != c.status || (e.RetryAfter > 0) != c.retry || e.Message == "" {
			t.Errorf("AsError(%v) = %d retry %d %q", c.err, e.Status, e.RetryAfter, e.Message)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	tool := []Tool{{Type: "function", Function: Function{Name: "f"}}}
	cases := []struct {
		name string
		o    Options
		ok   bool
	}{
		{"empty", Options{}, true},
		{"auto with tools", Options{Tools: tool, ToolChoice: ToolChoice{Mode: ToolAuto}}, true},
		{"required without tools", Options{ToolChoice: ToolChoice{Mode: ToolRequired}}, false},
		{"function without name", Options{Tools: tool, ToolChoice: ToolChoice{Mode: ToolFunction}}, false},
		{"unknown mode", Options{Tools: tool, ToolChoice: ToolChoice{Mode: "sometimes"}}, false},
		{"tool without name", Options{Tools: []Tool{{Type: "function"}}}, false},
		{"non-function tool", Options{Tools: []Tool{{Type: "web_search", Function: Function{Name: "w"}}}}, false},
		{"negative max", Options{MaxTokens: -1}, false},
		{"too many logprobs", Options{TopLogprobs: 21}, false},
	}
	for _, c := range cases {
		if err := c.o.Validate(); (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	o := Options{Tools: tool}
	if o.Streamable() {
		t.Error("a reply that may be a tool call must not stream as text")
	}
}
