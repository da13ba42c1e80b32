package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/nuri-ai/nuri/gguf"
	"golang.org/x/text/unicode/norm"
)

// GGUF token types, as llama.cpp defines them.
const (
	ttNormal      = 1
	ttUnknown     = 2
	ttControl     = 3
	ttUserDefined = 4
	ttUnused      = 5
	ttByte        = 6
)

// collectRegexes lists every "Regex" pattern inside a JSON component.
func collectRegexes(raw json.RawMessage) []string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			if s, ok := x["Regex"].(string); ok {
				out = append(out, s)
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(v)
	return out
}

// exportFromHF records how this tokenizer maps onto llama.cpp's keys.
func (t *Tokenizer) exportFromHF(f *hfFile, cfg hfConfig) {
	e := &t.exp
	e.unk, e.pad = -1, -1
	switch m := t.model.(type) {
	case *bpeModel:
		e.unk = m.unk
		if t.byteLevel {
			e.ggmlModel = "gpt2"
			e.pre = "default"
			res := collectRegexes(f.PreTokenizer)
			has := func(p string) bool {
				for _, r := range res {
					if r == p {
						return true
					}
				}
				return false
			}
			switch {
			case has(patLlama3):
				e.pre = "llama-bpe"
			case has(patQwen2):
				e.pre = "qwen2"
			case has(patO200k):
				e.pre = "gpt-4o"
			case has(patDSMain) || has(patDSMainEsc):
				e.pre = "deepseek-v3"
			case len(res) == 0:
				e.pre = "gpt-2"
			}
		} else {
			e.ggmlModel = "llama"
			e.pre = "default"
			e.addSpacePrefix = strings.Contains(string(f.Normalizer), `"Prepend"`)
		}
	case *unigramModel:
		e.ggmlModel = "t5"
		e.pre = "default"
		e.unk = m.unk
	}
	if s, ok := t.specialStrs["pad_token"]; ok {
		if id, ok := t.vocab[s]; ok {
			e.pad = id
		}
	}
	e.addBOS = len(t.prefix) > 0 && t.hasBOS && t.prefix[0] == t.bos
	e.addEOS = len(t.suffix) > 0
}

// GGUFMetadata returns the tokenizer.ggml.* keys (and tokenizer.chat_template)
// that describe this tokenizer in a GGUF file, in the form llama.cpp's
// converter writes them. FromGGUF of these keys gives the same ids.
func (t *Tokenizer) GGUFMetadata() []KV {
	e := t.exp
	n := len(t.pieces)
	tokens := make([]string, n)
	types := make([]int32, n)
	addedSpecial := map[int32]bool{}
	addedOther := map[int32]bool{}
	for _, a := range t.added {
		if a.Special {
			addedSpecial[a.ID] = true
		} else {
			addedOther[a.ID] = true
		}
	}
	for i := range tokens {
		p := t.pieces[i]
		if p == "" && !t.addedIDs[i] {
			p = fmt.Sprintf("[PAD%d]", i)
		}
		tokens[i] = p
		types[i] = ttNormal
		switch {
		case int32(i) == e.unk:
			types[i] = ttUnknown
		case addedSpecial[int32(i)]:
			types[i] = ttControl
		case addedOther[int32(i)]:
			types[i] = ttUserDefined
		case e.ggmlModel == "llama":
			if _, ok := byteToken(p); ok {
				types[i] = ttByte
			}
		}
	}
	kv := []KV{
		{"tokenizer.ggml.model", e.ggmlModel},
		{"tokenizer.ggml.pre", e.pre},
		{"tokenizer.ggml.tokens", tokens},
		{"tokenizer.ggml.token_type", types},
	}
	if e.scores != nil {
		sc := make([]float32, n)
		copy(sc, e.scores)
		kv = append(kv, KV{"tokenizer.ggml.scores", sc})
	} else if e.ggmlModel == "llama" {
		// Scores that make score-ordered merging follow the merge ranks.
		sc := make([]float32, n)
		for i := range sc {
			sc[i] = -float32(len(e.merges) + i)
		}
		for r, m := range e.merges {
			a, b, _ := strings.Cut(m, " ")
			if id, ok := t.vocab[a+b]; ok && sc[id] < -float32(r) {
				sc[id] = -float32(r)
			}
		}
		kv = append(kv, KV{"tokenizer.ggml.scores", sc})
	}
	if len(e.merges) > 0 {
		kv = append(kv, KV{"tokenizer.ggml.merges", append([]string(nil), e.merges...)})
	}
	if t.hasBOS {
		kv = append(kv, KV{"tokenizer.ggml.bos_token_id", uint32(t.bos)})
	}
	eosID := int32(-1)
	if s, ok := t.specialStrs["eos_token"]; ok {
		if id, ok := t.vocab[s]; ok {
			eosID = id
		}
	}
	if eosID < 0 && len(t.eos) > 0 {
		eosID = t.eos[0]
	}
	if eosID >= 0 {
		kv = append(kv, KV{"tokenizer.ggml.eos_token_id", uint32(eosID)})
	}
	for _, id := range t.eos {
		switch t.pieces[id] {
		case "<|eot_id|>", "<|im_end|>", "<end_of_turn>", "<|end|>":
			if id != eosID {
				kv = append(kv, KV{"tokenizer.ggml.eot_token_id", uint32(id)})
			}
		case "<|eom_id|>":
			kv = append(kv, KV{"tokenizer.ggml.eom_token_id", uint32(id)})
		}
	}
	if e.unk >= 0 {
		kv = append(kv, KV{"tokenizer.ggml.unknown_token_id", uint32(e.unk)})
	}
	if e.pad >= 0 {
		kv = append(kv, KV{"tokenizer.ggml.padding_token_id", uint32(e.pad)})
	}
	kv = append(kv,
		KV{"tokenizer.ggml.add_bos_token", e.addBOS},
		KV{"tokenizer.ggml.add_eos_token", e.addEOS},
	)
	if e.ggmlModel == "llama" || e.ggmlModel == "t5" {
		kv = append(kv, KV{"tokenizer.ggml.add_space_prefix", e.addSpacePrefix})
	}
	if t.chatTemplate != "" {
		kv = append(kv, KV{"tokenizer.chat_template", t.chatTemplate})
	}
	return kv
}

// MapMetadata is an in-memory Metadata.
type MapMetadata map[string]any

// Get returns the value of key.
func (m MapMetadata) Get(key string) (any, bool) {
	v, ok := m[key]
	return v, ok
}

// MetadataFromKVs puts key/value pairs into a MapMetadata.
func MetadataFromKVs(kvs []KV) MapMetadata {
	m := MapMetadata{}
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

func mdString(md Metadata, key string) (string, bool) {
	v, ok := md.Get(key)
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	return s, ok
}

func mdInt(md Metadata, key string) (int64, bool) {
	v, ok := md.Get(key)
	if !ok {
		return 0, false
	}
	return gguf.AsInt(v)
}

func mdBool(md Metadata, key string, def bool) bool {
	v, ok := md.Get(key)
	if !ok {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		return def
	}
	return b
}

func mdStrings(md Metadata, key string) ([]string, error) {
	v, ok := md.Get(key)
	if !ok {
		return nil, nil
	}
	switch x := v.(type) {
	case []string:
		return x, nil
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("%s[%d] is %T, not a string", key, i, e)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s is %T, not a string array", key, v)
}

func mdInts(md Metadata, key string) ([]int32, error) {
	v, ok := md.Get(key)
	if !ok {
		return nil, nil
	}
	switch x := v.(type) {
	case []int32:
		return x, nil
	case []uint32:
		out := make([]int32, len(x))
		for i, e := range x {
			out[i] = int32(e)
		}
		return out, nil
	case []int64:
		out := make([]int32, len(x))
		for i, e := range x {
			out[i] = int32(e)
		}
		return out, nil
	case []int8:
		out := make([]int32, len(x))
		for i, e := range x {
			out[i] = int32(e)
		}
		return out, nil
	case []uint8:
		out := make([]int32, len(x))
		for i, e := range x {
			out[i] = int32(e)
		}
		return out, nil
	case []any:
		out := make([]int32, len(x))
		for i, e := range x {
			n, ok := MapMetadata{"v": e}.intValue()
			if !ok {
				return nil, fmt.Errorf("%s[%d] is %T, not an integer", key, i, e)
			}
			out[i] = int32(n)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s is %T, not an integer array", key, v)
}

func (m MapMetadata) intValue() (int64, bool) { return mdInt(m, "v") }

func mdFloats(md Metadata, key string) ([]float32, error) {
	v, ok := md.Get(key)
	if !ok {
		return nil, nil
	}
	switch x := v.(type) {
	case []float32:
		return x, nil
	case []float64:
		out := make([]float32, len(x))
		for i, e := range x {
			out[i] = float32(e)
		}
		return out, nil
	case []any:
		out := make([]float32, len(x))
		for i, e := range x {
			switch f := e.(type) {
			case float32:
				out[i] = f
			case float64:
				out[i] = float32(f)
			default:
				return nil, fmt.Errorf("%s[%d] is %T, not a float", key, i, e)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s is %T, not a float array", key, v)
}

// preForName returns the pre-tokenizer llama.cpp uses for a
// tokenizer.ggml.pre name, whether it ignores merges, whether it
// NFC-normalizes, and whether decode cleans up spaces.
func preForName(name string) (p preTokenizer, ignoreMerges, nfc, cleanup bool) {
	split := func(m matchFunc) preTokenizer { return &splitPre{f: scanFinder{m}, behavior: bIsolated} }
	cleanup = true
	switch name {
	case "llama3", "llama-v3", "llama-bpe", "falcon3":
		return split(matchLlama3(3)), true, false, true
	case "qwen2", "deepseek-r1-qwen":
		return split(matchLlama3(1)), false, true, false
	case "gpt-4o":
		return split(matchO200k), false, false, false
	case "deepseek-v3":
		return &seqPre{steps: []preTokenizer{
			&splitPre{f: cachedRunFinder(patDigits3, matchDigits(3)), behavior: bIsolated},
			&splitPre{f: cachedRunFinder(patDSCJK, matchDeepseekCJK), behavior: bIsolated},
			split(matchDeepseekMain)}}, false, false, false
	case "exaone", "minerva-7b":
		return &seqPre{steps: []preTokenizer{
			&splitPre{f: cachedRunFinder(patDigits1, matchDigits(1)), behavior: bIsolated},
			split(matchGPT2)}}, false, false, true
	case "deepseek-llm", "deepseek-coder", "command-r":
		cleanup = false
	}
	return split(matchGPT2), false, false, cleanup
}

// FromGGUF builds a tokenizer from GGUF metadata (tokenizer.ggml.*).
func FromGGUF(md Metadata) (*Tokenizer, error) {
	modelName, ok := mdString(md, "tokenizer.ggml.model")
	if !ok {
		return nil, errors.New("gguf tokenizer: tokenizer.ggml.model is missing")
	}
	tokens, err := mdStrings(md, "tokenizer.ggml.tokens")
	if err != nil {
		return nil, fmt.Errorf("gguf tokenizer: %w", err)
	}
	if len(tokens) == 0 {
		return nil, errors.New("gguf tokenizer: tokenizer.ggml.tokens is missing or empty")
	}
	types, err := mdInts(md, "tokenizer.ggml.token_type")
	if err != nil {
		return nil, fmt.Errorf("gguf tokenizer: %w", err)
	}
	if types != nil && len(types) != len(tokens) {
		return nil, fmt.Errorf("gguf tokenizer: %d token types for %d tokens", len(types), len(tokens))
	}
	scores, err := mdFloats(md, "tokenizer.ggml.scores")
	if err != nil {
		return nil, fmt.Errorf("gguf tokenizer: %w", err)
	}
	mergeLines, err := mdStrings(md, "tokenizer.ggml.merges")
	if err != nil {
		return nil, fmt.Errorf("gguf tokenizer: %w", err)
	}
	pre, _ := mdString(md, "tokenizer.ggml.pre")
	typeOf := func(i int) int32 {
		if types == nil {
			return ttNormal
		}
		return types[i]
	}
	id := func(key string) int32 {
		v, ok := mdInt(md, key)
		if !ok || v < 0 || v >= int64(len(tokens)) {
			return -1
		}
		return int32(v)
	}

	t := &Tokenizer{pieces: tokens, bos: -1}
	t.vocab = make(map[string]int32, len(tokens))
	modelVocab := make(map[string]int32, len(tokens))
	for i, s := range tokens {
		if _, dup := t.vocab[s]; !dup {
			t.vocab[s] = int32(i)
		}
		tt := typeOf(i)
		if tt == ttControl || tt == ttUserDefined || tt == ttUnknown {
			f := false
			t.added = append(t.added, addedToken{ID: int32(i), Content: s, Special: tt != ttUserDefined, Normalized: &f})
		}
		if _, dup := modelVocab[s]; !dup {
			modelVocab[s] = int32(i)
		}
	}
	addedSet := map[string]bool{}
	for _, a := range t.added {
		addedSet[a.Content] = true
	}
	unk := id("tokenizer.ggml.unknown_token_id")
	var addBOSDefault bool
	switch modelName {
	case "gpt2":
		t.byteLevel = true
		p, ignore, nfc, cleanup := preForName(pre)
		t.pre = p
		if nfc {
			t.norm = unicodeNorm{norm.NFC}
		}
		t.cleanup = cleanup
		merges, err := splitMergeLines(mergeLines)
		if err != nil {
			return nil, err
		}
		bm, err := newBPE(modelVocab, merges, true)
		if err != nil {
			return nil, err
		}
		bm.ignoreMerges = ignore
		t.model = bm
		t.dec = byteLevelDec{added: addedSet}
		addBOSDefault = ignore // llama.cpp adds BOS for Llama 3
		t.exp = exportInfo{ggmlModel: "gpt2", pre: pre, merges: mergeLines}
	case "llama":
		spacePrefix := mdBool(md, "tokenizer.ggml.add_space_prefix", true)
		rep := replaceNorm{lit: " ", content: "▁"}
		if spacePrefix {
			t.norm = seqNorm{prependNorm{"▁"}, rep}
		} else {
			t.norm = rep
		}
		var merges [][2]string
		if len(mergeLines) > 0 {
			if merges, err = splitMergeLines(mergeLines); err != nil {
				return nil, err
			}
		} else {
			merges = mergesFromScores(tokens, scores, typeOf)
		}
		bm, err := newBPE(modelVocab, merges, false)
		if err != nil {
			return nil, err
		}
		bm.fallback = true
		bm.fuseUnk = true
		bm.unk = unk
		t.model = bm
		dec := seqDec{replaceDec{replaceNorm{lit: "▁", content: " "}}, byteFallbackDec{}, fuseDec{}}
		if spacePrefix {
			dec = append(dec, stripDec{content: " ", start: 1})
		}
		t.dec = dec
		addBOSDefault = true
		t.exp = exportInfo{ggmlModel: "llama", pre: pre, merges: mergeLines, scores: scores, addSpacePrefix: spacePrefix}
	case "t5":
		if scores == nil {
			return nil, errors.New("gguf tokenizer: unigram model without tokenizer.ggml.scores")
		}
		spacePrefix := mdBool(md, "tokenizer.ggml.add_space_prefix", true)
		t.pre = &metaspacePre{replacement: "▁", prependScheme: map[bool]string{true: "always", false: "never"}[spacePrefix]}
		t.model = newUnigram(tokens, scores, unk, true)
		t.dec = metaspaceDec{replacement: "▁", prepend: spacePrefix}
		t.exp = exportInfo{ggmlModel: "t5", pre: pre, scores: scores, addSpacePrefix: spacePrefix}
	default:
		return nil, fmt.Errorf("gguf tokenizer: model %q is not supported", modelName)
	}
	t.exp.unk = unk
	t.exp.pad = id("tokenizer.ggml.padding_token_id")
	if b := id("tokenizer.ggml.bos_token_id"); b >= 0 {
		t.bos, t.hasBOS = b, true
	}
	t.exp.addBOS = mdBool(md, "tokenizer.ggml.add_bos_token", addBOSDefault) && t.hasBOS
	if t.exp.addBOS {
		t.prefix = []int32{t.bos}
	}
	eos := id("tokenizer.ggml.eos_token_id")
	t.exp.addEOS = mdBool(md, "tokenizer.ggml.add_eos_token", false) && eos >= 0
	if t.exp.addEOS {
		t.suffix = []int32{eos}
	}
	t.chatTemplate, _ = mdString(md, "tokenizer.chat_template")
	t.specialStrs = map[string]string{}
	for key, k := range map[string]string{
		"bos_token": "tokenizer.ggml.bos_token_id", "eos_token": "tokenizer.ggml.eos_token_id",
		"unk_token": "tokenizer.ggml.unknown_token_id", "pad_token": "tokenizer.ggml.padding_token_id",
	} {
		if v := id(k); v >= 0 {
			t.specialStrs[key] = tokens[v]
		}
	}
	t.finish()
	t.collectEOS(eos, id("tokenizer.ggml.eot_token_id"), id("tokenizer.ggml.eom_token_id"))
	return t, nil
}

func splitMergeLines(lines []string) ([][2]string, error) {
	out := make([][2]string, len(lines))
	for i, l := range lines {
		a, b, ok := strings.Cut(l, " ")
		if !ok {
			return nil, fmt.Errorf("gguf tokenizer: merge %d %q has no space", i, l)
		}
		out[i] = [2]string{a, b}
	}
	return out, nil
}

// mergesFromScores derives BPE merges from SentencePiece scores: a pair
// merges into the concatenation when that is a normal token, and pairs whose
// result scores higher merge first.
func mergesFromScores(tokens []string, scores []float32, typeOf func(int) int32) [][2]string {
	if scores == nil {
		return nil
	}
	vocab := make(map[string]int32, len(tokens))
	for i, s := range tokens {
		if typeOf(i) == ttNormal || typeOf(i) == ttUserDefined {
			vocab[s] = int32(i)
		}
	}
	type cand struct {
		a, b  string
		score float32
		id    int32
	}
	var cands []cand
	for i, s := range tokens {
		if typeOf(i) != ttNormal {
			continue
		}
		for k := 1; k < len(s); k++ {
			if !utf8RuneStart(s[k]) {
				continue
			}
			if _, ok := vocab[s[:k]]; !ok {
				continue
			}
			if _, ok := vocab[s[k:]]; !ok {
				continue
			}
			cands = append(cands, cand{s[:k], s[k:], scores[i], int32(i)})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].score != cands[j].score {
			return cands[i].score > cands[j].score
		}
		return cands[i].id < cands[j].id
	})
	out := make([][2]string, len(cands))
	for i, c := range cands {
		out[i] = [2]string{c.a, c.b}
	}
	return out
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
