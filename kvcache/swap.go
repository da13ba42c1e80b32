package kvcache

import (
	"errors"
	"fmt"
)

// Swapped holds the keys and values of a sequence's blocks copied out of
// the pool into ordinary memory, in block-table order. It is what SwapOut
// returns and SwapIn takes back.
type Swapped struct {
	blocks int
	k, v   []byte
}

// Blocks is the number of blocks held.
func (s *Swapped) Blocks() int {
	if s == nil {
		return 0
	}
	return s.blocks
}

// Bytes is the memory the copy takes.
func (s *Swapped) Bytes() int64 {
	if s == nil {
		return 0
	}
	return int64(len(s.k) + len(s.v))
}

// BlockBytes is the memory one block takes for all layers, keys and values:
// what swapping a block out costs.
func (p *Pool) BlockBytes() int64 {
	return int64(p.layers) * int64(p.layerK+p.layerV)
}

// SwapBytes is what SwapOut(seq) would take now.
func (p *Pool) SwapBytes(seq int) int64 {
	if seq < 0 || seq >= len(p.tables) {
		return 0
	}
	return int64(len(p.tables[seq])) * p.BlockBytes()
}

// SwapOut copies the contents of every block in seq's table out of the
// pool, then releases them as Release does (blocks in the prefix cache stay
// there until evicted). The table is empty afterwards.
func (p *Pool) SwapOut(seq int) (*Swapped, error) {
	if seq < 0 || seq >= len(p.tables) {
		return nil, fmt.Errorf("kvcache: swap out: sequence slot %d is outside 0..%d", seq, len(p.tables)-1)
	}
	t := p.tables[seq]
	kb, vb := p.layers*p.layerK, p.layers*p.layerV
	s := &Swapped{blocks: len(t), k: make([]byte, len(t)*kb), v: make([]byte, len(t)*vb)}
	// A block's rows for all layers are contiguous: one copy per block.
	for i, b := range t {
		copy(s.k[i*kb:(i+1)*kb], p.k[int(b)*kb:(int(b)+1)*kb])
		copy(s.v[i*vb:(i+1)*vb], p.v[int(b)*vb:(int(b)+1)*vb])
	}
	p.Release(seq)
	return s, nil
}

// SwapIn gives seq, whose table must be empty, fresh blocks and copies the
// contents of s into them, so that the sequence continues where SwapOut
// left it. When the pool has too few blocks it returns an error wrapping
// ErrNoBlocks, keeps nothing, and s stays valid for another try.
func (p *Pool) SwapIn(seq int, s *Swapped) error {
	if seq < 0 || seq >= len(p.tables) {
		return fmt.Errorf("kvcache: swap in: sequence slot %d is outside 0..%d", seq, len(p.tables)-1)
	}
	if s == nil {
		return errors.New("kvcache: swap in: no swapped blocks given")
	}
	if len(p.tables[seq]) != 0 {
		return fmt.Errorf("kvcache: swap in: sequence slot %d still holds %d blocks", seq, len(p.tables[seq]))
	}
	if n := p.Available(); n < s.blocks {
		return fmt.Errorf("kvcache: swap in of %d blocks with %d available: %w", s.blocks, n, ErrNoBlocks)
	}
	if err := p.Reserve(seq, s.blocks*p.bs); err != nil {
		p.Release(seq)
		return fmt.Errorf("kvcache: swap in of %d blocks: %w", s.blocks, err)
	}
	kb, vb := p.layers*p.layerK, p.layers*p.layerV
	for i, b := range p.tables[seq] {
		copy(p.k[int(b)*kb:(int(b)+1)*kb], s.k[i*kb:(i+1)*kb])
		copy(p.v[int(b)*vb:(int(b)+1)*vb], s.v[i*vb:(i+1)*vb])
	}
	return nil
}
