package tokenizer

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestScanners(t *testing.T) {
	cases := []struct {
		pattern, in string
		want        []string
	}{
		{patLlama3, "Hello world's 12345", []string{"Hello", " world", "'s", " ", "123", "45"}},
		{patLlama3, "a  \n\n b", []string{"a", "  \n\n", " b"}},
		{patLlama3, "x\u00a0\u00a0y", []string{"x", "\u00a0", "\u00a0y"}},
		{patLlama3, "x\ufeffy", []string{"x", "\ufeffy"}},
		{patQwen2, "ab 123", []string{"ab", " ", "1", "2", "3"}},
		{patGPT2, "I'm  fine", []string{"I", "'m", " ", " fine"}},
		{patO200k, "HelloWorld DON'T", []string{"Hello", "World", " DON'T"}},
		{patDSMain, "foo.bar 한국어", []string{"foo", ".bar", " 한국어"}},
		{"[abc]+", "xxabcx", []string{"xx", "abc", "x"}}, // regex fallback
	}
	for _, c := range cases {
		f, err := newFinder(c.pattern)
		if err != nil {
			t.Fatal(err)
		}
		got := (&splitPre{f: f, behavior: bIsolated}).split(c.in, nil)
		if !slices.Equal(got, c.want) {
			t.Errorf("%.20q on %q: got %q want %q", c.pattern, c.in, got, c.want)
		}
	}
}

func TestSplitBehaviors(t *testing.T) {
	cases := []struct {
		b    splitBehavior
		want []string
	}{
		{bIsolated, []string{"a", "-", "b", "-", "-", "c"}},
		{bRemoved, []string{"a", "b", "c"}},
		{bMergedWithPrevious, []string{"a-", "b-", "-", "c"}},
		{bMergedWithNext, []string{"a", "-b", "-", "-c"}},
		{bContiguous, []string{"a", "-", "b", "--", "c"}},
	}
	for _, c := range cases {
		got := (&splitPre{f: literalFinder{"-"}, behavior: c.b}).split("a-b--c", nil)
		if !slices.Equal(got, c.want) {
			t.Errorf("behavior %d: got %q want %q", c.b, got, c.want)
		}
	}
}

func TestUTF8Lossy(t *testing.T) {
	cases := []struct{ in, want string }{
		{"abc", "abc"},
		{"\xe2\x82A", "\uFFFDA"},
		{"\xff\xfe", "\uFFFD\uFFFD"},
		{"\xf0\x9f\x98", "\uFFFD"},
		{"\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"},
	}
	for _, c := range cases {
		if got := string(appendUTF8Lossy(nil, []byte(c.in))); got != c.want {
			t.Errorf("%q: got %q want %q", c.in, got, c.want)
		}
	}
}

func TestJSONL(t *testing.T) {
	tok := reference(t, "qwen3")
	var out bytes.Buffer
	in := "{\"text\": \"Hello <|im_start|>\"}\n\n{\"text\": \"\"}\n"
	if err := tok.TokenizeJSONL(strings.NewReader(in), &out, true); err != nil {
		t.Fatal(err)
	}
	if want := "{\"ids\":[9707,220,151644]}\n{\"ids\":[]}\n"; out.String() != want {
		t.Errorf("tokenize: got %q want %q", out.String(), want)
	}
	out.Reset()
	if err := tok.DetokenizeJSONL(strings.NewReader("{\"ids\":[9707,220,151644]}\n"), &out); err != nil {
		t.Fatal(err)
	}
	if want := "{\"text\":\"Hello <|im_start|>\"}\n"; out.String() != want {
		t.Errorf("detokenize: got %q want %q", out.String(), want)
	}
	for _, bad := range []string{"nope\n", "{\"ids\": 3}\n", "{\"ids\": [99999999]}\n", "{}\n"} {
		if err := tok.DetokenizeJSONL(strings.NewReader(bad), &out); err == nil {
			t.Errorf("detokenize %q: no error", bad)
		}
	}
	if err := tok.TokenizeJSONL(strings.NewReader("{}\n"), &out, false); err == nil {
		t.Error("tokenize without text: no error")
	}
}

// TestRunFinder checks the byte-skipping finders against the plain scan.
func TestRunFinder(t *testing.T) {
	inputs := []string{
		"", "abc", "12345", "a1b22c333d4444", "오늘 3월 14일", "١٢٣٤ and ５６", "漢字かなカナ한글", "x\xff1\xe4", "\xe4\xb8", "𝟘𝟙𝟚 😀 ²³",
	}
	for _, pat := range []string{patDigits3, patDigits1, patDSCJK} {
		m := knownPattern(pat)
		fast, slow := newRunFinder(m), scanFinder{m}
		for _, in := range inputs {
			for from := 0; from <= len(in); from++ {
				a1, b1 := fast.find(in, from)
				a2, b2 := slow.find(in, from)
				if a1 != a2 || b1 != b2 {
					t.Fatalf("%q on %+q from %d: got (%d,%d), want (%d,%d)", pat, in, from, a1, b1, a2, b2)
				}
			}
		}
	}
}
