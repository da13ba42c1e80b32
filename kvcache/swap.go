package kvcache

import (
	"errors"
	"fmt"
)

// Swapped holds the keys and values of a sequence's blocks copied out of
// the pool into ordinary memory, group by group in block-table order. It is
// what SwapOut returns and SwapIn takes back. Table entries that a windowed
// group had already given back (see Advance) hold nothing and come back
// empty.
type Swapped struct {
	blocks int // table length, the same in every group
	groups []swappedGroup
}

// swappedGroup is one group's share of a Swapped: the table indices that
// held a block, their rows, and the group's low mark.
type swappedGroup struct {
	held []int32
	low  int
	k, v []byte
}

// Blocks is the length of the sequence's block tables when swapped out
// (in every group; a windowed group may have held fewer blocks).
func (s *Swapped) Blocks() int {
	if s == nil {
		return 0
	}
	return s.blocks
}

// Held is the number of blocks that were held in group g, and that SwapIn
// takes from that group.
func (s *Swapped) Held(g int) int {
	if s == nil || g < 0 || g >= len(s.groups) {
		return 0
	}
	return len(s.groups[g].held)
}

// Bytes is the memory the copy takes.
func (s *Swapped) Bytes() int64 {
	if s == nil {
		return 0
	}
	var n int64
	for _, g := range s.groups {
		n += int64(len(g.k) + len(g.v))
	}
	return n
}

// blockBytes is the memory one block of g takes for all of g's layers.
func (g *group) blockBytes() int64 {
	return int64(g.layers) * int64(g.layerK+g.layerV)
}

// BlockBytes is the memory one block-table entry takes for all layers, keys
// and values, when every group holds its block: what swapping such an entry
// out costs at most.
func (p *Pool) BlockBytes() int64 {
	var n int64
	for _, g := range p.groups {
		n += g.blockBytes()
	}
	return n
}

// SwapBytes is what SwapOut(seq) would take now: the blocks seq holds in
// every group.
func (p *Pool) SwapBytes(seq int) int64 {
	if seq < 0 || seq >= len(p.tables) {
		return 0
	}
	var n int64
	for _, g := range p.groups {
		for _, b := range g.tables[seq] {
			if b != none {
				n += g.blockBytes()
			}
		}
	}
	return n
}

// SwapOut copies the contents of every block seq holds, in every group, out
// of the pool, then releases them as Release does (blocks in the prefix
// cache stay there until evicted). The tables are empty afterwards.
func (p *Pool) SwapOut(seq int) (*Swapped, error) {
	if seq < 0 || seq >= len(p.tables) {
		return nil, fmt.Errorf("kvcache: swap out: sequence slot %d is outside 0..%d", seq, len(p.tables)-1)
	}
	s := &Swapped{blocks: len(p.tables[seq]), groups: make([]swappedGroup, len(p.groups))}
	for gi, g := range p.groups {
		t := g.tables[seq]
		sg := &s.groups[gi]
		sg.low = g.low[seq]
		for i, b := range t {
			if b != none {
				sg.held = append(sg.held, int32(i))
			}
		}
		kb, vb := g.layers*g.layerK, g.layers*g.layerV
		sg.k, sg.v = make([]byte, len(sg.held)*kb), make([]byte, len(sg.held)*vb)
		// A block's rows for all of the group's layers are contiguous: one
		// copy per block.
		for j, i := range sg.held {
			b := int(t[i])
			copy(sg.k[j*kb:(j+1)*kb], g.k[b*kb:(b+1)*kb])
			copy(sg.v[j*vb:(j+1)*vb], g.v[b*vb:(b+1)*vb])
		}
	}
	p.Release(seq)
	return s, nil
}

// SwapInRoom is how many blocks every group still has available (free or
// evictable) after SwapIn(s) took what s needs from it, the least over the
// groups: how many more table entries the sequence can get afterwards.
// It is negative when s does not fit now.
func (p *Pool) SwapInRoom(s *Swapped) int {
	room := p.group.available() - s.Held(0)
	for gi, g := range p.groups[1:] {
		room = min(room, g.available()-s.Held(gi+1))
	}
	return room
}

// SwapIn gives seq, whose tables must be empty, fresh blocks for the
// entries s held and copies the contents of s into them, so that the
// sequence continues where SwapOut left it; entries a windowed group had
// given back stay empty. When a group has too few blocks it returns an
// error wrapping ErrNoBlocks, keeps nothing, and s stays valid for another
// try.
func (p *Pool) SwapIn(seq int, s *Swapped) error {
	if seq < 0 || seq >= len(p.tables) {
		return fmt.Errorf("kvcache: swap in: sequence slot %d is outside 0..%d", seq, len(p.tables)-1)
	}
	if s == nil {
		return errors.New("kvcache: swap in: no swapped blocks given")
	}
	if len(s.groups) != len(p.groups) {
		return fmt.Errorf("kvcache: swap in: %d swapped groups for a pool of %d", len(s.groups), len(p.groups))
	}
	for gi, g := range p.groups {
		if n := len(g.tables[seq]); n != 0 {
			return fmt.Errorf("kvcache: swap in: sequence slot %d still holds %d blocks in group %d", seq, n, gi)
		}
		sg := &s.groups[gi]
		kb, vb := g.layers*g.layerK, g.layers*g.layerV
		if len(sg.k) != len(sg.held)*kb || len(sg.v) != len(sg.held)*vb || sg.low < 0 || sg.low > s.blocks {
			return fmt.Errorf("kvcache: swap in: group %d's swapped blocks do not fit this pool's block layout", gi)
		}
		for _, i := range sg.held {
			if int(i) < sg.low || int(i) >= s.blocks {
				return fmt.Errorf("kvcache: swap in: group %d holds table entry %d outside %d..%d", gi, i, sg.low, s.blocks-1)
			}
		}
		if n := g.available(); n < len(sg.held) {
			return fmt.Errorf("kvcache: swap in of %d blocks to group %d with %d available: %w", len(sg.held), gi, n, ErrNoBlocks)
		}
	}
	for gi, g := range p.groups {
		sg := &s.groups[gi]
		t := g.tables[seq][:0]
		for range s.blocks {
			t = append(t, none)
		}
		g.tables[seq], g.low[seq] = t, sg.low
		kb, vb := g.layers*g.layerK, g.layers*g.layerV
		for j, i := range sg.held {
			b, err := g.alloc()
			if err != nil {
				p.Release(seq)
				return fmt.Errorf("kvcache: swap in of %d blocks to group %d: %w", len(sg.held), gi, err)
			}
			t[i] = b
			copy(g.k[int(b)*kb:(int(b)+1)*kb], sg.k[j*kb:(j+1)*kb])
			copy(g.v[int(b)*vb:(int(b)+1)*vb], sg.v[j*vb:(j+1)*vb])
		}
	}
	return nil
}
