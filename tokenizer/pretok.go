package tokenizer

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// preTokenizer cuts normalized text into pieces; the model encodes each
// piece on its own. Pieces are appended to dst and are usually substrings
// of s.
type preTokenizer interface {
	split(s string, dst []string) []string
}

// Known split patterns, as they appear in tokenizer.json files.
const (
	patLlama3    = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	patQwen2     = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	patGPT2      = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
	patO200k     = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	patDigits3   = `\p{N}{1,3}`
	patDigits1   = `\p{N}`
	patDSCJK     = "[一-龥぀-ゟ゠-ヿ]+"
	patDSMain    = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"
	patDSMainEsc = `[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_` + "`" + `{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// knownPattern returns the hand-written scanner for a known pattern.
func knownPattern(p string) matchFunc {
	switch p {
	case patLlama3:
		return matchLlama3(3)
	case patQwen2:
		return matchLlama3(1)
	case patGPT2:
		return matchGPT2
	case patO200k:
		return matchO200k
	case patDigits3:
		return matchDigits(3)
	case patDigits1:
		return matchDigits(1)
	case patDSCJK:
		return matchDeepseekCJK
	case patDSMain, patDSMainEsc:
		return matchDeepseekMain
	}
	return nil
}

// finder locates the leftmost match at or after a position.
type finder interface {
	find(s string, from int) (int, int)
}

type scanFinder struct{ m matchFunc }

func (f scanFinder) find(s string, from int) (int, int) {
	for i := from; i < len(s); {
		if e := f.m(s, i); e > i {
			return i, e
		}
		if s[i] < utf8.RuneSelf {
			i++
		} else {
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
		}
	}
	return -1, -1
}

// literalFinder matches a fixed string.
type literalFinder struct{ lit string }

func (f literalFinder) find(s string, from int) (int, int) {
	if f.lit == "" {
		return -1, -1
	}
	k := strings.Index(s[from:], f.lit)
	if k < 0 {
		return -1, -1
	}
	return from + k, from + k + len(f.lit)
}

// regexFinder is the general fallback: the Oniguruma pattern translated to
// Go's RE2 syntax. A trailing \s+(?!\S) is emulated by giving back the last
// whitespace rune when a whitespace-only match is followed by a non-space.
type regexFinder struct {
	re        *regexp.Regexp
	lookahead bool // pattern had \s+(?!\S)
	nlAlt     bool // pattern had \s*[\r\n]+ before it
}

func (f regexFinder) find(s string, from int) (int, int) {
	for from <= len(s) {
		loc := f.re.FindStringIndex(s[from:])
		if loc == nil {
			return -1, -1
		}
		a, b := from+loc[0], from+loc[1]
		if a == b { // empty match: move on
			if a >= len(s) {
				return -1, -1
			}
			_, w := utf8.DecodeRuneInString(s[a:])
			from = a + w
			continue
		}
		if f.lookahead && b < len(s) {
			b = f.giveBack(s, a, b)
		}
		return a, b
	}
	return -1, -1
}

func (f regexFinder) giveBack(s string, a, b int) int {
	if r, _ := utf8.DecodeRuneInString(s[b:]); isWS(r) {
		return b
	}
	last, n := a, 0
	for i := a; i < b; {
		r, w := utf8.DecodeRuneInString(s[i:])
		if !isWS(r) {
			return b
		}
		last = i
		n++
		i += w
	}
	if n < 2 {
		return b
	}
	if f.nlAlt && (s[b-1] == '\n' || s[b-1] == '\r') {
		return b
	}
	return last
}

const wsClass = `\t\n\v\f\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}`

// translateRegex rewrites an Oniguruma pattern into RE2 syntax.
func translateRegex(p string) (regexFinder, error) {
	f := regexFinder{
		lookahead: strings.Contains(p, `\s+(?!\S)`),
		nlAlt:     strings.Contains(p, `\s*[\r\n]+`),
	}
	q := strings.ReplaceAll(p, `(?!\S)`, "")
	q = strings.ReplaceAll(q, "(?>", "(?:")
	var b strings.Builder
	inClass := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\\' && i+1 < len(q):
			n := q[i+1]
			i++
			switch n {
			case 's':
				if inClass {
					b.WriteString(wsClass)
				} else {
					b.WriteString("[" + wsClass + "]")
				}
			case 'S':
				if inClass {
					return f, fmt.Errorf("pattern %q: \\S inside a character class is not supported", p)
				}
				b.WriteString("[^" + wsClass + "]")
			default:
				b.WriteByte('\\')
				b.WriteByte(n)
			}
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			if i+1 < len(q) && q[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(q) && q[i+1] == ']' {
				b.WriteString(`\]`)
				i++
			}
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		return f, fmt.Errorf("pattern %q: %w", p, err)
	}
	f.re = re
	return f, nil
}

// runFinder finds matches of a pattern that is a run of one character
// class (\p{N}{1,3}, a set of CJK ranges): it skips, without decoding,
// every byte that cannot begin a character of the class.
type runFinder struct {
	m     matchFunc
	first *[256]bool
}

// newRunFinder marks the first bytes of every BMP character m matches
// alone, and every first byte of a four-byte character.
func newRunFinder(m matchFunc) runFinder {
	f := runFinder{m: m, first: new([256]bool)}
	for b := 0xF0; b <= 0xF4; b++ {
		f.first[b] = true
	}
	var buf [utf8.UTFMax]byte
	for r := rune(0); r < 0x10000; r++ {
		if r >= 0xD800 && r < 0xE000 {
			continue
		}
		n := utf8.EncodeRune(buf[:], r)
		if f.first[buf[0]] {
			continue
		}
		if c := string(buf[:n]); m(c, 0) == n {
			f.first[buf[0]] = true
		}
	}
	return f
}

func (f runFinder) find(s string, from int) (int, int) {
	for i := from; i < len(s); i++ {
		b := s[i]
		if !f.first[b] {
			continue // a byte no match starts with, or inside a character
		}
		if e := f.m(s, i); e > i {
			return i, e
		}
		if b >= utf8.RuneSelf {
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w - 1
		}
	}
	return -1, -1
}

var (
	runFindersMu sync.Mutex
	runFinders   = map[string]runFinder{}
)

// cachedRunFinder builds the run finder for a known pattern once.
func cachedRunFinder(pattern string, m matchFunc) runFinder {
	runFindersMu.Lock()
	defer runFindersMu.Unlock()
	f, ok := runFinders[pattern]
	if !ok {
		f = newRunFinder(m)
		runFinders[pattern] = f
	}
	return f
}

// newFinder picks a scanner for a regex pattern.
func newFinder(regex string) (finder, error) {
	switch regex {
	case patDigits3, patDigits1, patDSCJK:
		return cachedRunFinder(regex, knownPattern(regex)), nil
	}
	if m := knownPattern(regex); m != nil {
		return scanFinder{m}, nil
	}
	f, err := translateRegex(regex)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// split behaviours, as in Hugging Face tokenizers.
type splitBehavior int

const (
	bIsolated splitBehavior = iota
	bRemoved
	bMergedWithPrevious
	bMergedWithNext
	bContiguous
)

func parseBehavior(s string) (splitBehavior, error) {
	switch strings.ToLower(s) {
	case "isolated", "":
		return bIsolated, nil
	case "removed":
		return bRemoved, nil
	case "mergedwithprevious":
		return bMergedWithPrevious, nil
	case "mergedwithnext":
		return bMergedWithNext, nil
	case "contiguous":
		return bContiguous, nil
	}
	return 0, fmt.Errorf("unknown split behavior %q", s)
}

type splitPre struct {
	f        finder
	behavior splitBehavior
	invert   bool
}

func (p *splitPre) split(s string, dst []string) []string {
	if s == "" {
		return dst
	}
	if p.behavior == bIsolated {
		// Fast path: matches and gaps are all pieces, whatever invert says.
		pos := 0
		for pos < len(s) {
			a, b := p.f.find(s, pos)
			if a < 0 {
				break
			}
			if a > pos {
				dst = append(dst, s[pos:a])
			}
			dst = append(dst, s[a:b])
			pos = b
		}
		if pos < len(s) {
			dst = append(dst, s[pos:])
		}
		return dst
	}
	if p.behavior == bRemoved {
		// Keep the matches (invert) or the gaps between them.
		pos := 0
		for pos < len(s) {
			a, b := p.f.find(s, pos)
			if a < 0 {
				break
			}
			if p.invert {
				dst = append(dst, s[a:b])
			} else if a > pos {
				dst = append(dst, s[pos:a])
			}
			pos = b
		}
		if !p.invert && pos < len(s) {
			dst = append(dst, s[pos:])
		}
		return dst
	}
	// Other behaviours: walk the alternating gaps and matches, keeping
	// one pending span that a following span may still join.
	var pend span
	have := false
	emit := func(sp span) {
		switch p.behavior {
		case bMergedWithPrevious:
			if have && sp.delim && !pend.last {
				pend.b, pend.last = sp.b, true
				return
			}
		case bMergedWithNext:
			if have && pend.delim && !sp.delim {
				pend.b, pend.delim = sp.b, false
				return
			}
		case bContiguous:
			if have && sp.delim == pend.last {
				pend.b = sp.b
				return
			}
		}
		if have {
			dst = append(dst, s[pend.a:pend.b])
		}
		pend, have = sp, true
	}
	pos := 0
	for pos < len(s) {
		a, b := p.f.find(s, pos)
		if a < 0 {
			break
		}
		if a > pos {
			emit(newSpan(pos, a, p.invert))
		}
		emit(newSpan(a, b, !p.invert))
		pos = b
	}
	if pos < len(s) {
		emit(newSpan(pos, len(s), p.invert))
	}
	if have {
		dst = append(dst, s[pend.a:pend.b])
	}
	return dst
}

// span is a gap or match of a split: delim tells whether it is a lone
// delimiter, last whether it ends with one.
type span struct {
	a, b        int
	delim, last bool
}

func newSpan(a, b int, delim bool) span { return span{a, b, delim, delim} }

// seqPre applies pre-tokenizers in turn.
type seqPre struct {
	steps []preTokenizer
}

var seqPool = sync.Pool{New: func() any { return &[2][]string{} }}

func (p *seqPre) split(s string, dst []string) []string {
	bufs := seqPool.Get().(*[2][]string)
	cur := append(bufs[0][:0], s)
	next := bufs[1][:0]
	for _, st := range p.steps {
		next = next[:0]
		for _, piece := range cur {
			next = st.split(piece, next)
		}
		cur, next = next, cur
	}
	dst = append(dst, cur...)
	clear(cur)
	clear(next[:cap(next)])
	bufs[0], bufs[1] = cur[:0], next[:0]
	seqPool.Put(bufs)
	return dst
}

// byteLevelPre is the ByteLevel pre-tokenizer: the byte mapping itself is
// done by the model; here only the optional prefix space and GPT-2 split.
type byteLevelPre struct {
	addPrefixSpace bool
	useRegex       bool
}

var gpt2Split = &splitPre{f: scanFinder{matchGPT2}, behavior: bIsolated}

func (p *byteLevelPre) split(s string, dst []string) []string {
	if p.addPrefixSpace && !strings.HasPrefix(s, " ") {
		s = " " + s
	}
	if !p.useRegex {
		return append(dst, s)
	}
	return gpt2Split.split(s, dst)
}

// metaspacePre replaces spaces with the replacement rune and optionally
// prepends one.
type metaspacePre struct {
	replacement   string
	prependScheme string // always, first, never
	splitPieces   bool
}

func (p *metaspacePre) split(s string, dst []string) []string {
	s = strings.ReplaceAll(s, " ", p.replacement)
	if p.prependScheme != "never" && !strings.HasPrefix(s, p.replacement) {
		s = p.replacement + s
	}
	if !p.splitPieces {
		return append(dst, s)
	}
	return (&splitPre{f: literalFinder{p.replacement}, behavior: bMergedWithNext}).split(s, dst)
}

// whitespaceSplitPre splits on whitespace and drops it.
type whitespaceSplitPre struct{}

func (whitespaceSplitPre) split(s string, dst []string) []string {
	start := -1
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if isWS(r) {
			if start >= 0 {
				dst = append(dst, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
		i += w
	}
	if start >= 0 {
		dst = append(dst, s[start:])
	}
	return dst
}
