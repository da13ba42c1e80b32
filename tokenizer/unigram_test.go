package tokenizer

import (
	"fmt"
	"slices"
	"testing"
)

// unigramJSON is a hand-made unigram tokenizer. Its scores are chosen so
// that the best (Viterbi) segmentation differs from greedy longest match.
// The lowest score is -6, so an unknown character scores -6 - 10 = -16.
func unigramJSON(byteFallback bool) string {
	extra := ""
	if byteFallback {
		extra = `, ["<0xC3>", -8.0], ["<0xA9>", -8.0]`
	}
	return fmt.Sprintf(`{
  "added_tokens": [{"id": 0, "content": "<unk>", "special": true}],
  "normalizer": null,
  "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
  "post_processor": null,
  "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
  "model": {"type": "Unigram", "unk_id": 0, "byte_fallback": %v, "vocab": [
    ["<unk>", 0.0], ["▁", -1.0], ["a", -2.0], ["b", -2.0], ["c", -2.0],
    ["ab", -3.0], ["bc", -2.5], ["abc", -6.0], ["▁a", -2.5], ["▁ab", -5.0], ["ca", -3.5]%s
  ]}
}`, byteFallback, extra)
}

func TestUnigramViterbi(t *testing.T) {
	plain, err := FromHFJSON([]byte(unigramJSON(false)), nil)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := FromHFJSON([]byte(unigramJSON(true)), nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		tok  *Tokenizer
		in   string
		want []int32
	}{
		// "▁abc": ▁a+bc = -2.5-2.5 = -5.0 beats ▁+a+bc (-5.5), ▁+ab+c (-6),
		// ▁a+b+c (-6.5), ▁+abc (-7), ▁ab+c (-7, what greedy longest match picks).
		{"viterbi beats greedy", plain, "abc", []int32{8, 6}},
		// "▁ca": ▁+ca = -4.5 beats ▁+c+a = -5.
		{"two-char piece", plain, "ca", []int32{1, 10}},
		// "▁ab": ▁+ab = -4 beats ▁a+b (-4.5), ▁ab (-5) and ▁+a+b (-5).
		{"whole piece loses", plain, "ab", []int32{1, 5}},
		// "▁ad": d is unknown (-16); ▁a+<unk> = -18.5 beats ▁+a+<unk> = -19.
		{"unknown char", plain, "ad", []int32{8, 0}},
		// "▁dd" "▁a": consecutive unknowns fuse into one <unk>.
		{"unknowns fuse", plain, "dd a", []int32{1, 0, 8}},
		// A two-byte unknown character is one unknown symbol.
		{"unknown multibyte", plain, "aé", []int32{8, 0}},
		// With byte fallback its bytes become <0xC3> <0xA9>.
		{"byte fallback", fb, "aé", []int32{8, 11, 12}},
		{"empty", plain, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.tok.Encode(c.in, false)
			if !slices.Equal(got, c.want) {
				t.Fatalf("Encode(%q) = %v, want %v", c.in, got, c.want)
			}
		})
	}
	if got := plain.Decode(plain.Encode("abc ca", false)); got != "abc ca" {
		t.Errorf("Decode(Encode(%q)) = %q", "abc ca", got)
	}
}
