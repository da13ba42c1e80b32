package openai

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
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

// TestSharedRequestFields: chat and text completion requests decode the
// fields they share (requestFields) the same way, every one of them, and
// name the same field when its JSON type is wrong.
func TestSharedRequestFields(t *testing.T) {
	body := `{"model": "m", "stream": true, "stream_options": {"include_usage": true}, "n": 3,
		"stop": ["a", "b"], "max_tokens": 7, "temperature": 0.5, "top_p": 0.9, "top_k": 4,
		"min_p": 0.05, "frequency_penalty": 0.1, "presence_penalty": 0.2, "repetition_penalty": 1.1,
		"seed": 42, "ignore_eos": true, "user": "u1"}`
	var chat chatRequest
	var cmpl completionRequest
	if err := json.Unmarshal([]byte(body), &chat); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(body), &cmpl); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(chat.requestFields, cmpl.requestFields) {
		t.Fatalf("chat decoded %+v, completion %+v", chat.requestFields, cmpl.requestFields)
	}
	// Every shared field was set by the body: none is left at its zero
	// value (a field missing from the body above would pass unnoticed).
	var zeros []string
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if f.Anonymous {
				walk(v.Field(i))
			} else if v.Field(i).IsZero() {
				zeros = append(zeros, f.Name)
			}
		}
	}
	walk(reflect.ValueOf(chat.requestFields))
	if len(zeros) > 0 {
		t.Errorf("fields not set by the test body: %v", zeros)
	}
	co, err := chat.common(0)
	if err != nil {
		t.Fatal(err)
	}
	po, err := cmpl.common(16)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(co, po) || co.MaxTokens != 7 || !co.IgnoreEOS || co.Sampling.Seed != 42 || len(co.Stop) != 2 {
		t.Errorf("options: chat %+v, completion %+v", co, po)
	}
	if n, err := chat.choices(); n != 3 || err != nil || !chat.includeUsage() {
		t.Errorf("choices %d, %v; include usage %v", n, err, chat.includeUsage())
	}
	// Defaults: max_tokens unset is 0 for chat (no limit) and 16 for text
	// completions; n unset is 1.
	var bare requestFields
	if o, _ := bare.common(16); o.MaxTokens != 16 {
		t.Errorf("default max tokens %d", o.MaxTokens)
	}
	if n, err := bare.choices(); n != 1 || err != nil || bare.includeUsage() {
		t.Errorf("default choices %d, %v", n, err)
	}
	// A value of the wrong type names the field as the client wrote it
	// (the error's param), not the Go struct it sits in.
	for _, tc := range []struct{ body, field string }{
		{`{"max_tokens": "x"}`, "max_tokens"},
		{`{"stop": 3, "n": "2"}`, "n"},
		{`{"stream_options": {"include_usage": 1}}`, "stream_options.include_usage"},
		{`{"seed": 1.5}`, "seed"},
	} {
		decode := func(v any) error {
			r := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(tc.body))
			return backend.DecodeJSON(httptest.NewRecorder(), r, v)
		}
		errChat, errCmpl := decode(new(chatRequest)), decode(new(completionRequest))
		var a, b *backend.Error
		if !errors.As(errChat, &a) || !errors.As(errCmpl, &b) || a.Param != tc.field || b.Param != tc.field || a.Message != b.Message {
			t.Errorf("%s: chat error %v, completion error %v; want field %s", tc.body, errChat, errCmpl, tc.field)
		}
	}
}
