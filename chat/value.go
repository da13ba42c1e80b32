package chat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ardanlabs/jinja"
)

// maxDepth bounds the nesting of JSON values handed to a template, so a
// hostile request cannot exhaust the stack.
const maxDepth = 200

// decodeOrdered parses one JSON document into a template value. Objects keep
// their keys in document order, which is what a template's tojson prints, and
// numbers written without a fraction or exponent stay integers.
func decodeOrdered(data []byte) (jinja.Value, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	v, err := decodeValue(d, 0)
	if err != nil {
		return jinja.Value{}, err
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return jinja.Value{}, fmt.Errorf("unexpected data after the JSON value")
	}
	return v, nil
}

func decodeValue(d *json.Decoder, depth int) (jinja.Value, error) {
	if depth > maxDepth {
		return jinja.Value{}, fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
	}
	tok, err := d.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return jinja.Value{}, io.ErrUnexpectedEOF
		}
		return jinja.Value{}, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '[':
			items := []jinja.Value{}
			for d.More() {
				v, err := decodeValue(d, depth+1)
				if err != nil {
					return jinja.Value{}, err
				}
				items = append(items, v)
			}
			if _, err := d.Token(); err != nil {
				return jinja.Value{}, err
			}
			return jinja.NewList(items), nil
		case '{':
			obj := jinja.NewDict()
			dict := obj.AsDict()
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return jinja.Value{}, err
				}
				key, ok := kt.(string)
				if !ok {
					return jinja.Value{}, fmt.Errorf("object key %v is not a string", kt)
				}
				v, err := decodeValue(d, depth+1)
				if err != nil {
					return jinja.Value{}, err
				}
				dict.Set(key, v)
			}
			if _, err := d.Token(); err != nil {
				return jinja.Value{}, err
			}
			return obj, nil
		}
		return jinja.Value{}, fmt.Errorf("unexpected %q", t)
	case json.Number:
		return numberValue(t), nil
	case string:
		return jinja.NewString(t), nil
	case bool:
		return jinja.NewBool(t), nil
	case nil:
		return jinja.None(), nil
	}
	return jinja.Value{}, fmt.Errorf("unexpected JSON token %v", tok)
}

// numberValue keeps integers as integers (as Python's json module does) and
// everything else as a float.
func numberValue(n json.Number) jinja.Value {
	s := n.String()
	if !strings.ContainsAny(s, ".eE") {
		if i, err := n.Int64(); err == nil {
			return jinja.NewInt(i)
		}
	}
	f, err := n.Float64()
	if err != nil {
		// Out of float64 range: keep the digits rather than lose them.
		return jinja.NewString(s)
	}
	return jinja.NewFloat(f)
}

// toValue converts a Go value to a template value. JSON text (json.RawMessage
// or []byte) is parsed with its key order kept; other values go through
// encoding/json, so struct fields keep their declaration order and map keys
// are sorted.
func toValue(v any) (jinja.Value, error) {
	switch x := v.(type) {
	case nil:
		return jinja.None(), nil
	case bool:
		return jinja.NewBool(x), nil
	case string:
		return jinja.NewString(x), nil
	case int:
		return jinja.NewInt(int64(x)), nil
	case int64:
		return jinja.NewInt(x), nil
	case float64:
		return jinja.NewFloat(x), nil
	case json.Number:
		return numberValue(x), nil
	case json.RawMessage:
		if len(bytes.TrimSpace(x)) == 0 {
			return jinja.None(), nil
		}
		return decodeOrdered(x)
	case []byte:
		if len(bytes.TrimSpace(x)) == 0 {
			return jinja.None(), nil
		}
		return decodeOrdered(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return jinja.Value{}, err
	}
	return decodeOrdered(b)
}
