package tokenizer

import (
	"fmt"
	"slices"
	"testing"
)

// spBPEJSON is a hand-made SentencePiece-style BPE. The merge "x ▁" makes
// a token that joins x to a following ▁, so text must not be cut there.
func spBPEJSON(ignoreMerges bool) string {
	return fmt.Sprintf(`{
  "added_tokens": [{"id": 0, "content": "<unk>", "special": true}],
  "normalizer": {"type": "Sequence", "normalizers": [
    {"type": "Prepend", "prepend": "▁"},
    {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
  "pre_tokenizer": null,
  "post_processor": null,
  "decoder": null,
  "model": {"type": "BPE", "unk_token": "<unk>", "byte_fallback": true, "fuse_unk": true,
    "ignore_merges": %v,
    "vocab": {"<unk>": 0, "<0xC3>": 1, "<0xA9>": 2, "▁": 3, "a": 4, "b": 5, "x": 6,
      "▁a": 7, "ab": 8, "▁ab": 9, "x▁": 10, "x▁a": 11, "▁a▁b": 12},
    "merges": ["x ▁", "▁ a", "a b", "▁a b", "x▁ a"]}
}`, ignoreMerges)
}

func TestSentencePieceBPE(t *testing.T) {
	plain, err := FromHFJSON([]byte(spBPEJSON(false)), nil)
	if err != nil {
		t.Fatal(err)
	}
	ignore, err := FromHFJSON([]byte(spBPEJSON(true)), nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		tok  *Tokenizer
		in   string
		want []int32
	}{
		// ▁ab▁ab: (▁,a) rank 1, then (▁a,b) rank 3, in each word.
		{"words", plain, "ab ab", []int32{9, 9}},
		// ▁x▁a: (x,▁) rank 0 merges first, then (x▁,a): the ▁ after x
		// belongs to x's token.
		{"merge across ▁", plain, "x a", []int32{3, 11}},
		// é is not in the vocabulary: its two bytes fall back.
		{"byte fallback", plain, "aé", []int32{7, 1, 2}},
		// ü has no <0xBC>: one <unk>, fused over consecutive unknowns but
		// not across the ▁ between words.
		{"unk fused", plain, "üü", []int32{3, 0}},
		{"unk per word", plain, "ü ü", []int32{3, 0, 3, 0}},
		{"vocab piece needs merges", plain, "a b", []int32{7, 3, 5}},
		// With ignore_merges a whole piece found in the vocabulary wins.
		{"ignore_merges whole piece", ignore, "a b", []int32{12}},
		{"ignore_merges falls back to merges", ignore, "a ab", []int32{7, 9}},
		{"empty", plain, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.tok.Encode(c.in, false); !slices.Equal(got, c.want) {
				t.Fatalf("Encode(%q) = %v, want %v", c.in, got, c.want)
			}
		})
	}
}

// TestWordTable checks short (packed) and long (hashed) words.
func TestWordTable(t *testing.T) {
	words := []string{"a", "ab", "abcdefgh", "abcdefghi", "\x00", "\x00\x00", "a\x00", "long word with spaces"}
	ids := []int32{1, 2, 3, 4, 5, 6, 7, 8}
	var wt wordTable
	wt.build(words, ids)
	for i, w := range words {
		if got := wt.get(w); got != ids[i] {
			t.Errorf("get(%q) = %d, want %d", w, got, ids[i])
		}
	}
	for _, w := range []string{"", "b", "abc", "abcdefg", "abcdefghij", "\x00\x00\x00", "long word with space"} {
		if got := wt.get(w); got != -1 {
			t.Errorf("get(%q) = %d, want -1", w, got)
		}
	}
}
