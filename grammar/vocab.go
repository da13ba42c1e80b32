package grammar

import (
	"bytes"
	"slices"
	"sync"

	"github.com/nuri-ai/nuri/tokenizer"
)

// vocab holds what masking needs to know about a tokenizer's tokens. It is
// built once per tokenizer and shared by every constraint on it.
type vocab struct {
	size    int
	data    [][]byte // the bytes of each token
	special []bool   // special tokens are never matched by their bytes
	// full holds every non-special token with bytes; other those of them
	// that are not plain JSON string content (see pure).
	full, other *trie
	// pure lists the tokens that, read from between two characters of a
	// JSON string, stay inside the string, sorted by the number of
	// characters they start; pureEnd[c] is how many start at most c.
	pure    []int32
	pureEnd []int32
	allPure bitset
}

type vocabEntry struct {
	once sync.Once
	v    *vocab
}

var vocabs sync.Map // *tokenizer.Tokenizer -> *vocabEntry

func vocabFor(tok *tokenizer.Tokenizer) *vocab {
	e, _ := vocabs.LoadOrStore(tok, &vocabEntry{})
	ent := e.(*vocabEntry)
	ent.once.Do(func() { ent.v = buildVocab(tok) })
	return ent.v
}

// stringBody is a kStr node without limits, for classifying tokens.
var stringBody = &node{kind: kStr, max: 1 << 30}

// pureChars reports whether b, read from between two characters of a JSON
// string, stays inside the string, and how many characters it starts.
func pureChars(b []byte) (int, bool) {
	f := frame{n: stringBody, aux: strIn}
	for _, c := range b {
		nf, done, ok := stepStr(stringBody, f, c)
		if !ok || done {
			return 0, false
		}
		f = nf
	}
	return int(f.i), true
}

func buildVocab(tok *tokenizer.Tokenizer) *vocab {
	n := tok.VocabSize()
	v := &vocab{size: n, data: make([][]byte, n), special: make([]bool, n)}
	var all, other []int32
	type pc struct{ id, chars int32 }
	var pure []pc
	for id := int32(0); int(id) < n; id++ {
		if tok.IsSpecial(id) {
			v.special[id] = true
			continue
		}
		b := tok.TokenBytes(id)
		if len(b) == 0 {
			continue
		}
		v.data[id] = b
		all = append(all, id)
		if c, ok := pureChars(b); ok {
			pure = append(pure, pc{id, int32(c)})
		} else {
			other = append(other, id)
		}
	}
	slices.SortStableFunc(pure, func(a, b pc) int { return int(a.chars - b.chars) })
	maxC := int32(0)
	if len(pure) > 0 {
		maxC = pure[len(pure)-1].chars
	}
	v.pureEnd = make([]int32, maxC+1)
	v.pure = make([]int32, len(pure))
	for i, p := range pure {
		v.pure[i] = p.id
		v.pureEnd[p.chars] = int32(i + 1)
	}
	for c := int32(1); c <= maxC; c++ {
		v.pureEnd[c] = max(v.pureEnd[c], v.pureEnd[c-1])
	}
	v.allPure = newBitset(n)
	for _, id := range v.pure {
		v.allPure.set(id)
	}
	v.full = buildTrie(all, v.data)
	v.other = buildTrie(other, v.data)
	return v
}

// pureUpTo returns the pure tokens that start at most c characters.
func (v *vocab) pureUpTo(c int32) []int32 {
	if c < 0 || len(v.pureEnd) == 0 {
		return nil
	}
	c = min(c, int32(len(v.pureEnd)-1))
	return v.pure[:v.pureEnd[c]]
}

// trie is a prefix tree of token bytes stored in preorder: node k's
// children are k+1, end[k+1], end[end[k+1]], ... up to end[k]; label[k] is
// the byte on the edge into k; the tokens whose bytes end at k are
// toks[tokOff[k]:tokOff[k+1]].
type trie struct {
	label  []byte
	end    []int32
	tokOff []int32
	toks   []int32
	depth  int // the longest token
}

func buildTrie(ids []int32, data [][]byte) *trie {
	ids = slices.Clone(ids)
	slices.SortFunc(ids, func(a, b int32) int {
		if c := bytes.Compare(data[a], data[b]); c != 0 {
			return c
		}
		return int(a - b)
	})
	t := &trie{label: []byte{0}, end: []int32{0}, tokOff: []int32{0}}
	path := []int32{0} // path[d] is the node at depth d
	var prev []byte
	for _, id := range ids {
		w := data[id]
		lcp := 0
		for lcp < len(w) && lcp < len(prev) && w[lcp] == prev[lcp] {
			lcp++
		}
		for len(path)-1 > lcp {
			k := path[len(path)-1]
			t.end[k] = int32(len(t.label))
			path = path[:len(path)-1]
		}
		for d := lcp; d < len(w); d++ {
			k := int32(len(t.label))
			t.label = append(t.label, w[d])
			t.end = append(t.end, 0)
			t.tokOff = append(t.tokOff, int32(len(t.toks)))
			path = append(path, k)
		}
		t.toks = append(t.toks, id)
		t.depth = max(t.depth, len(w))
		prev = w
	}
	for len(path) > 0 {
		k := path[len(path)-1]
		t.end[k] = int32(len(t.label))
		path = path[:len(path)-1]
	}
	t.tokOff = append(t.tokOff, int32(len(t.toks)))
	return t
}
