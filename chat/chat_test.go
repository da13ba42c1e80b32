package chat

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nuri-ai/nuri/gguf"
)

func render(t *testing.T, src string, in Input) (string, error) {
	t.Helper()
	tpl, err := New(src, "test-model")
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	tpl.SetClock(func() time.Time { return time.Date(2024, 7, 3, 14, 5, 9, 0, time.UTC) })
	return tpl.Render(in)
}

func TestRenderFeatures(t *testing.T) {
	msgs := json.RawMessage(`[{"role":"user","content":"hi","z":{"b":1,"a":[1.5,2,1e-07,"é<&>\u2028\n"]}}]`)
	tests := []struct {
		name, src string
		in        Input
		want      string
	}{
		{"tojson keeps key order", `{{ messages[0] | tojson }}`, Input{Messages: msgs},
			`{"role": "user", "content": "hi", "z": {"b": 1, "a": [1.5, 2, 1e-07, "é<&>` + "\u2028" + `\n"]}}`},
		{"tojson indent keeps order", `{{ messages[0].z | tojson(indent=2) }}`, Input{Messages: msgs},
			"{\n  \"b\": 1,\n  \"a\": [\n    1.5,\n    2,\n    1e-07,\n    \"é<&>\u2028\\n\"\n  ]\n}"},
		{"tojson sort_keys", `{{ messages[0].z | tojson(sort_keys=true) }}`, Input{Messages: msgs},
			`{"a": [1.5, 2, 1e-07, "é<&>` + "\u2028" + `\n"], "b": 1}`},
		{"tojson ensure_ascii", `{{ "é😀" | tojson(ensure_ascii=true) }}`, Input{}, `"\u00e9\ud83d\ude00"`},
		{"tojson separators", `{{ messages[0].z.b | tojson }}{{ {"k": [1, 2]} | tojson(separators=[",", ":"]) }}`, Input{Messages: msgs}, `1{"k":[1,2]}`},
		{"tojson in string untouched", `{{ "a | tojson" }}{# | tojson #}`, Input{}, `a | tojson`},
		{"bos eos set", `{{ bos_token }}|{{ eos_token }}`, Input{BOSToken: ptr("<s>"), EOSToken: ptr("</s>")}, `<s>|</s>`},
		{"bos unset", `{{ bos_token is defined }}`, Input{}, `False`},
		{"tools none", `{{ tools is none }}{{ documents is none }}`, Input{}, `TrueTrue`},
		{"vars override", `{{ enable_thinking }}{{ bos_token }}`, Input{BOSToken: ptr("<s>"), Vars: map[string]any{"enable_thinking": false, "bos_token": "B"}}, `FalseB`},
		{"go values", `{{ messages[0].role }}{{ messages | length }}`, Input{Messages: []map[string]string{{"role": "user"}}}, `user1`},
		{"struct order", `{{ messages[0] | tojson }}`, Input{Messages: []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		}{{"user", "x"}}}, `{"role": "user", "content": "x"}`},
		{"strftime_now", `{{ strftime_now("%d %b %Y %H:%M:%S %A %-d %j %p") }}`, Input{}, `03 Jul 2024 14:05:09 Wednesday 3 185 PM`},
		{"generation prompt", `{% if add_generation_prompt %}G{% endif %}`, Input{AddGenerationPrompt: true}, `G`},
		{"trim and lstrip blocks", "  {% if true %}\nA\n  {% endif %}\nB", Input{}, "A\nB"},
		{"python methods", `{{ "  x ".strip() }}{{ "a,b".split(",")[1] }}{{ "abc"[::-1] }}{{ "ab".startswith("a") }}`, Input{}, `xbcbaTrue`},
		{"namespace and loop", `{% set ns = namespace(n=0) %}{% for m in [1,2,3] %}{% set ns.n = ns.n + m %}{% if loop.last %}{{ ns.n }}{{ loop.index }}{% endif %}{% endfor %}`, Input{}, `63`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := render(t, tt.src, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestPyFloat(t *testing.T) {
	for f, want := range map[float64]string{
		1: "1.0", 1.5: "1.5", -0.25: "-0.25", 1e16: "1e+16", 1e15: "1000000000000000.0",
		0.0001: "0.0001", 0.00001: "1e-05", 123456789.125: "123456789.125", 1.2345e-300: "1.2345e-300",
	} {
		if got := pyFloat(f); got != want {
			t.Errorf("pyFloat(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, src string
		in        Input
		wantLine  int
		raised    bool
		contains  string
	}{
		{"raise names line", "{% for m in messages %}\n{% if m.role == 'bad' %}\n{{ raise_exception('Bad role: ' + m.role) }}\n{% endif %}\n{% endfor %}",
			Input{Messages: json.RawMessage(`[{"role":"bad"}]`)}, 3, true, "Bad role: bad"},
		{"two raises", "{% if x %}{{ raise_exception('first') }}{% endif %}\n{{ raise_exception('second one') }}",
			Input{}, 2, true, "second one"},
		{"bad messages", "{{ messages }}", Input{Messages: json.RawMessage(`{"role": "user"}`)}, 0, false, "JSON array"},
		{"broken json", "{{ messages }}", Input{Messages: json.RawMessage(`[{"role": `)}, 0, false, "messages"},
		{"unknown filter", "a\n{{ x | nosuchfilter }}", Input{}, 2, false, "nosuchfilter"},
		{"tojson undefined", "{{ nothing | tojson }}", Input{}, 0, false, "undefined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := render(t, tt.src, tt.in)
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("want *Error, got %v", err)
			}
			if te.Line != tt.wantLine || te.Raised != tt.raised || !strings.Contains(err.Error(), tt.contains) || !strings.Contains(err.Error(), "test-model") {
				t.Errorf("got %q (line %d, raised %v)", err, te.Line, te.Raised)
			}
		})
	}
	if _, err := New("{% if x %}\nno end", "m1"); err == nil || !strings.Contains(err.Error(), "m1") {
		t.Errorf("unclosed if: got %v", err)
	}
	if _, err := New("a\n{{ x ) }}", "m2"); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad expression: got %v", err)
	}
	if _, err := New("  ", "m3"); err == nil {
		t.Error("empty template: want error")
	}
}

func TestSources(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, s string) string {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("plain/tokenizer_config.json", `{"chat_template": "P", "bos_token": {"__type": "AddedToken", "content": "<b>"}, "eos_token": "<e>", "unk_token": null}`)
	write("list/tokenizer_config.json", `{"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}`)
	write("jinja/tokenizer_config.json", `{"chat_template": "old", "eos_token": "<e>"}`)
	write("jinja/chat_template.jinja", "NEW")
	write("none/tokenizer_config.json", `{"eos_token": "<e>"}`)
	write("badlist/tokenizer_config.json", `{"chat_template": [{"name": "a", "template": "A"}, {"name": "b", "template": "B"}]}`)
	write("broken/tokenizer_config.json", `{"chat_template": `)

	tests := []struct {
		path, want string
		wantErr    bool
	}{
		{"plain", "P", false},
		{"plain/tokenizer_config.json", "P", false},
		{"list", "D", false},
		{"jinja", "NEW", false},
		{"none", "", true},
		{"badlist", "", true},
		{"broken", "", true},
		{"missing", "", true},
	}
	for _, tt := range tests {
		got, err := FromTokenizerConfig(filepath.Join(dir, tt.path))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%s: got %q, %v", tt.path, got, err)
		}
	}
	src, err := Load(filepath.Join(dir, "plain"))
	if err != nil {
		t.Fatal(err)
	}
	if src.Name != "plain" || src.SpecialTokens["bos_token"] != "<b>" || src.SpecialTokens["eos_token"] != "<e>" || len(src.SpecialTokens) != 2 {
		t.Errorf("Load plain: %+v", src)
	}
	src, err = Load(filepath.Join(dir, "list"))
	if err != nil || src.Named["tool_use"] != "T" || src.Template != "D" {
		t.Errorf("Load list: %+v, %v", src, err)
	}

	w := gguf.NewWriter()
	w.SetKV("general.name", "Tiny Model")
	w.SetKV("tokenizer.ggml.tokens", []string{"<unk>", "<s>", "</s>", "a"})
	w.SetKV("tokenizer.ggml.bos_token_id", uint32(1))
	w.SetKV("tokenizer.ggml.eos_token_id", uint32(2))
	w.SetKV("tokenizer.chat_template", "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}")
	w.SetKV("tokenizer.chat_template.tool_use", "TOOLS")
	gpath := filepath.Join(dir, "tiny.gguf")
	if err := w.WriteFile(gpath); err != nil {
		t.Fatal(err)
	}
	src, err = Load(gpath)
	if err != nil {
		t.Fatal(err)
	}
	if src.Name != "Tiny Model" || src.Named["tool_use"] != "TOOLS" || src.SpecialTokens["bos_token"] != "<s>" || src.SpecialTokens["eos_token"] != "</s>" {
		t.Errorf("Load gguf: %+v", src)
	}
	w.SetKV("tokenizer.chat_template", 7)
	if err := w.WriteFile(gpath); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(gpath); err == nil {
		t.Error("GGUF without a string chat template: want error")
	}
}

func TestRenderLines(t *testing.T) {
	tpl, err := New("{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}{{ eos_token }}{{ pad_token }}{% if tools %}{{ tools | tojson }}{% endif %}{% if x is defined %}{{ x | tojson }}{% endif %}", "m")
	if err != nil {
		t.Fatal(err)
	}
	in := strings.Join([]string{
		`{"messages": [{"content": "a"}]}`,
		``,
		`{"messages": [{"content": "b"}], "bos_token": null, "eos_token": "E", "tools": [{"z": 1, "a": 2}], "extra_vars": {"x": {"q": 1, "p": 2}}}`,
		`{"messages": [{"content": "c"}], "special_tokens": {"pad_token": "P"}}`,
		`not json`,
		`{"tools": []}`,
	}, "\n")
	var out strings.Builder
	if err := RenderLines(tpl, map[string]string{"bos_token": "<s>", "eos_token": "</s>"}, strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"rendered":"<s>a</s>"}`,
		`{"rendered":"bE[{\"z\": 1, \"a\": 2}]{\"q\": 1, \"p\": 2}"}`,
		`{"rendered":"cP"}`,
		`{"error":"line 5: bad request JSON: invalid character 'o' in literal null (expecting 'u')"}`,
		`{"error":"line 6: bad request: no messages"}`,
	}
	if got := strings.Split(strings.TrimSpace(out.String()), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
