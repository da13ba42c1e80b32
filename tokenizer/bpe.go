package tokenizer

import (
	"fmt"
	"hash/maphash"
	"math"
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
//
// Symbols the vocabulary lacks carry the negative id -1-start, where start
// is their byte offset in the word, so that fallback can find their bytes;
// no merge applies to them.
type bpeModel struct {
	vocab        map[string]int32
	merges       pairTable // (left, right) -> rank
	mergeOut     []int32   // rank -> merged id
	nMerges      int       // merges that can apply
	byteLevel    bool
	ignoreMerges bool
	byteIDs      [256]int32 // byte-level: id of each byte's symbol
	fallback     bool
	fallbackIDs  [256]int32 // <0xXX> ids, -1 if absent
	unk          int32      // -1 if none
	fuseUnk      bool

	// noSplitBefore lists the runes X for which some merge result contains
	// X followed by ▁. A word boundary before ▁ that follows any other rune
	// (other than ▁ itself) can never be crossed by a merge, so the text on
	// each side is encoded on its own with the same result.
	noSplitBefore []rune

	// canLeft/canRight: bit id is set if the token is the left/right side
	// of some merge; most failed lookups stop at these small bitsets.
	canLeft, canRight []uint64
	// bloom has one bit per hashed pair of every merge, at about one set
	// bit in eight; it settles most of the remaining failed lookups
	// without touching the (much larger) pair table.
	bloom      []uint64
	bloomShift uint

	// Tables built by prepare on first use.
	once     sync.Once
	runeIDs  []int32  // non-byte-level: BMP rune -> id (-1 if not in vocab)
	pairRank []uint32 // byte-level: rank of each byte pair b0<<8|b1
	words    wordTable
}

const noRank = math.MaxUint32

// newBPE builds the model. merges are pairs of vocabulary strings, in rank order.
func newBPE(vocab map[string]int32, merges [][2]string, byteLevel bool) (*bpeModel, error) {
	maxID := int32(-1)
	for _, id := range vocab {
		if id < 0 {
			return nil, fmt.Errorf("bpe vocabulary: negative id %d", id)
		}
		maxID = max(maxID, id)
	}
	m := &bpeModel{vocab: vocab, byteLevel: byteLevel, unk: -1, mergeOut: make([]int32, len(merges))}
	m.merges.init(len(merges), maxID)
	m.canLeft = make([]uint64, maxID/64+1)
	m.canRight = make([]uint64, maxID/64+1)
	bits := uint(16)
	for 1<<bits < 8*len(merges) && bits < 26 {
		bits++
	}
	m.bloom, m.bloomShift = make([]uint64, 1<<bits/64), 64-bits
	seenBad := map[rune]bool{}
	for r, mg := range merges {
		a, okA := vocab[mg[0]]
		b, okB := vocab[mg[1]]
		c, okC := vocab[mg[0]+mg[1]]
		if !okA || !okB || !okC {
			continue // a merge that cannot produce a vocabulary token never applies
		}
		if m.merges.get(a, b) != noRank {
			continue // a repeated pair keeps its first rank
		}
		m.merges.put(a, b, uint32(r))
		m.canLeft[a/64] |= 1 << (a % 64)
		m.canRight[b/64] |= 1 << (b % 64)
		bi := bloomHash(a, b) >> m.bloomShift
		m.bloom[bi>>6] |= 1 << (bi & 63)
		m.mergeOut[r] = c
		m.nMerges++
		if !byteLevel {
			m.noteSpaceJoins(mg[0]+mg[1], seenBad)
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

// noteSpaceJoins records in m.noSplitBefore every rune that s has right
// before a ▁ (other than ▁).
func (m *bpeModel) noteSpaceJoins(s string, seen map[rune]bool) {
	for k := strings.Index(s, "▁"); k > 0; {
		if r, _ := utf8.DecodeLastRuneInString(s[:k]); r != '▁' && !seen[r] {
			seen[r] = true
			m.noSplitBefore = append(m.noSplitBefore, r)
		}
		n := strings.Index(s[k+len("▁"):], "▁")
		if n < 0 {
			break
		}
		k += len("▁") + n
	}
}

// prepare builds the lookup tables used by encode.
func (m *bpeModel) prepare() { m.once.Do(m.build) }

func (m *bpeModel) build() {
	if m.byteLevel {
		m.pairRank = make([]uint32, 1<<16)
		for a := 0; a < 256; a++ {
			for b := 0; b < 256; b++ {
				m.pairRank[a<<8|b] = m.rank(m.byteIDs[a], m.byteIDs[b])
			}
		}
	} else {
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
	// Whole-word table: every token whose raw text encodes to exactly that
	// token. With ignore_merges every token counts for byte-level models,
	// whose words are whole pieces; other models look pieces up in vocab
	// and may cut them into words, which only merges can join.
	raws := make([]string, 0, len(m.vocab))
	ids := make([]int32, 0, len(m.vocab))
	if m.byteLevel {
		// Decode all spellings into one buffer, then slice it.
		var buf []byte
		var ends []int
		for s, id := range m.vocab {
			n := len(buf)
			var ok bool
			if buf, ok = byteLevelDecode(buf, s); !ok || len(buf) == n {
				buf = buf[:n]
				continue
			}
			ends = append(ends, len(buf))
			ids = append(ids, id)
		}
		all := string(buf)
		start := 0
		for _, e := range ends {
			raws = append(raws, all[start:e])
			start = e
		}
	} else {
		for s, id := range m.vocab {
			if s != "" {
				raws = append(raws, s)
				ids = append(ids, id)
			}
		}
	}
	sc := &bpeScratch{}
	var tmp []int32
	keepR, keepI := raws[:0], ids[:0]
	for i, raw := range raws {
		if !(m.ignoreMerges && m.byteLevel) {
			tmp = m.mergeWord(raw, tmp[:0], sc)
			if len(tmp) != 1 || tmp[0] != ids[i] {
				continue
			}
		}
		keepR, keepI = append(keepR, raw), append(keepI, ids[i])
	}
	m.words.build(keepR, keepI)
}

// byteLevelDecode appends the bytes that the byte-level spelling s stands
// for; ok is false if s has a rune outside the byte-level alphabet.
func byteLevelDecode(dst []byte, s string) ([]byte, bool) {
	for _, r := range s {
		if r >= rune(len(runeByteTab)) || runeByteTab[r] < 0 {
			return dst, false
		}
		dst = append(dst, byte(runeByteTab[r]))
	}
	return dst, true
}

func (m *bpeModel) runeID(s string, r rune, w int, i int) int32 {
	if r < 0x10000 && r != utf8.RuneError {
		return m.runeIDs[r]
	}
	if id, ok := m.vocab[s[i:i+w]]; ok {
		return id
	}
	return -1
}

func bloomHash(a, b int32) uint64 {
	return (uint64(uint32(a))<<32 | uint64(uint32(b))) * 0xD6E8FEB86659FD93
}

// rank is the rank of merging a and b, or noRank.
func (m *bpeModel) rank(a, b int32) uint32 {
	if a|b < 0 || m.canLeft[a>>6]&(1<<(a&63)) == 0 || m.canRight[b>>6]&(1<<(b&63)) == 0 {
		return noRank
	}
	if bi := bloomHash(a, b) >> m.bloomShift; m.bloom[bi>>6]&(1<<(bi&63)) == 0 {
		return noRank
	}
	t := &m.merges
	if t.wide != nil {
		return t.get(a, b)
	}
	k := uint64(a)<<pairIDBits | uint64(b)
	for h := t.home(k); ; {
		s := t.slots[h]
		if s>>pairRankBits == k {
			return uint32(s & (1<<pairRankBits - 1))
		}
		if s == emptySlot {
			return noRank
		}
		if h++; h == uint64(len(t.slots)) {
			h = 0
		}
	}
}

type bpeSym struct {
	id         int32
	prev, next int32 // -1 at the ends; prev = deadSym once merged away
}

const deadSym = -2

type bpeScratch struct {
	ids     []int32
	ranks   []uint32
	syms    []bpeSym
	h       mergeHeap
	lastUnk bool
}

// linearLimit is the longest word merged by repeated scans; longer words
// use a heap.
const linearLimit = 128

func (m *bpeModel) encode(piece string, out []int32, sc *bpeScratch) []int32 {
	if piece == "" {
		return out
	}
	m.prepare()
	sc.lastUnk = false
	if m.byteLevel {
		return m.encodeWord(piece, out, sc)
	}
	if m.ignoreMerges {
		if id, ok := m.vocab[piece]; ok {
			return append(out, id)
		}
	}
	// Cut before each ▁ that no merge can join to what precedes it.
	start := 0
	for k := 0; ; {
		n := strings.Index(piece[k:], "▁")
		if n < 0 {
			break
		}
		k += n
		if k > start {
			if r, _ := utf8.DecodeLastRuneInString(piece[:k]); r != '▁' && !m.joinsSpace(r) {
				out = m.encodeWord(piece[start:k], out, sc)
				start = k
			}
		}
		k += len("▁")
	}
	return m.encodeWord(piece[start:], out, sc)
}

func (m *bpeModel) joinsSpace(r rune) bool {
	for _, x := range m.noSplitBefore {
		if x == r {
			return true
		}
	}
	return false
}

// encodeWord encodes a word no merge reaches out of.
func (m *bpeModel) encodeWord(word string, out []int32, sc *bpeScratch) []int32 {
	if m.byteLevel && (len(word) == 1 || len(word) == 2 && !m.ignoreMerges) {
		// One or two bytes: the byte tables answer without a lookup (with
		// ignore_merges a two-byte token may exist without its merge).
		a := m.byteIDs[word[0]]
		if len(word) == 1 && a >= 0 {
			sc.lastUnk = false
			return append(out, a)
		}
		if len(word) == 2 {
			if r := m.pairRank[uint16(word[0])<<8|uint16(word[1])]; r != noRank {
				sc.lastUnk = false
				return append(out, m.mergeOut[r])
			}
		}
	} else if len(word) <= m.words.maxLen {
		if id := m.words.get(word); id >= 0 {
			sc.lastUnk = false
			return append(out, id)
		}
	}
	n0 := len(out)
	out = m.mergeWord(word, out, sc)
	// Replace symbols missing from the vocabulary by byte fallback or unk.
	k := n0
	for i := n0; i < len(out); i++ {
		id := out[i]
		if id >= 0 {
			out[k] = id
			k++
			sc.lastUnk = false
			continue
		}
		start := int(-1 - id)
		w := 1
		if !m.byteLevel {
			_, w = utf8.DecodeRuneInString(word[start:])
		}
		if m.fallback {
			ok := true
			for b := start; b < start+w; b++ {
				if m.fallbackIDs[word[b]] < 0 {
					ok = false
				}
			}
			if ok {
				// Fallback may emit more ids than the symbol took.
				tail := append([]int32(nil), out[i+1:]...)
				out = out[:k]
				for b := start; b < start+w; b++ {
					out = append(out, m.fallbackIDs[word[b]])
				}
				k = len(out)
				i = k - 1
				out = append(out, tail...)
				sc.lastUnk = false
				continue
			}
		}
		if m.unk >= 0 {
			if !(m.fuseUnk && sc.lastUnk) {
				out[k] = m.unk
				k++
			}
			sc.lastUnk = true
		}
	}
	return out[:k]
}

// mergeWord appends the symbols of word after all merges, missing symbols
// as -1-start.
func (m *bpeModel) mergeWord(word string, out []int32, sc *bpeScratch) []int32 {
	ids, ranks := sc.ids[:0], sc.ranks[:0]
	if m.byteLevel {
		for i := 0; i < len(word); i++ {
			id := m.byteIDs[word[i]]
			if id < 0 {
				id = int32(-1 - i)
			}
			ids = append(ids, id)
		}
		if len(word) <= linearLimit {
			for i := 0; i+1 < len(word); i++ {
				ranks = append(ranks, m.pairRank[uint16(word[i])<<8|uint16(word[i+1])])
			}
		}
	} else {
		for i := 0; i < len(word); {
			var id int32
			w := 1
			if c := word[i]; c < utf8.RuneSelf {
				id = m.runeIDs[c]
			} else {
				var r rune
				r, w = utf8.DecodeRuneInString(word[i:])
				id = m.runeID(word, r, w, i)
			}
			if id < 0 {
				id = int32(-1 - i)
			}
			ids = append(ids, id)
			i += w
		}
		if len(ids) <= linearLimit {
			for i := 0; i+1 < len(ids); i++ {
				ranks = append(ranks, m.rank(ids[i], ids[i+1]))
			}
		}
	}
	if len(ids) <= linearLimit {
		ids = m.mergeLinear(ids, ranks)
	} else {
		ids = m.mergeHeap(ids, sc)
	}
	out = append(out, ids...)
	sc.ids, sc.ranks = ids[:0], ranks[:0]
	return out
}

// mergeLinear repeatedly merges the lowest-ranked adjacent pair (leftmost
// first); ranks[i] is the rank of ids[i], ids[i+1].
func (m *bpeModel) mergeLinear(ids []int32, ranks []uint32) []int32 {
	for len(ranks) > 0 {
		best, bi := uint32(noRank), -1
		for i, r := range ranks {
			if r < best {
				best, bi = r, i
			}
		}
		if bi < 0 {
			break
		}
		ids[bi] = m.mergeOut[best]
		copy(ids[bi+1:], ids[bi+2:])
		ids = ids[:len(ids)-1]
		copy(ranks[bi:], ranks[bi+1:])
		ranks = ranks[:len(ranks)-1]
		if bi > 0 {
			ranks[bi-1] = m.rank(ids[bi-1], ids[bi])
		}
		if bi < len(ranks) {
			ranks[bi] = m.rank(ids[bi], ids[bi+1])
		}
	}
	return ids
}

type mergeCand struct {
	rank        uint32
	pos         int32
	left, right int32
}

type mergeHeap []mergeCand

func (h mergeHeap) less(i, j int) bool {
	if h[i].rank != h[j].rank {
		return h[i].rank < h[j].rank
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

// mergeHeap does the same as mergeLinear in O(n log n) for long words.
func (m *bpeModel) mergeHeap(ids []int32, sc *bpeScratch) []int32 {
	n := len(ids)
	syms := sc.syms[:0]
	for i, id := range ids {
		syms = append(syms, bpeSym{id: id, prev: int32(i - 1), next: int32(i + 1)})
	}
	syms[n-1].next = -1
	h := sc.h[:0]
	for i := 0; i+1 < n; i++ {
		if r := m.rank(ids[i], ids[i+1]); r != noRank {
			h = append(h, mergeCand{rank: r, pos: int32(i), left: ids[i], right: ids[i+1]})
		}
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
	push := func(i int32) {
		j := syms[i].next
		if j < 0 {
			return
		}
		if r := m.rank(syms[i].id, syms[j].id); r != noRank {
			h.push(mergeCand{rank: r, pos: i, left: syms[i].id, right: syms[j].id})
		}
	}
	for len(h) > 0 {
		c := h.pop()
		i := c.pos
		if syms[i].prev == deadSym || syms[i].id != c.left {
			continue
		}
		j := syms[i].next
		if j < 0 || syms[j].id != c.right {
			continue
		}
		syms[i].id = m.mergeOut[c.rank]
		syms[i].next = syms[j].next
		if syms[j].next >= 0 {
			syms[syms[j].next].prev = i
		}
		syms[j].prev = deadSym
		if p := syms[i].prev; p >= 0 {
			push(p)
		}
		push(i)
	}
	sc.h, sc.syms = h[:0], syms[:0]
	ids = ids[:0]
	for i := int32(0); i >= 0; i = syms[i].next {
		ids = append(ids, syms[i].id)
	}
	return ids
}

// String describes the model for error messages.
func (m *bpeModel) String() string {
	return fmt.Sprintf("BPE(%d merges, byteLevel=%v)", m.nMerges, m.byteLevel)
}

// pairTable maps merge pairs to ranks. When ids fit in 20 bits and ranks
// in 24, each entry is one uint64 (pair<<24 | rank) in an open-addressing
// table filled to about 70%, small enough to stay mostly in cache;
// otherwise it falls back to a Go map.
type pairTable struct {
	slots []uint64
	wide  map[uint64]uint32
}

const (
	pairIDBits   = 20
	pairRankBits = 24
	emptySlot    = ^uint64(0)
)

const pairLoadPct = 50

func (t *pairTable) init(n int, maxID int32) {
	if maxID >= 1<<pairIDBits-1 || n >= 1<<pairRankBits-1 {
		t.wide = make(map[uint64]uint32, n)
		return
	}
	t.slots = make([]uint64, n*100/pairLoadPct+16)
	for i := range t.slots {
		t.slots[i] = emptySlot
	}
}

// home is the first slot probed for key k.
func (t *pairTable) home(k uint64) uint64 {
	return ((k * 0x9E3779B97F4A7C15) >> 32) * uint64(len(t.slots)) >> 32
}

func (t *pairTable) get(a, b int32) uint32 {
	if t.wide != nil {
		if r, ok := t.wide[uint64(a)<<32|uint64(b)]; ok {
			return r
		}
		return noRank
	}
	k := uint64(a)<<pairIDBits | uint64(b)
	for h := t.home(k); ; {
		s := t.slots[h]
		if s>>pairRankBits == k {
			return uint32(s & (1<<pairRankBits - 1))
		}
		if s == emptySlot {
			return noRank
		}
		if h++; h == uint64(len(t.slots)) {
			h = 0
		}
	}
}

func (t *pairTable) put(a, b int32, rank uint32) {
	if t.wide != nil {
		t.wide[uint64(a)<<32|uint64(b)] = rank
		return
	}
	k := uint64(a)<<pairIDBits | uint64(b)
	h := t.home(k)
	for t.slots[h] != emptySlot {
		if h++; h == uint64(len(t.slots)) {
			h = 0
		}
	}
	t.slots[h] = k<<pairRankBits | uint64(rank)
}

// wordTable finds the token whose raw text is a whole word. A slot is a
// key and a meta word: words of up to 8 bytes are their own key (little
// endian, zero padded) and meta is len<<32 | id+1, so a lookup touches one
// slot; longer words are keyed by their hash, and meta is len<<32 |
// index+1 into raws/ids for the final comparison. Meta 0 marks an empty slot.
type wordTable struct {
	slots  []wordSlot
	raws   []string // long words
	ids    []int32
	mask   uint64
	maxLen int
	seed   maphash.Seed
}

type wordSlot struct{ key, meta uint64 }

// shortKey packs a word of at most 8 bytes into a uint64.
func shortKey(w string) uint64 {
	var k uint64
	for i := len(w) - 1; i >= 0; i-- {
		k = k<<8 | uint64(w[i])
	}
	return k
}

func mixKey(k uint64) uint64 {
	k ^= k >> 29
	k *= 0xBF58476D1CE4E5B9
	return k ^ k>>32
}

func (t *wordTable) key(w string) uint64 {
	if len(w) <= 8 {
		return shortKey(w)
	}
	return maphash.String(t.seed, w)
}

func (t *wordTable) build(raws []string, ids []int32) {
	t.seed = maphash.MakeSeed()
	size := uint64(16)
	for size < uint64(len(raws))+uint64(len(raws))/2 {
		size <<= 1
	}
	t.slots = make([]wordSlot, size)
	t.mask = size - 1
	for i, raw := range raws {
		t.maxLen = max(t.maxLen, len(raw))
		k := t.key(raw)
		meta := uint64(len(raw)) << 32
		if len(raw) <= 8 {
			meta |= uint64(ids[i]) + 1
		} else {
			t.raws, t.ids = append(t.raws, raw), append(t.ids, ids[i])
			meta |= uint64(len(t.raws))
		}
		j := mixKey(k) & t.mask
		for t.slots[j].meta != 0 {
			j = (j + 1) & t.mask
		}
		t.slots[j] = wordSlot{k, meta}
	}
}

// get returns the id of the token spelled word, or -1.
func (t *wordTable) get(word string) int32 {
	if len(t.slots) == 0 {
		return -1
	}
	k := t.key(word)
	n := uint64(len(word))
	for j := mixKey(k) & t.mask; ; j = (j + 1) & t.mask {
		s := &t.slots[j]
		if s.meta == 0 {
			return -1
		}
		if s.key == k && s.meta>>32 == n {
			v := int32(uint32(s.meta)) - 1
			if n <= 8 {
				return v
			}
			if t.raws[v] == word {
				return t.ids[v]
			}
		}
	}
}
