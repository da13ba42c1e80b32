// Package tokenizer turns text into token ids and back, exactly as the
// Hugging Face tokenizers do for the models Nuri runs. Tokenizers load from
// a tokenizer.json (+ tokenizer_config.json) folder or from the
// tokenizer.ggml.* metadata of a GGUF file.
//
// Supported: byte-level BPE with the split patterns of GPT-2, Llama 3,
// Qwen2/3, DeepSeek V3, GPT-4o and EXAONE (hand-written scanners, with a
// general fallback for other patterns); SentencePiece-style BPE with byte
// fallback (Llama 2, Gemma); unigram; the normalizers these models use;
// added and special tokens; post-processor templates; decoding and
// streaming decoding.
package tokenizer

import (
	"strings"
	"sync"
	"unicode"
)

// Tokenizer encodes and decodes text. It is safe for concurrent use.
type Tokenizer struct {
	pieces   []string // id -> raw token text
	addedIDs []bool   // id is an added token
	special  []bool   // id is a special token
	vocab    map[string]int32

	model     model
	byteLevel bool
	norm      normalizer
	pre       preTokenizer
	dec       decoder
	prefix    []int32 // what the post-processor puts before the ids
	suffix    []int32 // and after them
	cleanup   bool

	added        []addedToken
	rawTrie      *trie // added tokens matched before normalization
	normTrie     *trie // added tokens matched after normalization
	rawTrieOrd   *trie // the same, non-special tokens only
	normTrieOrd  *trie
	rawIndex     []int32 // trie token index -> added index
	normIndex    []int32
	rawIndexOrd  []int32
	normIndexOrd []int32

	bos          int32
	hasBOS       bool
	eos          []int32
	chatTemplate string
	specialStrs  map[string]string

	exp exportInfo

	scratch sync.Pool
}

// exportInfo keeps what GGUFMetadata needs.
type exportInfo struct {
	ggmlModel      string // gpt2, llama, t5...
	pre            string
	merges         []string
	scores         []float32
	unk, pad       int32
	addBOS, addEOS bool
	addSpacePrefix bool
}

// Metadata is a read-only key/value view of GGUF metadata.
type Metadata interface {
	Get(key string) (any, bool)
}

// KV is one metadata entry.
type KV struct {
	Key   string
	Value any
}

type encScratch struct {
	segs, subs []segment
	pieces     []string
	ids        []int32 // the ids being built; the caller gets an exact copy
	bpe        bpeScratch
}

// maxKeptIDs bounds the id buffer a pooled scratch keeps between calls.
const maxKeptIDs = 1 << 20

func (t *Tokenizer) finish() {
	n := len(t.pieces)
	t.addedIDs = make([]bool, n)
	if len(t.special) < n {
		sp := make([]bool, n)
		copy(sp, t.special)
		t.special = sp
	}
	var raw, norm, rawOrd, normOrd []string
	for i, a := range t.added {
		if int(a.ID) < n && a.ID >= 0 {
			t.addedIDs[a.ID] = true
			if a.Special {
				t.special[a.ID] = true
			}
		}
		content := a.Content
		if a.isNormalized() && t.norm != nil {
			content = t.norm.normalize(content)
			norm = append(norm, content)
			t.normIndex = append(t.normIndex, int32(i))
			if !a.Special {
				normOrd = append(normOrd, content)
				t.normIndexOrd = append(t.normIndexOrd, int32(i))
			}
		} else {
			raw = append(raw, content)
			t.rawIndex = append(t.rawIndex, int32(i))
			if !a.Special {
				rawOrd = append(rawOrd, content)
				t.rawIndexOrd = append(t.rawIndexOrd, int32(i))
			}
		}
	}
	t.rawTrie, t.normTrie = newTrie(raw), newTrie(norm)
	t.rawTrieOrd, t.normTrieOrd = newTrie(rawOrd), newTrie(normOrd)
	t.scratch.New = func() any { return &encScratch{} }
}

// Encode tokenizes text. Strings of added and special tokens inside text
// are matched as those tokens (the Hugging Face default). With addSpecial
// the post-processor's tokens (such as BOS) are added.
func (t *Tokenizer) Encode(text string, addSpecial bool) []int32 {
	return t.encode(text, addSpecial, false)
}

// EncodeOrdinary tokenizes text without ever producing special tokens:
// their strings are tokenized as ordinary text. Non-special added tokens
// are still matched. Nothing is added around the ids.
func (t *Tokenizer) EncodeOrdinary(text string) []int32 {
	return t.encode(text, false, true)
}

func isJSSpace(r rune) bool { return unicode.IsSpace(r) || r == 0xFEFF }

func (t *Tokenizer) encode(text string, addSpecial, ordinary bool) []int32 {
	sc := t.scratch.Get().(*encScratch)
	defer t.scratch.Put(sc)
	// Build in the scratch buffer and return an exact-size copy: one
	// allocation per call, no growth and no slack for the GC to carry.
	out := sc.ids[:0]
	if addSpecial {
		out = append(out, t.prefix...)
	}
	rt, ri, nt, ni := t.rawTrie, t.rawIndex, t.normTrie, t.normIndex
	if ordinary {
		rt, ri, nt, ni = t.rawTrieOrd, t.rawIndexOrd, t.normTrieOrd, t.normIndexOrd
	}
	segs := rt.split(text, nil, sc.segs[:0])
	t.applyStrip(segs, ri)
	for _, sg := range segs {
		if sg.tok >= 0 {
			out = append(out, t.added[ri[sg.tok]].ID)
			continue
		}
		s := sg.text
		if s == "" {
			continue
		}
		if t.norm != nil {
			s = t.norm.normalize(s)
			if s == "" {
				continue
			}
		}
		subs := nt.split(s, nil, sc.subs[:0])
		t.applyStrip(subs, ni)
		for _, sub := range subs {
			if sub.tok >= 0 {
				out = append(out, t.added[ni[sub.tok]].ID)
				continue
			}
			if sub.text == "" {
				continue
			}
			pieces := sc.pieces[:0]
			if t.pre != nil {
				pieces = t.pre.split(sub.text, pieces)
			} else {
				pieces = append(pieces, sub.text)
			}
			for _, p := range pieces {
				out = t.model.encode(p, out, &sc.bpe)
			}
			clear(pieces)
			sc.pieces = pieces[:0]
		}
		sc.subs = subs[:0]
	}
	sc.segs = segs[:0]
	if addSpecial {
		out = append(out, t.suffix...)
	}
	ids := make([]int32, len(out))
	copy(ids, out)
	if cap(out) <= maxKeptIDs {
		sc.ids = out[:0]
	} else {
		sc.ids = nil
	}
	return ids
}

// applyStrip honours lstrip/rstrip of matched added tokens.
func (t *Tokenizer) applyStrip(segs []segment, index []int32) {
	for i, sg := range segs {
		if sg.tok < 0 {
			continue
		}
		a := t.added[index[sg.tok]]
		if a.LStrip && i > 0 && segs[i-1].tok < 0 {
			segs[i-1].text = strings.TrimRightFunc(segs[i-1].text, isJSSpace)
		}
		if a.RStrip && i+1 < len(segs) && segs[i+1].tok < 0 {
			segs[i+1].text = strings.TrimLeftFunc(segs[i+1].text, isJSSpace)
		}
	}
}

// TokenText returns the raw vocabulary string of id ("" if out of range).
func (t *Tokenizer) TokenText(id int32) string {
	if id < 0 || int(id) >= len(t.pieces) {
		return ""
	}
	return t.pieces[id]
}

// TokenID returns the id of a vocabulary string.
func (t *Tokenizer) TokenID(s string) (int32, bool) {
	id, ok := t.vocab[s]
	return id, ok
}

// VocabSize is the number of ids (model vocabulary plus added tokens).
func (t *Tokenizer) VocabSize() int { return len(t.pieces) }

// BOS returns the beginning-of-sequence id, if the tokenizer has one.
func (t *Tokenizer) BOS() (int32, bool) { return t.bos, t.hasBOS }

// EOS returns every id that ends generation (eos, eot, <|im_end|>, ...).
func (t *Tokenizer) EOS() []int32 { return append([]int32(nil), t.eos...) }

// IsSpecial reports whether id is a special (control) token.
func (t *Tokenizer) IsSpecial(id int32) bool {
	return id >= 0 && int(id) < len(t.special) && t.special[id]
}

// ChatTemplate returns the Jinja chat template, or "" if there is none.
func (t *Tokenizer) ChatTemplate() string { return t.chatTemplate }

// SpecialTokenStrings returns bos_token, eos_token, ... as configured.
func (t *Tokenizer) SpecialTokenStrings() map[string]string {
	m := make(map[string]string, len(t.specialStrs))
	for k, v := range t.specialStrs {
		m[k] = v
	}
	return m
}

// endOfGeneration lists token texts that end a turn in common chat formats.
var endOfGeneration = map[string]bool{
	"<|eot_id|>": true, "<|eom_id|>": true, "<|im_end|>": true, "<end_of_turn>": true,
	"<|end|>": true, "<|endoftext|>": true, "<|end_of_text|>": true, "</s>": true,
	"<｜end▁of▁sentence｜>": true, "<|return|>": true, "<|call|>": true, "<eos>": true,
	"[|endofturn|]": true, "<EOT>": true,
}

// collectEOS fills t.eos from explicit ids plus well-known end tokens.
func (t *Tokenizer) collectEOS(explicit ...int32) {
	seen := map[int32]bool{}
	add := func(id int32) {
		if id >= 0 && int(id) < len(t.pieces) && !seen[id] {
			seen[id] = true
			t.eos = append(t.eos, id)
		}
	}
	for _, id := range explicit {
		add(id)
	}
	for _, a := range t.added {
		if endOfGeneration[a.Content] && t.special[a.ID] {
			add(a.ID)
		}
	}
}
