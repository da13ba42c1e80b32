package tokenizer

import (
	"math"
	"unicode"
	"unicode/utf8"
)

func isDecimal(r rune) bool { return unicode.IsDigit(r) }

// unigramModel picks the segmentation with the highest total score
// (Viterbi), as SentencePiece unigram models do.
type unigramModel struct {
	pieces   []string
	scores   []float32
	trie     *trie
	unk      int32
	unkScore float32
	fallback bool
	byteIDs  [256]int32
}

func newUnigram(pieces []string, scores []float32, unk int32, fallback bool) *unigramModel {
	m := &unigramModel{pieces: pieces, scores: scores, unk: unk, fallback: fallback}
	minScore := float32(math.MaxFloat32)
	for _, s := range scores {
		minScore = min(minScore, s)
	}
	m.unkScore = minScore - 10
	m.trie = newTrie(pieces)
	for i := range m.byteIDs {
		m.byteIDs[i] = -1
	}
	for id, p := range pieces {
		if b, ok := byteToken(p); ok {
			m.byteIDs[b] = int32(id)
		}
	}
	return m
}

func (m *unigramModel) encode(piece string, out []int32, _ *bpeScratch) []int32 {
	n := len(piece)
	best := make([]float64, n+1)
	from := make([]int32, n+1)
	tok := make([]int32, n+1)
	for i := 1; i <= n; i++ {
		best[i] = math.Inf(-1)
	}
	for i := 0; i < n; i++ {
		if math.IsInf(best[i], -1) {
			continue
		}
		// Every vocabulary piece starting at i.
		node := int32(0)
		matchedChar := false
		_, cw := utf8.DecodeRuneInString(piece[i:])
		for j := i; j < n; j++ {
			nx, ok := m.trie.nodes[node].edges[piece[j]]
			if !ok {
				break
			}
			node = nx
			if id := m.trie.nodes[node].tok; id >= 0 {
				if j+1-i == cw {
					matchedChar = true
				}
				if sc := best[i] + float64(m.scores[id]); sc > best[j+1] {
					best[j+1], from[j+1], tok[j+1] = sc, int32(i), id
				}
			}
		}
		if !matchedChar {
			if sc := best[i] + float64(m.unkScore); sc > best[i+cw] {
				best[i+cw], from[i+cw], tok[i+cw] = sc, int32(i), -1
			}
		}
	}
	var rev []int32
	var revStart []int32
	for e := n; e > 0; e = int(from[e]) {
		rev = append(rev, tok[e])
		revStart = append(revStart, from[e])
	}
	lastUnk := false
	for k := len(rev) - 1; k >= 0; k-- {
		id := rev[k]
		if id >= 0 {
			out = append(out, id)
			lastUnk = false
			continue
		}
		s := int(revStart[k])
		e := n
		if k > 0 {
			e = int(revStart[k-1])
		}
		if m.fallback {
			ok := true
			for b := s; b < e; b++ {
				ok = ok && m.byteIDs[piece[b]] >= 0
			}
			if ok {
				for b := s; b < e; b++ {
					out = append(out, m.byteIDs[piece[b]])
				}
				lastUnk = false
				continue
			}
		}
		if m.unk >= 0 && !lastUnk {
			out = append(out, m.unk)
		}
		lastUnk = true
	}
	return out
}
