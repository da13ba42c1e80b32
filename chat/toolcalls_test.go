package chat

import (
	"testing"
)

func TestParseToolCalls(t *testing.T) {
	type call struct{ id, name, args string }
	tests := []struct {
		name, family, text string
		want               []call
		rest               string
		wantErr            bool
	}{
		{"qwen none", "qwen3", "Just text.", nil, "Just text.", false},
		{"qwen one", "qwen3", "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Seoul\", \"a\": 1}}\n</tool_call>",
			[]call{{"", "get_weather", `{"city": "Seoul", "a": 1}`}}, "Let me check.", false},
		{"hermes two", "hermes", "<tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call>\n<tool_call>{\"name\": \"b\", \"arguments\": \"{\\\"z\\\": 2, \\\"y\\\": 1}\"}</tool_call>",
			[]call{{"", "a", `{}`}, {"", "b", `{"z": 2, "y": 1}`}}, "", false},
		{"qwen unclosed", "qwen", "<tool_call>{\"name\": \"a\"", nil, "", true},
		{"qwen bad json", "qwen", "<tool_call>{name: a}</tool_call>", nil, "", true},
		{"qwen no name", "qwen", "<tool_call>{\"arguments\": {}}</tool_call>", nil, "", true},
		{"llama3 one", "llama3.1", "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Seoul\"}}",
			[]call{{"", "get_weather", `{"city": "Seoul"}`}}, "", false},
		{"llama3 python tag two", "llama3", "<|python_tag|>{\"name\": \"a\", \"parameters\": {\"x\": 1}}; {\"name\": \"b\", \"parameters\": {}}",
			[]call{{"", "a", `{"x": 1}`}, {"", "b", `{}`}}, "", false},
		{"llama3 prose", "llama3", "Sure, here it is.", nil, "Sure, here it is.", false},
		{"llama3 prose brace", "llama3", "{not json at all", nil, "{not json at all", false},
		{"llama3 tag bad", "llama3", "<|python_tag|>{\"name\": ", nil, "", true},
		{"mistral", "mistral", "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}, \"id\": \"abc123XYZ\"}]</s>",
			[]call{{"abc123XYZ", "get_weather", `{"city": "Paris"}`}}, "", false},
		{"mistral none", "mistral", "Bonjour", nil, "Bonjour", false},
		{"mistral bad", "mistral", "[TOOL_CALLS] nope", nil, "", true},
		{"deepseek two", "deepseek_v3", "Checking.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\":\"Seoul\"}\n```<｜tool▁call▁end｜>\n<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_time\n```json\n{\"tz\":\"KST\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜>",
			[]call{{"", "get_weather", `{"city":"Seoul"}`}, {"", "get_time", `{"tz":"KST"}`}}, "Checking.", false},
		{"deepseek no end", "deepseek", "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>f\n```json\n{}\n```<｜tool▁call▁end｜>",
			[]call{{"", "f", `{}`}}, "", false},
		{"deepseek broken", "deepseek", "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>f\n```json\n{", nil, "", true},
		{"unknown family", "gpt2", "x", nil, "x", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls, rest, err := ParseToolCalls(tt.family, tt.text)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if rest != tt.rest {
				t.Errorf("rest = %q, want %q", rest, tt.rest)
			}
			if len(calls) != len(tt.want) {
				t.Fatalf("got %d calls %+v, want %d", len(calls), calls, len(tt.want))
			}
			for i, c := range calls {
				w := tt.want[i]
				if c.ID != w.id || c.Name != w.name || string(c.Arguments) != w.args {
					t.Errorf("call %d = {%q %q %s}, want {%q %q %s}", i, c.ID, c.Name, c.Arguments, w.id, w.name, w.args)
				}
			}
		})
	}
}
