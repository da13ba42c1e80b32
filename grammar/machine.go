package grammar

import "math/bits"

// The grammar is a tree (a graph, with recursive references) of nodes. A
// position in it is a stack of frames: the top frame is the node being
// matched, the frames below say what comes after it. Stacks are immutable
// linked lists, so the several positions a choice leads to share their
// tails and a position can be kept while others are explored.

type kind uint8

const (
	kLit     kind = iota + 1 // the bytes lit
	kBytes                   // one byte from set
	kRunes                   // one UTF-8 character from ranges
	kStr                     // a whole JSON string "..." of min..max characters
	kSpecial                 // the special token tok
	kSeq                     // kids in order
	kAlt                     // one of kids
	kRep                     // kids[0] min..max times (max < 0: no limit), sep between
	kObject                  // an object body with fixed properties (props, closing)
	kRef                     // ref, resolved after compiling (recursion)
	kBound                   // kids[0], consuming at most max bytes
)

// terminal kinds consume input; the others only rearrange the stack.
func (k kind) terminal() bool { return k <= kSpecial }

type node struct {
	kind     kind
	lit      []byte
	set      byteSet
	ranges   []runeRange // sorted, disjoint, no surrogates
	tok      int32
	kids     []*node
	min, max int32
	sep      *node
	props    []objProp
	closing  *node
	ref      *node
	minBytes int32 // minLen, once minKnown
	minKnown bool
}

// objProp is one property of an object with fixed properties: first is
// `"key":` + value, next the same after a comma.
type objProp struct {
	first, next *node
	required    bool
}

type byteSet [4]uint64

func (s *byteSet) add(lo, hi byte) {
	for c := int(lo); c <= int(hi); c++ {
		s[c>>6] |= 1 << (c & 63)
	}
}

func (s *byteSet) has(c byte) bool { return s[c>>6]&(1<<(c&63)) != 0 }

type runeRange struct{ lo, hi rune }

type frame struct {
	n      *node
	i, aux int32
}

type stack struct {
	f     frame
	up    *stack
	depth int32
}

func push(up *stack, f frame) *stack {
	d := int32(1)
	if up != nil {
		d = up.depth + 1
	}
	return &stack{f: f, up: up, depth: d}
}

// state is one position: the stack (nil: the grammar is complete) and the
// byte budget of the innermost kBound (limit < 0: none).
type state struct {
	s           *stack
	used, limit int32
}

// Limits that keep positions finite.
const (
	maxStackDepth = 400   // deeper positions are dropped (recursive schemas)
	maxEpsilon    = 2000  // expansion steps without input, per position
	maxClosure    = 20000 // expansion steps per closure call
)

func sameStack(a, b *stack) bool {
	for a != b {
		if a == nil || b == nil || a.f != b.f {
			return false
		}
		a, b = a.up, b.up
	}
	return true
}

func addState(out []state, st state) []state {
	for _, o := range out {
		if o.used == st.used && o.limit == st.limit && sameStack(o.s, st.s) {
			return out
		}
	}
	return append(out, st)
}

// expander turns a position into the positions whose top frame consumes
// input (or that are complete), following choices and ends of nodes.
type expander struct {
	work int
}

func (e *expander) closure(st state, out []state) []state {
	e.work = 0
	return e.expand(st, out, 0)
}

func (e *expander) expand(st state, out []state, eps int) []state {
	e.work++
	if eps > maxEpsilon || e.work > maxClosure {
		return out
	}
	s := st.s
	if s == nil {
		return addState(out, st)
	}
	if s.depth > maxStackDepth {
		return out
	}
	f := s.f
	n := f.n
	if n.kind.terminal() {
		if st.limit >= 0 && st.used+boundRest(s) > st.limit {
			return out // the pattern could not finish within its bytes
		}
		return addState(out, st)
	}
	eps++
	switch n.kind {
	case kSeq:
		if int(f.i) >= len(n.kids) {
			st.s = s.up
			return e.expand(st, out, eps)
		}
		rest := s.up
		if int(f.i)+1 < len(n.kids) {
			rest = push(s.up, frame{n: n, i: f.i + 1})
		}
		st.s = push(rest, frame{n: n.kids[f.i]})
		return e.expand(st, out, eps)
	case kAlt:
		for _, k := range n.kids {
			out = e.expand(state{s: push(s.up, frame{n: k}), used: st.used, limit: st.limit}, out, eps)
		}
		return out
	case kRep:
		if f.i >= n.min {
			out = e.expand(state{s: s.up, used: st.used, limit: st.limit}, out, eps)
		}
		if n.max < 0 || f.i < n.max {
			cnt := f.i + 1
			if n.max < 0 && cnt > n.min {
				cnt = n.min // past the minimum an unlimited count no longer matters
			}
			top := push(push(s.up, frame{n: n, i: cnt}), frame{n: n.kids[0]})
			if f.i > 0 && n.sep != nil {
				top = push(top, frame{n: n.sep})
			}
			out = e.expand(state{s: top, used: st.used, limit: st.limit}, out, eps)
		}
		return out
	case kObject:
		canClose := true
		for j := int(f.i); j < len(n.props); j++ {
			p := n.props[j]
			entry := p.first
			if f.aux != 0 {
				entry = p.next
			}
			below := push(s.up, frame{n: n, i: int32(j + 1), aux: 1})
			out = e.expand(state{s: push(below, frame{n: entry}), used: st.used, limit: st.limit}, out, eps)
			if p.required {
				canClose = false
				break
			}
		}
		if canClose {
			out = e.expand(state{s: push(s.up, frame{n: n.closing}), used: st.used, limit: st.limit}, out, eps)
		}
		return out
	case kRef:
		st.s = push(s.up, frame{n: n.ref})
		return e.expand(st, out, eps)
	case kBound:
		if f.aux == 0 {
			st.used, st.limit = 0, n.max
			st.s = push(push(s.up, frame{n: n, aux: 1}), frame{n: n.kids[0]})
			return e.expand(st, out, eps)
		}
		st.s, st.used, st.limit = s.up, 0, -1
		return e.expand(st, out, eps)
	}
	return out
}

// step consumes byte b at a position whose top frame is terminal. The
// result still needs expanding.
func step(st state, b byte) (state, bool) {
	s := st.s
	if s == nil {
		return st, false
	}
	if st.limit >= 0 {
		if st.used >= st.limit {
			return st, false
		}
		st.used++
	}
	f := s.f
	n := f.n
	switch n.kind {
	case kLit:
		if n.lit[f.i] != b {
			return st, false
		}
		if int(f.i)+1 == len(n.lit) {
			st.s = s.up
		} else {
			st.s = &stack{f: frame{n: n, i: f.i + 1}, up: s.up, depth: s.depth}
		}
		return st, true
	case kBytes:
		if !n.set.has(b) {
			return st, false
		}
		st.s = s.up
		return st, true
	case kRunes:
		nf, done, ok := stepRune(n, f, b)
		if !ok {
			return st, false
		}
		if done {
			st.s = s.up
		} else {
			st.s = &stack{f: nf, up: s.up, depth: s.depth}
		}
		return st, true
	case kStr:
		nf, done, ok := stepStr(n, f, b)
		if !ok {
			return st, false
		}
		if done {
			st.s = s.up
		} else {
			st.s = &stack{f: nf, up: s.up, depth: s.depth}
		}
		return st, true
	}
	return st, false
}

// UTF-8: the number of bytes a lead byte starts (0: not a lead byte) and
// the smallest and largest code point of that length.
func utf8Lead(b byte) (n int, bits int32) {
	switch {
	case b < 0x80:
		return 1, int32(b)
	case b >= 0xC2 && b <= 0xDF:
		return 2, int32(b & 0x1F)
	case b >= 0xE0 && b <= 0xEF:
		return 3, int32(b & 0x0F)
	case b >= 0xF0 && b <= 0xF4:
		return 4, int32(b & 0x07)
	}
	return 0, 0
}

var utf8Span = [5]runeRange{{}, {0, 0x7F}, {0x80, 0x7FF}, {0x800, 0xFFFF}, {0x10000, 0x10FFFF}}

// stepRune advances a kRunes frame: i counts the bytes read, aux holds the
// length in its top byte and the code point bits read so far.
func stepRune(n *node, f frame, b byte) (frame, bool, bool) {
	var length int
	var val int32
	if f.i == 0 {
		length, val = utf8Lead(b)
		if length == 0 {
			return f, false, false
		}
	} else {
		if b&0xC0 != 0x80 {
			return f, false, false
		}
		length = int(f.aux >> 24)
		val = (f.aux&0xFFFFFF)<<6 | int32(b&0x3F)
	}
	read := int(f.i) + 1
	rem := uint(6 * (length - read))
	lo, hi := rune(val)<<rem, rune(val)<<rem|(1<<rem-1)
	span := utf8Span[length]
	lo, hi = max(lo, span.lo), min(hi, span.hi)
	if lo > hi || !rangesMeet(n.ranges, lo, hi) {
		return f, false, false
	}
	if read == length {
		return f, true, true
	}
	return frame{n: n, i: int32(read), aux: int32(length)<<24 | val}, false, true
}

// rangesMeet reports whether any of the sorted ranges meets [lo, hi].
func rangesMeet(rs []runeRange, lo, hi rune) bool {
	a, b := 0, len(rs)
	for a < b { // first range with hi >= lo
		m := (a + b) / 2
		if rs[m].hi < lo {
			a = m + 1
		} else {
			b = m
		}
	}
	return a < len(rs) && rs[a].lo <= hi
}

// kStr sub-states (frame.aux); frame.i counts characters.
const (
	strOpen    = 0       // before the opening quote
	strIn      = 1       // between characters
	strEsc     = 2       // after a backslash
	strHex0    = 3       // after \u, then 4, 5, 6 with 1, 2, 3 hex digits read
	strHexD    = 7       // after \uD: a surrogate must not follow
	strPartial = 1 << 24 // | remaining<<16 | lo<<8 | hi: inside a character
)

func isHex(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F'
}

// contAfterLead returns the range of the first continuation byte after a
// UTF-8 lead byte (narrower than 80..BF for E0, ED, F0 and F4).
func contAfterLead(b byte) (lo, hi byte) {
	switch b {
	case 0xE0:
		return 0xA0, 0xBF
	case 0xED:
		return 0x80, 0x9F
	case 0xF0:
		return 0x90, 0xBF
	case 0xF4:
		return 0x80, 0x8F
	}
	return 0x80, 0xBF
}

func partial(rem int, lo, hi byte) int32 {
	return strPartial | int32(rem)<<16 | int32(lo)<<8 | int32(hi)
}

// stepStr advances a kStr frame by one byte. done: the closing quote.
func stepStr(n *node, f frame, b byte) (frame, bool, bool) {
	switch a := f.aux; {
	case a == strOpen:
		if b != '"' {
			return f, false, false
		}
		f.aux = strIn
	case a == strIn:
		switch {
		case b == '"':
			return f, f.i >= n.min, f.i >= n.min
		case b < 0x20 || f.i >= n.max:
			return f, false, false
		case b == '\\':
			f.aux = strEsc
		case b < 0x80:
		default:
			l, _ := utf8Lead(b)
			if l < 2 {
				return f, false, false
			}
			lo, hi := contAfterLead(b)
			f.aux = partial(l-1, lo, hi)
		}
		f.i++
	case a == strEsc:
		switch b {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			f.aux = strIn
		case 'u':
			f.aux = strHex0
		default:
			return f, false, false
		}
	case a == strHex0:
		switch {
		case b == 'd' || b == 'D':
			f.aux = strHexD
		case isHex(b):
			f.aux = strHex0 + 1
		default:
			return f, false, false
		}
	case a == strHexD:
		if b < '0' || b > '7' {
			return f, false, false
		}
		f.aux = strHex0 + 2
	case a == strHex0+1 || a == strHex0+2:
		if !isHex(b) {
			return f, false, false
		}
		f.aux++
	case a == strHex0+3:
		if !isHex(b) {
			return f, false, false
		}
		f.aux = strIn
	case a&strPartial != 0:
		lo, hi := byte(a>>8), byte(a)
		if b < lo || b > hi {
			return f, false, false
		}
		rem := int(a>>16) & 0xFF
		if rem == 1 {
			f.aux = strIn
		} else {
			f.aux = partial(rem-1, 0x80, 0xBF)
		}
	default:
		return f, false, false
	}
	return f, false, true
}

// stepSet advances every position by b and expands the results into out.
func (e *expander) stepSet(set []state, b byte, out []state) []state {
	for _, st := range set {
		if ns, ok := step(st, b); ok {
			out = e.closure(ns, out)
		}
	}
	return out
}

type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }
func (b bitset) set(i int32) { b[i>>6] |= 1 << (uint(i) & 63) }
func (b bitset) clear() {
	clear(b)
}

func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}
