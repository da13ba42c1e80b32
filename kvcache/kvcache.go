// Package kvcache manages a paged key/value cache: one pool of fixed-size
// blocks, a block table per sequence slot, and an automatic prefix cache of
// full blocks keyed by a hash chain over their tokens.
//
// A Pool implements model.KVCache, storing rows as float32, float16 or Q8_0
// (see model.KVType). It is not safe for concurrent mutation: one goroutine
// (the engine's step loop) allocates and releases blocks and stores rows,
// and Span may be called concurrently only while no mutation is in progress
// (that is, during a forward step's attention).
//
// Every block holds its positions for all layers, so sliding-window layers
// keep positions they no longer read (attention never reads outside a
// layer's window); model.MemoryPlan reports how much that is.
package kvcache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"

	"github.com/nuri-ai/nuri/model"
)

// ErrNoBlocks says the pool has no free or evictable block left.
var ErrNoBlocks = errors.New("kvcache: no free blocks")

// Hash identifies the content of a full block together with everything
// before it (the salt and the parent block's hash).
type Hash uint64

var seed = maphash.MakeSeed()

// BlockHash returns the chained hash of one full block of tokens. parent is
// the previous block's hash (0 for the first block), salt separates caches.
func BlockHash(salt string, parent Hash, tokens []int32) Hash {
	var h maphash.Hash
	h.SetSeed(seed)
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(parent))
	_, _ = h.Write(buf[:])
	if parent == 0 {
		_, _ = h.WriteString(salt)
		_ = h.WriteByte(0)
	}
	for _, t := range tokens {
		binary.LittleEndian.PutUint32(buf[:4], uint32(t))
		_, _ = h.Write(buf[:4])
	}
	v := Hash(h.Sum64())
	if v == 0 {
		v = 1 // 0 marks "no parent"
	}
	return v
}

// BytesPerBlock is the memory one block of blockSize tokens takes for c in
// element type t.
func BytesPerBlock(c *model.Config, t model.KVType, blockSize int) int64 {
	return int64(c.Layers) * int64(blockSize) * int64(t.RowBytes(c.KVDim())+t.RowBytes(c.KVHeads*c.ValueDim))
}

// Stats counts the pool's blocks.
type Stats struct {
	Total  int // blocks in the pool
	Used   int // referenced by at least one sequence
	Cached int // unreferenced but holding a reusable prefix (evictable)
}

const none = -1

// Pool is a paged KV cache. Block b holds, for every layer, blockSize token
// slots of keys and of values, encoded in the pool's element type.
type Pool struct {
	t                      model.KVType
	layers, kDim, vDim, bs int
	kRow, vRow             int // bytes per row
	layerK, layerV         int // bytes per block per layer
	k, v                   []byte

	ref    []int32
	hash   []Hash // 0 = not in the prefix cache
	parent []Hash
	toks   []int32 // block contents, for verifying cache hits
	cache  map[Hash]int32

	free []int32 // unreferenced, uncached blocks
	// LRU of unreferenced cached blocks: a doubly linked list, oldest at head.
	prev, next []int32
	head, tail int32
	lruLen     int
	used       int

	tables [][]int32 // per sequence slot
}

// New makes a pool of numBlocks blocks of blockSize tokens for c, with
// element type t (f32, f16 or q8_0; q8_0 needs head sizes that are multiples
// of 32), with room for seqs sequence slots.
func New(c *model.Config, t model.KVType, blockSize, numBlocks, seqs int) (*Pool, error) {
	if blockSize <= 0 || numBlocks <= 0 || seqs <= 0 {
		return nil, fmt.Errorf("kvcache: block size %d, %d blocks and %d sequences must all be positive", blockSize, numBlocks, seqs)
	}
	if t == "" {
		return nil, errors.New("kvcache: no element type given")
	}
	if _, err := model.ResolveKVType(c, t, 0); err != nil {
		return nil, fmt.Errorf("kvcache: %w", err)
	}
	kDim, vDim := c.KVDim(), c.KVHeads*c.ValueDim
	p := &Pool{t: t, layers: c.Layers, kDim: kDim, vDim: vDim, bs: blockSize,
		kRow: t.RowBytes(kDim), vRow: t.RowBytes(vDim)}
	p.layerK, p.layerV = blockSize*p.kRow, blockSize*p.vRow
	nk := int64(numBlocks) * int64(c.Layers) * int64(p.layerK)
	nv := int64(numBlocks) * int64(c.Layers) * int64(p.layerV)
	if nk <= 0 || nv <= 0 || nk > 1<<42 || nv > 1<<42 {
		return nil, fmt.Errorf("kvcache: %d blocks of %d tokens are too large or empty for this model", numBlocks, blockSize)
	}
	p.k = model.AllocKV(nk)
	p.v = model.AllocKV(nv)
	p.ref = make([]int32, numBlocks)
	p.hash = make([]Hash, numBlocks)
	p.parent = make([]Hash, numBlocks)
	p.toks = make([]int32, numBlocks*blockSize)
	p.cache = make(map[Hash]int32)
	p.prev = make([]int32, numBlocks)
	p.next = make([]int32, numBlocks)
	p.head, p.tail = none, none
	p.free = make([]int32, numBlocks)
	for i := range p.free {
		// Pop from the end: hand out low block numbers first.
		p.free[i] = int32(numBlocks - 1 - i)
	}
	p.tables = make([][]int32, seqs)
	return p, nil
}

// BlockSize is the number of tokens per block.
func (p *Pool) BlockSize() int { return p.bs }

// NumBlocks is the pool's size in blocks.
func (p *Pool) NumBlocks() int { return len(p.ref) }

// Stats counts used and cached blocks.
func (p *Pool) Stats() Stats {
	return Stats{Total: len(p.ref), Used: p.used, Cached: p.lruLen}
}

// Available is the number of blocks that can be handed out now (free plus
// evictable cached ones).
func (p *Pool) Available() int { return len(p.free) + p.lruLen }

// Table returns the block table of a sequence slot (read only).
func (p *Pool) Table(seq int) []int32 { return p.tables[seq] }

// KVType is the pool's element type.
func (p *Pool) KVType() model.KVType { return p.t }

// Store encodes the key and value rows of (layer, seq, pos). The block
// holding pos must have been allocated.
func (p *Pool) Store(layer, seq, pos int, k, v []float32) {
	ko, vo := p.offsets(layer, seq, pos)
	model.EncodeKVRow(p.t, p.k[ko:ko+p.kRow], k[:p.kDim])
	model.EncodeKVRow(p.t, p.v[vo:vo+p.vRow], v[:p.vDim])
}

// Span returns the rows of (layer, seq) from position from up to to or the
// end of the block holding from, whichever comes first.
func (p *Pool) Span(layer, seq, from, to int) (k, v []byte, n int) {
	n = min(to-from, p.bs-from%p.bs)
	ko, vo := p.offsets(layer, seq, from)
	return p.k[ko : ko+n*p.kRow], p.v[vo : vo+n*p.vRow], n
}

func (p *Pool) offsets(layer, seq, pos int) (ko, vo int) {
	b := int(p.tables[seq][pos/p.bs])
	off := pos % p.bs
	return (b*p.layers+layer)*p.layerK + off*p.kRow, (b*p.layers+layer)*p.layerV + off*p.vRow
}

func (p *Pool) lruRemove(b int32) {
	pv, nx := p.prev[b], p.next[b]
	if pv != none {
		p.next[pv] = nx
	} else {
		p.head = nx
	}
	if nx != none {
		p.prev[nx] = pv
	} else {
		p.tail = pv
	}
	p.lruLen--
}

func (p *Pool) lruPush(b int32) {
	p.prev[b], p.next[b] = p.tail, none
	if p.tail != none {
		p.next[p.tail] = b
	} else {
		p.head = b
	}
	p.tail = b
	p.lruLen++
}

func (p *Pool) acquire(b int32) {
	if p.ref[b] == 0 {
		if p.hash[b] != 0 {
			p.lruRemove(b)
		}
		p.used++
	}
	p.ref[b]++
}

func (p *Pool) release(b int32) {
	p.ref[b]--
	if p.ref[b] > 0 {
		return
	}
	p.used--
	if p.hash[b] != 0 {
		p.lruPush(b)
	} else {
		p.free = append(p.free, b)
	}
}

// alloc hands out a fresh block, evicting the least recently used cached
// block when none is free.
func (p *Pool) alloc() (int32, error) {
	var b int32
	switch {
	case len(p.free) > 0:
		b = p.free[len(p.free)-1]
		p.free = p.free[:len(p.free)-1]
	case p.head != none:
		b = p.head
		p.lruRemove(b)
		delete(p.cache, p.hash[b])
		p.hash[b], p.parent[b] = 0, 0
	default:
		return 0, ErrNoBlocks
	}
	p.ref[b] = 1
	p.used++
	return b, nil
}

// Match looks up the longest chain of cached full blocks that starts the
// token sequence, given the chain hashes of its full blocks, and attaches the
// found blocks to the (empty) table of seq. It returns how many blocks were
// reused; their tokens need no computing.
func (p *Pool) Match(seq int, hashes []Hash, tokens []int32) int {
	n := 0
	var parent Hash
	for i, h := range hashes {
		b, ok := p.cache[h]
		if !ok || p.parent[b] != parent || !equal(p.toks[int(b)*p.bs:(int(b)+1)*p.bs], tokens[i*p.bs:(i+1)*p.bs]) {
			break
		}
		p.acquire(b)
		p.tables[seq] = append(p.tables[seq], b)
		parent = h
		n++
	}
	return n
}

func equal(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Reserve makes sure seq's table covers positions [0, n), allocating blocks
// as needed. On ErrNoBlocks the table keeps the blocks it got.
func (p *Pool) Reserve(seq, n int) error {
	need := (n + p.bs - 1) / p.bs
	for len(p.tables[seq]) < need {
		b, err := p.alloc()
		if err != nil {
			return err
		}
		p.tables[seq] = append(p.tables[seq], b)
	}
	return nil
}

// BlocksNeeded is how many more blocks seq needs to cover n positions.
func (p *Pool) BlocksNeeded(seq, n int) int {
	return max(0, (n+p.bs-1)/p.bs-len(p.tables[seq]))
}

// Commit offers block i of seq, now full with tokens and computed, to the
// prefix cache under hash h with the given parent hash. A block whose
// content is already cached elsewhere stays private.
func (p *Pool) Commit(seq, i int, parent, h Hash, tokens []int32) {
	b := p.tables[seq][i]
	if p.hash[b] != 0 {
		return
	}
	if _, dup := p.cache[h]; dup {
		return
	}
	p.hash[b], p.parent[b] = h, parent
	copy(p.toks[int(b)*p.bs:(int(b)+1)*p.bs], tokens)
	p.cache[h] = b
}

// Release drops seq's references to its blocks. Cached blocks stay in the
// prefix cache until evicted; the last ones released are evicted last.
func (p *Pool) Release(seq int) {
	t := p.tables[seq]
	// Release tail first so that a chain's head outlives its tail in the LRU.
	for i := len(t) - 1; i >= 0; i-- {
		p.release(t[i])
	}
	p.tables[seq] = t[:0]
}

// Truncate drops the blocks of seq beyond the first n.
func (p *Pool) Truncate(seq, n int) {
	t := p.tables[seq]
	for i := len(t) - 1; i >= n; i-- {
		p.release(t[i])
	}
	p.tables[seq] = t[:min(n, len(t))]
}
