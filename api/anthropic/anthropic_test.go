package anthropic

import (
	"encoding/json"
	"testing"
)

func TestConversation(t *testing.T) {
	body := `{"model": "m", "max_tokens": 5, "system": [{"type": "text", "text": "sys"}], "messages": [
		{"role": "user", "content": "weather?"},
		{"role": "assistant", "content": [{"type": "text", "text": "checking"}, {"type": "tool_use", "id": "toolu_1", "name": "w", "input": {"city": "Seoul"}}]},
		{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "sunny"}]}, {"type": "text", "text": "thanks"}]}],
		"tool_choice": {"type": "any", "disable_parallel_tool_use": true}, "tools": [{"name": "w", "input_schema": {"type": "object"}}]}`
	var req messagesRequest
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	msgs, err := req.conversation()
	if err != nil {
		t.Fatal(err)
	}
	roles := ""
	for _, m := range msgs {
		roles += m.Role + " "
	}
	if roles != "system user assistant tool user " {
		t.Fatalf("roles %q", roles)
	}
	if msgs[2].Content != "checking" || string(msgs[2].ToolCalls[0].Function.Arguments) != `{"city": "Seoul"}` || msgs[3].Content != "sunny" || msgs[3].ToolCallID != "toolu_1" {
		t.Fatalf("messages %+v", msgs)
	}
	o, err := req.options()
	if err != nil || o.ToolChoice.Mode != "required" || o.Parallel || o.MaxTokens != 5 {
		t.Fatalf("options %+v, %v", o, err)
	}
	for _, bad := range []string{
		`{"messages": [{"role": "user", "content": "x"}]}`,
		`{"max_tokens": 1, "messages": [{"role": "system", "content": "x"}]}`,
		`{"max_tokens": 1, "messages": [{"role": "user", "content": [{"type": "image", "source": {}}]}]}`,
		`{"max_tokens": 1, "messages": [{"role": "user", "content": [{"type": "tool_use", "id": "x", "name": "n", "input": {}}]}]}`,
		`{"max_tokens": 1, "temperature": 1.5, "messages": [{"role": "user", "content": "x"}]}`,
	} {
		var r messagesRequest
		if err := json.Unmarshal([]byte(bad), &r); err != nil {
			t.Fatal(err)
		}
		_, err1 := r.conversation()
		_, err2 := r.options()
		if err1 == nil && err2 == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
