package tokenizer

import (
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// model turns one pre-tokenized piece into ids.
type model interface {
	encode(piece string, out []int32, sc *bpeScratch) []int32
}

// bpeModel is byte-pair encoding with merges ranked by their position in
// the merge list. With byteLevel the piece's bytes are the initial
// symbols (GPT-2 style); otherwise its characters are, with optional byte
// fallback to <0xXX> tokens (SentencePiece style).
type bpeModel struct {
	vocab        map[string]int32
	merges       *pairTable // left<<32|right -> rank<<32|merged
	byteLevel    bool
	ignoreMerges bool
	byteIDs      [256]int32 // byte-level: id of each byte's symbol
	fallback     bool
	fallbackIDs  [256]int32 // <0xXX> ids, -1 if absent
	unk          int32      // -1 if none
	fuseUnk      bool
	runeIDs      []int32 // BMP rune -> id (-1 if not in vocab); lazily filled
	runeOnce     sync.Once
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// newBPE builds the model. merges are pairs of vocabulary strings, in rank order.
func newBPE(vocab map[string]int32, merges [][2]string, byteLevel bool) (*bpeModel, error) {
	m := &bpeModel{vocab: vocab, merges: newPairTable(len(merges)), byteLevel: byteLevel, unk: -1}
	for r, mg := range merges {
		a, okA := vocab[mg[0]]
		b, okB := vocab[mg[1]]
		c, okC := vocab[mg[0]+mg[1]]
		if !okA || !okB || !okC {
			continue // a merge that cannot produce a vocabulary token never applies
		}
		k := pairKey(a, b)
		if _, dup := m.merges.get(k); !dup {
			m.merges.put(k, uint64(r)<<32|uint64(uint32(c)))
		}
	}
	for i := range m.fallbackIDs {
		m.fallbackIDs[i] = -1
		if id, ok := vocab[fmt.Sprintf("<0x%02X>", i)]; ok {
			m.fallbackIDs[i] = id
		}
	}
	if byteLevel {
		for b := 0; b < 256; b++ {
			id, ok := vocab[string(byteToRune[b])]
			if !ok {
				id = -1
			}
			m.byteIDs[b] = id
		}
	}
	return m, nil
}

func (m *bpeModel) initRunes() {
	m.runeIDs = make([]int32, 0x10000)
	for i := range m.runeIDs {
		m.runeIDs[i] = -1
	}
	for s, id := range m.vocab {
		r, w := utf8.DecodeRuneInString(s)
		if w == len(s) && r < 0x10000 && r != utf8.RuneError {
			m.runeIDs[r] = id
		}
	}
}

func (m *bpeModel) runeID(s string, r rune, w int, i int) int32 {
	if r < 0x10000 && r != utf8.RuneError {
		m.runeOnce.Do(m.initRunes)
		return m.runeIDs[r]
	}
	if id, ok := m.vocab[s[i:i+w]]; ok {
		return id
	}
	return -1
}

type bpeSym struct {
	id         int32
	start, end int32 // byte range in the piece
	prev, next int32
}

type bpeScratch struct {
	syms  []bpeSym
	ranks []uint64
	buf   []byte
	h     mergeHeap
}

const linearLimit = 48

func (m *bpeModel) encode(piece string, out []int32, sc *bpeScratch) []int32 {
	if piece == "" {
		return out
	}
	if m.ignoreMerges {
		if m.byteLevel {
			sc.buf = byteLevelEncode(sc.buf[:0], piece)
			if id, ok := m.vocab[string(sc.buf)]; ok {
				return append(out, id)
			}
		} else if id, ok := m.vocab[piece]; ok {
			return append(out, id)
		}
	}
	syms := sc.syms[:0]
	if m.byteLevel {
		for i := 0; i < len(piece); i++ {
			syms = append(syms, bpeSym{id: m.byteIDs[piece[i]], start: int32(i), end: int32(i + 1)})
		}
	} else {
		for i := 0; i < len(piece); {
			r, w := utf8.DecodeRuneInString(piece[i:])
			syms = append(syms, bpeSym{id: m.runeID(piece, r, w, i), start: int32(i), end: int32(i + w)})
			i += w
		}
	}
	if len(syms) <= linearLimit {
		syms = m.mergeLinear(syms, sc)
	} else {
		syms = m.mergeHeap(syms, sc)
	}
	sc.syms = syms
	lastUnk := false
	for _, s := range syms {
		if s.id >= 0 {
			out = append(out, s.id)
			lastUnk = false
			continue
		}
		if m.fallback {
			ok := true
			for b := s.start; b < s.end; b++ {
				if m.fallbackIDs[piece[b]] < 0 {
					ok = false
				}
			}
			if ok {
				for b := s.start; b < s.end; b++ {
					out = append(out, m.fallbackIDs[piece[b]])
				}
				lastUnk = false
				continue
			}
		}
		if m.unk >= 0 {
			if !(m.fuseUnk && lastUnk) {
				out = append(out, m.unk)
			}
			lastUnk = true
		}
	}
	return out
}

const noMerge = ^uint64(0)

func (m *bpeModel) rankOf(a, b int32) uint64 {
	if a < 0 || b < 0 {
		return noMerge
	}
	if v, ok := m.merges.get(pairKey(a, b)); ok {
		return v
	}
	return noMerge
}

// mergeLinear repeatedly merges the lowest-ranked adjacent pair (leftmost
// first), keeping the rank of each pair in an array.
func (m *bpeModel) mergeLinear(syms []bpeSym, sc *bpeScratch) []bpeSym {
	n := len(syms)
	if n < 2 {
		return syms
	}
	ranks := sc.ranks[:0]
	for i := 0; i+1 < n; i++ {
		ranks = append(ranks, m.rankOf(syms[i].id, syms[i+1].id))
	}
	for {
		best, bi := noMerge, -1
		for i, r := range ranks {
			if r < best {
				best, bi = r, i
			}
		}
		if bi < 0 {
			break
		}
		syms[bi].id = int32(uint32(best))
		syms[bi].end = syms[bi+1].end
		copy(syms[bi+1:], syms[bi+2:])
		syms = syms[:len(syms)-1]
		copy(ranks[bi:], ranks[bi+1:])
		ranks = ranks[:len(ranks)-1]
		if bi > 0 {
			ranks[bi-1] = m.rankOf(syms[bi-1].id, syms[bi].id)
		}
		if bi < len(ranks) {
			ranks[bi] = m.rankOf(syms[bi].id, syms[bi+1].id)
		}
	}
	sc.ranks = ranks
	return syms
}

type mergeCand struct {
	rank       uint64 // rank<<32|merged id
	pos        int32
	left, rite int32
}

type mergeHeap []mergeCand

func (h mergeHeap) less(i, j int) bool {
	ri, rj := h[i].rank>>32, h[j].rank>>32
	if ri != rj {
		return ri < rj
	}
	return h[i].pos < h[j].pos
}

func (h *mergeHeap) push(c mergeCand) {
	*h = append(*h, c)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *mergeHeap) down(i int) {
	s := *h
	n := len(s)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && s.less(r, l) {
			m = r
		}
		if !s.less(m, i) {
			return
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
}

func (h *mergeHeap) pop() mergeCand {
	s := *h
	top := s[0]
	s[0] = s[len(s)-1]
	*h = s[:len(s)-1]
	h.down(0)
	return top
}

// mergeHeap does the same as mergeLinear in O(n log n) for long pieces.
func (m *bpeModel) mergeHeap(syms []bpeSym, sc *bpeScratch) []bpeSym {
	n := len(syms)
	for i := range syms {
		syms[i].prev = int32(i - 1)
		syms[i].next = int32(i + 1)
	}
	syms[n-1].next = -1
	h := sc.h[:0]
	push := func(i int32) {
		j := syms[i].next
		if j < 0 {
			return
		}
		if r := m.rankOf(syms[i].id, syms[j].id); r != noMerge {
			h.push(mergeCand{rank: r, pos: i, left: syms[i].id, rite: syms[j].id})
		}
	}
	for i := 0; i+1 < n; i++ {
		if r := m.rankOf(syms[i].id, syms[i+1].id); r != noMerge {
			h = append(h, mergeCand{rank: r, pos: int32(i), left: syms[i].id, rite: syms[i+1].id})
		}
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
	const dead = -2
	for len(h) > 0 {
		c := h.pop()
		i := c.pos
		if syms[i].id != c.left || syms[i].start == dead {
			continue
		}
		j := syms[i].next
		if j < 0 || syms[j].id != c.rite {
			continue
		}
		syms[i].id = int32(uint32(c.rank))
		syms[i].end = syms[j].end
		syms[i].next = syms[j].next
		if syms[j].next >= 0 {
			syms[syms[j].next].prev = i
		}
		syms[j].start = dead
		syms[j].id = -3
		if p := syms[i].prev; p >= 0 {
			push(p)
		}
		push(i)
	}
	sc.h = h
	out := syms[:0]
	for i := int32(0); i >= 0; {
		s := syms[i]
		out = append(out, s)
		i = s.next
	}
	return out
}

// String describes the model for error messages.
func (m *bpeModel) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "BPE(%d merges, byteLevel=%v)", m.merges.n, m.byteLevel)
	return b.String()
}

// pairTable is an open-addressing hash map from merge pairs to their rank
// and result, faster than a Go map on this hot path.
type pairTable struct {
	slots []uint64 // key, value interleaved; empty key = emptyKey
	mask  uint64
	shift uint
	n     int
}

const emptyKey = ^uint64(0)

func newPairTable(n int) *pairTable {
	size, shift := uint64(16), uint(60)
	for size < uint64(2*n+16) {
		size <<= 1
		shift--
	}
	t := &pairTable{slots: make([]uint64, 2*size), mask: size - 1, shift: shift}
	for i := 0; i < len(t.slots); i += 2 {
		t.slots[i] = emptyKey
	}
	return t
}

func (t *pairTable) get(k uint64) (uint64, bool) {
	h := (k * 0x9E3779B97F4A7C15) >> t.shift
	for {
		kk := t.slots[2*h]
		if kk == k {
			return t.slots[2*h+1], true
		}
		if kk == emptyKey {
			return 0, false
		}
		h = (h + 1) & t.mask
	}
}

func (t *pairTable) put(k, v uint64) {
	h := (k * 0x9E3779B97F4A7C15) >> t.shift
	for {
		kk := t.slots[2*h]
		if kk == k || kk == emptyKey {
			if kk == emptyKey {
				t.n++
			}
			t.slots[2*h], t.slots[2*h+1] = k, v
			return
		}
		h = (h + 1) & t.mask
	}
}
