// Package kvcache manages a paged key/value cache: pools of fixed-size
// blocks, a block table per sequence slot, and an automatic prefix cache of
// full blocks keyed by a hash chain over their tokens.
//
// A Pool implements model.KVCache, storing rows as float32, float16 or Q8_0
// (see model.KVType). It is not safe for concurrent mutation: one goroutine
// (the engine's step loop) allocates and releases blocks and stores rows,
// and Span may be called concurrently only while no mutation is in progress
// (that is, during a forward step's attention).
//
// The layers are split into groups by attention kind (see Layout): the
// full-attention layers form one group and the sliding-window layers of each
// window size another. Every group has its own block storage, its own free
// list and prefix cache, and its own block table per sequence; all tables of
// a sequence have the same length, entry i covering positions
// [i·BlockSize, (i+1)·BlockSize). A windowed group gives back the blocks
// that no later query of the sequence can see (Advance), so it needs about a
// window's worth of blocks per sequence whatever the context.
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

// BytesPerBlock is the memory one block of blockSize tokens takes for all
// layers of c in element type t.
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

// group is the block storage of the layers of one attention kind. Block b
// holds, for each of the group's layers, blockSize token slots of keys and
// of values, encoded in the pool's element type.
type group struct {
	window         int // 0: full attention
	layers         int // layers in the group
	kRow, vRow     int // bytes per row
	layerK, layerV int // bytes per block per layer
	k, v           []byte

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

	tables [][]int32 // per sequence slot; none marks a block given back
	low    []int     // per sequence slot: entries below are all none
}

// DefaultBlockSize is the number of tokens per block the engine uses unless
// told otherwise (what vLLM uses too): small enough that the last, partly
// filled block of a sequence wastes little, large enough that a block's rows
// make a run worth reading at once.
const DefaultBlockSize = 16

// Pool is a paged KV cache of one or more layer groups. The first group is
// embedded: it is the full-attention group when the model has one.
type Pool struct {
	group
	groups     []*group // groups[0] == &Pool.group
	layerGroup []int32  // per model layer: its group
	layerIndex []int32  // per model layer: its index within the group
	t          model.KVType
	kDim, vDim int
	bs         int
}

// New makes a pool of numBlocks blocks of blockSize tokens for c, with
// element type t (f32, f16 or q8_0; q8_0 needs head sizes that are multiples
// of 32), with room for seqs sequence slots. All layers share one group:
// sliding-window layers keep every position (see NewLayout to give them
// back).
func New(c *model.Config, t model.KVType, blockSize, numBlocks, seqs int) (*Pool, error) {
	all := make([]int, c.Layers)
	for l := range all {
		all[l] = l
	}
	return NewLayout(c, t, Layout{BlockSize: blockSize, Groups: []GroupLayout{{Layers: all, Blocks: numBlocks}}}, seqs)
}

// NewLayout makes a pool with the groups of lay (see Plan) and seqs sequence
// slots.
func NewLayout(c *model.Config, t model.KVType, lay Layout, seqs int) (*Pool, error) {
	bs := lay.BlockSize
	if bs <= 0 || seqs <= 0 || len(lay.Groups) == 0 {
		return nil, fmt.Errorf("kvcache: block size %d, %d groups and %d sequences must all be positive", bs, len(lay.Groups), seqs)
	}
	if t == "" {
		return nil, errors.New("kvcache: no element type given")
	}
	if _, err := model.ResolveKVType(c, t, 0); err != nil {
		return nil, fmt.Errorf("kvcache: %w", err)
	}
	p := &Pool{t: t, kDim: c.KVDim(), vDim: c.KVHeads * c.ValueDim, bs: bs,
		layerGroup: make([]int32, c.Layers), layerIndex: make([]int32, c.Layers)}
	for l := range p.layerGroup {
		p.layerGroup[l] = none
	}
	p.groups = make([]*group, len(lay.Groups))
	for gi, gl := range lay.Groups {
		g := &p.group
		if gi > 0 {
			g = new(group)
		}
		p.groups[gi] = g
		for i, l := range gl.Layers {
			if l < 0 || l >= c.Layers || p.layerGroup[l] != none {
				return nil, fmt.Errorf("kvcache: layer %d of group %d is outside 0..%d or in two groups", l, gi, c.Layers-1)
			}
			p.layerGroup[l], p.layerIndex[l] = int32(gi), int32(i)
		}
		if gl.Window < 0 {
			return nil, fmt.Errorf("kvcache: group %d has a negative window %d", gi, gl.Window)
		}
		if err := g.init(t, p.kDim, p.vDim, bs, len(gl.Layers), gl.Blocks, seqs); err != nil {
			return nil, err
		}
		g.window = gl.Window
	}
	for l, gi := range p.layerGroup {
		if gi == none {
			return nil, fmt.Errorf("kvcache: layer %d is in no group", l)
		}
	}
	return p, nil
}

func (g *group) init(t model.KVType, kDim, vDim, bs, layers, numBlocks, seqs int) error {
	if layers <= 0 || numBlocks <= 0 {
		return fmt.Errorf("kvcache: a group of %d layers and %d blocks must have both", layers, numBlocks)
	}
	g.layers, g.kRow, g.vRow = layers, t.RowBytes(kDim), t.RowBytes(vDim)
	g.layerK, g.layerV = bs*g.kRow, bs*g.vRow
	nk := int64(numBlocks) * int64(layers) * int64(g.layerK)
	nv := int64(numBlocks) * int64(layers) * int64(g.layerV)
	if nk <= 0 || nv <= 0 || nk > 1<<42 || nv > 1<<42 {
		return fmt.Errorf("kvcache: %d blocks of %d tokens are too large or empty for this model", numBlocks, bs)
	}
	g.k = model.AllocKV(nk)
	g.v = model.AllocKV(nv)
	g.ref = make([]int32, numBlocks)
	g.hash = make([]Hash, numBlocks)
	g.parent = make([]Hash, numBlocks)
	g.toks = make([]int32, numBlocks*bs)
	g.cache = make(map[Hash]int32)
	g.prev = make([]int32, numBlocks)
	g.next = make([]int32, numBlocks)
	g.head, g.tail = none, none
	g.free = make([]int32, numBlocks)
	for i := range g.free {
		// Pop from the end: hand out low block numbers first.
		g.free[i] = int32(numBlocks - 1 - i)
	}
	g.tables = make([][]int32, seqs)
	g.low = make([]int, seqs)
	return nil
}

// BlockSize is the number of tokens per block.
func (p *Pool) BlockSize() int { return p.bs }

// NumBlocks is the size in blocks of the first group (the only one of a
// pool made by New).
func (p *Pool) NumBlocks() int { return len(p.ref) }

// Groups is the number of layer groups.
func (p *Pool) Groups() int { return len(p.groups) }

// GroupWindow is the attention window of group g's layers (0: full).
func (p *Pool) GroupWindow(g int) int { return p.groups[g].window }

// Stats counts used and cached blocks over all groups.
func (p *Pool) Stats() Stats {
	var s Stats
	for i := range p.groups {
		gs := p.GroupStats(i)
		s.Total += gs.Total
		s.Used += gs.Used
		s.Cached += gs.Cached
	}
	return s
}

// GroupStats counts the used and cached blocks of group g.
func (p *Pool) GroupStats(g int) Stats {
	gr := p.groups[g]
	return Stats{Total: len(gr.ref), Used: gr.used, Cached: gr.lruLen}
}

// Available is the number of blocks that can be handed out now (free plus
// evictable cached ones) in the group that has fewest. Block tables grow in
// step in every group, so this many more blocks can be reserved for a
// sequence.
func (p *Pool) Available() int {
	n := p.group.available()
	for _, g := range p.groups[1:] {
		n = min(n, g.available())
	}
	return n
}

func (g *group) available() int { return len(g.free) + g.lruLen }

// Table returns the block table of a sequence slot in the first group (read
// only).
func (p *Pool) Table(seq int) []int32 { return p.tables[seq] }

// GroupTable returns the block table of a sequence slot in group g (read
// only); entries given back by Advance are -1.
func (p *Pool) GroupTable(g, seq int) []int32 { return p.groups[g].tables[seq] }

// KVType is the pool's element type.
func (p *Pool) KVType() model.KVType { return p.t }

// Store encodes the key and value rows of (layer, seq, pos). The block
// holding pos must have been allocated.
func (p *Pool) Store(layer, seq, pos int, k, v []float32) {
	g, ko, vo := p.offsets(layer, seq, pos)
	model.EncodeKVRow(p.t, g.k[ko:ko+g.kRow], k[:p.kDim])
	model.EncodeKVRow(p.t, g.v[vo:vo+g.vRow], v[:p.vDim])
}

// Span returns the rows of (layer, seq) from position from up to to or the
// end of the block holding from, whichever comes first.
func (p *Pool) Span(layer, seq, from, to int) (k, v []byte, n int) {
	n = min(to-from, p.bs-from%p.bs)
	g, ko, vo := p.offsets(layer, seq, from)
	return g.k[ko : ko+n*g.kRow], g.v[vo : vo+n*g.vRow], n
}

func (p *Pool) offsets(layer, seq, pos int) (g *group, ko, vo int) {
	g = p.groups[p.layerGroup[layer]]
	b := int(g.tables[seq][pos/p.bs])*g.layers + int(p.layerIndex[layer])
	off := pos % p.bs
	return g, b*g.layerK + off*g.kRow, b*g.layerV + off*g.vRow
}

func (g *group) lruRemove(b int32) {
	pv, nx := g.prev[b], g.next[b]
	if pv != none {
		g.next[pv] = nx
	} else {
		g.head = nx
	}
	if nx != none {
		g.prev[nx] = pv
	} else {
		g.tail = pv
	}
	g.lruLen--
}

func (g *group) lruPush(b int32) {
	g.prev[b], g.next[b] = g.tail, none
	if g.tail != none {
		g.next[g.tail] = b
	} else {
		g.head = b
	}
	g.tail = b
	g.lruLen++
}

func (g *group) acquire(b int32) {
	if g.ref[b] == 0 {
		if g.hash[b] != 0 {
			g.lruRemove(b)
		}
		g.used++
	}
	g.ref[b]++
}

func (g *group) release(b int32) {
	if b == none {
		return
	}
	g.ref[b]--
	if g.ref[b] > 0 {
		return
	}
	g.used--
	if g.hash[b] != 0 {
		g.lruPush(b)
	} else {
		g.free = append(g.free, b)
	}
}

// alloc hands out a fresh block, evicting the least recently used cached
// block when none is free.
func (g *group) alloc() (int32, error) {
	var b int32
	switch {
	case len(g.free) > 0:
		b = g.free[len(g.free)-1]
		g.free = g.free[:len(g.free)-1]
	case g.head != none:
		b = g.head
		g.lruRemove(b)
		delete(g.cache, g.hash[b])
		g.hash[b], g.parent[b] = 0, 0
	default:
		return 0, ErrNoBlocks
	}
	g.ref[b] = 1
	g.used++
	return b, nil
}

// lookup returns the cached block of chain hash h whose parent is parent and
// whose tokens are tokens.
func (g *group) lookup(h, parent Hash, tokens []int32) (int32, bool) {
	b, ok := g.cache[h]
	if !ok || g.parent[b] != parent {
		return 0, false
	}
	bs := len(tokens)
	return b, equal(g.toks[int(b)*bs:(int(b)+1)*bs], tokens)
}

// firstVisible is the first block index whose positions a query at
// position next can see in a group of the given window.
func firstVisible(window, bs, next int) int {
	if window <= 0 {
		return 0
	}
	return max(0, next-window+1) / bs
}

// Match looks up the longest run of cached full blocks that starts the
// token sequence, given the chain hashes of its full blocks, and attaches
// the found blocks to the (empty) tables of seq. It returns how many blocks
// were reused; their tokens need no computing. A hit of n blocks needs every
// full-attention block before n and, in each windowed group, the blocks
// that the query at position n·BlockSize still sees; windowed blocks before
// those are left out of the table.
func (p *Pool) Match(seq int, hashes []Hash, tokens []int32) int {
	bs := p.bs
	parentOf := func(i int) Hash {
		if i == 0 {
			return 0
		}
		return hashes[i-1]
	}
	n := len(hashes)
	// Longest chain in the full-attention group, if there is one.
	for _, g := range p.groups {
		if g.window != 0 {
			continue
		}
		for i := range n {
			if _, ok := g.lookup(hashes[i], parentOf(i), tokens[i*bs:(i+1)*bs]); !ok {
				n = i
				break
			}
		}
	}
	// Windowed groups: run[i] counts consecutive cached blocks ending at i;
	// n works when the blocks the query at n·bs sees are all there in every
	// windowed group.
	var runs [][]int
	var wins []int
	for _, g := range p.groups {
		if g.window == 0 || n == 0 {
			continue
		}
		run := make([]int, n)
		for i := range n {
			if _, ok := g.lookup(hashes[i], parentOf(i), tokens[i*bs:(i+1)*bs]); ok {
				run[i] = 1
				if i > 0 {
					run[i] += run[i-1]
				}
			}
		}
		runs, wins = append(runs, run), append(wins, g.window)
	}
	for j := 0; j < len(runs) && n > 0; {
		if runs[j][n-1] < n-firstVisible(wins[j], bs, n*bs) {
			n--
			j = 0
			continue
		}
		j++
	}
	for _, g := range p.groups {
		lo := firstVisible(g.window, bs, n*bs)
		for i := range n {
			b := int32(none)
			if i >= lo {
				b, _ = g.lookup(hashes[i], parentOf(i), tokens[i*bs:(i+1)*bs])
				g.acquire(b)
			}
			g.tables[seq] = append(g.tables[seq], b)
		}
		g.low[seq] = lo
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

// Reserve makes sure seq's tables cover positions [0, n), allocating blocks
// as needed. On ErrNoBlocks the tables keep the blocks they got.
func (p *Pool) Reserve(seq, n int) error {
	need := (n + p.bs - 1) / p.bs
	for _, g := range p.groups {
		for len(g.tables[seq]) < need {
			b, err := g.alloc()
			if err != nil {
				return err
			}
			g.tables[seq] = append(g.tables[seq], b)
		}
	}
	return nil
}

// BlocksNeeded is how many more blocks seq needs in each group to cover n
// positions.
func (p *Pool) BlocksNeeded(seq, n int) int {
	need, most := (n+p.bs-1)/p.bs, 0
	for _, g := range p.groups {
		most = max(most, need-len(g.tables[seq]))
	}
	return most
}

// Advance tells the pool that the next query of seq is at position next (so
// positions before it are computed): windowed groups give back the blocks
// whose every position is outside that query's window, as no later query
// sees them. Blocks in the prefix cache stay there until evicted.
func (p *Pool) Advance(seq, next int) {
	for _, g := range p.groups {
		if g.window > 0 {
			g.advance(seq, firstVisible(g.window, p.bs, next))
		}
	}
}

func (g *group) advance(seq, lo int) {
	t := g.tables[seq]
	lo = min(lo, len(t))
	for i := g.low[seq]; i < lo; i++ {
		g.release(t[i])
		t[i] = none
	}
	g.low[seq] = max(g.low[seq], lo)
}

// Commit offers block i of seq, now full with tokens and computed, to the
// prefix cache of every group that still holds it, under hash h with the
// given parent hash. A block whose content is already cached elsewhere
// stays private.
func (p *Pool) Commit(seq, i int, parent, h Hash, tokens []int32) {
	for _, g := range p.groups {
		if i >= len(g.tables[seq]) || g.tables[seq][i] == none {
			continue
		}
		b := g.tables[seq][i]
		if g.hash[b] != 0 {
			continue
		}
		if _, dup := g.cache[h]; dup {
			continue
		}
		g.hash[b], g.parent[b] = h, parent
		copy(g.toks[int(b)*p.bs:(int(b)+1)*p.bs], tokens)
		g.cache[h] = b
	}
}

// Release drops seq's references to its blocks. Cached blocks stay in the
// prefix cache until evicted; the last ones released are evicted last.
func (p *Pool) Release(seq int) {
	for _, g := range p.groups {
		t := g.tables[seq]
		// Release tail first so that a chain's head outlives its tail in the LRU.
		for i := len(t) - 1; i >= 0; i-- {
			g.release(t[i])
		}
		g.tables[seq] = t[:0]
		g.low[seq] = 0
	}
}

// Truncate drops the blocks of seq beyond the first n.
func (p *Pool) Truncate(seq, n int) {
	for _, g := range p.groups {
		t := g.tables[seq]
		for i := len(t) - 1; i >= n; i-- {
			g.release(t[i])
		}
		g.tables[seq] = t[:min(n, len(t))]
		g.low[seq] = min(g.low[seq], len(g.tables[seq]))
	}
}
