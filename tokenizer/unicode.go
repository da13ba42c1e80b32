package tokenizer

import (
	"sync"
	"unicode"
	"unicode/utf8"
)

// Character classes used by the pre-tokenizer scanners. The patterns shipped
// with Hugging Face tokenizers are written for Oniguruma, whose \s is the
// Unicode White_Space property (it includes U+0085 and excludes U+FEFF).
const (
	cL  uint16 = 1 << iota // letter (any Lx)
	cN                     // number (Nd, Nl, No)
	cWS                    // White_Space property
	cLu                    // uppercase letter
	cLl                    // lowercase letter
	cLt                    // titlecase letter
	cLm                    // modifier letter
	cLo                    // other letter
	cM                     // mark (Mn, Mc, Me)
	cP                     // punctuation
	cS                     // symbol
)

var (
	bmpClassOnce sync.Once
	bmpClass     []uint16
	asciiClass   [utf8.RuneSelf]uint16
)

func init() {
	for r := range asciiClass {
		asciiClass[r] = computeClass(rune(r))
	}
}

func computeClass(r rune) uint16 {
	var c uint16
	switch {
	case unicode.Is(unicode.Lu, r):
		c |= cL | cLu
	case unicode.Is(unicode.Ll, r):
		c |= cL | cLl
	case unicode.Is(unicode.Lt, r):
		c |= cL | cLt
	case unicode.Is(unicode.Lm, r):
		c |= cL | cLm
	case unicode.Is(unicode.Lo, r):
		c |= cL | cLo
	case unicode.Is(unicode.N, r):
		c |= cN
	case unicode.Is(unicode.M, r):
		c |= cM
	case unicode.Is(unicode.P, r):
		c |= cP
	case unicode.Is(unicode.S, r):
		c |= cS
	}
	if unicode.Is(unicode.White_Space, r) {
		c |= cWS
	}
	return c
}

func initClasses() {
	bmpClass = make([]uint16, 0x10000)
	for r := rune(0); r < 0x10000; r++ {
		bmpClass[r] = computeClass(r)
	}
}

// classOf returns the class bits of r.
func classOf(r rune) uint16 {
	if r < utf8.RuneSelf {
		return asciiClass[r]
	}
	if r < 0x10000 {
		bmpClassOnce.Do(initClasses)
		return bmpClass[r]
	}
	return computeClass(r)
}

// decodeAt decodes the rune starting at byte i of s and returns it with its
// width and class. Invalid bytes decode as U+FFFD with width 1.
func decodeAt(s string, i int) (rune, int, uint16) {
	if b := s[i]; b < utf8.RuneSelf {
		return rune(b), 1, asciiClass[b&0x7f]
	}
	return decodeSlow(s, i)
}

func decodeSlow(s string, i int) (rune, int, uint16) {
	r, w := utf8.DecodeRuneInString(s[i:])
	return r, w, classOf(r)
}

// isWS reports whether r is Unicode White_Space.
func isWS(r rune) bool { return classOf(r)&cWS != 0 }

// appendUTF8Lossy appends b to dst, replacing each maximal ill-formed
// subsequence with one U+FFFD, as the WHATWG UTF-8 decoder does.
func appendUTF8Lossy(dst []byte, b []byte) []byte {
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x80 {
			dst = append(dst, c)
			i++
			continue
		}
		need, lo, hi := 0, byte(0x80), byte(0xBF)
		switch {
		case c >= 0xC2 && c <= 0xDF:
			need = 1
		case c == 0xE0:
			need, lo = 2, 0xA0
		case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
			need = 2
		case c == 0xED:
			need, hi = 2, 0x9F
		case c == 0xF0:
			need, lo = 3, 0x90
		case c >= 0xF1 && c <= 0xF3:
			need = 3
		case c == 0xF4:
			need, hi = 3, 0x8F
		default:
			dst = append(dst, "\uFFFD"...)
			i++
			continue
		}
		j := i + 1
		ok := true
		for k := 0; k < need; k++ {
			if j >= len(b) || b[j] < lo || b[j] > hi {
				ok = false
				break
			}
			lo, hi = 0x80, 0xBF
			j++
		}
		if ok {
			dst = append(dst, b[i:j]...)
		} else {
			dst = append(dst, "\uFFFD"...)
		}
		i = j
	}
	return dst
}

// incompleteTail reports how many bytes at the end of b form the start of a
// UTF-8 sequence that more bytes could still complete.
func incompleteTail(b []byte) int {
	for n := 1; n <= 3 && n <= len(b); n++ {
		c := b[len(b)-n]
		if c < 0x80 {
			return 0
		}
		if c >= 0xC0 {
			need := 0
			switch {
			case c >= 0xC2 && c <= 0xDF:
				need = 2
			case c >= 0xE0 && c <= 0xEF:
				need = 3
			case c >= 0xF0 && c <= 0xF4:
				need = 4
			default:
				return 0
			}
			if n < need && !utf8.FullRune(b[len(b)-n:]) {
				return n
			}
			return 0
		}
	}
	return 0
}

// byte-level alphabet: every byte maps to a printable rune, as GPT-2 did.
var (
	byteToRune [256]rune
	runeToByte = map[rune]byte{}
	// runeByteTab is runeToByte as an array over the alphabet's runes (all
	// below 0x144); -1 for runes outside it.
	runeByteTab [0x144]int16
)

func init() {
	n := 0
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			byteToRune[b] = rune(b)
		} else {
			byteToRune[b] = rune(256 + n)
			n++
		}
		runeToByte[byteToRune[b]] = byte(b)
	}
	for r := range runeByteTab {
		runeByteTab[r] = -1
	}
	for b, r := range byteToRune {
		runeByteTab[r] = int16(b)
	}
}
