// Package grammar constrains sampling so that a model's output follows a
// JSON schema, is any JSON object, or is a tool call in the syntax of the
// model's family. It fails closed: a schema keyword it cannot enforce is an
// error wrapping ErrUnsupported, never a silently unconstrained answer.
//
// A schema compiles into a byte-level pushdown automaton. The automaton is
// advanced over the bytes each token adds to the text (tokenizer
// TokenBytes); to mask, a prefix tree of all token byte strings, built once
// per tokenizer, is walked together with the automaton, so a dead prefix
// discards every token that starts with it. Inside a free JSON string,
// where almost every token fits, the tokens that stay inside the string
// are taken from a precomputed list sorted by length instead.
//
// Every constrained output is finite, so that even a model that rambles
// ends within a typical max_tokens budget:
//   - strings hold at most 512 characters unless maxLength says otherwise
//     (object keys of free-form objects at most 64), pattern strings at
//     most 512 bytes;
//   - integers have at most 15 digits, numbers at most 15 digits before
//     and 15 after the point, and no exponent;
//   - arrays without maxItems hold at most 256 items, free-form objects at
//     most 64 members;
//   - whitespace is at most one space after '{', '[', ',' and ':' and
//     before '}' and ']';
//   - free-form values (a schema of {} or true, or type object without
//     properties) nest at most 6 levels deep.
//
// When the grammar is complete only the end-of-sequence tokens are allowed.
package grammar

import (
	"errors"
	"fmt"
	"math"
	"math/bits"

	"github.com/nuri-ai/nuri/sample"
	"github.com/nuri-ai/nuri/tokenizer"
)

// ErrUnsupported is wrapped by the errors for schemas that use a keyword
// or a form the grammar cannot enforce. The server turns it into a 400.
var ErrUnsupported = errors.New("unsupported")

// Limits documented in the package comment.
const (
	DefaultMaxString = 512
	MaxKeyLength     = 64
	MaxPatternBytes  = 512
	MaxIntDigits     = 15
	MaxFracDigits    = 15
	DefaultMaxItems  = 256
	MaxMembers       = 64
	MaxFreeDepth     = 6
	DefaultMaxCalls  = 8
)

// Option adjusts a constraint.
type Option func(*config)

type config struct {
	eos      []int32
	eosSet   bool
	maxCalls int
}

// WithEOS sets the tokens that end generation; they are allowed exactly
// when the grammar is complete. The default is the tokenizer's EOS list.
func WithEOS(ids ...int32) Option {
	return func(c *config) { c.eos, c.eosSet = append([]int32(nil), ids...), true }
}

// WithMaxCalls sets how many tool calls ToolCalls allows in "required"
// mode (default DefaultMaxCalls).
func WithMaxCalls(n int) Option {
	return func(c *config) { c.maxCalls = n }
}

func newConfig(tok *tokenizer.Tokenizer, opts []Option) *config {
	c := &config{maxCalls: DefaultMaxCalls}
	for _, o := range opts {
		o(c)
	}
	if !c.eosSet {
		c.eos = tok.EOS()
	}
	if c.maxCalls < 1 {
		c.maxCalls = 1
	}
	return c
}

// Constraint is a grammar being matched against one generation. It
// implements sample.Constraint. It is not safe for concurrent use; the
// tables it shares with other constraints on the same tokenizer are.
type Constraint struct {
	v        *vocab
	eos      []int32
	cur      []state
	finished bool // an end-of-sequence token was accepted
	e        expander
	allowed  bitset
	levels   [][]state
}

var _ sample.Constraint = (*Constraint)(nil)

func newConstraint(root *node, tok *tokenizer.Tokenizer, cfg *config) *Constraint {
	c := &Constraint{v: vocabFor(tok), eos: cfg.eos}
	c.cur = c.e.closure(state{s: push(nil, frame{n: root}), limit: -1}, nil)
	c.allowed = newBitset(c.v.size)
	return c
}

// Done reports whether the output so far is complete, so that generation
// may end here.
func (c *Constraint) Done() bool {
	if c.finished {
		return true
	}
	for _, st := range c.cur {
		if st.s == nil {
			return true
		}
	}
	return false
}

func (c *Constraint) isEOS(id int32) bool {
	for _, e := range c.eos {
		if e == id {
			return true
		}
	}
	return false
}

// Accept advances the grammar by token id. A token the grammar does not
// allow here is an error and leaves the constraint unchanged.
func (c *Constraint) Accept(id int32) error {
	if c.finished {
		return fmt.Errorf("grammar: token %d after the end of the output", id)
	}
	if c.isEOS(id) {
		if !c.Done() {
			return fmt.Errorf("grammar: end of sequence (token %d) before the output is complete", id)
		}
		c.finished = true
		return nil
	}
	if id < 0 || int(id) >= c.v.size {
		return fmt.Errorf("grammar: token %d is outside the vocabulary of %d", id, c.v.size)
	}
	if c.v.special[id] {
		var next []state
		for _, st := range c.cur {
			if st.s != nil && st.s.f.n.kind == kSpecial && st.s.f.n.tok == id {
				next = c.e.closure(state{s: st.s.up, used: st.used, limit: st.limit}, next)
			}
		}
		if len(next) == 0 {
			return fmt.Errorf("grammar: special token %d is not allowed here", id)
		}
		c.cur = next
		return nil
	}
	b := c.v.data[id]
	if len(b) == 0 {
		return fmt.Errorf("grammar: token %d has no text", id)
	}
	set := c.cur
	for _, x := range b {
		set = c.e.stepSet(set, x, nil)
		if len(set) == 0 {
			return fmt.Errorf("grammar: token %d (%q) is not allowed here", id, b)
		}
	}
	c.cur = set
	return nil
}

// allowedSet computes the tokens Mask leaves, one bit per token id.
func (c *Constraint) allowedSet() bitset {
	a := c.allowed
	a.clear()
	if c.finished || len(c.cur) == 0 {
		// Nothing can follow; a stuck grammar lets the output end too.
		c.allowEOS(a)
		return a
	}
	if c.Done() {
		c.allowEOS(a)
	}
	for _, st := range c.cur {
		if st.s != nil && st.s.f.n.kind == kSpecial && int(st.s.f.n.tok) < c.v.size {
			a.set(st.s.f.n.tok)
		}
	}
	if maxLeft, ok := c.inStringBody(); ok {
		if maxLeft >= int32(len(c.v.pureEnd)-1) {
			for w, word := range c.v.allPure {
				a[w] |= word
			}
		} else {
			for _, id := range c.v.pureUpTo(maxLeft) {
				a.set(id)
			}
		}
		c.walk(c.v.other, a)
		return a
	}
	c.walk(c.v.full, a)
	return a
}

func (c *Constraint) allowEOS(a bitset) {
	for _, e := range c.eos {
		if e >= 0 && int(e) < c.v.size {
			a.set(e)
		}
	}
}

// inStringBody reports whether every position is between two characters
// of a free JSON string, and the most characters any of them may still add.
func (c *Constraint) inStringBody() (int32, bool) {
	best := int32(-1)
	for _, st := range c.cur {
		if st.s == nil || st.limit >= 0 {
			return 0, false
		}
		f := st.s.f
		if f.n.kind != kStr || f.aux != strIn {
			return 0, false
		}
		best = max(best, f.n.max-f.i)
	}
	return best, best >= 0
}

func (c *Constraint) walk(t *trie, a bitset) {
	for len(c.levels) < t.depth+2 {
		c.levels = append(c.levels, nil)
	}
	c.walkNode(t, 0, c.cur, 0, a)
}

func (c *Constraint) walkNode(t *trie, k int32, set []state, depth int, a bitset) {
	for ch := k + 1; ch < t.end[k]; ch = t.end[ch] {
		next := c.e.stepSet(set, t.label[ch], c.levels[depth+1][:0])
		c.levels[depth+1] = next
		if len(next) == 0 {
			continue
		}
		for _, id := range t.toks[t.tokOff[ch]:t.tokOff[ch+1]] {
			a.set(id)
		}
		c.walkNode(t, ch, next, depth+1, a)
	}
}

// Mask sets the logits of the tokens the grammar does not allow next to
// -Inf. Logits past the tokenizer's vocabulary (padding rows) are always
// masked.
func (c *Constraint) Mask(logits []float32) {
	a := c.allowedSet()
	ninf := float32(math.Inf(-1))
	n := min(len(logits), c.v.size)
	for w := 0; w*64 < n; w++ {
		base := w * 64
		for off := ^a[w]; off != 0; off &= off - 1 {
			i := base + bits.TrailingZeros64(off)
			if i >= n {
				break
			}
			logits[i] = ninf
		}
	}
	for i := n; i < len(logits); i++ {
		logits[i] = ninf
	}
}
