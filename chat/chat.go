// Package chat renders a model's own chat template (Jinja, as shipped in GGUF
// metadata or Hugging Face tokenizer files) into prompt text, and parses the
// tool calls that model families write in their replies.
//
// Rendering follows Python jinja2 as Hugging Face transformers sets it up for
// chat templates: trim_blocks and lstrip_blocks on, loop controls, a tojson
// that prints like json.dumps(ensure_ascii=False) and keeps object key order,
// raise_exception and strftime_now. See README.md for the engine and its known
// gaps.
package chat

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ardanlabs/jinja"
)

// Template is a parsed chat template. It is safe for concurrent use.
type Template struct {
	name   string
	source string
	tpl    *jinja.Template
	now    func() time.Time
}

// Input is what a chat template is rendered with.
type Input struct {
	// Messages is the conversation: a JSON array of message objects. Pass
	// JSON text (json.RawMessage or []byte) to keep the key order of every
	// object exactly as written; any other Go value is converted through
	// encoding/json (struct fields keep their order, map keys are sorted).
	Messages any
	// Tools is the tool list in the same forms as Messages; nil means none
	// (the template sees tools defined and None, as in transformers).
	Tools any
	// AddGenerationPrompt asks the template to open the assistant's turn.
	AddGenerationPrompt bool
	// BOSToken and EOSToken set bos_token and eos_token; nil leaves the
	// variable undefined.
	BOSToken, EOSToken *string
	// Vars are further template variables: other special tokens
	// (pad_token, unk_token...), enable_thinking, documents and the like.
	// Values take the same forms as Messages. They are set last, so they
	// override the fields above.
	Vars map[string]any
}

// Error is a template failure. Raised is true when the template itself
// called raise_exception, which usually means the conversation is not one
// the model accepts (for example roles that do not alternate).
type Error struct {
	Model  string // the name given to New
	Line   int    // 1-based line in the template source; 0 when unknown
	Msg    string
	Raised bool
	Err    error // the underlying engine error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "chat template of %s", e.Model)
	if e.Line > 0 {
		fmt.Fprintf(&b, ", line %d", e.Line)
	}
	if e.Raised {
		b.WriteString(": raise_exception: ")
	} else {
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// New parses source once. name (usually the model's name) appears in every
// error so a failure can be traced to its model.
func New(source, name string) (t *Template, err error) {
	if name == "" {
		name = "unnamed model"
	}
	if strings.TrimSpace(source) == "" {
		return nil, &Error{Model: name, Msg: "the chat template is empty"}
	}
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, &Error{Model: name, Msg: fmt.Sprintf("parse: internal engine failure: %v", r)}
		}
	}()
	tpl, perr := jinja.Compile(renameFilter(source, "tojson", tojsonFilter))
	if perr != nil {
		msg := strings.TrimPrefix(strings.TrimPrefix(perr.Error(), "jinja scan: "), "jinja parse: ")
		line := 0
		if m := lineRE.FindStringSubmatch(msg); m != nil {
			fmt.Sscanf(m[1], "%d", &line)
			msg = strings.TrimPrefix(msg, m[0])
		}
		return nil, &Error{Model: name, Line: line, Msg: "parse: " + msg, Err: perr}
	}
	return &Template{name: name, source: source, tpl: tpl, now: time.Now}, nil
}

var lineRE = regexp.MustCompile(`^line (\d+): `)

// Name returns the model name given to New.
func (t *Template) Name() string { return t.name }

// Source returns the template text.
func (t *Template) Source() string { return t.source }

// SetClock replaces the clock behind strftime_now (tests pin it).
func (t *Template) SetClock(now func() time.Time) { t.now = now }

// raisedError carries a raise_exception message through the engine.
type raisedError struct{ msg string }

func (e *raisedError) Error() string { return e.msg }

// Render renders the template for one conversation.
func (t *Template) Render(in Input) (out string, err error) {
	data := make(map[string]jinja.Value, 8+len(in.Vars))
	conv := func(what string, v any) (jinja.Value, error) {
		val, err := toValue(v)
		if err != nil {
			return jinja.Value{}, &Error{Model: t.name, Msg: fmt.Sprintf("%s: %v", what, err), Err: err}
		}
		return val, nil
	}
	if in.Messages == nil {
		data["messages"] = jinja.NewList(nil)
	} else {
		v, err := conv("messages", in.Messages)
		if err != nil {
			return "", err
		}
		if !v.IsList() {
			return "", &Error{Model: t.name, Msg: "messages: want a JSON array of message objects"}
		}
		data["messages"] = v
	}
	tools, err := conv("tools", in.Tools)
	if err != nil {
		return "", err
	}
	data["tools"] = tools
	data["documents"] = jinja.None()
	data["add_generation_prompt"] = jinja.NewBool(in.AddGenerationPrompt)
	if in.BOSToken != nil {
		data["bos_token"] = jinja.NewString(*in.BOSToken)
	}
	if in.EOSToken != nil {
		data["eos_token"] = jinja.NewString(*in.EOSToken)
	}
	for k, v := range in.Vars {
		val, err := conv(k, v)
		if err != nil {
			return "", err
		}
		data[k] = val
	}
	data["raise_exception"] = jinja.NewCallable("raise_exception", func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
		msg := "raise_exception called"
		if len(args) > 0 {
			if args[0].IsString() {
				msg = args[0].AsString()
			} else {
				msg = args[0].String()
			}
		}
		return jinja.Undefined(), &raisedError{msg: msg}
	})
	data[tojsonFilter] = jinja.NewCallable("tojson", tojson)
	now := t.now
	data["strftime_now"] = jinja.NewCallable("strftime_now", func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
		if len(args) != 1 || !args[0].IsString() {
			return jinja.Undefined(), fmt.Errorf("strftime_now: want one format string")
		}
		return jinja.NewString(strftime(args[0].AsString(), now())), nil
	})

	defer func() {
		if r := recover(); r != nil {
			out, err = "", &Error{Model: t.name, Msg: fmt.Sprintf("render: internal engine failure: %v", r)}
		}
	}()
	out, rerr := t.tpl.RenderValues(data)
	if rerr != nil {
		var re *raisedError
		if errors.As(rerr, &re) {
			return "", &Error{Model: t.name, Line: t.raiseLine(re.msg), Msg: re.msg, Raised: true, Err: rerr}
		}
		return "", &Error{Model: t.name, Line: t.guessLine(rerr.Error()), Msg: "render: " + rerr.Error(), Err: rerr}
	}
	return out, nil
}

// raiseLine finds the raise_exception call that produced msg. The engine
// keeps no positions while rendering, so this matches the string literals in
// each call's argument against the message; it returns 0 when no single call
// fits.
func (t *Template) raiseLine(msg string) int {
	const call = "raise_exception("
	type cand struct{ line, score int }
	var best cand
	ties := 0
	for off := 0; ; {
		i := strings.Index(t.source[off:], call)
		if i < 0 {
			break
		}
		pos := off + i
		off = pos + len(call)
		arg := t.source[off:]
		if end := strings.Index(arg, ")"); end >= 0 {
			arg = arg[:end]
		}
		score := 0
		for _, lit := range stringLiterals(arg) {
			if lit != "" && strings.Contains(msg, lit) {
				score += len(lit)
			}
		}
		line := 1 + strings.Count(t.source[:pos], "\n")
		switch {
		case score > best.score:
			best, ties = cand{line, score}, 0
		case score == best.score:
			ties++
		}
	}
	if best.line == 0 {
		return 0
	}
	if ties > 0 && best.score == 0 {
		return 0
	}
	return best.line
}

// guessLine points at the only line that mentions the quoted name in an
// engine error (such as an unknown filter), or returns 0.
func (t *Template) guessLine(msg string) int {
	m := quotedRE.FindStringSubmatch(msg)
	if m == nil || m[1] == "" {
		return 0
	}
	lines := strings.Split(t.source, "\n")
	found := 0
	for i, l := range lines {
		if strings.Contains(l, m[1]) {
			if found != 0 {
				return 0
			}
			found = i + 1
		}
	}
	return found
}

var quotedRE = regexp.MustCompile(`"([^"]+)"`)

// stringLiterals returns the contents of the quoted strings in a Jinja
// expression, with the common backslash escapes resolved.
func stringLiterals(expr string) []string {
	var out []string
	for i := 0; i < len(expr); i++ {
		q := expr[i]
		if q != '\'' && q != '"' {
			continue
		}
		var b strings.Builder
		j := i + 1
		for ; j < len(expr) && expr[j] != q; j++ {
			if expr[j] == '\\' && j+1 < len(expr) {
				j++
				switch expr[j] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				default:
					b.WriteByte(expr[j])
				}
				continue
			}
			b.WriteByte(expr[j])
		}
		out = append(out, b.String())
		i = j
	}
	return out
}
