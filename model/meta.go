package model

import (
	"errors"
	"fmt"
	"math"

	"github.com/nuri-ai/nuri/gguf"
)

// errorf makes an error with the package prefix.
func errorf(format string, args ...any) error {
	return fmt.Errorf("model: "+format, args...)
}

// ErrUnsupported reports an architecture or feature Nuri cannot run.
var ErrUnsupported = errors.New("unsupported")

// meta is a read-only key/value view of model metadata: GGUF key/values, or a
// Hugging Face config.json decoded into map[string]any.
type meta interface {
	Get(key string) (any, bool)
}

// mapMeta adapts a decoded JSON object.
type mapMeta map[string]any

func (m mapMeta) Get(key string) (any, bool) {
	v, ok := m[key]
	if ok && v == nil {
		return nil, false
	}
	return v, ok
}

// toFloat converts any numeric value (and a bool, as 0 or 1) to float64.
func toFloat(v any) (float64, bool) {
	if b, ok := v.(bool); ok {
		if b {
			return 1, true
		}
		return 0, true
	}
	return gguf.AsFloat(v)
}

// num reads a number; arrays yield their first element (GGUF stores some
// per-layer values as arrays).
func num(m meta, key string) (float64, bool) {
	v, ok := m.Get(key)
	if !ok {
		return 0, false
	}
	if f, ok := toFloat(v); ok {
		return f, true
	}
	if fs, ok := floats(m, key); ok && len(fs) > 0 {
		return fs[0], true
	}
	return 0, false
}

// integer reads a whole number that fits an int.
func integer(m meta, key string) (int, bool, error) {
	f, ok := num(m, key)
	if !ok {
		return 0, false, nil
	}
	if f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
		return 0, true, fmt.Errorf("%s = %v is not a usable integer", key, f)
	}
	return int(f), true, nil
}

func str(m meta, key string) (string, bool) {
	v, ok := m.Get(key)
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	return s, ok
}

func boolean(m meta, key string) (bool, bool) {
	v, ok := m.Get(key)
	if !ok {
		return false, false
	}
	b, ok := v.(bool)
	return b, ok
}

// floats reads a numeric array: a GGUF typed array or a JSON array.
func floats(m meta, key string) ([]float64, bool) {
	v, ok := m.Get(key)
	if !ok {
		return nil, false
	}
	xs, isJSON := v.([]any)
	if !isJSON {
		return gguf.AsFloats(v)
	}
	out := make([]float64, 0, len(xs))
	for _, e := range xs {
		f, ok := toFloat(e)
		if !ok {
			return nil, false
		}
		out = append(out, f)
	}
	return out, true
}

// prefixed views GGUF metadata under "<arch>." keys.
type prefixed struct {
	m      meta
	prefix string
}

func (p prefixed) Get(key string) (any, bool) { return p.m.Get(p.prefix + key) }
