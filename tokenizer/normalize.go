package tokenizer

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// normalizer rewrites text before pre-tokenization.
type normalizer interface {
	normalize(s string) string
}

type seqNorm []normalizer

func (n seqNorm) normalize(s string) string {
	if len(n) == 2 {
		// Prepend then replace a literal (SentencePiece's "▁" handling):
		// build the result in one pass.
		if p, ok := n[0].(prependNorm); ok {
			if r, ok := n[1].(replaceNorm); ok && r.re == nil && r.lit != "" && s != "" {
				return prependReplace(p.prefix, s, r.lit, r.content)
			}
		}
	}
	for _, x := range n {
		s = x.normalize(s)
	}
	return s
}

type prependNorm struct{ prefix string }

func (n prependNorm) normalize(s string) string {
	if s == "" {
		return s
	}
	return n.prefix + s
}

// prependReplace is ReplaceAll(prefix+s, old, new) with one allocation.
func prependReplace(prefix, s, old, new string) string {
	if strings.Contains(prefix, old) || spansJoin(prefix, s, old) {
		return strings.ReplaceAll(prefix+s, old, new)
	}
	n := strings.Count(s, old)
	var b strings.Builder
	b.Grow(len(prefix) + len(s) + n*(len(new)-len(old)))
	b.WriteString(prefix)
	for n > 0 {
		k := strings.Index(s, old)
		b.WriteString(s[:k])
		b.WriteString(new)
		s = s[k+len(old):]
		n--
	}
	b.WriteString(s)
	return b.String()
}

// spansJoin reports whether old occurs in a+b across the join.
func spansJoin(a, b, old string) bool {
	for k := 1; k < len(old); k++ {
		if strings.HasSuffix(a, old[:k]) && strings.HasPrefix(b, old[k:]) {
			return true
		}
	}
	return false
}

type replaceNorm struct {
	lit     string
	re      *regexp.Regexp
	content string
}

func (n replaceNorm) normalize(s string) string {
	if n.re != nil {
		return n.re.ReplaceAllLiteralString(s, n.content)
	}
	if n.lit == "" {
		return s
	}
	return strings.ReplaceAll(s, n.lit, n.content)
}

type unicodeNorm struct{ form norm.Form }

func (n unicodeNorm) normalize(s string) string {
	if n.form == norm.NFC && nfcStable(s) {
		return s
	}
	if n.form == norm.NFKC && isASCII(s) {
		return s
	}
	return n.form.String(s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

var (
	nfcOnce sync.Once
	// nfcInert has bit r set for each rune below nfcInertLimit (the BMP and
	// plane 1, where emoji live) that NFC leaves alone and
	// that never combines with or reorders against the rune before it.
	// Text made only of such runes is already in NFC.
	nfcInert []uint64
)

const nfcInertLimit = 0x20000

func initNFCInert() {
	nfcInert = make([]uint64, nfcInertLimit/64)
	var buf [utf8.UTFMax]byte
	for r := rune(0); r < nfcInertLimit; r++ {
		if r >= 0xD800 && r < 0xE000 {
			continue
		}
		c := string(buf[:utf8.EncodeRune(buf[:], r)])
		if norm.NFC.PropertiesString(c).BoundaryBefore() && norm.NFC.IsNormalString(c) {
			nfcInert[r/64] |= 1 << (r % 64)
		}
	}
}

// nfcStable reports whether s is known to be in NFC without running the
// normalizer (false means: normalize to find out).
func nfcStable(s string) bool {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	if i == len(s) {
		return true
	}
	nfcOnce.Do(initNFCInert)
	for i < len(s) {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if r >= nfcInertLimit || r == utf8.RuneError || nfcInert[r/64]&(1<<(r%64)) == 0 {
			return false
		}
		i += w
	}
	return true
}

type lowercaseNorm struct{}

func (lowercaseNorm) normalize(s string) string { return strings.ToLower(s) }

type stripNorm struct{ left, right bool }

func (n stripNorm) normalize(s string) string {
	if n.left {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
	}
	if n.right {
		s = strings.TrimRightFunc(s, unicode.IsSpace)
	}
	return s
}

type stripAccentsNorm struct{}

func (stripAccentsNorm) normalize(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.M, r) {
			return -1
		}
		return r
	}, s)
}

// pattern is the {"String": ...} or {"Regex": ...} object of tokenizer.json.
type pattern struct {
	String *string `json:"String"`
	Regex  *string `json:"Regex"`
}

func compileReplace(p pattern, content string) (normalizer, error) {
	switch {
	case p.String != nil:
		return replaceNorm{lit: *p.String, content: content}, nil
	case p.Regex != nil:
		f, err := translateRegex(*p.Regex)
		if err != nil {
			return nil, err
		}
		return replaceNorm{re: f.re, content: content}, nil
	}
	return nil, fmt.Errorf("replace: pattern has neither String nor Regex")
}
