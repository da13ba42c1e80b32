package grammar

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

func lit(s string) *node { return &node{kind: kLit, lit: []byte(s)} }

func litBytes(b []byte) *node { return &node{kind: kLit, lit: bytes.Clone(b)} }

func seq(kids ...*node) *node {
	var flat []*node
	for _, k := range kids {
		if k == nil {
			continue
		}
		if k.kind == kSeq {
			flat = append(flat, k.kids...)
			continue
		}
		flat = append(flat, k)
	}
	if len(flat) == 1 {
		return flat[0]
	}
	return &node{kind: kSeq, kids: flat}
}

func alt(kids ...*node) *node {
	if len(kids) == 1 {
		return kids[0]
	}
	return &node{kind: kAlt, kids: kids}
}

func rep(kid *node, lo, hi int32, sep *node) *node {
	return &node{kind: kRep, kids: []*node{kid}, min: lo, max: hi, sep: sep}
}

func opt(kid *node) *node { return rep(kid, 0, 1, nil) }

func byteRange(lo, hi byte) *node {
	n := &node{kind: kBytes}
	n.set.add(lo, hi)
	return n
}

func jsonString(minLen, maxLen int32) *node {
	return &node{kind: kStr, min: minLen, max: maxLen}
}

// runes is one character from ranges (normalised: sorted, merged, without
// surrogates).
func runes(rs []runeRange) *node {
	return &node{kind: kRunes, ranges: normRanges(rs)}
}

func normRanges(rs []runeRange) []runeRange {
	var cut []runeRange
	for _, r := range rs {
		if r.lo > r.hi {
			continue
		}
		r.hi = min(r.hi, utf8.MaxRune)
		// Surrogates are not characters.
		if r.lo <= 0xDFFF && r.hi >= 0xD800 {
			if r.lo < 0xD800 {
				cut = append(cut, runeRange{r.lo, 0xD7FF})
			}
			if r.hi > 0xDFFF {
				cut = append(cut, runeRange{0xE000, r.hi})
			}
			continue
		}
		cut = append(cut, r)
	}
	sortRanges(cut)
	var out []runeRange
	for _, r := range cut {
		if k := len(out); k > 0 && r.lo <= out[k-1].hi+1 {
			out[k-1].hi = max(out[k-1].hi, r.hi)
			continue
		}
		out = append(out, r)
	}
	return out
}

func sortRanges(rs []runeRange) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].lo < rs[j-1].lo; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

var (
	ws      = opt(lit(" "))
	digit   = byteRange('0', '9')
	digit19 = byteRange('1', '9')
	nullN   = lit("null")
	boolN   = alt(lit("true"), lit("false"))
)

// integerNode is -?(0|[1-9][0-9]{0,14}).
func integerNode() *node {
	return seq(opt(lit("-")), alt(lit("0"), seq(digit19, rep(digit, 0, MaxIntDigits-1, nil))))
}

// numberNode is an integer with an optional fraction of up to 15 digits.
func numberNode() *node {
	return seq(integerNode(), opt(seq(lit("."), rep(digit, 1, MaxFracDigits, nil))))
}

// arrayNode is [ item, ... ] with lo..hi items.
func arrayNode(item *node, lo, hi int32) *node {
	if hi == 0 {
		return seq(lit("["), ws, lit("]"))
	}
	return seq(lit("["), ws, rep(item, lo, hi, seq(lit(","), ws)), ws, lit("]"))
}

// mapNode is an object whose keys are free strings and whose values match
// value.
func mapNode(value *node) *node {
	entry := seq(jsonString(0, MaxKeyLength), lit(":"), ws, value)
	return seq(lit("{"), ws, rep(entry, 0, MaxMembers, seq(lit(","), ws)), ws, lit("}"))
}

// freeValue returns a node for any JSON value nested at most depth levels.
func freeValue(depth int) *node {
	scalars := []*node{jsonString(0, DefaultMaxString), numberNode(), boolN, nullN}
	if depth <= 0 {
		return alt(scalars...)
	}
	inner := freeValue(depth - 1)
	return alt(append([]*node{mapNode(inner), arrayNode(inner, 0, DefaultMaxItems)}, scalars...)...)
}

// freeObject is any JSON object nested at most MaxFreeDepth levels.
func freeObject() *node { return mapNode(freeValue(MaxFreeDepth - 1)) }

// marshal writes v as compact JSON without HTML escaping.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// fixedObject is an object with the given properties, in order; optional
// ones may be left out.
func fixedObject(keys []string, values []*node, required []bool) (*node, error) {
	o := &node{kind: kObject, closing: seq(ws, lit("}"))}
	for i, k := range keys {
		kb, err := marshal(k)
		if err != nil {
			return nil, err
		}
		key := litBytes(append(kb, ':'))
		o.props = append(o.props, objProp{
			first:    seq(key, ws, values[i]),
			next:     seq(lit(","), ws, key, ws, values[i]),
			required: required[i],
		})
	}
	return seq(lit("{"), ws, o), nil
}
