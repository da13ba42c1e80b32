package tokenizer

import "unicode/utf8"

// Hand-written scanners for the split patterns that real models ship. Each
// one reports where the leftmost-first match that starts exactly at byte i
// ends, or -1 when no alternative matches there; they reproduce what a
// backtracking (Oniguruma) engine does with these patterns, including the
// \s+(?!\S) look-ahead and Unicode White_Space for \s.

// matchFunc returns the end of the match starting at i, or -1.
type matchFunc func(s string, i int) int

// contraction matches '(s|t|re|ve|m|ll|d) at i; fold makes the letters
// ASCII case-insensitive.
func contraction(s string, i int, fold bool) int {
	if i >= len(s) || s[i] != '\'' || i+1 >= len(s) {
		return -1
	}
	low := func(b byte) byte {
		if fold && b >= 'A' && b <= 'Z' {
			return b + 32
		}
		return b
	}
	c := low(s[i+1])
	switch c {
	case 's', 't', 'm', 'd':
		return i + 2
	case 'r', 'v':
		if i+2 < len(s) && low(s[i+2]) == 'e' {
			return i + 3
		}
	case 'l':
		if i+2 < len(s) && low(s[i+2]) == 'l' {
			return i + 3
		}
	}
	return -1
}

// runOf advances from i while the class of each rune has a bit of mask.
func runOf(s string, i int, mask uint16) int {
	for i < len(s) {
		if b := s[i]; b < utf8.RuneSelf {
			if asciiClass[b]&mask == 0 {
				break
			}
			i++
			continue
		}
		_, w, c := decodeSlow(s, i)
		if c&mask == 0 {
			break
		}
		i += w
	}
	return i
}

// runOfUpTo is runOf limited to max runes.
func runOfUpTo(s string, i int, mask uint16, max int) int {
	for n := 0; n < max && i < len(s); n++ {
		w, c := 1, uint16(0)
		if b := s[i]; b < utf8.RuneSelf {
			c = asciiClass[b]
		} else {
			_, w, c = decodeSlow(s, i)
		}
		if c&mask == 0 {
			break
		}
		i += w
	}
	return i
}

// otherRun advances over runes that are neither whitespace, letters nor numbers.
func otherRun(s string, i int) int {
	for i < len(s) {
		if b := s[i]; b < utf8.RuneSelf {
			if asciiClass[b]&(cWS|cL|cN) != 0 {
				break
			}
			i++
			continue
		}
		_, w, c := decodeSlow(s, i)
		if c&(cWS|cL|cN) != 0 {
			break
		}
		i += w
	}
	return i
}

// crlfRun advances over \r and \n (and '/' when slash is set).
func crlfRun(s string, i int, slash bool) int {
	for i < len(s) && (s[i] == '\r' || s[i] == '\n' || (slash && s[i] == '/')) {
		i++
	}
	return i
}

// wsTail matches `\s*[\r\n]+|\s+(?!\S)|\s+` (withNL) or `\s+(?!\S)|\s+` at i.
func wsTail(s string, i int, withNL bool) int {
	// Scan the whole whitespace run, remembering the last \r or \n and the
	// start of the last rune.
	end, lastNL, lastStart := i, -1, i
	for end < len(s) {
		r, w, c := decodeAt(s, end)
		if c&cWS == 0 {
			break
		}
		if r == '\r' || r == '\n' {
			lastNL = end
		}
		lastStart = end
		end += w
	}
	if end == i {
		return -1
	}
	if withNL && lastNL >= 0 {
		return lastNL + 1
	}
	if end == len(s) || lastStart == i {
		// Followed by the end of text, or a single rune: \s+ takes it all.
		return end
	}
	return lastStart
}

// matchLlama3 implements
// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,D}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// with D = maxDigits (3 for Llama 3, 1 for Qwen2).
func matchLlama3(maxDigits int) matchFunc {
	return func(s string, i int) int {
		if e := contraction(s, i, true); e >= 0 {
			return e
		}
		r0, w0, c0 := decodeAt(s, i)
		if c0&cL != 0 {
			return runOf(s, i+w0, cL)
		}
		if c0&cN != 0 {
			return runOfUpTo(s, i, cN, maxDigits)
		}
		if r0 != '\r' && r0 != '\n' && i+w0 < len(s) {
			if _, _, c1 := decodeAt(s, i+w0); c1&cL != 0 {
				return runOf(s, i+w0, cL)
			}
		}
		if r0 == ' ' && i+1 < len(s) {
			if _, _, c1 := decodeAt(s, i+1); c1&(cWS|cL|cN) == 0 {
				return crlfRun(s, otherRun(s, i+1), false)
			}
		}
		if c0&cWS == 0 {
			return crlfRun(s, otherRun(s, i), false)
		}
		return wsTail(s, i, true)
	}
}

// matchGPT2 implements 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
func matchGPT2(s string, i int) int {
	if e := contraction(s, i, false); e >= 0 {
		return e
	}
	j := i
	if s[i] == ' ' && i+1 < len(s) {
		j = i + 1
	}
	_, w, c := decodeAt(s, j)
	switch {
	case c&cL != 0:
		return runOf(s, j+w, cL)
	case c&cN != 0:
		return runOf(s, j+w, cN)
	case c&cWS == 0:
		return otherRun(s, j)
	}
	return wsTail(s, i, false)
}

// o200k letter classes.
const (
	o2Upper = cLu | cLt | cLm | cLo | cM
	o2Lower = cLl | cLm | cLo | cM
)

// o200kWord tries [UP]*[LO]+ at j.
func o200kWord(s string, j int) int {
	r := j
	lastLower := -1
	for r < len(s) {
		w, c := 1, uint16(0)
		if b := s[r]; b < utf8.RuneSelf {
			c = asciiClass[b]
		} else {
			_, w, c = decodeSlow(s, r)
		}
		if c&o2Upper == 0 {
			break
		}
		if c&o2Lower != 0 {
			lastLower = r + w
		}
		r += w
	}
	if r < len(s) {
		if _, _, c := decodeAt(s, r); c&o2Lower != 0 {
			return runOf(s, r, o2Lower)
		}
	}
	return lastLower
}

// o200kCap tries [UP]+[LO]* at j.
func o200kCap(s string, j int) int {
	r := runOf(s, j, o2Upper)
	if r == j {
		return -1
	}
	return runOf(s, r, o2Lower)
}

// matchO200k implements the GPT-4o (o200k) split pattern:
// [^\r\n\p{L}\p{N}]?[UP]*[LO]+(?i:'s|...)?|[^\r\n\p{L}\p{N}]?[UP]+[LO]*(?i:'s|...)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
func matchO200k(s string, i int) int {
	r0, w0, c0 := decodeAt(s, i)
	canPrefix := r0 != '\r' && r0 != '\n' && c0&(cL|cN) == 0
	withSuffix := func(e int) int {
		if c := contraction(s, e, true); c >= 0 {
			return c
		}
		return e
	}
	for _, f := range [2]func(string, int) int{o200kWord, o200kCap} {
		if canPrefix && i+w0 < len(s) {
			if e := f(s, i+w0); e >= 0 {
				return withSuffix(e)
			}
		}
		if e := f(s, i); e >= 0 {
			return withSuffix(e)
		}
	}
	if c0&cN != 0 {
		return runOfUpTo(s, i, cN, 3)
	}
	if r0 == ' ' && i+1 < len(s) {
		if _, _, c1 := decodeAt(s, i+1); c1&(cWS|cL|cN) == 0 {
			return crlfRun(s, otherRun(s, i+1), true)
		}
	}
	if c0&cWS == 0 {
		return crlfRun(s, otherRun(s, i), true)
	}
	return wsTail(s, i, true)
}

// matchDigits implements \p{N}{1,max}.
func matchDigits(max int) matchFunc {
	return func(s string, i int) int {
		e := runOfUpTo(s, i, cN, max)
		if e == i {
			return -1
		}
		return e
	}
}

func isDeepseekCJK(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FA5) || (r >= 0x3040 && r <= 0x309F) || (r >= 0x30A0 && r <= 0x30FF)
}

// matchDeepseekCJK implements [一-龥぀-ゟ゠-ヿ]+.
func matchDeepseekCJK(s string, i int) int {
	e := i
	for e < len(s) {
		r, w, _ := decodeAt(s, e)
		if !isDeepseekCJK(r) {
			break
		}
		e += w
	}
	if e == i {
		return -1
	}
	return e
}

func isASCIIPunct(b byte) bool {
	return (b >= '!' && b <= '/') || (b >= ':' && b <= '@') || (b >= '[' && b <= '`') || (b >= '{' && b <= '~')
}

func isASCIILetter(b byte) bool { return (b|0x20) >= 'a' && (b|0x20) <= 'z' }

// matchDeepseekMain implements the third DeepSeek V3 split:
// [!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
func matchDeepseekMain(s string, i int) int {
	if isASCIIPunct(s[i]) && i+1 < len(s) && isASCIILetter(s[i+1]) {
		e := i + 1
		for e < len(s) && isASCIILetter(s[e]) {
			e++
		}
		return e
	}
	r0, w0, c0 := decodeAt(s, i)
	if r0 != '\r' && r0 != '\n' && c0&(cL|cP|cS) == 0 && i+w0 < len(s) {
		if e := runOf(s, i+w0, cL|cM); e > i+w0 {
			return e
		}
	}
	if c0&(cL|cM) != 0 {
		return runOf(s, i, cL|cM)
	}
	if r0 == ' ' && i+1 < len(s) {
		if _, _, c1 := decodeAt(s, i+1); c1&(cP|cS) != 0 {
			return crlfRun(s, runOf(s, i+1, cP|cS), false)
		}
	}
	if c0&(cP|cS) != 0 {
		return crlfRun(s, runOf(s, i, cP|cS), false)
	}
	if c0&cWS != 0 {
		return wsTail(s, i, true)
	}
	return -1
}
