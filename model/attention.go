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
// Work is split into tasks of (tile, KV head), longest tiles first. When a
// step has too few such tasks to keep every thread busy (decoding one or two
// sequences at depth), each is further split over key ranges whose partial
// results are merged afterwards.

const (
	tileTokens = 16   // queries per tile, per query head
	keyBlock   = 64   // keys per block
	minPart    = 2048 // fewest keys worth a separate key-range task
	widenRows  = 4    // more query rows than this share one widened F16/Q8_0 block
)

// attnTile is a run of batch tokens of one sequence at consecutive positions.
type attnTile struct {
	first, n int // batch indices first … first+n-1
	seq, pos int // sequence and position of the first token
	lo       int // first key position any of its queries sees
}

// attnScratch is one thread's working memory.
type attnScratch struct {
	q      []float32 // rows × HeadDim queries
	kf, vf []float32 // keyBlock × HeadDim keys, keyBlock × ValueDim values (widened)
	s      []float32 // rows × keyBlock scores, then probabilities
	m, l   []float32 // per row: running max and sum
	acc    []float32 // rows × ValueDim
}

// attnState holds the arguments of the current layer's attention tasks.
type attnState struct {
	layer   int
	b       *Batch
	kv      KVCache
	tiles   []attnTile
	parts   int
	rows    int       // query rows per tile: tileTokens · group
	partBuf []float32 // per task when parts > 1: m, l (rows each), acc (rows × ValueDim)
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
	a.rows = tileTokens * group
	if len(a.scratch) < m.pool.Threads() {
		a.scratch = make([]attnScratch, m.pool.Threads())
	}
	for i := range a.scratch {
		sc := &a.scratch[i]
		sc.q = grow(sc.q, a.rows*c.HeadDim)
		sc.s = grow(sc.s, a.rows*keyBlock)
		if a.rows > widenRows {
			sc.kf = grow(sc.kf, keyBlock*c.HeadDim)
			sc.vf = grow(sc.vf, keyBlock*c.ValueDim)
		}
		sc.m = grow(sc.m, a.rows)
		sc.l = grow(sc.l, a.rows)
		sc.acc = grow(sc.acc, a.rows*c.ValueDim)
	}

	// Tiles, and the longest key span among them.
	window := c.Window(l)
	a.tiles = a.tiles[:0]
	longest := 0
	for i := 0; i < len(b.Tokens); {
		t := attnTile{first: i, n: 1, seq: int(b.Seq[i]), pos: int(b.Pos[i])}
		for i+t.n < len(b.Tokens) && t.n < tileTokens && int(b.Seq[i+t.n]) == t.seq && int(b.Pos[i+t.n]) == t.pos+t.n {
			t.n++
		}
		if window > 0 {
			t.lo = max(0, t.pos-window+1)
		}
		longest = max(longest, t.pos+t.n-t.lo)
		a.tiles = append(a.tiles, t)
		i += t.n
	}

	tasks := len(a.tiles) * c.KVHeads
	a.parts = 1
	if want := 4 * m.pool.Threads(); tasks < want && longest >= 2*minPart {
		a.parts = min((want+tasks-1)/tasks, longest/minPart)
	}
	a.layer, a.b, a.kv = l, b, kv
	if a.parts == 1 {
		m.pool.Run(tasks, a.task)
	} else {
		per := a.rows * (2 + c.ValueDim)
		a.partBuf = grow(a.partBuf, tasks*a.parts*per)
		m.pool.Run(tasks*a.parts, a.task)
		m.pool.Run(tasks, a.merge)
	}
	a.b, a.kv = nil, nil
}

// attendTask runs one (tile, KV head, key range) task.
func (m *Model) attendTask(task, thread int) {
	c := &m.Config
	a := &m.s.attn
	sc := &a.scratch[thread]
	part := task % a.parts
	th := task / a.parts
	// Longest tiles (latest positions) first: they are the slowest.
	ti := len(a.tiles) - 1 - th/c.KVHeads
	g := th % c.KVHeads
	t := &a.tiles[ti]
	group := c.Heads / c.KVHeads
	rows := t.n * group

	// Queries, row r = token·group + head.
	qDim := c.Heads * c.HeadDim
	for k := 0; k < t.n; k++ {
		copy(sc.q[k*group*c.HeadDim:][:group*c.HeadDim], m.s.q[(t.first+k)*qDim+g*group*c.HeadDim:])
	}
	ninf := float32(math.Inf(-1))
	for r := 0; r < rows; r++ {
		sc.m[r], sc.l[r] = ninf, 0
	}
	clear(sc.acc[:rows*c.ValueDim])

	lo, hi := t.lo, t.pos+t.n
	if a.parts > 1 {
		span := hi - lo
		per := (span + a.parts - 1) / a.parts
		per = (per + keyBlock - 1) / keyBlock * keyBlock
		lo, hi = min(lo+part*per, hi), min(lo+(part+1)*per, hi)
	}
	m.attendRange(t, g, lo, hi, sc)

	if a.parts == 1 {
		for r := 0; r < rows; r++ {
			k, h := r/group, r%group
			out := m.s.att[((t.first+k)*c.Heads+g*group+h)*c.ValueDim:][:c.ValueDim]
			acc := sc.acc[r*c.ValueDim:][:c.ValueDim]
			inv := 1 / sc.l[r]
			for d := range out {
				out[d] = acc[d] * inv
			}
		}
		return
	}
	buf := a.partBuf[task*a.rows*(2+c.ValueDim):]
	copy(buf[:rows], sc.m[:rows])
	copy(buf[a.rows:a.rows+rows], sc.l[:rows])
	copy(buf[2*a.rows:2*a.rows+rows*c.ValueDim], sc.acc[:rows*c.ValueDim])
}

// mergeTask combines the key-range parts of one (tile, KV head).
func (m *Model) mergeTask(th, _ int) {
	c := &m.Config
	a := &m.s.attn
	ti := len(a.tiles) - 1 - th/c.KVHeads
	g := th % c.KVHeads
	t := &a.tiles[ti]
	group := c.Heads / c.KVHeads
	per := a.rows * (2 + c.ValueDim)
	for r := 0; r < t.n*group; r++ {
		mx := float32(math.Inf(-1))
		for p := 0; p < a.parts; p++ {
			mx = max(mx, a.partBuf[(th*a.parts+p)*per+r])
		}
		k, h := r/group, r%group
		out := m.s.att[((t.first+k)*c.Heads+g*group+h)*c.ValueDim:][:c.ValueDim]
		clear(out)
		var sum float32
		for p := 0; p < a.parts; p++ {
			buf := a.partBuf[(th*a.parts+p)*per:]
			if buf[a.rows+r] == 0 {
				continue // this part saw no key of the row
			}
			w := expf(buf[r] - mx)
			sum += w * buf[a.rows+r]
			kernels.AXPY(w, buf[2*a.rows+r*c.ValueDim:][:c.ValueDim], out)
		}
		inv := 1 / sum
		for d := range out {
			out[d] *= inv
		}
	}
}

// attendRange folds the keys [lo, hi) into the tile's running softmax state
// for KV head g: per key block, the scores of every query row of the tile
// (one kernel call over the cache rows in place), the causal and window
// masks and the online-softmax update per row, then the probability-weighted
// value sum of all rows (one more kernel call).
func (m *Model) attendRange(t *attnTile, g, lo, hi int, sc *attnScratch) {
	c := &m.Config
	a := &m.s.attn
	kvt := a.kv.KVType()
	kt := kernelKV(kvt)
	group := c.Heads / c.KVHeads
	rows := t.n * group
	hd, vd := c.HeadDim, c.ValueDim
	kRow, vRow := kvt.RowBytes(c.KVDim()), kvt.RowBytes(c.KVHeads*vd)
	kOff, vOff := kvt.RowBytes(g*hd), kvt.RowBytes(g*vd)
	window := c.Window(a.layer)
	softcap := c.AttnSoftcap
	// Many rows (prefill tiles) read each block from float32 copies made
	// once, rather than widening it again in every four-row kernel pass.
	widen := rows > widenRows && kt != kernels.KVF32
	for from := lo; from < hi; {
		kb, vb, n := a.kv.Span(a.layer, t.seq, from, min(from+keyBlock, hi))
		keys, kStride, vals, vStride, et := kb[kOff:], kRow, vb[vOff:], vRow, kt
		if widen {
			kernels.AttnWiden(sc.kf, hd, keys, kStride, kt, n, hd)
			kernels.AttnWiden(sc.vf, vd, vals, vStride, kt, n, vd)
			keys, kStride, vals, vStride, et = f32Bytes(sc.kf[:n*hd]), 4*hd, f32Bytes(sc.vf[:n*vd]), 4*vd, kernels.KVF32
		}
		kernels.AttnScores(sc.s, keyBlock, sc.q, rows, hd, keys, kStride, et, n, c.AttnScale)
		for k := 0; k < t.n; k++ {
			p := t.pos + k
			jlo, jhi := 0, min(n, p-from+1)
			if window > 0 {
				jlo = max(0, p-window+1-from)
			}
			for h := 0; h < group; h++ {
				r := k*group + h
				row := sc.s[r*keyBlock:][:n]
				if jlo >= jhi {
					clear(row) // no visible key: contributes nothing
					continue
				}
				s := row[jlo:jhi]
				if softcap != 0 {
					kernels.Softcap(s, softcap)
				}
				bmax := kernels.AttnMax(s)
				if mOld := sc.m[r]; bmax > mOld {
					if sc.l[r] != 0 {
						corr := expf(mOld - bmax)
						sc.l[r] *= corr
						kernels.Scale(sc.acc[r*vd:][:vd], corr)
					}
					sc.m[r] = bmax
				}
				sc.l[r] += kernels.AttnExpSum(s, sc.m[r])
				clear(row[:jlo])
				clear(row[jhi:])
			}
		}
		kernels.AttnAccumulate(sc.acc, vd, sc.s, keyBlock, rows, vals, vStride, et, n, vd)
		from += n
	}
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
