package openai

import (
	"encoding/json"
	"testing"

	"github.com/nuri-ai/nuri/server/backend"
)

func TestStopList(t *testing.T) {
	cases := []struct {
		in   string
		want int
		bad  bool
	}{
		{``, 0, false}, {`null`, 0, false}, {`"\n"`, 1, false}, {`""`, 0, false},
		{`["a", "", "b"]`, 2, false}, {`3`, 0, true}, {`["a", 1]`, 0, true},
		{`["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16","17"]`, 0, true},
	}
	for _, c := range cases {
		got, err := stopList(json.RawMessage(c.in))
		if (err != nil) != c.bad || len(got) != c.want {
			t.Errorf("stopList(%s) = %q, %v", c.in, got, err)
		}
	}
}

func TestToolChoice(t *testing.T) {
	cases := []struct {
		in   string
		want backend.ToolChoice
		bad  bool
	}{
		{``, backend.ToolChoice{Mode: "auto"}, false},
		{`"none"`, backend.ToolChoice{Mode: "none"}, false},
		{`"required"`, backend.ToolChoice{Mode: "required"}, false},
		{`{"type": "function", "function": {"name": "f"}}`, backend.ToolChoice{Mode: "function", Name: "f"}, false},
		{`{"type": "function", "name": "g"}`, backend.ToolChoice{Mode: "function", Name: "g"}, false},
		{`[1]`, backend.ToolChoice{}, true},
	}
	for _, c := range cases {
		got, err := toolChoice(json.RawMessage(c.in))
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("toolChoice(%s) = %+v, %v", c.in, got, err)
		}
	}
}

func TestContentText(t *testing.T) {
	cases := []struct {
		in, want string
		bad      bool
	}{
		{`"hi"`, "hi", false},
		{`null`, "", false},
		{`[{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]`, "ab", false},
		{`[{"type": "image_url", "image_url": {"url": "x"}}]`, "", true},
		{`42`, "", true},
	}
	for _, c := range cases {
		got, err := contentText(json.RawMessage(c.in), "content")
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("contentText(%s) = %q, %v", c.in, got, err)
		}
	}
}

func TestChatRequestConversion(t *testing.T) {
	var req chatRequest
	body := `{"model": "m", "messages": [
		{"role": "developer", "content": "be nice"},
		{"role": "user", "content": "weather?"},
		{"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "w", "arguments": "{\"city\": \"Seoul\"}"}}]},
		{"role": "tool", "tool_call_id": "c1", "content": "sunny"}],
		"temperature": 0.2, "seed": 9, "max_tokens": 10, "max_completion_tokens": 20, "n": 2,
		"response_format": {"type": "json_object"}}`
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	msgs, err := req.messages()
	if err != nil {
		t.Fatal(err)
	}
	if msgs[0].Role != "system" || string(msgs[2].ToolCalls[0].Function.Arguments) != `{"city": "Seoul"}` || msgs[3].ToolCallID != "c1" {
		t.Fatalf("messages %+v", msgs)
	}
	o, n, err := req.options()
	if err != nil || n != 2 || o.MaxTokens != 20 || o.Sampling.Seed != 9 || o.Sampling.Temperature != 0.2 || !o.JSON {
		t.Fatalf("options %+v n=%d, %v", o, n, err)
	}
	for _, bad := range []string{`{"temperature": 3}`, `{"n": 17}`, `{"top_logprobs": 2}`, `{"response_format": {"type": "yaml"}}`,
		`{"response_format": {"type": "json_schema"}}`, `{"tool_choice": "required"}`} {
		var r chatRequest
		if err := json.Unmarshal([]byte(bad), &r); err != nil {
			t.Fatal(err)
		}
		if _, _, err := r.options(); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
