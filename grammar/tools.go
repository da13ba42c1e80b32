package grammar

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nuri-ai/nuri/sample"
	"github.com/nuri-ai/nuri/tokenizer"
)

// Tool is a function the model may call.
type Tool struct {
	Name string
	// Parameters is the JSON schema of the arguments; empty means any
	// JSON object.
	Parameters json.RawMessage
}

// ToolCalls returns a constraint that makes the output one or more calls
// of the given tools in the tool-call syntax of the model family, with
// arguments valid against each tool's parameter schema. The output parses
// with chat.ParseToolCalls for the same family.
//
// mode is "required" (one to DefaultMaxCalls calls of any of the tools;
// see WithMaxCalls) or "named:<function>" (exactly one call of that
// function).
//
// Families and their syntax:
//   - qwen, qwen2, qwen2.5, qwen3, hermes: <tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>,
//     calls separated by a newline
//   - llama3, llama3.1, llama3.2, llama3.3, llama: {"name": ..., "parameters": {...}}, calls separated by "; "
//   - mistral: [TOOL_CALLS][{"name": ..., "arguments": {...}}, ...]
//   - deepseek_v3, deepseek-v3, deepseek: <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME
//     ```json ... ```<｜tool▁call▁end｜>...<｜tool▁calls▁end｜>
//
// Markers that are special tokens of the tokenizer must be written as that
// token; other markers are plain text.
func ToolCalls(family string, tools []Tool, mode string, tok *tokenizer.Tokenizer, opts ...Option) (sample.Constraint, error) {
	if tok == nil {
		return nil, errors.New("grammar: no tokenizer")
	}
	cfg := newConfig(tok, opts)
	root, err := toolCallsNode(family, tools, mode, tok, cfg.maxCalls)
	if err != nil {
		return nil, err
	}
	return newConstraint(root, tok, cfg), nil
}

type callSyntax int

const (
	synTagged callSyntax = iota
	synLlama
	synMistral
	synDeepSeek
)

func familySyntax(family string) (callSyntax, bool) {
	switch strings.ToLower(family) {
	case "qwen", "qwen2", "qwen2.5", "qwen3", "hermes":
		return synTagged, true
	case "llama3", "llama3.1", "llama3.2", "llama3.3", "llama":
		return synLlama, true
	case "mistral":
		return synMistral, true
	case "deepseek_v3", "deepseek-v3", "deepseek":
		return synDeepSeek, true
	}
	return 0, false
}

func toolCallsNode(family string, tools []Tool, mode string, tok *tokenizer.Tokenizer, maxCalls int) (*node, error) {
	syn, ok := familySyntax(family)
	if !ok {
		return nil, fmt.Errorf("grammar: tool calls for model family %q: %w", family, ErrUnsupported)
	}
	if len(tools) == 0 {
		return nil, errors.New("grammar: tool calls: no tools")
	}
	chosen := tools
	calls := maxCalls
	switch {
	case mode == "required":
	case strings.HasPrefix(mode, "named:"):
		name := strings.TrimPrefix(mode, "named:")
		chosen = nil
		for _, t := range tools {
			if t.Name == name {
				chosen = []Tool{t}
				break
			}
		}
		if chosen == nil {
			return nil, fmt.Errorf("grammar: tool_choice names %q, which is not among the tools", name)
		}
		calls = 1
	default:
		return nil, fmt.Errorf("grammar: tool choice mode %q (want \"required\" or \"named:<function>\"): %w", mode, ErrUnsupported)
	}
	var alts []*node
	seen := map[string]bool{}
	for _, t := range chosen {
		if t.Name == "" {
			return nil, errors.New("grammar: a tool has no name")
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("grammar: tool %q is listed twice", t.Name)
		}
		seen[t.Name] = true
		args, err := argumentsNode(t)
		if err != nil {
			return nil, err
		}
		nameJSON, err := marshal(t.Name)
		if err != nil {
			return nil, err
		}
		var call *node
		switch syn {
		case synTagged, synMistral:
			call = seq(lit(`{"name": `+string(nameJSON)+`, "arguments": `), args, lit("}"))
		case synLlama:
			call = seq(lit(`{"name": `+string(nameJSON)+`, "parameters": `), args, lit("}"))
		case synDeepSeek:
			if strings.ContainsAny(t.Name, "\n") {
				return nil, fmt.Errorf("grammar: tool name %q holds a newline", t.Name)
			}
			call = seq(marker(tok, dsCallBegin), lit("function"), marker(tok, dsSep), lit(t.Name+"\n```json\n"),
				args, lit("\n```"), marker(tok, dsCallEnd))
		}
		alts = append(alts, call)
	}
	call := alt(alts...)
	switch syn {
	case synTagged:
		one := seq(marker(tok, "<tool_call>"), lit("\n"), call, lit("\n"), marker(tok, "</tool_call>"))
		return rep(one, 1, int32(calls), lit("\n")), nil
	case synLlama:
		return rep(call, 1, int32(calls), lit("; ")), nil
	case synMistral:
		return seq(marker(tok, "[TOOL_CALLS]"), lit("["), rep(call, 1, int32(calls), lit(", ")), lit("]")), nil
	default:
		return seq(marker(tok, dsCallsBegin), rep(call, 1, int32(calls), lit("\n")), marker(tok, dsCallsEnd)), nil
	}
}

const (
	dsCallsBegin = "<｜tool▁calls▁begin｜>"
	dsCallsEnd   = "<｜tool▁calls▁end｜>"
	dsCallBegin  = "<｜tool▁call▁begin｜>"
	dsCallEnd    = "<｜tool▁call▁end｜>"
	dsSep        = "<｜tool▁sep｜>"
)

// marker is text that the tokenizer may hold as a special token: then only
// that token writes it.
func marker(tok *tokenizer.Tokenizer, text string) *node {
	if id, ok := tok.TokenID(text); ok && tok.IsSpecial(id) {
		return &node{kind: kSpecial, tok: id}
	}
	return lit(text)
}

// argumentsNode compiles a tool's parameter schema, which must describe a
// JSON object.
func argumentsNode(t Tool) (*node, error) {
	if len(strings.TrimSpace(string(t.Parameters))) == 0 || strings.TrimSpace(string(t.Parameters)) == "null" {
		return freeObject(), nil
	}
	doc, err := decodeOrdered(t.Parameters)
	if err != nil {
		return nil, fmt.Errorf("grammar: tool %q parameters: %w", t.Name, err)
	}
	o, ok := doc.(*obj)
	if !ok {
		return nil, fmt.Errorf("grammar: tool %q parameters: the schema must be a JSON object", t.Name)
	}
	switch ty := o.m["type"].(type) {
	case nil:
		if !has(o.m, "$ref", "anyOf", "oneOf", "allOf", "enum", "const") {
			o.m["type"] = "object"
			o.keys = append(o.keys, "type")
		}
	case string:
		if ty != "object" {
			return nil, fmt.Errorf("grammar: tool %q parameters: type %q, not object: %w", t.Name, ty, ErrUnsupported)
		}
	default:
		return nil, fmt.Errorf("grammar: tool %q parameters: type must be \"object\": %w", t.Name, ErrUnsupported)
	}
	c := &compiler{doc: doc, refs: map[string]*node{}}
	n, err := c.compile(doc, "#", nil)
	if err != nil {
		return nil, fmt.Errorf("grammar: tool %q parameters: %w", t.Name, err)
	}
	return n, nil
}
