package testmodel

import (
	"encoding/json"
	"fmt"
)

// minSyntheticVocab is <unk>, <s>, </s> and the 256 byte tokens.
const minSyntheticVocab = 259

// syntheticWords seed the merged pieces of the synthetic vocabulary.
var syntheticWords = []string{
	"▁the", "▁and", "▁of", "▁to", "▁in", "▁is", "▁that", "▁it", "▁for", "▁you",
	"▁was", "▁with", "▁on", "▁as", "▁are", "▁this", "▁be", "▁at", "▁have", "▁or",
	"ing", "ion", "er", "ed", "es", "en", "re", "an", "on", "at", "▁model", "▁hello",
	"▁world", "▁token", "▁random", "▁weights", "▁test", "▁Nuri",
}

const syntheticChars = "▁etaoinshrdlcumwfgypbvkjxqzETAOINSHRDLCUMWFGYPBVKJXQZ0123456789.,!?'\"-:;()"

// syntheticTokenizer builds the tokenizer.json and tokenizer_config.json of
// a SentencePiece-style BPE vocabulary with byte fallback and exactly n
// entries: the three specials, the 256 byte tokens, single characters, then
// merges that spell common words, then unused filler tokens.
func syntheticTokenizer(n int) (tokJSON, cfgJSON []byte) {
	vocab := map[string]int{}
	var pieces []string
	add := func(p string) bool {
		if _, ok := vocab[p]; ok || len(pieces) >= n {
			return false
		}
		vocab[p] = len(pieces)
		pieces = append(pieces, p)
		return true
	}
	for _, s := range []string{"<unk>", "<s>", "</s>"} {
		add(s)
	}
	for b := 0; b < 256; b++ {
		add(fmt.Sprintf("<0x%02X>", b))
	}
	for _, r := range syntheticChars {
		add(string(r))
	}
	var merges []string
	for _, w := range syntheticWords {
		rs := []rune(w)
		cur := string(rs[0])
		for _, r := range rs[1:] {
			if _, ok := vocab[string(r)]; !ok {
				break
			}
			next := cur + string(r)
			if _, ok := vocab[next]; !ok {
				if !add(next) {
					break
				}
				merges = append(merges, cur+" "+string(r))
			}
			cur = next
		}
	}
	for i := 0; len(pieces) < n; i++ {
		add(fmt.Sprintf("<unused%d>", i))
	}
	added := []map[string]any{}
	for i, s := range pieces {
		if i < 3 || (len(s) > 7 && s[:7] == "<unused") {
			added = append(added, map[string]any{"id": i, "content": s, "single_word": false,
				"lstrip": false, "rstrip": false, "normalized": false, "special": true})
		}
	}
	tok := map[string]any{
		"version":       "1.0",
		"truncation":    nil,
		"padding":       nil,
		"added_tokens":  added,
		"pre_tokenizer": nil,
		"normalizer": map[string]any{"type": "Sequence", "normalizers": []any{
			map[string]any{"type": "Prepend", "prepend": "▁"},
			map[string]any{"type": "Replace", "pattern": map[string]any{"String": " "}, "content": "▁"},
		}},
		"post_processor": map[string]any{
			"type":   "TemplateProcessing",
			"single": []any{map[string]any{"SpecialToken": map[string]any{"id": "<s>", "type_id": 0}}, map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}},
			"pair": []any{map[string]any{"SpecialToken": map[string]any{"id": "<s>", "type_id": 0}}, map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}},
				map[string]any{"SpecialToken": map[string]any{"id": "<s>", "type_id": 1}}, map[string]any{"Sequence": map[string]any{"id": "B", "type_id": 1}}},
			"special_tokens": map[string]any{"<s>": map[string]any{"id": "<s>", "ids": []int{1}, "tokens": []string{"<s>"}}},
		},
		"decoder": map[string]any{"type": "Sequence", "decoders": []any{
			map[string]any{"type": "Replace", "pattern": map[string]any{"String": "▁"}, "content": " "},
			map[string]any{"type": "ByteFallback"},
			map[string]any{"type": "Fuse"},
			map[string]any{"type": "Strip", "content": " ", "start": 1, "stop": 0},
		}},
		"model": map[string]any{
			"type": "BPE", "dropout": nil, "unk_token": "<unk>", "continuing_subword_prefix": nil,
			"end_of_word_suffix": nil, "fuse_unk": true, "byte_fallback": true, "ignore_merges": false,
			"vocab": vocab, "merges": merges,
		},
	}
	cfg := map[string]any{
		"bos_token":        "<s>",
		"eos_token":        "</s>",
		"unk_token":        "<unk>",
		"add_bos_token":    true,
		"add_eos_token":    false,
		"model_max_length": 1 << 20,
		"tokenizer_class":  "LlamaTokenizerFast",
		"chat_template": "{{ bos_token }}{% for message in messages %}" +
			"{{ '<|' + message['role'] + '|>\n' + message['content'] + eos_token + '\n' }}" +
			"{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}",
	}
	tokJSON, _ = json.MarshalIndent(tok, "", "  ")
	cfgJSON, _ = json.MarshalIndent(cfg, "", "  ")
	return tokJSON, cfgJSON
}
