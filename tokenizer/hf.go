package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/text/unicode/norm"
)

type hfFile struct {
	AddedTokens   []addedToken    `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
	Model         hfModel         `json:"model"`
}

type hfModel struct {
	Type                    string          `json:"type"`
	Vocab                   json.RawMessage `json:"vocab"`
	Merges                  json.RawMessage `json:"merges"`
	UnkToken                *string         `json:"unk_token"`
	UnkID                   *int32          `json:"unk_id"`
	ByteFallback            bool            `json:"byte_fallback"`
	FuseUnk                 bool            `json:"fuse_unk"`
	IgnoreMerges            bool            `json:"ignore_merges"`
	ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
}

// component is any normalizer/pre-tokenizer/decoder/post-processor object.
type component struct {
	Type             string            `json:"type"`
	Normalizers      []json.RawMessage `json:"normalizers"`
	PreTokenizers    []json.RawMessage `json:"pretokenizers"`
	Decoders         []json.RawMessage `json:"decoders"`
	Processors       []json.RawMessage `json:"processors"`
	Prepend          string            `json:"prepend"`
	Pattern          pattern           `json:"pattern"`
	Content          json.RawMessage   `json:"content"`
	Behavior         string            `json:"behavior"`
	Invert           bool              `json:"invert"`
	AddPrefixSpace   bool              `json:"add_prefix_space"`
	UseRegex         *bool             `json:"use_regex"`
	Replacement      string            `json:"replacement"`
	PrependScheme    string            `json:"prepend_scheme"`
	AddPrefix        *bool             `json:"add_prefix_space_metaspace"`
	Split            *bool             `json:"split"`
	StripLeft        bool              `json:"strip_left"`
	StripRight       bool              `json:"strip_right"`
	Start            int               `json:"start"`
	Stop             int               `json:"stop"`
	IndividualDigits bool              `json:"individual_digits"`
	Single           []templateItem    `json:"single"`
	SpecialTokens    map[string]struct {
		IDs []int32 `json:"ids"`
	} `json:"special_tokens"`
	Cls     []json.RawMessage `json:"cls"`
	Sep     []json.RawMessage `json:"sep"`
	Suffix  string            `json:"suffix"`
	Prefix  string            `json:"prefix"`
	Cleanup bool              `json:"cleanup"`
}

type templateItem struct {
	SpecialToken *struct {
		ID string `json:"id"`
	} `json:"SpecialToken"`
	Sequence *struct {
		ID string `json:"id"`
	} `json:"Sequence"`
}

func isNull(m json.RawMessage) bool {
	m = bytes.TrimSpace(m)
	return len(m) == 0 || string(m) == "null"
}

func (c component) contentString() string {
	var s string
	_ = json.Unmarshal(c.Content, &s)
	return s
}

func buildNormalizer(raw json.RawMessage) (normalizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	var c component
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("normalizer: %w", err)
	}
	switch c.Type {
	case "Sequence":
		var seq seqNorm
		for _, r := range c.Normalizers {
			n, err := buildNormalizer(r)
			if err != nil {
				return nil, err
			}
			if n != nil {
				seq = append(seq, n)
			}
		}
		if len(seq) == 0 {
			return nil, nil
		}
		if len(seq) == 1 {
			return seq[0], nil
		}
		return seq, nil
	case "Prepend":
		return prependNorm{c.Prepend}, nil
	case "Replace":
		return compileReplace(c.Pattern, c.contentString())
	case "NFC":
		return unicodeNorm{norm.NFC}, nil
	case "NFD":
		return unicodeNorm{norm.NFD}, nil
	case "NFKC":
		return unicodeNorm{norm.NFKC}, nil
	case "NFKD":
		return unicodeNorm{norm.NFKD}, nil
	case "Lowercase":
		return lowercaseNorm{}, nil
	case "Strip":
		return stripNorm{c.StripLeft, c.StripRight}, nil
	case "StripAccents":
		return stripAccentsNorm{}, nil
	case "Precompiled":
		// The precompiled SentencePiece charsmap is an NFKC variant.
		return unicodeNorm{norm.NFKC}, nil
	}
	return nil, fmt.Errorf("normalizer type %q is not supported", c.Type)
}

// buildPre returns the pre-tokenizer and whether it ends in ByteLevel.
func buildPre(raw json.RawMessage) (preTokenizer, bool, error) {
	if isNull(raw) {
		return nil, false, nil
	}
	var c component
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, false, fmt.Errorf("pre_tokenizer: %w", err)
	}
	switch c.Type {
	case "Sequence":
		var steps []preTokenizer
		byteLevel := false
		for _, r := range c.PreTokenizers {
			p, bl, err := buildPre(r)
			if err != nil {
				return nil, false, err
			}
			byteLevel = bl
			if p != nil {
				steps = append(steps, p)
			}
		}
		switch len(steps) {
		case 0:
			return nil, byteLevel, nil
		case 1:
			return steps[0], byteLevel, nil
		}
		return &seqPre{steps: steps}, byteLevel, nil
	case "Split":
		var f finder
		switch {
		case c.Pattern.Regex != nil:
			var err error
			if f, err = newFinder(*c.Pattern.Regex); err != nil {
				return nil, false, fmt.Errorf("pre_tokenizer Split: %w", err)
			}
		case c.Pattern.String != nil:
			f = literalFinder{*c.Pattern.String}
		default:
			return nil, false, errors.New("pre_tokenizer Split: no pattern")
		}
		b, err := parseBehavior(c.Behavior)
		if err != nil {
			return nil, false, fmt.Errorf("pre_tokenizer Split: %w", err)
		}
		return &splitPre{f: f, behavior: b, invert: c.Invert}, false, nil
	case "ByteLevel":
		useRegex := c.UseRegex == nil || *c.UseRegex
		if !useRegex && !c.AddPrefixSpace {
			return nil, true, nil
		}
		return &byteLevelPre{addPrefixSpace: c.AddPrefixSpace, useRegex: useRegex}, true, nil
	case "Metaspace":
		rep := c.Replacement
		if rep == "" {
			rep = "▁"
		}
		scheme := c.PrependScheme
		if scheme == "" {
			scheme = "always"
		}
		return &metaspacePre{replacement: rep, prependScheme: scheme, splitPieces: c.Split == nil || *c.Split}, false, nil
	case "Digits":
		if c.IndividualDigits {
			return &splitPre{f: scanFinder{matchASCIIDigit(1)}, behavior: bIsolated}, false, nil
		}
		return &splitPre{f: scanFinder{matchASCIIDigit(0)}, behavior: bIsolated}, false, nil
	case "WhitespaceSplit":
		return whitespaceSplitPre{}, false, nil
	case "Whitespace":
		f, err := newFinder(`\w+|[^\w\s]+`)
		if err != nil {
			return nil, false, err
		}
		return &splitPre{f: f, behavior: bRemoved, invert: true}, false, nil
	}
	return nil, false, fmt.Errorf("pre_tokenizer type %q is not supported", c.Type)
}

// matchASCIIDigit matches runs of decimal digits (max 0: unlimited).
func matchASCIIDigit(max int) matchFunc {
	return func(s string, i int) int {
		e := i
		for n := 0; e < len(s) && (max == 0 || n < max); n++ {
			r, w, _ := decodeAt(s, e)
			if !isDecimal(r) {
				break
			}
			e += w
		}
		if e == i {
			return -1
		}
		return e
	}
}

func buildDecoder(raw json.RawMessage, added map[string]bool) (decoder, error) {
	if isNull(raw) {
		return nil, nil
	}
	var c component
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("decoder: %w", err)
	}
	switch c.Type {
	case "Sequence":
		var seq seqDec
		for _, r := range c.Decoders {
			d, err := buildDecoder(r, added)
			if err != nil {
				return nil, err
			}
			if d != nil {
				seq = append(seq, d)
			}
		}
		return seq, nil
	case "ByteLevel":
		return byteLevelDec{added: added}, nil
	case "Replace":
		n, err := compileReplace(c.Pattern, c.contentString())
		if err != nil {
			return nil, fmt.Errorf("decoder Replace: %w", err)
		}
		return replaceDec{n.(replaceNorm)}, nil
	case "ByteFallback":
		return byteFallbackDec{}, nil
	case "Fuse":
		return fuseDec{}, nil
	case "Strip":
		return stripDec{content: c.contentString(), start: c.Start, stop: c.Stop}, nil
	case "Metaspace":
		rep := c.Replacement
		if rep == "" {
			rep = "▁"
		}
		return metaspaceDec{replacement: rep, prepend: c.PrependScheme != "never"}, nil
	case "BPEDecoder":
		return bpeSuffixDec{suffix: c.Suffix}, nil
	case "WordPiece":
		p := c.Prefix
		if p == "" {
			p = "##"
		}
		return wordPieceDec{prefix: p, cleanup: c.Cleanup}, nil
	}
	return nil, fmt.Errorf("decoder type %q is not supported", c.Type)
}

// buildPost returns the ids the post-processor adds before and after a
// single sequence.
func buildPost(raw json.RawMessage, vocab map[string]int32) (pre, post []int32, err error) {
	if isNull(raw) {
		return nil, nil, nil
	}
	var c component
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, nil, fmt.Errorf("post_processor: %w", err)
	}
	switch c.Type {
	case "Sequence":
		for _, r := range c.Processors {
			a, b, err := buildPost(r, vocab)
			if err != nil {
				return nil, nil, err
			}
			pre = append(a, pre...)
			post = append(post, b...)
		}
		return pre, post, nil
	case "ByteLevel":
		return nil, nil, nil
	case "TemplateProcessing":
		seen := false
		for _, it := range c.Single {
			switch {
			case it.SpecialToken != nil:
				ids := c.SpecialTokens[it.SpecialToken.ID].IDs
				if ids == nil {
					id, ok := vocab[it.SpecialToken.ID]
					if !ok {
						return nil, nil, fmt.Errorf("post_processor: unknown special token %q", it.SpecialToken.ID)
					}
					ids = []int32{id}
				}
				if seen {
					post = append(post, ids...)
				} else {
					pre = append(pre, ids...)
				}
			case it.Sequence != nil:
				seen = true
			}
		}
		return pre, post, nil
	case "BertProcessing", "RobertaProcessing":
		var sep, cls []any
		_ = json.Unmarshal(mustJoin(c.Sep), &sep)
		_ = json.Unmarshal(mustJoin(c.Cls), &cls)
		if len(cls) == 2 && len(sep) == 2 {
			pre = append(pre, int32(toFloat(cls[1])))
			post = append(post, int32(toFloat(sep[1])))
		}
		return pre, post, nil
	}
	return nil, nil, fmt.Errorf("post_processor type %q is not supported", c.Type)
}

func mustJoin(parts []json.RawMessage) []byte {
	b, _ := json.Marshal(parts)
	return b
}

func toFloat(v any) float64 {
	f, _ := v.(float64)
	return f
}

// hfConfig is the part of tokenizer_config.json Nuri uses.
type hfConfig struct {
	AddBOSToken  *bool           `json:"add_bos_token"`
	AddEOSToken  *bool           `json:"add_eos_token"`
	ChatTemplate json.RawMessage `json:"chat_template"`
	CleanUp      *bool           `json:"clean_up_tokenization_spaces"`
	Legacy       *bool           `json:"legacy"`
	raw          map[string]json.RawMessage
}

// tokenString reads a special token entry: a string or {"content": ...}.
func tokenString(raw json.RawMessage) (string, bool) {
	if isNull(raw) {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var obj struct {
		Content *string `json:"content"`
	}
	if json.Unmarshal(raw, &obj) == nil && obj.Content != nil {
		return *obj.Content, true
	}
	return "", false
}

func chatTemplateOf(raw json.RawMessage) string {
	if isNull(raw) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []struct {
		Name     string `json:"name"`
		Template string `json:"template"`
	}
	if json.Unmarshal(raw, &list) == nil {
		for _, it := range list {
			if it.Name == "default" {
				return it.Template
			}
		}
		if len(list) > 0 {
			return list[0].Template
		}
	}
	return ""
}

var specialKeys = []string{"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}

// LoadHF loads dir/tokenizer.json and, when present, dir/tokenizer_config.json,
// dir/generation_config.json (extra end-of-generation ids) and
// dir/chat_template.jinja.
func LoadHF(dir string) (*Tokenizer, error) {
	path := filepath.Join(dir, "tokenizer.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	var cfgData []byte
	cpath := filepath.Join(dir, "tokenizer_config.json")
	if b, err := os.ReadFile(cpath); err == nil {
		cfgData = b
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	t, err := FromHFJSON(data, cfgData)
	if err != nil {
		return nil, fmt.Errorf("tokenizer %s: %w", path, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "chat_template.jinja")); err == nil && t.chatTemplate == "" {
		t.chatTemplate = string(b)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "generation_config.json")); err == nil {
		var g struct {
			EOS json.RawMessage `json:"eos_token_id"`
		}
		if json.Unmarshal(b, &g) == nil && !isNull(g.EOS) {
			var one int32
			var many []int32
			if json.Unmarshal(g.EOS, &one) == nil {
				many = []int32{one}
			} else {
				_ = json.Unmarshal(g.EOS, &many)
			}
			t.collectEOS(append(append([]int32(nil), t.eos...), many...)...)
		}
	}
	return t, nil
}

// FromHFJSON builds a tokenizer from the bytes of tokenizer.json and
// (optionally, nil allowed) tokenizer_config.json.
func FromHFJSON(tokenizerJSON, configJSON []byte) (*Tokenizer, error) {
	var f hfFile
	if err := json.Unmarshal(tokenizerJSON, &f); err != nil {
		return nil, fmt.Errorf("parse tokenizer.json: %w", err)
	}
	var cfg hfConfig
	if len(configJSON) > 0 {
		if err := json.Unmarshal(configJSON, &cfg); err != nil {
			return nil, fmt.Errorf("parse tokenizer_config.json: %w", err)
		}
		if err := json.Unmarshal(configJSON, &cfg.raw); err != nil {
			return nil, fmt.Errorf("parse tokenizer_config.json: %w", err)
		}
	}
	t := &Tokenizer{}
	var err error
	if t.norm, err = buildNormalizer(f.Normalizer); err != nil {
		return nil, err
	}
	if t.pre, t.byteLevel, err = buildPre(f.PreTokenizer); err != nil {
		return nil, err
	}
	vocab, unigram, err := t.buildModel(&f.Model)
	if err != nil {
		return nil, err
	}
	_ = unigram
	// Vocabulary by id, with added tokens on top.
	maxID := int32(-1)
	for _, id := range vocab {
		maxID = max(maxID, id)
	}
	for _, a := range f.AddedTokens {
		maxID = max(maxID, a.ID)
	}
	t.pieces = make([]string, maxID+1)
	for s, id := range vocab {
		t.pieces[id] = s
	}
	t.vocab = make(map[string]int32, len(vocab)+len(f.AddedTokens))
	for s, id := range vocab {
		t.vocab[s] = id
	}
	addedSet := map[string]bool{}
	for _, a := range f.AddedTokens {
		t.pieces[a.ID] = a.Content
		t.vocab[a.Content] = a.ID
		addedSet[a.Content] = true
	}
	t.added = f.AddedTokens
	if t.dec, err = buildDecoder(f.Decoder, addedSet); err != nil {
		return nil, err
	}
	if t.prefix, t.suffix, err = buildPost(f.PostProcessor, t.vocab); err != nil {
		return nil, err
	}
	t.cleanup = cfg.CleanUp == nil || *cfg.CleanUp
	t.chatTemplate = chatTemplateOf(cfg.ChatTemplate)
	t.specialStrs = map[string]string{}
	for _, k := range specialKeys {
		if s, ok := tokenString(cfg.raw[k]); ok {
			t.specialStrs[k] = s
		}
	}
	t.finish()
	t.bos = -1
	if s, ok := t.specialStrs["bos_token"]; ok {
		if id, ok := t.vocab[s]; ok {
			t.bos, t.hasBOS = id, true
		}
	}
	var eos []int32
	if s, ok := t.specialStrs["eos_token"]; ok {
		if id, ok := t.vocab[s]; ok {
			eos = append(eos, id)
		}
	}
	t.collectEOS(eos...)
	t.exportFromHF(&f, cfg)
	return t, nil
}

// buildModel creates t.model and returns the model vocabulary.
func (t *Tokenizer) buildModel(m *hfModel) (map[string]int32, bool, error) {
	typ := m.Type
	if typ == "" {
		switch {
		case len(m.Merges) > 0:
			typ = "BPE"
		case bytes.HasPrefix(bytes.TrimSpace(m.Vocab), []byte("[")):
			typ = "Unigram"
		}
	}
	switch typ {
	case "BPE":
		vocab := map[string]int32{}
		if err := json.Unmarshal(m.Vocab, &vocab); err != nil {
			return nil, false, fmt.Errorf("model vocab: %w", err)
		}
		merges, err := parseMerges(m.Merges)
		if err != nil {
			return nil, false, err
		}
		if (m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "") ||
			(m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "") {
			return nil, false, errors.New("BPE with continuing_subword_prefix or end_of_word_suffix is not supported")
		}
		bm, err := newBPE(vocab, merges, t.byteLevel)
		if err != nil {
			return nil, false, err
		}
		bm.ignoreMerges = m.IgnoreMerges
		bm.fallback = m.ByteFallback
		bm.fuseUnk = m.FuseUnk
		if m.UnkToken != nil {
			if id, ok := vocab[*m.UnkToken]; ok {
				bm.unk = id
			}
		}
		t.model = bm
		t.exp.merges = make([]string, len(merges))
		for i, mg := range merges {
			t.exp.merges[i] = mg[0] + " " + mg[1]
		}
		return vocab, false, nil
	case "Unigram":
		var items [][2]json.RawMessage
		if err := json.Unmarshal(m.Vocab, &items); err != nil {
			return nil, false, fmt.Errorf("model vocab: %w", err)
		}
		vocab := make(map[string]int32, len(items))
		scores := make([]float32, len(items))
		pieces := make([]string, len(items))
		for i, it := range items {
			var s string
			var sc float64
			if err := json.Unmarshal(it[0], &s); err != nil {
				return nil, false, fmt.Errorf("model vocab entry %d: %w", i, err)
			}
			if err := json.Unmarshal(it[1], &sc); err != nil {
				return nil, false, fmt.Errorf("model vocab entry %d: %w", i, err)
			}
			pieces[i], scores[i] = s, float32(sc)
			if _, dup := vocab[s]; !dup {
				vocab[s] = int32(i)
			}
		}
		unk := int32(-1)
		if m.UnkID != nil {
			unk = *m.UnkID
		}
		t.model = newUnigram(pieces, scores, unk, m.ByteFallback)
		t.exp.scores = scores
		return vocab, true, nil
	}
	return nil, false, fmt.Errorf("model type %q is not supported", m.Type)
}

// parseMerges accepts both ["a b", ...] and [["a","b"], ...].
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	var pairs [][2]string
	if err := json.Unmarshal(raw, &pairs); err == nil {
		return pairs, nil
	}
	var lines []string
	if err := json.Unmarshal(raw, &lines); err != nil {
		return nil, fmt.Errorf("model merges: %w", err)
	}
	pairs = make([][2]string, 0, len(lines))
	for i, l := range lines {
		a, b, ok := strings.Cut(l, " ")
		if !ok {
			return nil, fmt.Errorf("model merges: entry %d %q has no space", i, l)
		}
		pairs = append(pairs, [2]string{a, b})
	}
	return pairs, nil
}
