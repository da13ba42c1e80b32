package chat

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ardanlabs/jinja"
)

// tojsonFilter is the name the template's tojson filter is renamed to, so
// that the engine calls ours (see renameFilter).
const tojsonFilter = "nuri_tojson__"

// tojson mirrors the filter transformers installs for chat templates:
// json.dumps(x, ensure_ascii=False, indent=None, separators=None,
// sort_keys=False). Object keys keep their order unless sort_keys is set.
func tojson(args []jinja.Value, kwargs map[string]jinja.Value) (jinja.Value, error) {
	if len(args) == 0 {
		return jinja.Undefined(), fmt.Errorf("tojson: no value")
	}
	opts := jsonOpts{itemSep: ", ", keySep: ": "}
	// Positional arguments after the value follow the keyword order above.
	names := []string{"ensure_ascii", "indent", "separators", "sort_keys"}
	all := map[string]jinja.Value{}
	for i, a := range args[1:] {
		if i >= len(names) {
			return jinja.Undefined(), fmt.Errorf("tojson: too many arguments")
		}
		all[names[i]] = a
	}
	for k, v := range kwargs {
		all[k] = v
	}
	for k, v := range all {
		switch k {
		case "ensure_ascii":
			opts.ascii = v.IsTruthy()
		case "sort_keys":
			opts.sortKeys = v.IsTruthy()
		case "indent":
			switch {
			case v.IsNone() || v.IsUndefined():
			case v.IsInt():
				n := int(v.AsInt())
				if n < 0 {
					n = 0
				}
				opts.indent, opts.hasIndent = strings.Repeat(" ", n), true
			case v.IsString():
				opts.indent, opts.hasIndent = v.AsString(), true
			default:
				return jinja.Undefined(), fmt.Errorf("tojson: indent must be an integer or a string")
			}
		case "separators":
		default:
			return jinja.Undefined(), fmt.Errorf("tojson: unexpected argument %q", k)
		}
	}
	if opts.hasIndent {
		opts.itemSep = ","
	}
	if v, ok := all["separators"]; ok && !v.IsNone() && !v.IsUndefined() {
		if !v.IsList() || v.AsList().Len() != 2 || !v.AsList().Get(0).IsString() || !v.AsList().Get(1).IsString() {
			return jinja.Undefined(), fmt.Errorf("tojson: separators must be two strings")
		}
		opts.itemSep, opts.keySep = v.AsList().Get(0).AsString(), v.AsList().Get(1).AsString()
	}
	var b strings.Builder
	if err := opts.encode(&b, args[0], 0, 0); err != nil {
		return jinja.Undefined(), err
	}
	return jinja.NewString(b.String()), nil
}

type jsonOpts struct {
	ascii, sortKeys bool
	hasIndent       bool
	indent          string
	itemSep, keySep string
}

func (o *jsonOpts) newline(b *strings.Builder, level int) {
	if o.hasIndent {
		b.WriteByte('\n')
		for i := 0; i < level; i++ {
			b.WriteString(o.indent)
		}
	}
}

func (o *jsonOpts) encode(b *strings.Builder, v jinja.Value, level, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("tojson: value nested deeper than %d levels", maxDepth)
	}
	switch {
	case v.IsNone():
		b.WriteString("null")
	case v.IsBool():
		if v.AsBool() {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case v.IsInt():
		b.WriteString(strconv.FormatInt(v.AsInt(), 10))
	case v.IsFloat():
		b.WriteString(pyFloat(v.AsFloat()))
	case v.IsString():
		o.str(b, v.AsString())
	case v.IsList():
		items := v.AsList().Items
		if len(items) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		for i, it := range items {
			if i > 0 {
				b.WriteString(o.itemSep)
			}
			o.newline(b, level+1)
			if err := o.encode(b, it, level+1, depth+1); err != nil {
				return err
			}
		}
		o.newline(b, level)
		b.WriteByte(']')
	case v.IsDict():
		d := v.AsDict()
		keys := d.OrderedKeys()
		if len(keys) == 0 {
			b.WriteString("{}")
			return nil
		}
		if o.sortKeys {
			sort.Strings(keys)
		}
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(o.itemSep)
			}
			o.newline(b, level+1)
			o.str(b, k)
			b.WriteString(o.keySep)
			val, _ := d.Get(k)
			if err := o.encode(b, val, level+1, depth+1); err != nil {
				return err
			}
		}
		o.newline(b, level)
		b.WriteByte('}')
	case v.IsUndefined():
		return fmt.Errorf("tojson: the value is undefined")
	default:
		return fmt.Errorf("tojson: cannot serialize %s", v.String())
	}
	return nil
}

// str writes s as json.dumps does: only quote, backslash and control
// characters are escaped, plus everything past ASCII when ascii is set.
func (o *jsonOpts) str(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || (o.ascii && r > 0x7e):
			if r > 0xffff {
				r -= 0x10000
				hi, lo := 0xd800+(r>>10), 0xdc00+(r&0x3ff)
				for _, u := range []rune{hi, lo} {
					b.WriteString(`\u`)
					b.WriteByte(hex[u>>12&0xf])
					b.WriteByte(hex[u>>8&0xf])
					b.WriteByte(hex[u>>4&0xf])
					b.WriteByte(hex[u&0xf])
				}
				continue
			}
			b.WriteString(`\u`)
			b.WriteByte(hex[r>>12&0xf])
			b.WriteByte(hex[r>>8&0xf])
			b.WriteByte(hex[r>>4&0xf])
			b.WriteByte(hex[r&0xf])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// pyFloat formats f like Python's repr(float): the shortest digits that
// round-trip, positional between 1e-4 and 1e16 (always with a fraction),
// scientific with a signed two-digit exponent outside that range.
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // like -1.2345e+06
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	if exp < -4 || exp >= 16 {
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		return fmt.Sprintf("%se%s%02d", mant, sign, exp)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// renameFilter rewrites every use of filter old inside the template's tags
// ({{ }} and {% %}) to new, leaving text, comments, raw blocks and string
// literals alone. The engine resolves filters it does not know from the
// render variables, which is how a faithful tojson gets in.
func renameFilter(src, old, new string) string {
	var b strings.Builder
	i := 0
	for i < len(src) {
		open := strings.Index(src[i:], "{")
		if open < 0 || i+open+1 >= len(src) {
			b.WriteString(src[i:])
			break
		}
		open += i
		kind := src[open+1]
		if kind != '{' && kind != '%' && kind != '#' {
			b.WriteString(src[i : open+1])
			i = open + 1
			continue
		}
		b.WriteString(src[i:open])
		if kind == '#' {
			end := strings.Index(src[open:], "#}")
			if end < 0 {
				b.WriteString(src[open:])
				break
			}
			b.WriteString(src[open : open+end+2])
			i = open + end + 2
			continue
		}
		closer := "}}"
		if kind == '%' {
			closer = "%}"
		}
		end := tagEnd(src, open+2, closer)
		tag := src[open:end]
		if kind == '%' && isRawOpen(tag) {
			stop := rawEnd.FindStringIndex(src[end:])
			if stop == nil {
				b.WriteString(src[open:])
				break
			}
			b.WriteString(src[open : end+stop[1]])
			i = end + stop[1]
			continue
		}
		b.WriteString(renameInTag(tag, old, new))
		i = end
	}
	return b.String()
}

// tagEnd returns the index just past the closer of a tag whose body starts
// at from, skipping string literals; len(src) if it is never closed.
func tagEnd(src string, from int, closer string) int {
	for j := from; j < len(src); j++ {
		c := src[j]
		if c == '\'' || c == '"' {
			k := j + 1
			for k < len(src) && src[k] != c {
				if src[k] == '\\' {
					k++
				}
				k++
			}
			j = k
			continue
		}
		if strings.HasPrefix(src[j:], closer) {
			return j + len(closer)
		}
	}
	return len(src)
}

// renameInTag renames "| old" filter uses outside string literals.
func renameInTag(tag, old, new string) string {
	var b strings.Builder
	for j := 0; j < len(tag); j++ {
		c := tag[j]
		if c == '\'' || c == '"' {
			k := j + 1
			for k < len(tag) && tag[k] != c {
				if tag[k] == '\\' {
					k++
				}
				k++
			}
			if k >= len(tag) {
				k = len(tag) - 1
			}
			b.WriteString(tag[j : k+1])
			j = k
			continue
		}
		b.WriteByte(c)
		if c != '|' {
			continue
		}
		k := j + 1
		for k < len(tag) && (tag[k] == ' ' || tag[k] == '\t' || tag[k] == '\n' || tag[k] == '\r') {
			k++
		}
		if strings.HasPrefix(tag[k:], old) && (k+len(old) == len(tag) || !isIdent(tag[k+len(old)])) {
			b.WriteString(tag[j+1 : k])
			b.WriteString(new)
			j = k + len(old) - 1
		}
	}
	return b.String()
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

var (
	rawOpen = regexp.MustCompile(`^\{%-?\s*raw\s*-?%\}$`)
	rawEnd  = regexp.MustCompile(`\{%-?\s*endraw\s*-?%\}`)
)

func isRawOpen(tag string) bool { return rawOpen.MatchString(tag) }
