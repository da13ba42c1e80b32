package tokenizer

// addedToken is an entry of tokenizer.json's added_tokens (or a GGUF
// control/user-defined token).
type addedToken struct {
	ID         int32  `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized *bool  `json:"normalized"`
	Special    bool   `json:"special"`
}

func (a addedToken) isNormalized() bool {
	if a.Normalized != nil {
		return *a.Normalized
	}
	return !a.Special
}

// trie finds added tokens in text: at each position the longest token
// starting there; scanning left to right (leftmost-longest).
type trie struct {
	nodes []trieNode
	first [256]bool
	empty bool
}

type trieNode struct {
	edges map[byte]int32
	tok   int32 // index into the token list, -1 if none
}

func newTrie(contents []string) *trie {
	t := &trie{nodes: []trieNode{{tok: -1}}, empty: true}
	for i, c := range contents {
		if c == "" {
			continue
		}
		t.empty = false
		t.first[c[0]] = true
		n := int32(0)
		for j := 0; j < len(c); j++ {
			if t.nodes[n].edges == nil {
				t.nodes[n].edges = map[byte]int32{}
			}
			nx, ok := t.nodes[n].edges[c[j]]
			if !ok {
				nx = int32(len(t.nodes))
				t.nodes = append(t.nodes, trieNode{tok: -1})
				t.nodes[n].edges[c[j]] = nx
			}
			n = nx
		}
		t.nodes[n].tok = int32(i)
	}
	return t
}

// longest returns the token index and length of the longest token at s[i:].
func (t *trie) longest(s string, i int) (int32, int) {
	n := int32(0)
	best, bestLen := int32(-1), 0
	for j := i; j < len(s); j++ {
		nx, ok := t.nodes[n].edges[s[j]]
		if !ok {
			break
		}
		n = nx
		if t.nodes[n].tok >= 0 {
			best, bestLen = t.nodes[n].tok, j-i+1
		}
	}
	return best, bestLen
}

// segment is a piece of text, or an added token when tok >= 0.
type segment struct {
	text string
	tok  int32
}

// split cuts s into text and token segments. allow filters which token
// indices may match (nil: all).
func (t *trie) split(s string, allow func(int32) bool, dst []segment) []segment {
	if t == nil || t.empty {
		return append(dst, segment{s, -1})
	}
	start := 0
	for i := 0; i < len(s); {
		if !t.first[s[i]] {
			i++
			continue
		}
		tok, n := t.longest(s, i)
		if tok >= 0 && (allow == nil || allow(tok)) {
			if i > start {
				dst = append(dst, segment{s[start:i], -1})
			}
			dst = append(dst, segment{s[i : i+n], tok})
			i += n
			start = i
			continue
		}
		i++
	}
	if start < len(s) {
		dst = append(dst, segment{s[start:], -1})
	}
	return dst
}
