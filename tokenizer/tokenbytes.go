package tokenizer

import "strings"

// TokenBytes returns the bytes token id adds to decoded text when it stands
// in the middle of a sequence: the byte-level runes mapped back to bytes,
// <0xXX> byte-fallback tokens as their single byte, SentencePiece pieces
// with "▁" turned into a space. Sequence-level decoder steps (dropping the
// space at the very start of a text) are not applied. Added and special
// tokens give their text as decoding writes it; IsSpecial tells the
// special ones apart. Ids outside the vocabulary give nil.
//
// The bytes of one token need not be valid UTF-8: byte-level and
// byte-fallback tokens may hold part of a character.
func (t *Tokenizer) TokenBytes(id int32) []byte {
	if id < 0 || int(id) >= len(t.pieces) {
		return nil
	}
	p := t.pieces[id]
	if t.byteLevel {
		// rawBytes passes added tokens through as written.
		return t.rawBytes(id, nil)
	}
	// Without byte-level mapping the decoder runs over added tokens too
	// (Gemma's runs of "▁" are added tokens).
	b, _ := pieceBytes(t.dec, p)
	return b
}

// pieceBytes runs the per-token steps of a decoder over one piece. It
// reports done when a step that joins or trims the whole text (Fuse) was
// reached, after which nothing more applies to a single token.
func pieceBytes(d decoder, p string) (out []byte, done bool) {
	switch d := d.(type) {
	case nil:
		return []byte(p), false
	case seqDec:
		s := p
		for _, x := range d {
			if _, ok := x.(fuseDec); ok {
				return []byte(s), true
			}
			b, stop := pieceBytes(x, s)
			if stop {
				return b, true
			}
			s = string(b)
		}
		return []byte(s), false
	case byteLevelDec:
		var raw []byte
		for _, r := range p {
			if b, ok := runeToByte[r]; ok {
				raw = append(raw, b)
			}
		}
		return raw, true
	case byteFallbackDec:
		if b, ok := byteToken(p); ok {
			return []byte{b}, true
		}
		return []byte(p), false
	case replaceDec:
		return []byte(d.n.normalize(p)), false
	case metaspaceDec:
		return []byte(strings.ReplaceAll(p, d.replacement, " ")), false
	case stripDec:
		// Before a Fuse, Strip works on every token.
		out := d.decodeChain([]string{p})
		return []byte(out[0]), false
	case bpeSuffixDec:
		if d.suffix != "" {
			p = strings.ReplaceAll(p, d.suffix, " ")
		}
		return []byte(p), false
	case wordPieceDec:
		if d.prefix != "" && strings.HasPrefix(p, d.prefix) {
			return []byte(strings.Replace(p, d.prefix, "", 1)), false
		}
		return []byte(" " + p), false
	case fuseDec:
		return []byte(p), true
	}
	return []byte(p), false
}
