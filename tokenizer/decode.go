package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// decoder turns token strings back into text pieces, step by step, like
// the decoders of tokenizer.json.
type decoder interface {
	decodeChain(tokens []string) []string
}

type seqDec []decoder

func (d seqDec) decodeChain(toks []string) []string {
	for _, x := range d {
		toks = x.decodeChain(toks)
	}
	return toks
}

// byteLevelDec maps byte-level runes back to bytes; added tokens pass
// through verbatim.
type byteLevelDec struct{ added map[string]bool }

func byteLevelToText(toks []string) string {
	var raw []byte
	for _, t := range toks {
		for _, r := range t {
			if b, ok := runeToByte[r]; ok {
				raw = append(raw, b)
			} else {
				raw = append(raw, 0)
			}
		}
	}
	return string(appendUTF8Lossy(nil, raw))
}

func (d byteLevelDec) decodeChain(toks []string) []string {
	var out []string
	start := 0
	for i, t := range toks {
		if d.added[t] {
			if i > start {
				out = append(out, byteLevelToText(toks[start:i]))
			}
			out = append(out, t)
			start = i + 1
		}
	}
	if start < len(toks) {
		out = append(out, byteLevelToText(toks[start:]))
	}
	return out
}

type replaceDec struct{ n replaceNorm }

func (d replaceDec) decodeChain(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = d.n.normalize(t)
	}
	return out
}

// byteFallbackDec turns runs of <0xXX> tokens into text. Like a default
// WHATWG TextDecoder it replaces bad sequences and drops a leading BOM.
type byteFallbackDec struct{}

func byteToken(t string) (byte, bool) {
	if len(t) != 6 || !strings.HasPrefix(t, "<0x") || t[5] != '>' {
		return 0, false
	}
	hex := func(c byte) (byte, bool) {
		switch {
		case c >= '0' && c <= '9':
			return c - '0', true
		case c >= 'a' && c <= 'f':
			return c - 'a' + 10, true
		case c >= 'A' && c <= 'F':
			return c - 'A' + 10, true
		}
		return 0, false
	}
	h, ok1 := hex(t[3])
	l, ok2 := hex(t[4])
	if !ok1 || !ok2 {
		return 0, false
	}
	return h<<4 | l, true
}

func decodeByteRun(b []byte) string {
	b = []byte(strings.TrimPrefix(string(b), "\uFEFF"))
	return string(appendUTF8Lossy(nil, b))
}

func (byteFallbackDec) decodeChain(toks []string) []string {
	var out []string
	var run []byte
	for _, t := range toks {
		if b, ok := byteToken(t); ok {
			run = append(run, b)
			continue
		}
		if len(run) > 0 {
			out = append(out, decodeByteRun(run))
			run = run[:0]
		}
		out = append(out, t)
	}
	if len(run) > 0 {
		out = append(out, decodeByteRun(run))
	}
	return out
}

type fuseDec struct{}

func (fuseDec) decodeChain(toks []string) []string { return []string{strings.Join(toks, "")} }

// stripDec removes up to start leading and stop trailing copies of content
// from every token.
type stripDec struct {
	content     string
	start, stop int
}

func (d stripDec) decodeChain(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		for k := 0; k < d.start && d.content != "" && strings.HasPrefix(t, d.content); k++ {
			t = t[len(d.content):]
		}
		for k := 0; k < d.stop && d.content != "" && strings.HasSuffix(t, d.content); k++ {
			t = t[:len(t)-len(d.content)]
		}
		out[i] = t
	}
	return out
}

type metaspaceDec struct {
	replacement string
	prepend     bool
}

func (d metaspaceDec) decodeChain(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		t = strings.ReplaceAll(t, d.replacement, " ")
		if i == 0 && d.prepend {
			t = strings.TrimPrefix(t, " ")
		}
		out[i] = t
	}
	return out
}

type bpeSuffixDec struct{ suffix string }

func (d bpeSuffixDec) decodeChain(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		rep := " "
		if i == len(toks)-1 {
			rep = ""
		}
		if d.suffix != "" {
			t = strings.ReplaceAll(t, d.suffix, rep)
		}
		out[i] = t
	}
	return out
}

type wordPieceDec struct {
	prefix  string
	cleanup bool
}

func (d wordPieceDec) decodeChain(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		if i != 0 {
			if d.prefix != "" && strings.HasPrefix(t, d.prefix) {
				t = strings.Replace(t, d.prefix, "", 1)
			} else {
				t = " " + t
			}
		}
		if d.cleanup {
			t = cleanUpTokenization(t)
		}
		out[i] = t
	}
	return out
}

var cleanupReplacer = []struct{ from, to string }{
	{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
	{" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
}

// cleanUpTokenization removes spaces before punctuation and contractions,
// as clean_up_tokenization_spaces does.
func cleanUpTokenization(s string) string {
	for _, r := range cleanupReplacer {
		s = strings.ReplaceAll(s, r.from, r.to)
	}
	return s
}

// Decode turns ids back into text (special tokens kept, clean-up as the
// tokenizer's configuration says). Ids outside the vocabulary are skipped.
func (t *Tokenizer) Decode(ids []int32) string {
	return t.decode(ids, t.cleanup)
}

func (t *Tokenizer) decode(ids []int32, cleanup bool) string {
	if len(ids) == 0 {
		return ""
	}
	toks := make([]string, 0, len(ids))
	for _, id := range ids {
		if id >= 0 && int(id) < len(t.pieces) {
			toks = append(toks, t.pieces[id])
		}
	}
	var s string
	if t.dec != nil {
		s = strings.Join(t.dec.decodeChain(toks), "")
	} else {
		s = strings.Join(toks, " ")
	}
	if cleanup {
		s = cleanUpTokenization(s)
	}
	return s
}

// StreamDecoder decodes ids one at a time and only ever returns whole
// UTF-8 characters: bytes of a character split across tokens are held back
// until the character is complete.
type StreamDecoder struct {
	t      *Tokenizer
	ids    []int32
	prefix int // ids[prefix:read] were already emitted (context window)
	read   int
}

// NewStreamDecoder starts a streaming decode.
func (t *Tokenizer) NewStreamDecoder() *StreamDecoder {
	return &StreamDecoder{t: t}
}

// Add feeds one id and returns the text that became complete ("" if none).
// Clean-up of tokenization spaces is not applied while streaming.
func (d *StreamDecoder) Add(id int32) string {
	d.ids = append(d.ids, id)
	prev := d.t.decode(d.ids[d.prefix:d.read], false)
	full := d.t.decode(d.ids[d.prefix:], false)
	if len(full) <= len(prev) || !strings.HasPrefix(full, prev) {
		if !strings.HasPrefix(full, prev) {
			// The decoder rewrote earlier text; restart the window here.
			d.prefix, d.read = len(d.ids)-1, len(d.ids)-1
		}
		return ""
	}
	if d.pendingIncomplete() {
		return ""
	}
	out := full[len(prev):]
	d.prefix = d.read
	d.read = len(d.ids)
	// Keep the window short: the previous token is enough context.
	return out
}

// pendingIncomplete reports whether the raw bytes of the ids not yet
// emitted end inside a UTF-8 character.
func (d *StreamDecoder) pendingIncomplete() bool {
	var raw []byte
	for _, id := range d.ids[d.read:] {
		raw = d.t.rawBytes(id, raw)
	}
	return incompleteTail(raw) > 0
}

// Flush returns whatever is still held back (incomplete characters become
// U+FFFD).
func (d *StreamDecoder) Flush() string {
	if d.read >= len(d.ids) {
		return ""
	}
	prev := d.t.decode(d.ids[d.prefix:d.read], false)
	full := d.t.decode(d.ids[d.prefix:], false)
	d.prefix, d.read = len(d.ids), len(d.ids)
	if strings.HasPrefix(full, prev) {
		return full[len(prev):]
	}
	return full
}

// rawBytes appends the bytes a token stands for (before UTF-8 decoding).
func (t *Tokenizer) rawBytes(id int32, dst []byte) []byte {
	if id < 0 || int(id) >= len(t.pieces) {
		return dst
	}
	p := t.pieces[id]
	if t.addedIDs[id] {
		return append(dst, p...)
	}
	if t.byteLevel {
		for _, r := range p {
			if b, ok := runeToByte[r]; ok {
				dst = append(dst, b)
			}
		}
		return dst
	}
	if b, ok := byteToken(p); ok {
		return append(dst, b)
	}
	if !utf8.ValidString(p) {
		return dst
	}
	return append(dst, p...)
}
