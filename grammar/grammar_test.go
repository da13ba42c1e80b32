package grammar

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/nuri-ai/nuri/chat"
)

// schemaCases are schemas whose random generations must validate.
var schemaCases = []struct{ name, schema string }{
	{"nested", `{"type":"object","properties":{
		"name":{"type":"string","maxLength":40},
		"address":{"type":"object","properties":{"street":{"type":"string","maxLength":30},"zip":{"type":"string","pattern":"^[0-9]{5}$"}},"required":["zip"],"additionalProperties":false},
		"age":{"type":"integer","minimum":0,"maximum":150},
		"vip":{"type":"boolean"}},
		"required":["name","address"],"additionalProperties":false}`},
	{"array", `{"type":"array","items":{"type":"object","properties":{"id":{"type":"integer"},"score":{"type":"number"}},"required":["id","score"]},"minItems":1,"maxItems":4}`},
	{"enum", `{"type":"object","properties":{
		"color":{"type":"string","enum":["red","green","blue","초록"]},
		"size":{"enum":[1,2.5,"XL",null,true,{"a":[1]}]},
		"kind":{"const":"fixed \"quoted\" \\ value"}},
		"required":["color","size","kind"]}`},
	{"anyOf", `{"type":"object","properties":{
		"v":{"anyOf":[{"type":"integer"},{"type":"string","maxLength":8},{"type":"null"}]},
		"w":{"oneOf":[{"type":"boolean"},{"type":"array","items":{"type":"integer"},"maxItems":3}]},
		"x":{"type":["string","null"],"maxLength":5}},
		"required":["v","w","x"]}`},
	{"ref", `{"$defs":{"point":{"type":"object","properties":{"x":{"type":"number"},"y":{"type":"number"}},"required":["x","y"],"additionalProperties":false}},
		"definitions":{"tag":{"type":"string","minLength":1,"maxLength":6}},
		"type":"object","properties":{"a":{"$ref":"#/$defs/point"},"b":{"type":"array","items":{"$ref":"#/$defs/point"},"maxItems":2},"t":{"$ref":"#/definitions/tag"}},
		"required":["a","b","t"]}`},
	{"recursive", `{"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer","minimum":-5,"maximum":5},"kids":{"type":"array","items":{"$ref":"#/$defs/node"},"maxItems":2}},"required":["v"],"additionalProperties":false}},
		"$ref":"#/$defs/node"}`},
	{"lengths", `{"type":"object","properties":{"s":{"type":"string","minLength":3,"maxLength":5},"e":{"type":"string","maxLength":0},"l":{"type":"array","items":{"type":"boolean"},"minItems":2,"maxItems":3}},"required":["s","e","l"]}`},
	{"formats", `{"type":"object","properties":{
		"d":{"type":"string","format":"date"},"dt":{"type":"string","format":"date-time"},"t":{"type":"string","format":"time"},
		"u":{"type":"string","format":"uuid"},"m":{"type":"string","format":"email"},"ip":{"type":"string","format":"ipv4"}},
		"required":["d","dt","t","u","m","ip"]}`},
	{"patterns", `{"type":"object","properties":{
		"code":{"type":"string","pattern":"^[A-Z]{2}-\\d{3,4}$"},
		"word":{"type":"string","pattern":"^(cat|dog)s?$"},
		"quote":{"type":"string","pattern":"^a\"b\\\\c\\n$"},
		"any":{"type":"string","pattern":"xy"}},
		"required":["code","word","quote","any"]}`},
	{"numbers", `{"type":"object","properties":{
		"i":{"type":"integer","minimum":-120,"maximum":-7},"j":{"type":"integer","exclusiveMinimum":99,"exclusiveMaximum":1001},
		"n":{"type":"number","minimum":1,"maximum":3},"p":{"type":"number","minimum":0}},
		"required":["i","j","n","p"]}`},
	{"maps", `{"type":"object","properties":{"m":{"type":"object","additionalProperties":{"type":"integer"}},"free":{"type":"object"},"anything":{},"none":{"type":"object","additionalProperties":false}},"required":["m","free","anything","none"]}`},
	{"tuple", `{"type":"array","prefixItems":[{"type":"string","maxLength":4},{"type":"integer"}],"items":{"type":"boolean"},"maxItems":4}`},
	{"nullable", `{"type":"object","properties":{"n":{"type":"string","nullable":true,"maxLength":4},"이름":{"type":"string","maxLength":4}},"required":["n","이름"]}`},
	{"optional", `{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"},"c":{"type":"integer"},"d":{"type":"integer"}},"required":["c"]}`},
	{"topString", `{"type":"string"}`},
	{"topNumber", `{"type":"number"}`},
}

func TestSchemaGenerationsValidate(t *testing.T) {
	seeds := 1
	if longTests {
		seeds = 4
	}
	for _, name := range testTokenizers {
		tok := testTokenizer(t, name)
		for _, tc := range schemaCases {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				sch := validator(t, tc.schema)
				for seed := range uint64(seeds) {
					c, err := FromJSONSchema(json.RawMessage(tc.schema), tok)
					if err != nil {
						t.Fatal(err)
					}
					out := generate(t, c, tok, seed+100*uint64(len(tc.name)), 6000)
					validate(t, sch, out)
					if seed == 0 {
						t.Logf("%.200q", out)
					}
				}
			})
		}
	}
}

func TestJSONObject(t *testing.T) {
	sch := validator(t, `{"type":"object"}`)
	for _, name := range testTokenizers {
		tok := testTokenizer(t, name)
		for seed := range uint64(3) {
			out := generate(t, JSONObject(tok), tok, seed, 6000)
			validate(t, sch, out)
		}
	}
}

func TestUnsupported(t *testing.T) {
	tok := testTokenizer(t, "qwen3")
	tests := []struct{ name, schema, word string }{
		{"minProperties", `{"type":"object","minProperties":1}`, "minProperties"},
		{"not", `{"not":{"type":"string"}}`, "not"},
		{"if", `{"if":{"type":"string"},"then":{"maxLength":3}}`, "if"},
		{"uniqueItems", `{"type":"array","uniqueItems":true}`, "uniqueItems"},
		{"multipleOf", `{"type":"integer","multipleOf":3}`, "multipleOf"},
		{"patternProperties", `{"type":"object","patternProperties":{"^a":{}}}`, "patternProperties"},
		{"nested keyword", `{"type":"object","properties":{"a":{"type":"array","contains":{"type":"string"}}}}`, "contains"},
		{"format", `{"type":"string","format":"hostname"}`, "hostname"},
		{"lookahead", `{"type":"string","pattern":"^(?=a)a$"}`, "pattern"},
		{"word boundary", `{"type":"string","pattern":"\\bword\\b"}`, `\b`},
		{"backreference", `{"type":"string","pattern":"(a)\\1"}`, "pattern"},
		{"empty star", `{"type":"string","pattern":"^(a*)*$"}`, "nothing"},
		{"pattern+length", `{"type":"string","pattern":"^a+$","maxLength":3}`, "maxLength"},
		{"allOf two", `{"allOf":[{"type":"string"},{"maxLength":2}]}`, "allOf"},
		{"anyOf sibling", `{"type":"object","properties":{},"anyOf":[{"required":["a"]}]}`, "anyOf"},
		{"remote ref", `{"$ref":"https://example.com/s.json"}`, "$ref"},
		{"left recursion", `{"$defs":{"a":{"anyOf":[{"$ref":"#/$defs/a"},{"type":"null"}]}},"$ref":"#/$defs/a"}`, "itself"},
		{"type", `{"type":"decimal"}`, "decimal"},
		{"number fraction bound", `{"type":"number","maximum":1.5,"minimum":0}`, "maximum"},
		{"number exclusive", `{"type":"number","exclusiveMinimum":0}`, "exclusiveMinimum"},
		{"items array", `{"type":"array","items":[{"type":"string"}]}`, "items"},
		{"required unknown", `{"type":"object","properties":{"a":{}},"required":["b"]}`, `"b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromJSONSchema(json.RawMessage(tt.schema), tok)
			if !errors.Is(err, ErrUnsupported) {
				t.Fatalf("err = %v, want ErrUnsupported", err)
			}
			if !strings.Contains(err.Error(), tt.word) {
				t.Errorf("error %q does not name %q", err, tt.word)
			}
		})
	}
}

func TestBadSchemas(t *testing.T) {
	tok := testTokenizer(t, "qwen3")
	for _, s := range []string{
		``, `{`, `[]`, `false`, `{"type":3}`, `{"enum":[]}`, `{"type":"string","enum":[1,2]}`,
		`{"type":"string","minLength":5,"maxLength":2}`, `{"$ref":"#/$defs/missing"}`,
		`{"type":"integer","minimum":5,"maximum":4}`, `{"type":"string","pattern":"("}`, `{} {}`,
	} {
		if _, err := FromJSONSchema(json.RawMessage(s), tok); err == nil {
			t.Errorf("schema %q compiled", s)
		}
	}
	if _, err := FromJSONSchema(json.RawMessage(`{}`), nil); err == nil {
		t.Error("nil tokenizer accepted")
	}
}

// TestMaskAgreesWithAccept checks, at positions along a generation, that
// Mask allows exactly the tokens Accept takes.
func TestMaskAgreesWithAccept(t *testing.T) {
	schema := `{"type":"object","properties":{"s":{"type":"string","maxLength":12},"e":{"enum":["ab","a\"c"]},"n":{"type":"integer","minimum":3,"maximum":250},"p":{"type":"string","pattern":"^[a-c]+é?$"}},"required":["s","e","n","p"]}`
	prefixes := []string{``, `{`, `{"s": "`, `{"s": "héllo wor`, `{"s": "x\u00`, `{"s": "`, `{"s":"abcdefghijkl`,
		`{"s":"a","e":`, `{"s":"a","e":"a`, `{"s":"a","e":"ab","n":2`, `{"s":"a","e":"ab","n":25`, `{"s":"a","e":"ab","n":9,"p":"cab`}
	for _, name := range testTokenizers {
		tok := testTokenizer(t, name)
		for i, pre := range prefixes {
			if name != "qwen3" && !longTests && i%3 != 0 {
				continue
			}
			g, err := FromJSONSchema(json.RawMessage(schema), tok)
			if err != nil {
				t.Fatal(err)
			}
			c := g.(*Constraint)
			for _, id := range tok.EncodeOrdinary(pre) {
				if err := c.Accept(id); err != nil {
					t.Fatalf("%s: prefix %q: %v", name, pre, err)
				}
			}
			logits := make([]float32, tok.VocabSize())
			c.Mask(logits)
			allowed := 0
			for id := range int32(tok.VocabSize()) {
				probe := *c
				err := probe.Accept(id)
				masked := math.IsInf(float64(logits[id]), -1)
				if masked != (err != nil) {
					t.Fatalf("%s: prefix %q: token %d %q: masked %v, Accept error %v", name, pre, id, tok.TokenBytes(id), masked, err)
				}
				if !masked {
					allowed++
				}
			}
			if allowed == 0 {
				t.Fatalf("%s: prefix %q: nothing allowed", name, pre)
			}
		}
	}
}

func TestDoneAllowsOnlyEOS(t *testing.T) {
	tok := testTokenizer(t, "qwen3")
	eos := tok.EOS()
	g, err := FromJSONSchema(json.RawMessage(`{"enum":["yes"]}`), tok, WithEOS(eos[0]))
	if err != nil {
		t.Fatal(err)
	}
	c := g.(*Constraint)
	if c.Done() {
		t.Fatal("done at the start")
	}
	if err := c.Accept(eos[0]); err == nil {
		t.Fatal("EOS accepted at the start")
	}
	for _, id := range tok.EncodeOrdinary(`"yes"`) {
		if err := c.Accept(id); err != nil {
			t.Fatal(err)
		}
	}
	if !c.Done() {
		t.Fatal("not done after the value")
	}
	logits := make([]float32, tok.VocabSize()+10)
	c.Mask(logits)
	for id, l := range logits {
		if want := int32(id) == eos[0]; want == math.IsInf(float64(l), -1) {
			t.Fatalf("token %d: logit %v (EOS %d)", id, l, eos[0])
		}
	}
	if err := c.Accept(tok.EncodeOrdinary("x")[0]); err == nil {
		t.Fatal("text accepted after the end")
	}
	if err := c.Accept(eos[0]); err != nil {
		t.Fatal(err)
	}
	if err := c.Accept(eos[0]); err == nil {
		t.Fatal("a token accepted after EOS")
	}
}

func TestAcceptRejectsWithoutChange(t *testing.T) {
	tok := testTokenizer(t, "llama3_1")
	g, _ := FromJSONSchema(json.RawMessage(`{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}`), tok)
	c := g.(*Constraint)
	for _, id := range tok.EncodeOrdinary(`{"a":`) {
		if err := c.Accept(id); err != nil {
			t.Fatal(err)
		}
	}
	bad := tok.EncodeOrdinary(`"x"`)[0]
	if err := c.Accept(bad); err == nil {
		t.Fatal("string accepted for an integer")
	}
	for _, id := range tok.EncodeOrdinary(`12}`) {
		if err := c.Accept(id); err != nil {
			t.Fatalf("after a rejected token: %v", err)
		}
	}
	if !c.Done() {
		t.Fatal("not done")
	}
	if err := c.Accept(-1); err == nil {
		t.Fatal("negative id accepted")
	}
}

var weatherTools = []Tool{
	{Name: "get_weather", Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string","maxLength":20},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city","unit"],"additionalProperties":false}`)},
	{Name: "get_time", Parameters: json.RawMessage(`{"type":"object","properties":{"tz":{"type":"string","maxLength":10}},"required":["tz"]}`)},
	{Name: "ping", Parameters: json.RawMessage(`{"type":"object","properties":{}}`)},
	{Name: "free"},
}

func toolSeeds() int {
	if longTests {
		return 4
	}
	return 1
}

func TestToolCalls(t *testing.T) {
	validators := map[string]func(string) error{}
	for _, tl := range weatherTools {
		schema := string(tl.Parameters)
		if schema == "" {
			schema = `{"type":"object"}`
		}
		sch := validator(t, schema)
		validators[tl.Name] = func(args string) error {
			inst, err := jsonUnmarshal(args)
			if err != nil {
				return err
			}
			return sch.Validate(inst)
		}
	}
	families := []string{"qwen3", "hermes", "llama3.1", "mistral", "deepseek_v3"}
	toks := append([]string{"deepseek_v3"}, testTokenizers...)
	for _, tokName := range toks {
		tok := testTokenizer(t, tokName)
		for _, fam := range families {
			for _, mode := range []string{"required", "named:get_weather"} {
				t.Run(fmt.Sprintf("%s/%s/%s", tokName, fam, mode), func(t *testing.T) {
					for seed := range uint64(toolSeeds()) {
						c, err := ToolCalls(fam, weatherTools, mode, tok, WithMaxCalls(3))
						if err != nil {
							t.Fatal(err)
						}
						out := generate(t, c, tok, seed+uint64(len(fam)), 6000)
						calls, rest, err := chat.ParseToolCalls(fam, out)
						if err != nil {
							t.Fatalf("%q: %v", out, err)
						}
						if len(calls) == 0 || len(calls) > 3 || rest != "" {
							t.Fatalf("%q: %d calls, rest %q", out, len(calls), rest)
						}
						for _, call := range calls {
							v, ok := validators[call.Name]
							if !ok {
								t.Fatalf("%q: unknown function %q", out, call.Name)
							}
							if mode != "required" && call.Name != "get_weather" {
								t.Fatalf("%q: called %q", out, call.Name)
							}
							if err := v(string(call.Arguments)); err != nil {
								t.Fatalf("%q: arguments of %s: %v", out, call.Name, err)
							}
						}
						if seed == 0 {
							t.Logf("%.300q", out)
						}
					}
				})
			}
		}
	}
}

func TestToolCallErrors(t *testing.T) {
	tok := testTokenizer(t, "qwen3")
	tests := []struct {
		name, family, mode string
		tools              []Tool
		unsupported        bool
	}{
		{"family", "gpt2", "required", weatherTools, true},
		{"mode", "qwen3", "auto", weatherTools, true},
		{"unknown name", "qwen3", "named:nope", weatherTools, false},
		{"no tools", "qwen3", "required", nil, false},
		{"bad schema", "qwen3", "required", []Tool{{Name: "f", Parameters: json.RawMessage(`{"type":"object","properties":{"a":{"not":{}}}}`)}}, true},
		{"not an object", "qwen3", "required", []Tool{{Name: "f", Parameters: json.RawMessage(`{"type":"string"}`)}}, true},
		{"no name", "qwen3", "required", []Tool{{}}, false},
		{"twice", "qwen3", "required", []Tool{{Name: "f"}, {Name: "f"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ToolCalls(tt.family, tt.tools, tt.mode, tok)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrUnsupported) != tt.unsupported {
				t.Fatalf("err = %v, unsupported want %v", err, tt.unsupported)
			}
		})
	}
}
