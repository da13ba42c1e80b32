package backend

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nuri-ai/nuri/engine"
	"github.com/nuri-ai/nuri/sample"
)

// Tool-choice modes.
const (
	ToolAuto     = "auto"
	ToolNone     = "none"
	ToolRequired = "required"
	ToolFunction = "function" // ToolChoice.Name names the function
)

// ToolChoice says whether and which tool the model must call.
type ToolChoice struct {
	Mode string // ToolAuto (default), ToolNone, ToolRequired, ToolFunction
	Name string
}

// Options are the API-neutral settings of a generation.
type Options struct {
	Sampling    sample.Params
	MaxTokens   int
	Stop        []string
	Logprobs    bool
	TopLogprobs int
	// JSON constrains the reply to a JSON object; Schema to a JSON schema.
	JSON       bool
	Schema     json.RawMessage
	Tools      []Tool
	ToolChoice ToolChoice
	// Parallel allows several tool calls in one reply.
	Parallel bool
	// IgnoreEOS keeps generating past the model's end tokens, up to
	// MaxTokens (an extension for benchmarks).
	IgnoreEOS bool
}

// toolsActive reports whether tool calls are parsed from the reply.
func (o *Options) toolsActive() bool {
	return len(o.Tools) > 0 && o.ToolChoice.Mode != ToolNone
}

// forced reports whether the reply must be a tool call.
func (o *Options) forced() bool {
	return len(o.Tools) > 0 && (o.ToolChoice.Mode == ToolRequired || o.ToolChoice.Mode == ToolFunction)
}

// Streamable reports whether reply text can be sent as it is generated:
// not while the reply may be a tool call, which is only known at the end.
func (o *Options) Streamable() bool { return !o.toolsActive() }

// Validate checks the options against each other.
func (o *Options) Validate() error {
	switch o.ToolChoice.Mode {
	case "", ToolAuto, ToolNone, ToolRequired:
	case ToolFunction:
		if o.ToolChoice.Name == "" {
			return BadRequest("tool_choice", "tool_choice names no function")
		}
	default:
		return BadRequest("tool_choice", "tool_choice %q: want auto, none, required or a function", o.ToolChoice.Mode)
	}
	if (o.ToolChoice.Mode == ToolRequired || o.ToolChoice.Mode == ToolFunction) && len(o.Tools) == 0 {
		return BadRequest("tool_choice", "tool_choice %q needs tools", o.ToolChoice.Mode)
	}
	for i, t := range o.Tools {
		if t.Type != "" && t.Type != "function" {
			return BadRequest(fmt.Sprintf("tools[%d].type", i), "tool type %q is not supported; only function tools are", t.Type)
		}
		if t.Function.Name == "" {
			return BadRequest(fmt.Sprintf("tools[%d].function.name", i), "tool %d has no name", i)
		}
	}
	if o.MaxTokens < 0 {
		return BadRequest("max_tokens", "max_tokens must not be negative, got %d", o.MaxTokens)
	}
	if o.TopLogprobs < 0 || o.TopLogprobs > 20 {
		return BadRequest("top_logprobs", "top_logprobs must be between 0 and 20, got %d", o.TopLogprobs)
	}
	return nil
}

// schema returns the JSON schema the reply is constrained to, if any.
func (o *Options) schema() (json.RawMessage, error) {
	if o.forced() {
		name := ""
		if o.ToolChoice.Mode == ToolFunction {
			name = o.ToolChoice.Name
		}
		return ForcedCallSchema(o.Tools, name)
	}
	if len(o.Schema) > 0 {
		return o.Schema, nil
	}
	if o.JSON {
		return json.RawMessage(`{"type":"object"}`), nil
	}
	return nil, nil
}

// NewRequest builds the engine request for one sequence of prompt; seq
// offsets the seed so that n choices differ. A schema that cannot be
// enforced is a 400 (never an unconstrained reply).
func (m *Model) NewRequest(b Backend, prompt []int32, o *Options, seq int) (*engine.Request, error) {
	r := &engine.Request{
		Prompt:      prompt,
		Sampling:    o.Sampling,
		MaxTokens:   o.MaxTokens,
		StopStrings: o.Stop,
		Logprobs:    o.Logprobs || o.TopLogprobs > 0,
		TopLogprobs: o.TopLogprobs,
		IgnoreEOS:   o.IgnoreEOS,
	}
	r.Sampling.Seed += uint64(seq)
	schema, err := o.schema()
	if err != nil {
		return nil, err
	}
	if schema != nil {
		c, err := b.Constraint(schema, m.Tokenizer())
		if err != nil {
			what := "response_format"
			if o.forced() {
				what = "tool_choice"
			}
			if errors.Is(err, ErrUnsupported) {
				return nil, &Error{Status: 400, Type: TypeInvalid, Param: what, Message: fmt.Sprintf("%s: %v (the reply cannot be constrained, so the request is refused)", what, err), Err: err}
			}
			return nil, &Error{Status: 400, Type: TypeInvalid, Param: what, Message: fmt.Sprintf("%s: %v", what, err), Err: err}
		}
		r.Constraint = c
	}
	return r, nil
}

// Reply is a finished answer: text and tool calls.
type Reply struct {
	Content   string
	ToolCalls []ToolCall
	Finish    string // "stop", "length", "tool_calls" or "cancelled"
}

// Reply turns generated text into content and tool calls as the options
// ask.
func (m *Model) Reply(o *Options, text string, finish engine.FinishReason) Reply {
	r := Reply{Content: text, Finish: string(finish)}
	if r.Finish == "" {
		r.Finish = string(engine.FinishStop)
	}
	switch {
	case o.forced():
		if c, err := ParseForcedCall(text); err == nil {
			r.Content, r.ToolCalls = "", []ToolCall{c}
		}
	case o.toolsActive():
		if calls, rest, err := m.ParseToolCalls(text); err == nil && len(calls) > 0 {
			if !o.Parallel {
				calls = calls[:1]
			}
			r.Content, r.ToolCalls = rest, calls
		}
	}
	if len(r.ToolCalls) > 0 && finish != engine.FinishLength {
		r.Finish = "tool_calls"
	}
	return r
}
