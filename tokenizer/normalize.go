package tokenizer

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// normalizer rewrites text before pre-tokenization.
type normalizer interface {
	normalize(s string) string
}

type seqNorm []normalizer

func (n seqNorm) normalize(s string) string {
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
	if n.form == norm.NFC || n.form == norm.NFKC {
		// Fast path: ASCII is already in every normal form.
		ascii := true
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				ascii = false
				break
			}
		}
		if ascii {
			return s
		}
	}
	return n.form.String(s)
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
