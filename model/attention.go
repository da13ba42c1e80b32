package model

import (
	"math"
	"unsafe"

	"github.com/nuri-ai/nuri/kernels"
)

// Attention over the KV cache, tiled in the manner of flash attention: the
// queries of up to tileTokens consecutive tokens of one sequence that share
// a KV head form a tile, the tile walks the visible keys in blocks of up to
// keyBlock positions, and each query row keeps a running maximum, a running
// sum and a rescaled output accumulator (online softmax). No score matrix
// longer than one key block is ever held, whatever the context.
//
// The cache rows are read in place by the attention kernels (see
// kernels.AttnScores and kernels.AttnAccumulate), which widen F16 and Q8_0
// elements in registers: one call scores every query row of the tile against
// a key block, another adds the block's probability-weighted values to every
// row's accumulator.
//
// A task is a tile, a run of KV heads and a range of keys. A decoding token
// (or a tile with few query rows per head) takes every KV head in one task:
// each run of cache rows is then read from memory once, whole and in order,
// and stays in cache while every head is scored against it, instead of being
// read in one strided pass per head; the next key block is prefetched
// meanwhile, wherever the paged cache put it. Prefill tiles, whose cost is
// arithmetic, take one head per task. Longest tiles run first. When a step
// has too few tasks to keep every thread busy (decoding one or two sequences
// at depth), long tiles are further split over key ranges whose partial
// results are merged afterwards.

const (
	tileTokens = 64   // queries per tile, per query head
	keyBlock   = 64   // keys per block
	minPart    = 2048 // fewest keys × KV heads worth a separate key-range task
	widenRows  = 4    // more query rows than this share one widened F16/Q8_0 block
)

// attnTile is a run of batch tokens of one sequence at consecutive positions.
type attnTile struct {
	first, n int // batch indices first … first+n-1
	seq, pos int // sequence and position of the first token
	lo       int // first key position any of its queries sees
}

// attnTask is one unit of attention work: the keys [lo, hi) of a tile for
// its KV heads [g0, g1). A task of a split tile leaves its partial result in
// slot of attnState.partBuf; otherwise it writes the output itself.
type attnTask struct {
	tile, g0, g1, lo, hi, slot int
}

// attnMerge combines the parts slot … slot+parts-1 of a split tile's heads.
type attnMerge struct {
	tile, g0, g1, slot, parts int
}

// attnSpan is a run of cache rows that lie together in memory.
type attnSpan struct {
	k, v []byte
	n    int
}

// attnScratch is one thread's working memory.
type attnScratch struct {
	q      []float32  // rows × HeadDim queries
	kf, vf []float32  // keyBlock × HeadDim keys, keyBlock × ValueDim values (widened)
	s      []float32  // rows × keyBlock scores, then probabilities
	m, l   []float32  // per row: running max and sum
	acc    []float32  // rows × ValueDim
	spans  []attnSpan // the cache spans of the current key block
	next   []attnSpan // and of the next one
}

// attnState holds the arguments of the current layer's attention tasks.
type attnState struct {
	layer   int
	b       *Batch
	kv      KVCache
	tiles   []attnTile
	tasks   []attnTask
	merges  []attnMerge
	slotLen int       // floats per partial-result slot: rows · (2 + ValueDim)
	partBuf []float32 // per slot: m, l (rows each), acc (rows × ValueDim)
	scratch []attnScratch
	task    func(task, thread int)
	merge   func(task, thread int)
}

// attention computes s.att for every token of the batch at layer l, whose
// keys and values are already stored in kv.
func (m *Model) attention(l int, b *Batch, kv KVCache) {
	c := &m.Config
	a := &m.s.attn
	group := c.Heads / c.KVHeads
	if a.task == nil {
		a.task, a.merge = m.attendTask, m.mergeTask
	}

	// Tiles.
	window := c.Window(l)
	a.tiles = a.tiles[:0]
	for i := 0; i < len(b.Tokens); {
		t := attnTile{first: i, n: 1, seq: int(b.Seq[i]), pos: int(b.Pos[i])}
		for i+t.n < len(b.Tokens) && t.n < tileTokens && int(b.Seq[i+t.n]) == t.seq && int(b.Pos[i+t.n]) == t.pos+t.n {
			t.n++
		}
		if window > 0 {
			t.lo = max(0, t.pos-window+1)
		}
		a.tiles = append(a.tiles, t)
		i += t.n
	}

	// Tasks, longest tiles (latest positions) first, and how many key
	// ranges long tiles split into when there are too few to go round.
	base := 0
	for i := range a.tiles {
		base += c.KVHeads / m.headsPerTask(&a.tiles[i])
	}
	want := 4 * m.pool.Threads()
	a.tasks, a.merges = a.tasks[:0], a.merges[:0]
	rows, slots, slotRows := 0, 0, 0
	for ti := len(a.tiles) - 1; ti >= 0; ti-- {
		t := &a.tiles[ti]
		hpt := m.headsPerTask(t)
		rows = max(rows, hpt*t.n*group)
		lo, hi := t.lo, t.pos+t.n
		parts := 1
		if work := (hi - lo) * hpt; base < want && work >= 2*minPart {
			parts = min((want+base-1)/base, work/minPart)
		}
		per := (hi - lo + parts - 1) / parts
		per = (per + keyBlock - 1) / keyBlock * keyBlock
		for g := 0; g < c.KVHeads; g += hpt {
			if parts == 1 {
				a.tasks = append(a.tasks, attnTask{tile: ti, g0: g, g1: g + hpt, lo: lo, hi: hi, slot: -1})
				continue
			}
			a.merges = append(a.merges, attnMerge{tile: ti, g0: g, g1: g + hpt, slot: slots, parts: parts})
			slotRows = max(slotRows, hpt*t.n*group)
			for p := 0; p < parts; p++ {
				a.tasks = append(a.tasks, attnTask{tile: ti, g0: g, g1: g + hpt,
					lo: min(lo+p*per, hi), hi: min(lo+(p+1)*per, hi), slot: slots})
				slots++
			}
		}
	}

	if len(a.scratch) < m.pool.Threads() {
		a.scratch = make([]attnScratch, m.pool.Threads())
	}
	for i := range a.scratch {
		sc := &a.scratch[i]
		sc.q = grow(sc.q, rows*c.HeadDim)
		sc.s = grow(sc.s, rows*keyBlock)
		sc.kf = grow(sc.kf, keyBlock*c.HeadDim)
		sc.vf = grow(sc.vf, keyBlock*c.ValueDim)
		sc.m = grow(sc.m, rows)
		sc.l = grow(sc.l, rows)
		sc.acc = grow(sc.acc, rows*c.ValueDim)
		if sc.spans == nil {
			sc.spans, sc.next = make([]attnSpan, 0, keyBlock), make([]attnSpan, 0, keyBlock)
		}
	}
	a.slotLen = slotRows * (2 + c.ValueDim)
	a.partBuf = grow(a.partBuf, slots*a.slotLen)

	a.layer, a.b, a.kv = l, b, kv
	m.pool.Run(len(a.tasks), a.task)
	if len(a.merges) > 0 {
		m.pool.Run(len(a.merges), a.merge)
	}
	a.b, a.kv = nil, nil
}

// headsPerTask is how many KV heads one task of tile t covers: all of them
// for a single decoding token or a tile with few query rows per head (the
// cost is reading the cache), one when it has many (the cost is arithmetic,
// and more tasks balance it).
func (m *Model) headsPerTask(t *attnTile) int {
	if t.n == 1 || t.n*(m.Config.Heads/m.Config.KVHeads) <= widenRows {
		return m.Config.KVHeads
	}
	return 1
}

// attendTask runs one task.
func (m *Model) attendTask(task, thread int) {
	c := &m.Config
	a := &m.s.attn
	sc := &a.scratch[thread]
	tk := &a.tasks[task]
	t := &a.tiles[tk.tile]
	group := c.Heads / c.KVHeads
	rph := t.n * group // query rows per head
	rows := (tk.g1 - tk.g0) * rph

	// Queries, head by head: row r = (g-g0)·rph + token·group + h.
	qDim := c.Heads * c.HeadDim
	for g := tk.g0; g < tk.g1; g++ {
		dst := sc.q[(g-tk.g0)*rph*c.HeadDim:]
		for k := 0; k < t.n; k++ {
			copy(dst[k*group*c.HeadDim:][:group*c.HeadDim], m.s.q[(t.first+k)*qDim+g*group*c.HeadDim:])
		}
	}
	ninf := float32(math.Inf(-1))
	for r := 0; r < rows; r++ {
		sc.m[r], sc.l[r] = ninf, 0
	}
	clear(sc.acc[:rows*c.ValueDim])

	m.attendRange(t, tk.g0, tk.g1, tk.lo, tk.hi, sc)

	if tk.slot < 0 {
		for r := 0; r < rows; r++ {
			out := m.attnOut(t, tk.g0, r)
			acc := sc.acc[r*c.ValueDim:][:c.ValueDim]
			inv := 1 / sc.l[r]
			for d := range out {
				out[d] = acc[d] * inv
			}
		}
		return
	}
	buf := a.partBuf[tk.slot*a.slotLen:][:a.slotLen]
	copy(buf[:rows], sc.m[:rows])
	copy(buf[rows:2*rows], sc.l[:rows])
	copy(buf[2*rows:2*rows+rows*c.ValueDim], sc.acc[:rows*c.ValueDim])
}

// attnOut is the output vector of row r of a task of tile t whose heads
// start at g0.
func (m *Model) attnOut(t *attnTile, g0, r int) []float32 {
	c := &m.Config
	group := c.Heads / c.KVHeads
	rph := t.n * group
	g, k, h := g0+r/rph, r%rph/group, r%group
	return m.s.att[((t.first+k)*c.Heads+g*group+h)*c.ValueDim:][:c.ValueDim]
}

// mergeTask combines the key-range parts of one split tile's heads.
func (m *Model) mergeTask(mi, _ int) {
	c := &m.Config
	a := &m.s.attn
	mg := &a.merges[mi]
	t := &a.tiles[mg.tile]
	rows := (mg.g1 - mg.g0) * t.n * (c.Heads / c.KVHeads)
	for r := 0; r < rows; r++ {
		mx := float32(math.Inf(-1))
		for p := 0; p < mg.parts; p++ {
			mx = max(mx, a.partBuf[(mg.slot+p)*a.slotLen+r])
		}
		out := m.attnOut(t, mg.g0, r)
		clear(out)
		var sum float32
		for p := 0; p < mg.parts; p++ {
			buf := a.partBuf[(mg.slot+p)*a.slotLen:]
			if buf[rows+r] == 0 {
				continue // this part saw no key of the row
			}
			w := expf(buf[r] - mx)
			sum += w * buf[rows+r]
			kernels.AXPY(w, buf[2*rows+r*c.ValueDim:][:c.ValueDim], out)
		}
		inv := 1 / sum
		for d := range out {
			out[d] *= inv
		}
	}
}

// attendRange folds the keys [lo, hi) into the running softmax state of the
// tile's query rows for KV heads [g0, g1). Per key block (the cache spans
// that make it up): the scores of every query row (a kernel call per span
// and head, over the cache rows in place), the causal and window masks and
// the online-softmax update per row (blockSoftmax), then the
// probability-weighted value sums (one more call per span and head). Rows
// of a prefill tile read the block from float32 copies instead, made once
// per head.
func (m *Model) attendRange(t *attnTile, g0, g1, lo, hi int, sc *attnScratch) {
	c := &m.Config
	a := &m.s.attn
	kvt := a.kv.KVType()
	kt := kernelKV(kvt)
	group := c.Heads / c.KVHeads
	rph := t.n * group
	hd, vd := c.HeadDim, c.ValueDim
	kRow, vRow := kvt.RowBytes(c.KVDim()), kvt.RowBytes(c.KVHeads*vd)
	// Prefill tiles read each block from float32 copies made once, rather
	// than widening it again in every four-row kernel pass. A decoding
	// token's few rows (up to a head group) read the cache in place.
	widen := t.n > 1 && rph > widenRows && kt != kernels.KVF32
	next, nn := m.attnBlock(t.seq, lo, hi, sc.spans[:0])
	for from := lo; from < hi; {
		spans, n := next, nn
		next, nn = nil, 0
		if from+n < hi {
			next, nn = m.attnBlock(t.seq, from+n, hi, sc.next[:0])
		}
		sc.spans, sc.next = sc.next, sc.spans
		if widen {
			// One head at a time: widen its keys and values once for
			// all its rows.
			for g := g0; g < g1; g++ {
				r0 := (g - g0) * rph
				kOff, vOff := kvt.RowBytes(g*hd), kvt.RowBytes(g*vd)
				j := 0
				for _, sp := range spans {
					kernels.AttnWiden(sc.kf[j*hd:], hd, sp.k[kOff:], kRow, kt, sp.n, hd)
					kernels.AttnWiden(sc.vf[j*vd:], vd, sp.v[vOff:], vRow, kt, sp.n, vd)
					j += sp.n
				}
				kernels.AttnScores(sc.s[r0*keyBlock:], keyBlock, sc.q[r0*hd:], rph, hd, f32Bytes(sc.kf[:n*hd]), 4*hd, kernels.KVF32, n, c.AttnScale, 0)
				m.blockSoftmax(t, r0, from, n, sc)
				kernels.AttnAccumulate(sc.acc[r0*vd:], vd, sc.s[r0*keyBlock:], keyBlock, rph, f32Bytes(sc.vf[:n*vd]), 4*vd, kernels.KVF32, n, vd, 0)
			}
			from += n
			continue
		}
		// Span by span, every head: each run of cache rows is read whole,
		// in order, while it is in cache.
		j := 0
		for i, sp := range spans {
			for g := g0; g < g1; g++ {
				r0 := (g - g0) * rph
				kernels.AttnScores(sc.s[r0*keyBlock+j:], keyBlock, sc.q[r0*hd:], rph, hd, sp.k[kvt.RowBytes(g*hd):], kRow, kt, sp.n, c.AttnScale, ahead(sp.k, next, i, true))
			}
			j += sp.n
		}
		for g := g0; g < g1; g++ {
			m.blockSoftmax(t, (g-g0)*rph, from, n, sc)
		}
		j = 0
		for i, sp := range spans {
			for g := g0; g < g1; g++ {
				r0 := (g - g0) * rph
				kernels.AttnAccumulate(sc.acc[r0*vd:], vd, sc.s[r0*keyBlock+j:], keyBlock, rph, sp.v[kvt.RowBytes(g*vd):], vRow, kt, sp.n, vd, ahead(sp.v, next, i, false))
			}
			j += sp.n
		}
		from += n
	}
}

// blockSoftmax applies the causal and window masks to the scores of one
// head's query rows (rows r0 … r0+t.n·group-1 of the task) for the key block
// of n keys from position from, and folds them into the rows' running
// maximum, sum and accumulator (online softmax): the scores become the
// probabilities the value sum weighs the block's values by.
func (m *Model) blockSoftmax(t *attnTile, r0, from, n int, sc *attnScratch) {
	c := &m.Config
	group := c.Heads / c.KVHeads
	vd := c.ValueDim
	window := c.Window(m.s.attn.layer)
	for k := 0; k < t.n; k++ {
		p := t.pos + k
		jlo, jhi := 0, min(n, p-from+1)
		if window > 0 {
			jlo = max(0, p-window+1-from)
		}
		for h := 0; h < group; h++ {
			r := r0 + k*group + h
			row := sc.s[r*keyBlock:][:n]
			if jlo >= jhi {
				clear(row) // no visible key: contributes nothing
				continue
			}
			x := row[jlo:jhi]
			if c.AttnSoftcap != 0 {
				kernels.Softcap(x, c.AttnSoftcap)
			}
			bmax := kernels.AttnMax(x)
			if mOld := sc.m[r]; bmax > mOld {
				if sc.l[r] != 0 {
					corr := expf(mOld - bmax)
					sc.l[r] *= corr
					kernels.Scale(sc.acc[r*vd:][:vd], corr)
				}
				sc.m[r] = bmax
			}
			sc.l[r] += kernels.AttnExpSum(x, sc.m[r])
			clear(row[:jlo])
			clear(row[jhi:])
		}
	}
}

// ahead is the distance in bytes from the cache rows of span i of one key
// block to those of span i of the next block (keys or values), which the
// kernels prefetch as they go: cache blocks lie anywhere in memory, and the
// hardware cannot guess where the next one is. Zero (the kernels' default)
// when there is no such span.
func ahead(rows []byte, next []attnSpan, i int, keys bool) int {
	if i >= len(next) {
		return 0
	}
	to := next[i].v
	if keys {
		to = next[i].k
	}
	return int(uintptr(unsafe.Pointer(unsafe.SliceData(to))) - uintptr(unsafe.Pointer(unsafe.SliceData(rows))))
}

// attnBlock appends to spans the cache spans of the next key block of
// sequence seq, from position from up to keyBlock keys or hi, and returns
// them with their number of keys.
func (m *Model) attnBlock(seq, from, hi int, spans []attnSpan) ([]attnSpan, int) {
	a := &m.s.attn
	n := 0
	for n < keyBlock && from+n < hi {
		kb, vb, k := a.kv.Span(a.layer, seq, from+n, min(from+keyBlock, hi))
		spans = append(spans, attnSpan{kb, vb, k})
		n += k
	}
	return spans, n
}

// f32Bytes views f as bytes.
func f32Bytes(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), 4*len(f))
}

// kernelKV names a cache element type for the kernels.
func kernelKV(t KVType) kernels.KVType {
	switch t {
	case KVF16:
		return kernels.KVF16
	case KVQ8:
		return kernels.KVQ8_0
	}
	return kernels.KVF32
}

// expf returns e^x for x ≤ 0 (the arguments of a stable softmax) to within a
// few float32 ulps: x = k·ln2 + r with |r| ≤ ln2/2, e^r by its Taylor
// polynomial, times 2^k built in the exponent bits.
func expf(x float32) float32 {
	if x < -87 {
		return 0
	}
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693145751953125
		ln2lo = 1.428606765330187045e-06
	)
	k := int32(x*log2e - 0.5)
	if x > 0 {
		k = int32(x*log2e + 0.5)
	}
	kf := float32(k)
	r := x - kf*ln2hi - kf*ln2lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040)))))))
	return p * math.Float32frombits(uint32(k+127)<<23)
}
