package tokenizer

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// TestNFCStable checks the NFC shortcut: a rune marked inert must keep any
// NFC text before it in NFC, and nfcStable must never claim non-NFC text.
func TestNFCStable(t *testing.T) {
	prevs := []string{"", "e", "가", "ᄀ", "\u0301", "a\u0308", " ", "Å"}
	checked := 0
	for r := rune(0x80); r < nfcInertLimit; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		c := string(r)
		if !nfcStable(c) {
			continue
		}
		checked++
		for _, p := range prevs {
			if s := p + c; !norm.NFC.IsNormalString(s) && nfcStable(s) {
				t.Fatalf("nfcStable(%+q) = true, but the text is not in NFC", s)
			}
			if s := p + c; norm.NFC.IsNormalString(p) && !norm.NFC.IsNormalString(s) {
				t.Fatalf("rune %U is marked inert but changes %+q", r, s)
			}
		}
	}
	if checked < 80000 {
		t.Fatalf("only %d runes are inert; the table looks wrong", checked)
	}
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"", true},
		{"hello", true},
		{"오늘은 날씨", true},
		{"e\u0301", false},      // combining acute composes
		{"\u212B", false},       // ANGSTROM SIGN becomes Å
		{"\uF900", false},       // CJK compatibility ideograph
		{"\u1100\u1161", false}, // conjoining jamo compose
		{"\xff", false},         // invalid UTF-8 goes the slow way
		{"😀👍🏽", true},
		{"\U0001D15E", false}, // musical half note decomposes
		{"\U00020000", false}, // beyond plane 1: the slow way
	} {
		if got := nfcStable(c.in); got != c.want {
			t.Errorf("nfcStable(%+q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestPrependReplace(t *testing.T) {
	cases := []struct{ prefix, s, old, new string }{
		{"▁", "a b  c", " ", "▁"},
		{"▁", " lead", " ", "▁"},
		{"▁", "none", " ", "▁"},
		{"xa", "bab", "ab", "_"}, // a match across the join
		{"ab", "ab", "ab", "+"},  // a match inside the prefix
		{"p", "aaaa", "aa", "b"}, // non-overlapping, left to right
		{"▁", "x", "▁", "▁▁"},    // the prefix itself matches
	}
	for _, c := range cases {
		want := strings.ReplaceAll(c.prefix+c.s, c.old, c.new)
		if got := prependReplace(c.prefix, c.s, c.old, c.new); got != want {
			t.Errorf("prependReplace(%q, %q, %q, %q) = %q, want %q", c.prefix, c.s, c.old, c.new, got, want)
		}
	}
}
