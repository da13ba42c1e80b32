// Package sample turns a model's logits into the next token: greedy argmax, or
// a seeded draw after penalties, temperature, top-k, top-p and min-p.
package sample

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Params are the sampling settings of one request. The zero value is greedy.
type Params struct {
	Temperature      float32 // 0 = greedy
	TopK             int     // 0 = off
	TopP             float32 // 0 or 1 = off
	MinP             float32 // 0 = off
	RepeatPenalty    float32 // 1 or 0 = off; divides positive logits, multiplies negative ones
	PresencePenalty  float32 // subtracted once from tokens already present
	FrequencyPenalty float32 // subtracted per occurrence
	RepeatLastN      int     // penalty window over the history; 0 = whole history
	Seed             uint64
}

// Sampler keeps the random state of one sequence.
type Sampler struct {
	p      Params
	rng    *rand.Rand
	cand   []cand
	counts map[int32]int
}

type cand struct {
	id int32
	p  float32
}

// New makes a sampler. The same Params (seed included) and the same logits
// give the same tokens.
func New(p Params) *Sampler {
	return &Sampler{p: p, rng: rand.New(rand.NewPCG(p.Seed, p.Seed^0x9e3779b97f4a7c15)), counts: map[int32]int{}}
}

// Greedy returns the index of the largest logit (the lowest index on ties).
func Greedy(logits []float32) int32 {
	best := 0
	for i, v := range logits {
		if v > logits[best] {
			best = i
		}
	}
	return int32(best)
}

// Sample picks the next token. history is the sequence so far (prompt and
// generated tokens), used by the penalties. logits is modified in place.
func (s *Sampler) Sample(logits []float32, history []int32) int32 {
	s.penalize(logits, history)
	if s.p.Temperature <= 0 {
		return Greedy(logits)
	}
	// Softmax over temperature-scaled logits, keeping candidates sorted.
	c := s.cand[:0]
	maxL := float32(math.Inf(-1))
	for _, v := range logits {
		if v > maxL {
			maxL = v
		}
	}
	if math.IsInf(float64(maxL), -1) {
		return Greedy(logits)
	}
	inv := 1 / s.p.Temperature
	var sum float64
	for i, v := range logits {
		if math.IsInf(float64(v), -1) {
			continue
		}
		e := float32(math.Exp(float64((v - maxL) * inv)))
		c = append(c, cand{int32(i), e})
		sum += float64(e)
	}
	for i := range c {
		c[i].p = float32(float64(c[i].p) / sum)
	}
	sort.Slice(c, func(a, b int) bool {
		if c[a].p != c[b].p {
			return c[a].p > c[b].p
		}
		return c[a].id < c[b].id
	})
	if s.p.TopK > 0 && s.p.TopK < len(c) {
		c = c[:s.p.TopK]
	}
	if s.p.TopP > 0 && s.p.TopP < 1 {
		var cum float32
		for i := range c {
			cum += c[i].p
			if cum >= s.p.TopP {
				c = c[:i+1]
				break
			}
		}
	}
	if s.p.MinP > 0 && len(c) > 0 {
		limit := c[0].p * s.p.MinP
		k := len(c)
		for k > 1 && c[k-1].p < limit {
			k--
		}
		c = c[:k]
	}
	var total float64
	for _, x := range c {
		total += float64(x.p)
	}
	r := s.rng.Float64() * total
	s.cand = c
	for _, x := range c {
		r -= float64(x.p)
		if r < 0 {
			return x.id
		}
	}
	return c[len(c)-1].id
}

func (s *Sampler) penalize(logits []float32, history []int32) {
	p := s.p
	rep := p.RepeatPenalty != 0 && p.RepeatPenalty != 1
	if !rep && p.PresencePenalty == 0 && p.FrequencyPenalty == 0 {
		return
	}
	h := history
	if p.RepeatLastN > 0 && len(h) > p.RepeatLastN {
		h = h[len(h)-p.RepeatLastN:]
	}
	clear(s.counts)
	for _, t := range h {
		if t >= 0 && int(t) < len(logits) {
			s.counts[t]++
		}
	}
	for t, n := range s.counts {
		v := logits[t]
		if rep {
			if v > 0 {
				v /= p.RepeatPenalty
			} else {
				v *= p.RepeatPenalty
			}
		}
		v -= p.PresencePenalty + float32(n)*p.FrequencyPenalty
		logits[t] = v
	}
}

// LogSoftmax writes log-probabilities of logits into out (same length).
func LogSoftmax(out, logits []float32) {
	maxL := float32(math.Inf(-1))
	for _, v := range logits {
		if v > maxL {
			maxL = v
		}
	}
	var sum float64
	for _, v := range logits {
		sum += math.Exp(float64(v - maxL))
	}
	lse := float32(math.Log(sum)) + maxL
	for i, v := range logits {
		out[i] = v - lse
	}
}

// Constraint restricts which tokens may come next (a grammar such as a JSON
// schema). Mask sets the logits of forbidden tokens to -Inf; Accept advances
// the constraint by the chosen token; Done reports whether the constraint
// has reached a state where generation may end (EOS allowed).
type Constraint interface {
	Mask(logits []float32)
	Accept(id int32) error
	Done() bool
}
