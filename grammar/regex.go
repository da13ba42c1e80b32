package grammar

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Patterns. A JSON schema pattern is matched against the decoded string
// and, unless anchored with ^ and $, anywhere in it; the grammar always
// writes a string that the pattern matches as a whole. Supported: literals,
// classes (\d, \w, \s, [...], \p{...}), ., alternation, groups, ?, *, +,
// {n,m}, and ^/$ at the very start and end. Not supported: lookaround,
// backreferences, \b, anchors elsewhere, and repeating a part that can
// match nothing. The generated text writes '"', '\' and control
// characters as JSON escapes; other characters are written as they are.
// A pattern string holds at most MaxPatternBytes bytes of JSON text.

// formats maps the supported string formats to anchored patterns whose
// every match is a valid value of the format (dates never use February
// 29, emails stay within the common dot-atom form).
var formats = map[string]string{
	"date":      `^` + datePat + `$`,
	"time":      `^` + timePat + `$`,
	"date-time": `^` + datePat + `T` + timePat + `$`,
	"uuid":      `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`,
	"email":     `^[A-Za-z0-9_%+-]{1,16}(\.[A-Za-z0-9_%+-]{1,15}){0,3}@` + label + `(\.` + label + `){0,3}\.[A-Za-z]{2,10}$`,
	"ipv4":      `^(` + octet + `\.){3}` + octet + `$`,
}

const (
	datePat = `[0-9]{4}-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)`
	timePat = `([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])`
	label   = `[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?`
	octet   = `(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])`
)

// patternNode compiles a pattern into a node for the JSON text between the
// quotes of a matching string.
func patternNode(pat string) (*node, error) {
	re, err := syntax.Parse(pat, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %v: %w", pat, err, ErrUnsupported)
	}
	var parts []*syntax.Regexp
	if re.Op == syntax.OpConcat {
		parts = re.Sub
	} else {
		parts = []*syntax.Regexp{re}
	}
	if len(parts) > 0 && isBegin(parts[0]) {
		parts = parts[1:]
	}
	if len(parts) > 0 && isEnd(parts[len(parts)-1]) {
		parts = parts[:len(parts)-1]
	}
	// Without anchors a pattern may match anywhere in the string; the
	// grammar still writes a string that is exactly one match, which also
	// satisfies the unanchored search and keeps masks tight.
	var nodes []*node
	for _, p := range parts {
		n, err := regexNode(p)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", pat, err)
		}
		nodes = append(nodes, n)
	}
	body := seq(nodes...)
	fillMinLen(body)
	return body, nil
}

func isBegin(re *syntax.Regexp) bool {
	return re.Op == syntax.OpBeginText || re.Op == syntax.OpBeginLine
}

func isEnd(re *syntax.Regexp) bool {
	return re.Op == syntax.OpEndText || re.Op == syntax.OpEndLine
}

func regexNode(re *syntax.Regexp) (*node, error) {
	switch re.Op {
	case syntax.OpEmptyMatch:
		return seq(), nil
	case syntax.OpLiteral:
		var kids []*node
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 {
				var rs []runeRange
				for f := unicode.SimpleFold(r); ; f = unicode.SimpleFold(f) {
					rs = append(rs, runeRange{f, f})
					if f == r {
						break
					}
				}
				kids = append(kids, classNode(rs))
				continue
			}
			kids = append(kids, classNode([]runeRange{{r, r}}))
		}
		return seq(kids...), nil
	case syntax.OpCharClass:
		var rs []runeRange
		for i := 0; i+1 < len(re.Rune); i += 2 {
			rs = append(rs, runeRange{re.Rune[i], re.Rune[i+1]})
		}
		if len(rs) == 0 {
			return nil, fmt.Errorf("an empty class matches nothing: %w", ErrUnsupported)
		}
		return classNode(rs), nil
	case syntax.OpAnyCharNotNL:
		return classNode([]runeRange{{0, '\n' - 1}, {'\n' + 1, utf8.MaxRune}}), nil
	case syntax.OpAnyChar:
		return classNode([]runeRange{{0, utf8.MaxRune}}), nil
	case syntax.OpCapture:
		return regexNode(re.Sub[0])
	case syntax.OpConcat, syntax.OpAlternate:
		var kids []*node
		for _, s := range re.Sub {
			k, err := regexNode(s)
			if err != nil {
				return nil, err
			}
			kids = append(kids, k)
		}
		if re.Op == syntax.OpConcat {
			return seq(kids...), nil
		}
		return alt(kids...), nil
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		k, err := regexNode(re.Sub[0])
		if err != nil {
			return nil, err
		}
		lo, hi := 0, -1
		switch re.Op {
		case syntax.OpPlus:
			lo = 1
		case syntax.OpQuest:
			hi = 1
		case syntax.OpRepeat:
			lo, hi = re.Min, re.Max
		}
		if hi < 0 && nullable(k, 0) {
			return nil, fmt.Errorf("repeating %q, which can match nothing: %w", re.Sub[0].String(), ErrUnsupported)
		}
		if hi == 0 {
			return seq(), nil
		}
		return rep(k, int32(lo), int32(hi), nil), nil
	case syntax.OpNoMatch:
		return nil, fmt.Errorf("the pattern matches nothing: %w", ErrUnsupported)
	}
	return nil, fmt.Errorf("%q (anchors only at the very start and end; no \\b): %w", re.String(), ErrUnsupported)
}

// nullable reports whether n can match the empty string.
func nullable(n *node, depth int) bool {
	if depth > 100 {
		return true
	}
	switch n.kind {
	case kSeq:
		for _, k := range n.kids {
			if !nullable(k, depth+1) {
				return false
			}
		}
		return true
	case kAlt:
		for _, k := range n.kids {
			if nullable(k, depth+1) {
				return true
			}
		}
		return false
	case kRep:
		return n.min == 0 || nullable(n.kids[0], depth+1)
	case kLit:
		return len(n.lit) == 0
	}
	return false
}

// classNode is one character from rs, written as JSON string text: the
// characters that need it as escapes.
func classNode(rs []runeRange) *node {
	rs = normRanges(rs)
	var plain []runeRange
	var escaped []*node
	for _, r := range rs {
		lo := r.lo
		for c := r.lo; c <= min(r.hi, 0x5C); c++ {
			if c < 0x20 || c == '"' || c == '\\' {
				if c > lo {
					plain = append(plain, runeRange{lo, c - 1})
				}
				escaped = append(escaped, lit(jsonEscape(c)))
				lo = c + 1
			}
		}
		if lo <= r.hi {
			plain = append(plain, runeRange{lo, r.hi})
		}
	}
	var kids []*node
	if len(plain) > 0 {
		kids = append(kids, runes(plain))
	}
	return alt(append(kids, escaped...)...)
}

func jsonEscape(c rune) string {
	switch c {
	case '"':
		return `\"`
	case '\\':
		return `\\`
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	}
	return fmt.Sprintf(`\u%04x`, c)
}

// Integer and number bounds.

var maxMagnitude = int64(math.Pow10(MaxIntDigits)) - 1

// bound reads a numeric keyword: its value, whether it is there.
func bound(s map[string]any, key, path string) (float64, bool, error) {
	v, ok := s[key]
	if !ok {
		return 0, false, nil
	}
	num, ok := v.(json.Number)
	if !ok {
		return 0, false, unsupported(path, "%s that is not a number", key)
	}
	f, err := num.Float64()
	if err != nil {
		return 0, false, fmt.Errorf("%s/%s: %w", path, key, err)
	}
	return f, true, nil
}

// integerRange is an integer within the schema's minimum/maximum.
func integerRange(s map[string]any, path string) (*node, error) {
	if !has(s, keywordsFor["number"]...) {
		return integerNode(), nil
	}
	lo, hi := -maxMagnitude, maxMagnitude
	for _, k := range []string{"minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"} {
		f, ok, err := bound(s, k, path)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		f = math.Max(math.Min(f, float64(maxMagnitude)+1), -float64(maxMagnitude)-1)
		switch k {
		case "minimum":
			lo = max(lo, int64(math.Ceil(f)))
		case "exclusiveMinimum":
			lo = max(lo, int64(math.Floor(f))+1)
		case "maximum":
			hi = min(hi, int64(math.Floor(f)))
		case "exclusiveMaximum":
			hi = min(hi, int64(math.Ceil(f))-1)
		}
	}
	if lo > hi {
		return nil, fmt.Errorf("%s: no integer lies within minimum/maximum", path)
	}
	var alts []*node
	if lo < 0 {
		alts = append(alts, seq(lit("-"), natRange(max(1, -hi), -lo)))
	}
	if hi >= 0 {
		alts = append(alts, natRange(max(lo, 0), hi))
	}
	return alt(alts...), nil
}

// numberRange is a number within the schema's bounds; only integer,
// non-negative inclusive bounds are supported.
func numberRange(s map[string]any, path string) (*node, error) {
	if has(s, "exclusiveMinimum", "exclusiveMaximum") {
		return nil, unsupported(path, "exclusiveMinimum/exclusiveMaximum on a number")
	}
	lo, hi := int64(0), maxMagnitude
	hasLo, hasHi := false, false
	for _, k := range []string{"minimum", "maximum"} {
		f, ok, err := bound(s, k, path)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if f != math.Trunc(f) || f < 0 || f > float64(maxMagnitude) {
			return nil, unsupported(path, "%s %v on a number (only whole, non-negative bounds)", k, f)
		}
		if k == "minimum" {
			lo, hasLo = int64(f), true
		} else {
			hi, hasHi = int64(f), true
		}
	}
	if !hasLo {
		return nil, unsupported(path, "maximum on a number without a non-negative minimum")
	}
	if lo > hi {
		return nil, fmt.Errorf("%s: minimum is above maximum", path)
	}
	frac := opt(seq(lit("."), rep(digit, 1, MaxFracDigits, nil)))
	if !hasHi {
		return seq(natRange(lo, hi), frac), nil
	}
	top := lit(strconv.FormatInt(hi, 10))
	if lo == hi {
		return top, nil
	}
	return alt(seq(natRange(lo, hi-1), frac), top), nil
}

// natRange is a decimal integer in [a, b], 0 <= a <= b, without leading
// zeros.
func natRange(a, b int64) *node {
	var alts []*node
	for l := len(strconv.FormatInt(a, 10)); l <= len(strconv.FormatInt(b, 10)); l++ {
		first, last := int64(math.Pow10(l-1)), int64(math.Pow10(l))-1
		if l == 1 {
			first = 0
		}
		lo, hi := max(a, first), min(b, last)
		if lo > hi {
			continue
		}
		alts = append(alts, sameLength(strconv.FormatInt(lo, 10), strconv.FormatInt(hi, 10)))
	}
	return alt(alts...)
}

// sameLength matches the decimal strings from lo to hi, both of one length.
func sameLength(lo, hi string) *node {
	if len(lo) == 1 {
		return byteRange(lo[0], hi[0])
	}
	rest := len(lo) - 1
	if strings.Trim(lo[1:], "0") == "" && strings.Trim(hi[1:], "9") == "" {
		return seq(byteRange(lo[0], hi[0]), rep(digit, int32(rest), int32(rest), nil))
	}
	if lo[0] == hi[0] {
		return seq(lit(lo[:1]), sameLength(lo[1:], hi[1:]))
	}
	nines, zeros := strings.Repeat("9", rest), strings.Repeat("0", rest)
	alts := []*node{seq(lit(lo[:1]), sameLength(lo[1:], nines))}
	if lo[0]+1 <= hi[0]-1 {
		alts = append(alts, seq(byteRange(lo[0]+1, hi[0]-1), rep(digit, int32(rest), int32(rest), nil)))
	}
	alts = append(alts, seq(lit(hi[:1]), sameLength(zeros, hi[1:])))
	return alt(alts...)
}

// minLen is the fewest bytes n matches (pattern nodes: no references).
func minLen(n *node) int32 {
	if n == nil {
		return 0
	}
	if n.minKnown {
		return n.minBytes
	}
	var m int32
	switch n.kind {
	case kLit:
		m = int32(len(n.lit))
	case kBytes:
		m = 1
	case kRunes:
		m = int32(utf8.RuneLen(n.ranges[0].lo))
	case kSeq:
		for _, k := range n.kids {
			m += minLen(k)
		}
	case kAlt:
		m = math.MaxInt32 / 4
		for _, k := range n.kids {
			m = min(m, minLen(k))
		}
	case kRep:
		if n.min > 0 {
			m = n.min*minLen(n.kids[0]) + (n.min-1)*minLen(n.sep)
		}
	}
	n.minBytes, n.minKnown = m, true
	return m
}

// fillMinLen computes minLen for every node under n, so that matching
// only reads it (constraints run concurrently).
func fillMinLen(n *node) {
	if n == nil || n.minKnown {
		return
	}
	for _, k := range n.kids {
		fillMinLen(k)
	}
	fillMinLen(n.sep)
	minLen(n)
}

// boundRest is the fewest bytes that still complete the kBound the top of
// s is in.
func boundRest(s *stack) int32 {
	var r int32
	for ; s != nil; s = s.up {
		f := s.f
		switch n := f.n; n.kind {
		case kBound:
			return r
		case kLit:
			r += int32(len(n.lit)) - f.i
		case kBytes:
			r++
		case kRunes:
			if f.i == 0 {
				r += minLen(n)
			} else {
				r += f.aux>>24 - f.i
			}
		case kSeq:
			for _, k := range n.kids[f.i:] {
				r += minLen(k)
			}
		case kRep:
			if f.i < n.min {
				r += (n.min - f.i) * (minLen(n.kids[0]) + minLen(n.sep))
			}
		default:
			r += minLen(n)
		}
	}
	return r
}
