package grammar

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/nuri-ai/nuri/sample"
	"github.com/nuri-ai/nuri/tokenizer"
)

// JSONObject returns a constraint for any JSON object (OpenAI's
// response_format json_object).
func JSONObject(tok *tokenizer.Tokenizer, opts ...Option) sample.Constraint {
	return newConstraint(freeObject(), tok, newConfig(tok, opts))
}

// FromJSONSchema compiles a JSON schema into a constraint. Supported: type
// (object, array, string, number, integer, boolean, null, or a list of
// them), properties, required, additionalProperties (false, true or a
// schema), enum, const, anyOf and oneOf (as alternatives), allOf with one
// member, $ref to #, #/$defs/... and #/definitions/... (recursion
// included), items, prefixItems, minItems, maxItems, minLength, maxLength,
// pattern (see the package comment on patterns), format (date-time, date,
// time, uuid, email, ipv4), minimum/maximum and their exclusive forms on
// integers, nullable, and the annotations (title, description, default,
// examples, ...). Properties are written in the schema's order; properties
// a schema allows but does not list are not generated. Anything else is an
// error wrapping ErrUnsupported that names the keyword.
func FromJSONSchema(schema json.RawMessage, tok *tokenizer.Tokenizer, opts ...Option) (sample.Constraint, error) {
	if tok == nil {
		return nil, errors.New("grammar: no tokenizer")
	}
	root, err := compileSchema(schema)
	if err != nil {
		return nil, err
	}
	return newConstraint(root, tok, newConfig(tok, opts)), nil
}

// compileSchema turns a schema document into a grammar node.
func compileSchema(schema json.RawMessage) (*node, error) {
	doc, err := decodeOrdered(schema)
	if err != nil {
		return nil, fmt.Errorf("grammar: JSON schema: %w", err)
	}
	c := &compiler{doc: doc, refs: map[string]*node{}}
	n, err := c.compile(doc, "#", nil)
	if err != nil {
		return nil, fmt.Errorf("grammar: JSON schema: %w", err)
	}
	return n, nil
}

type compiler struct {
	doc  any
	refs map[string]*node
}

// annotations are keywords that do not constrain values.
var annotations = map[string]bool{
	"title": true, "description": true, "default": true, "examples": true, "example": true,
	"$schema": true, "$id": true, "$comment": true, "deprecated": true, "readOnly": true,
	"writeOnly": true, "$defs": true, "definitions": true, "strict": true, "$anchor": true,
	"contentMediaType": true, "contentEncoding": true,
}

// handled are the keywords compile understands.
var handled = map[string]bool{
	"type": true, "properties": true, "required": true, "additionalProperties": true,
	"enum": true, "const": true, "anyOf": true, "oneOf": true, "allOf": true, "$ref": true,
	"items": true, "prefixItems": true, "minItems": true, "maxItems": true,
	"minLength": true, "maxLength": true, "pattern": true, "format": true, "nullable": true,
	"minimum": true, "maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true,
}

func unsupported(path, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %w", path, fmt.Sprintf(format, args...), ErrUnsupported)
}

// compile returns the node for the schema s found at path. pending lists
// the $refs being expanded since the last consumed byte: meeting one again
// would be a loop that consumes nothing.
func (c *compiler) compile(s any, path string, pending []string) (*node, error) {
	switch v := s.(type) {
	case bool:
		if v {
			return freeValue(MaxFreeDepth), nil
		}
		return nil, fmt.Errorf("%s: schema false allows no value", path)
	case *obj:
		return c.compileObject(v.m, path, pending)
	}
	return nil, fmt.Errorf("%s: a schema must be an object or a boolean, not %T", path, s)
}

func (c *compiler) compileObject(s map[string]any, path string, pending []string) (*node, error) {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	structural := 0
	for _, k := range keys {
		switch {
		case annotations[k] || strings.HasPrefix(k, "x-"):
		case handled[k]:
			structural++
		default:
			return nil, unsupported(path, "keyword %q", k)
		}
	}
	n, err := c.compileInner(s, path, pending, structural)
	if err != nil {
		return nil, err
	}
	if nb, ok := s["nullable"].(bool); ok && nb {
		n = alt(n, nullN)
	}
	return n, nil
}

func (c *compiler) compileInner(s map[string]any, path string, pending []string, structural int) (*node, error) {
	if _, ok := s["nullable"]; ok {
		structural--
	}
	if r, ok := s["$ref"]; ok {
		if structural > 1 {
			return nil, unsupported(path, "$ref next to other constraining keywords")
		}
		ref, ok := r.(string)
		if !ok {
			return nil, fmt.Errorf("%s: $ref must be a string", path)
		}
		return c.compileRef(ref, path, pending)
	}
	for _, kw := range []string{"anyOf", "oneOf", "allOf"} {
		list, ok := s[kw]
		if !ok {
			continue
		}
		if structural > 1 {
			return nil, unsupported(path, "%s next to other constraining keywords", kw)
		}
		items, ok := list.([]any)
		if !ok || len(items) == 0 {
			return nil, fmt.Errorf("%s/%s: must be a non-empty array", path, kw)
		}
		if kw == "allOf" {
			if len(items) != 1 {
				return nil, unsupported(path, "allOf with more than one schema")
			}
			return c.compile(items[0], path+"/allOf/0", pending)
		}
		var alts []*node
		for i, it := range items {
			n, err := c.compile(it, fmt.Sprintf("%s/%s/%d", path, kw, i), pending)
			if err != nil {
				return nil, err
			}
			alts = append(alts, n)
		}
		return alt(alts...), nil
	}
	types, err := schemaTypes(s, path)
	if err != nil {
		return nil, err
	}
	if cv, ok := s["const"]; ok {
		return enumNode([]any{cv}, types, path+"/const")
	}
	if ev, ok := s["enum"]; ok {
		list, ok := ev.([]any)
		if !ok || len(list) == 0 {
			return nil, fmt.Errorf("%s/enum: must be a non-empty array", path)
		}
		return enumNode(list, types, path+"/enum")
	}
	if types == nil {
		// No type: infer it from the keywords, or allow any value.
		switch {
		case has(s, "properties", "required", "additionalProperties"):
			types = []string{"object"}
		case has(s, "items", "prefixItems", "minItems", "maxItems"):
			types = []string{"array"}
		case has(s, "minLength", "maxLength", "pattern", "format"):
			types = []string{"string"}
		case has(s, "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
			types = []string{"number"}
		default:
			return freeValue(MaxFreeDepth), nil
		}
	}
	var alts []*node
	for _, t := range types {
		n, err := c.compileType(t, s, path, pending)
		if err != nil {
			return nil, err
		}
		alts = append(alts, n)
	}
	return alt(alts...), nil
}

func has(s map[string]any, keys ...string) bool {
	for _, k := range keys {
		if _, ok := s[k]; ok {
			return true
		}
	}
	return false
}

func schemaTypes(s map[string]any, path string) ([]string, error) {
	tv, ok := s["type"]
	if !ok {
		return nil, nil
	}
	var types []string
	switch t := tv.(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			str, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("%s/type: entries must be strings", path)
			}
			types = append(types, str)
		}
	default:
		return nil, fmt.Errorf("%s/type: must be a string or an array", path)
	}
	if len(types) == 0 {
		return nil, fmt.Errorf("%s/type: empty", path)
	}
	for _, t := range types {
		switch t {
		case "object", "array", "string", "number", "integer", "boolean", "null":
		default:
			return nil, unsupported(path, "type %q", t)
		}
	}
	return types, nil
}

// keywordsFor lists the keywords that only apply to one type; a schema
// using one of them for a different type needs no check for it.
var keywordsFor = map[string][]string{
	"object": {"properties", "required", "additionalProperties"},
	"array":  {"items", "prefixItems", "minItems", "maxItems"},
	"string": {"minLength", "maxLength", "pattern", "format"},
	"number": {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"},
}

func (c *compiler) compileType(t string, s map[string]any, path string, pending []string) (*node, error) {
	switch t {
	case "null":
		return nullN, nil
	case "boolean":
		return boolN, nil
	case "integer":
		return integerRange(s, path)
	case "number":
		if has(s, keywordsFor["number"]...) {
			return numberRange(s, path)
		}
		return numberNode(), nil
	case "string":
		return stringNode(s, path)
	case "array":
		return c.compileArray(s, path)
	case "object":
		return c.compileObjectType(s, path)
	}
	return nil, unsupported(path, "type %q", t)
}

func intKeyword(s map[string]any, key, path string) (int64, bool, error) {
	v, ok := s[key]
	if !ok {
		return 0, false, nil
	}
	num, ok := v.(json.Number)
	if !ok {
		return 0, false, fmt.Errorf("%s/%s: must be a number", path, key)
	}
	i, err := num.Int64()
	if err != nil || i < 0 {
		f, ferr := num.Float64()
		if ferr != nil || f != math.Trunc(f) || f < 0 {
			return 0, false, fmt.Errorf("%s/%s: must be a non-negative integer", path, key)
		}
		i = int64(min(f, math.MaxInt32))
	}
	return i, true, nil
}

func limits(s map[string]any, minKey, maxKey, path string, defMax int64) (int32, int32, error) {
	lo, _, err := intKeyword(s, minKey, path)
	if err != nil {
		return 0, 0, err
	}
	hi, hasHi, err := intKeyword(s, maxKey, path)
	if err != nil {
		return 0, 0, err
	}
	if !hasHi {
		hi = max(defMax, lo)
	}
	if lo > hi {
		return 0, 0, fmt.Errorf("%s: %s %d is above %s %d", path, minKey, lo, maxKey, hi)
	}
	if hi > 1<<20 {
		hi = 1 << 20
		lo = min(lo, hi)
	}
	return int32(lo), int32(hi), nil
}

func stringNode(s map[string]any, path string) (*node, error) {
	_, hasPat := s["pattern"]
	_, hasFmt := s["format"]
	if hasPat || hasFmt {
		if has(s, "minLength", "maxLength") {
			return nil, unsupported(path, "minLength/maxLength together with pattern or format")
		}
		if hasPat && hasFmt {
			return nil, unsupported(path, "pattern together with format")
		}
		var pat string
		if hasPat {
			p, ok := s["pattern"].(string)
			if !ok {
				return nil, fmt.Errorf("%s/pattern: must be a string", path)
			}
			pat = p
		} else {
			f, ok := s["format"].(string)
			if !ok {
				return nil, fmt.Errorf("%s/format: must be a string", path)
			}
			p, ok := formats[f]
			if !ok {
				return nil, unsupported(path, "format %q", f)
			}
			pat = p
		}
		body, err := patternNode(pat)
		if err != nil {
			return nil, fmt.Errorf("%s/pattern: %w", path, err)
		}
		return seq(lit(`"`), &node{kind: kBound, kids: []*node{body}, max: MaxPatternBytes}, lit(`"`)), nil
	}
	lo, hi, err := limits(s, "minLength", "maxLength", path, DefaultMaxString)
	if err != nil {
		return nil, err
	}
	return jsonString(lo, hi), nil
}

func (c *compiler) compileArray(s map[string]any, path string) (*node, error) {
	lo, hi, err := limits(s, "minItems", "maxItems", path, DefaultMaxItems)
	if err != nil {
		return nil, err
	}
	var prefix []*node
	if pv, ok := s["prefixItems"]; ok {
		list, ok := pv.([]any)
		if !ok {
			return nil, fmt.Errorf("%s/prefixItems: must be an array", path)
		}
		for i, it := range list {
			n, err := c.compile(it, fmt.Sprintf("%s/prefixItems/%d", path, i), nil)
			if err != nil {
				return nil, err
			}
			prefix = append(prefix, n)
		}
	}
	var item *node
	switch iv := s["items"].(type) {
	case nil:
		if _, ok := s["items"]; ok {
			return nil, fmt.Errorf("%s/items: must be a schema", path)
		}
		if len(prefix) > 0 {
			item = nil // only the prefix items are generated
		} else {
			item = freeValue(MaxFreeDepth - 1)
		}
	case []any:
		return nil, unsupported(path, "items as an array (use prefixItems)")
	default:
		item, err = c.compile(iv, path+"/items", nil)
		if err != nil {
			return nil, err
		}
	}
	if len(prefix) == 0 {
		return arrayNode(item, lo, hi), nil
	}
	// Tuple: the prefix items, then up to hi-len(prefix) more.
	if int(lo) > len(prefix) && item == nil {
		return nil, fmt.Errorf("%s: minItems %d needs more items than prefixItems gives", path, lo)
	}
	if int(hi) < len(prefix) {
		return nil, unsupported(path, "maxItems below the number of prefixItems")
	}
	parts := []*node{lit("["), ws}
	for i, p := range prefix {
		if i > 0 {
			parts = append(parts, lit(","), ws)
		}
		parts = append(parts, p)
	}
	if item != nil && int(hi) > len(prefix) {
		more := int32(len(prefix))
		parts = append(parts, rep(seq(lit(","), ws, item), max(lo-more, 0), hi-more, nil))
	}
	parts = append(parts, ws, lit("]"))
	return seq(parts...), nil
}

func (c *compiler) compileObjectType(s map[string]any, path string) (*node, error) {
	var required []string
	if rv, ok := s["required"]; ok {
		list, ok := rv.([]any)
		if !ok {
			return nil, fmt.Errorf("%s/required: must be an array", path)
		}
		for _, x := range list {
			str, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("%s/required: entries must be strings", path)
			}
			required = append(required, str)
		}
	}
	addl, hasAddl := s["additionalProperties"]
	props, hasProps := s["properties"]
	if !hasProps {
		if len(required) > 0 {
			return nil, unsupported(path, "required without properties")
		}
		switch a := addl.(type) {
		case nil:
			if hasAddl {
				return nil, fmt.Errorf("%s/additionalProperties: must be a boolean or a schema", path)
			}
			return freeObject(), nil
		case bool:
			if !a {
				return seq(lit("{"), ws, lit("}")), nil
			}
			return freeObject(), nil
		default:
			v, err := c.compile(a, path+"/additionalProperties", nil)
			if err != nil {
				return nil, err
			}
			return mapNode(v), nil
		}
	}
	if hasAddl {
		if _, ok := addl.(bool); !ok {
			return nil, unsupported(path, "additionalProperties as a schema next to properties")
		}
	}
	po, ok := props.(*obj)
	if !ok {
		return nil, fmt.Errorf("%s/properties: must be an object", path)
	}
	pm, order := po.m, po.keys
	isReq := map[string]bool{}
	for _, r := range required {
		if _, ok := pm[r]; !ok {
			return nil, unsupported(path, "required property %q is not in properties", r)
		}
		isReq[r] = true
	}
	var values []*node
	var reqs []bool
	for _, k := range order {
		v, err := c.compile(pm[k], path+"/properties/"+escapePointer(k), nil)
		if err != nil {
			return nil, err
		}
		values = append(values, v)
		reqs = append(reqs, isReq[k])
	}
	return fixedObject(order, values, reqs)
}

func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// enumNode is one of the listed values, written as compact JSON. Values
// that do not have one of types (when given) are left out.
func enumNode(values []any, types []string, path string) (*node, error) {
	var alts []*node
	seen := map[string]bool{}
	for _, v := range values {
		if types != nil && !valueHasType(v, types) {
			continue
		}
		b, err := marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if seen[string(b)] {
			continue
		}
		seen[string(b)] = true
		alts = append(alts, litBytes(b))
	}
	if len(alts) == 0 {
		return nil, fmt.Errorf("%s: no value matches the schema's type", path)
	}
	return alt(alts...), nil
}

func valueHasType(v any, types []string) bool {
	for _, t := range types {
		switch x := v.(type) {
		case nil:
			if t == "null" {
				return true
			}
		case bool:
			if t == "boolean" {
				return true
			}
		case string:
			if t == "string" {
				return true
			}
		case json.Number:
			if t == "number" {
				return true
			}
			if t == "integer" {
				if _, err := x.Int64(); err == nil {
					return true
				}
				if f, err := x.Float64(); err == nil && f == math.Trunc(f) {
					return true
				}
			}
		case []any:
			if t == "array" {
				return true
			}
		case *obj:
			if t == "object" {
				return true
			}
		}
	}
	return false
}

// compileRef resolves a local reference. Each reference compiles once; a
// reference met again while it compiles becomes a kRef node filled in
// afterwards, which is how recursive schemas work.
func (c *compiler) compileRef(ref, path string, pending []string) (*node, error) {
	for _, p := range pending {
		if p == ref {
			return nil, unsupported(path, "$ref %q refers to itself without any JSON in between", ref)
		}
	}
	if n, ok := c.refs[ref]; ok {
		return n, nil
	}
	target, err := c.resolve(ref)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	n := &node{kind: kRef}
	c.refs[ref] = n
	body, err := c.compile(target, ref, append(pending, ref))
	if err != nil {
		return nil, err
	}
	n.ref = body
	return n, nil
}

func (c *compiler) resolve(ref string) (any, error) {
	if ref == "#" {
		return c.doc, nil
	}
	if !strings.HasPrefix(ref, "#/") {
		return nil, unsupported("$ref", "only local references (#/...) are supported, not %q", ref)
	}
	cur := c.doc
	for _, part := range strings.Split(ref[2:], "/") {
		part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
		m, ok := cur.(*obj)
		if !ok {
			return nil, fmt.Errorf("$ref %q: no such schema", ref)
		}
		cur, ok = m.m[part]
		if !ok {
			return nil, fmt.Errorf("$ref %q: no such schema", ref)
		}
	}
	return cur, nil
}
