package kvcache

import (
	"fmt"
	"math"
	"slices"

	"github.com/nuri-ai/nuri/model"
)

// Layout says which layers share block storage and how many blocks each
// group gets. Plan makes one from a memory budget.
type Layout struct {
	BlockSize int
	Groups    []GroupLayout
}

// GroupLayout is one group of layers with the same attention window.
type GroupLayout struct {
	Window int   // attention window of the group's layers; 0: full attention
	Layers []int // model layers in the group
	Blocks int
}

// BytesPerBlock is the memory one block of the group takes.
func (g GroupLayout) BytesPerBlock(c *model.Config, t model.KVType, blockSize int) int64 {
	return int64(len(g.Layers)) * int64(blockSize) * int64(t.RowBytes(c.KVDim())+t.RowBytes(c.KVHeads*c.ValueDim))
}

// Bytes is the memory the whole layout takes.
func (l Layout) Bytes(c *model.Config, t model.KVType) int64 {
	var n int64
	for _, g := range l.Groups {
		n += int64(g.Blocks) * g.BytesPerBlock(c, t, l.BlockSize)
	}
	return n
}

// MaxContext is the longest sequence the layout can hold when it runs
// alone: the full-attention group's blocks, and for a windowed group its
// blocks unless they cover a window and one more block (then, decoding a
// token at a time, it never needs more). It is math.MaxInt when nothing
// limits it.
func (l Layout) MaxContext() int {
	n := math.MaxInt
	for _, g := range l.Groups {
		if g.Window > 0 && g.Blocks >= WindowBlocks(g.Window, l.BlockSize, 1) {
			continue
		}
		n = min(n, g.Blocks*l.BlockSize)
	}
	return n
}

// WindowBlocks is the most blocks a sequence holds at once in a group of
// the given window when one forward step adds up to step of its positions:
// the window before the step's first query plus the step's own positions,
// on a block boundary anywhere.
func WindowBlocks(window, blockSize, step int) int {
	return (window-1+step+blockSize-1)/blockSize + 1
}

// PlanOptions describe the load a pool is sized for.
type PlanOptions struct {
	BlockSize int // tokens per block
	Seqs      int // sequences running at once
	Step      int // most positions one forward step adds to a sequence
	Context   int // most positions per sequence
}

// Plan splits budget bytes between the layer groups of c.
//
// Layers whose window is shorter than the context by more than a step get
// their own group per window size; the others (full attention, and windows
// that would hold the whole context anyway) share the full group. Without
// windowed groups the whole budget goes to one group, as New does.
//
// Otherwise, let N be the number of blocks the budget buys when every block
// holds all layers (the pool without groups). Each windowed group gets
// enough blocks for every running sequence to hold its window and a step
// (WindowBlocks), plus a quarter more for cached prefixes, but never more
// than N; the full group gets the rest of the budget, so never fewer than N
// blocks. No load fits worse than in the pool without groups, and the
// memory a window saves goes to longer or more contexts. A model made only
// of windowed layers gives each group N blocks.
func Plan(c *model.Config, t model.KVType, budget int64, o PlanOptions) (Layout, error) {
	bs := o.BlockSize
	if bs <= 0 || o.Seqs <= 0 || o.Step <= 0 || o.Context <= 0 {
		return Layout{}, fmt.Errorf("kvcache: block size %d, %d sequences, step %d and context %d must all be positive", bs, o.Seqs, o.Step, o.Context)
	}
	lay := Layout{BlockSize: bs, Groups: groupLayers(c, bs, o.Step, o.Context)}
	all := BytesPerBlock(c, t, bs)
	if all <= 0 {
		return Layout{}, fmt.Errorf("kvcache: %s has no KV cache to size", c.Name)
	}
	n0 := budget / all
	if n0 < 1 {
		return Layout{}, fmt.Errorf("kvcache: KV memory of %d bytes holds no block of %d tokens (%d bytes each)", budget, bs, all)
	}
	n0 = min(n0, 1<<30)
	left, full := budget, lay.Groups[0].Window == 0
	for i := range lay.Groups {
		g := &lay.Groups[i]
		if g.Window == 0 {
			continue
		}
		want := int64(o.Seqs) * int64(WindowBlocks(g.Window, bs, o.Step))
		g.Blocks = int(n0)
		if full {
			g.Blocks = int(min(want+want/4, n0))
		}
		left -= int64(g.Blocks) * g.BytesPerBlock(c, t, bs)
	}
	if g := &lay.Groups[0]; full {
		g.Blocks = int(min(left/g.BytesPerBlock(c, t, bs), 1<<30))
	}
	return lay, nil
}

// Need is the budget at which Plan gives every one of o.Seqs sequences
// o.Context positions: full groups that many blocks per sequence, windowed
// groups their share.
func Need(c *model.Config, t model.KVType, o PlanOptions) int64 {
	bs := max(o.BlockSize, 1)
	ctxBlocks := int64((o.Context + bs - 1) / bs)
	var need int64
	for _, g := range groupLayers(c, bs, max(o.Step, 1), o.Context) {
		per := ctxBlocks
		if g.Window > 0 {
			w := int64(WindowBlocks(g.Window, bs, max(o.Step, 1)))
			per = w + w/4
		}
		b := g.BytesPerBlock(c, t, bs)
		add := per * int64(max(o.Seqs, 1)) * b
		if b != 0 && add/b != per*int64(max(o.Seqs, 1)) {
			return math.MaxInt64
		}
		need += add
		if need < 0 {
			return math.MaxInt64
		}
	}
	return need
}

// groupLayers sorts the layers of c into groups, the full group first (when
// there is one) and windowed groups by window size.
func groupLayers(c *model.Config, bs, step, ctx int) []GroupLayout {
	byWindow := map[int][]int{}
	for l := 0; l < c.Layers; l++ {
		w := 0
		if l < len(c.LayerSliding) {
			w = c.Window(l)
		}
		if w > 0 && WindowBlocks(w, bs, step) >= (ctx+bs-1)/bs {
			w = 0 // the window holds the whole context: nothing to give back
		}
		byWindow[w] = append(byWindow[w], l)
	}
	windows := make([]int, 0, len(byWindow))
	for w := range byWindow {
		windows = append(windows, w)
	}
	slices.Sort(windows)
	out := make([]GroupLayout, 0, len(windows))
	for _, w := range windows {
		out = append(out, GroupLayout{Window: w, Layers: byWindow[w]})
	}
	return out
}
