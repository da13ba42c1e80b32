package server

import (
	"encoding/json"
	"errors"

	"github.com/nuri-ai/nuri/grammar"
	"github.com/nuri-ai/nuri/sample"
	"github.com/nuri-ai/nuri/server/backend"
	"github.com/nuri-ai/nuri/tokenizer"
)

// defaultConstraint compiles a JSON schema into a decoding constraint with
// the grammar package: response_format json_schema and json_object (the
// schema {"type":"object"}), forced tool calls (backend.ForcedCallSchema)
// and Anthropic's output_config.format all arrive here. A schema the
// grammar cannot enforce is an error wrapping backend.ErrUnsupported, so
// the request is refused with 400 rather than answered unchecked.
func defaultConstraint(schema json.RawMessage, tok *tokenizer.Tokenizer) (sample.Constraint, error) {
	if isPlainObject(schema) {
		return grammar.JSONObject(tok), nil
	}
	c, err := grammar.FromJSONSchema(schema, tok)
	if err != nil {
		if errors.Is(err, grammar.ErrUnsupported) {
			return nil, unsupportedError{err}
		}
		return nil, err
	}
	return c, nil
}

// isPlainObject reports whether schema is exactly {"type": "object"}.
func isPlainObject(schema json.RawMessage) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(schema, &m) != nil || len(m) != 1 {
		return false
	}
	var ty string
	return json.Unmarshal(m["type"], &ty) == nil && ty == "object"
}

// unsupportedError is a grammar refusal that also reads as
// backend.ErrUnsupported, keeping the grammar's message.
type unsupportedError struct{ err error }

func (e unsupportedError) Error() string   { return e.err.Error() }
func (e unsupportedError) Unwrap() []error { return []error{e.err, backend.ErrUnsupported} }
