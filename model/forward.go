package model

import (
	"fmt"
	"io"
	"slices"

	"github.com/nuri-ai/nuri/kernels"
	"github.com/nuri-ai/nuri/tensor"
)

// Model is a loaded decoder-only transformer. It computes; it does not decide
// what to compute (the engine does) and it does not own the KV cache.
type Model struct {
	Config Config
	Format Format

	tokenEmbd, output *tensor.Tensor
	outputNorm        []float32
	layers            []layerWeights
	ropeGlobal        *rope
	ropeLocal         *rope // sliding-window layers; == ropeGlobal when they share

	// dropPages, when the weights come from a file mapping, releases the
	// resident pages of file bytes the model no longer reads.
	dropPages func([]byte)

	closers []io.Closer
	pool    *kernels.Pool
	ownPool bool
	s       scratch
}

// KVCache stores each layer's keys and values by (sequence, position), in
// rows of the cache's element type (see KVType.RowBytes). The model stores
// the rows of the tokens it is given and reads earlier ones.
//
// Store encodes a key row of Config.KVDim() floats and a value row of
// KVHeads·ValueDim floats; it is called from one goroutine. Span returns the
// stored rows of consecutive positions from, from+1, … of (layer, seq): n ≥ 1
// rows, stopping at to or where the cache's contiguous run ends, as slices
// of n·RowBytes(KVDim()) and n·RowBytes(KVHeads·ValueDim) bytes that stay
// valid for the step. Span is called from several goroutines at once.
type KVCache interface {
	KVType() KVType
	Store(layer, seq, pos int, k, v []float32)
	Span(layer, seq, from, to int) (k, v []byte, n int)
}

// Batch is one forward step: tokens from one or more sequences, each with its
// position. Positions of one sequence must be contiguous with what its cache
// already holds. Logits selects the tokens whose output logits are wanted
// (nil means all).
type Batch struct {
	Tokens []int32
	Pos    []int32
	Seq    []int32
	Logits []bool
	// Hidden, when not nil, receives the final-normed hidden state of each
	// selected token (selected tokens × Hidden floats), the input of the
	// output projection: what embedding endpoints pool.
	Hidden []float32
	// NoLogits skips the output projection (for embedding-only steps).
	NoLogits bool
}

// SetPool makes the model use p for its parallel work. Without it the model
// makes its own pool on first use, with one worker per CPU.
func (m *Model) SetPool(p *kernels.Pool) {
	if m.pool != nil && m.ownPool {
		m.pool.Close()
	}
	m.pool, m.ownPool = p, false
}

func (m *Model) init() error {
	c := &m.Config
	var err error
	m.prepareWeights()
	m.ropeGlobal, err = newRope(c, c.RopeTheta, c.RopeScaling, c.RopeFreqs)
	if err != nil {
		return err
	}
	m.ropeLocal = m.ropeGlobal
	if c.RopeThetaSWA > 0 && c.RopeThetaSWA != c.RopeTheta {
		var sc RopeScaling
		if c.RopeScaleSWA {
			sc = c.RopeScaling
		}
		m.ropeLocal, err = newRope(c, c.RopeThetaSWA, sc, nil)
		if err != nil {
			return err
		}
	}
	return nil
}

// prepareWeights lets the kernels repack the matrices into their fastest
// layout (an untied token embedding, only read row by row, keeps its file
// layout).
func (m *Model) prepareWeights() {
	// The copies share one arena, made below in the order decode reads
	// them; an untied token embedding is not repacked, so it takes no room.
	arena := kernels.NewArena(slices.DeleteFunc(m.weights(), func(t *tensor.Tensor) bool {
		return t == m.tokenEmbd && t != m.output
	})...)
	// prep repacks one weight; its file bytes are no longer read.
	prep := func(t *tensor.Tensor, f func(*tensor.Tensor) *tensor.Tensor) *tensor.Tensor {
		p := f(t)
		if p != t && m.dropPages != nil {
			m.dropPages(t.Data)
		}
		return p
	}
	for i := range m.layers {
		w := &m.layers[i]
		for _, t := range []**tensor.Tensor{&w.q, &w.k, &w.v, &w.o, &w.qkv, &w.gate, &w.up, &w.down, &w.gateUp, &w.router} {
			*t = prep(*t, arena.Prepare)
		}
		for _, ts := range [][]*tensor.Tensor{w.expGate, w.expUp, w.expDown} {
			for e := range ts {
				ts[e] = prep(ts[e], arena.Prepare)
			}
		}
	}
	if m.output != m.tokenEmbd {
		m.output = prep(m.output, arena.Prepare)
	} else {
		// Tied: one copy serves the lookups (DequantizeRow reads every
		// layout PrepareEmbedding makes) and the output projection.
		m.tokenEmbd = prep(m.tokenEmbd, arena.PrepareEmbedding)
		m.output = m.tokenEmbd
	}
}

// scratch holds the activations of one step, grown to the largest batch seen
// so that decoding allocates nothing.
type scratch struct {
	n                   int
	seqLen              int // largest position in the step + 1
	x, xn, q, k, v, att []float32
	o, gate, up, ffnOut []float32
	qkv, gateUp         []float32
	router              []float32
	moeIdx              [][]int     // per expert: token indices
	moeW                [][]float32 // per expert: routing weights
	moeX, moeOut        []float32
	order               []int

	// The weights and outputs of a kernels.MatMulGroup call (projections
	// that read the same input), kept here so that passing them allocates
	// nothing.
	groupW   [kernels.MaxGroup]*tensor.Tensor
	groupOut [kernels.MaxGroup][]float32

	attn attnState // attention.go
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

func (m *Model) prepare(n int) {
	c := &m.Config
	s := &m.s
	s.n = n
	qDim, kvDim, vDim := c.Heads*c.HeadDim, c.KVDim(), c.KVHeads*c.ValueDim
	s.x = grow(s.x, n*c.Hidden)
	s.xn = grow(s.xn, n*c.Hidden)
	s.q = grow(s.q, n*qDim)
	s.k = grow(s.k, n*kvDim)
	s.v = grow(s.v, n*vDim)
	s.att = grow(s.att, n*c.Heads*c.ValueDim)
	s.o = grow(s.o, n*c.Hidden)
	s.gate = grow(s.gate, n*c.FFN)
	s.up = grow(s.up, n*c.FFN)
	s.ffnOut = grow(s.ffnOut, n*c.Hidden)
	if m.layers[0].qkv != nil {
		s.qkv = grow(s.qkv, n*(qDim+kvDim+vDim))
	}
	if m.layers[0].gateUp != nil {
		s.gateUp = grow(s.gateUp, n*2*c.FFN)
	}
	if c.Experts > 0 {
		s.router = grow(s.router, n*c.Experts)
		s.moeX = grow(s.moeX, n*c.Hidden)
		s.moeOut = grow(s.moeOut, n*c.Hidden)
		if s.moeIdx == nil {
			s.moeIdx = make([][]int, c.Experts)
			s.moeW = make([][]float32, c.Experts)
		}
	}
	if m.pool == nil {
		m.pool, m.ownPool = kernels.NewPool(0), true
	}
}

// Forward runs one step over the batch, writes its keys and values into kv,
// and stores the logits of the selected tokens (in batch order) into logits,
// which must hold (selected tokens)·VocabSize floats.
func (m *Model) Forward(b *Batch, kv KVCache, logits []float32) error {
	c := &m.Config
	n := len(b.Tokens)
	if n == 0 {
		return nil
	}
	if len(b.Pos) != n || len(b.Seq) != n || (b.Logits != nil && len(b.Logits) != n) {
		return errorf("batch: %d tokens but %d positions, %d sequences, %d logit flags", n, len(b.Pos), len(b.Seq), len(b.Logits))
	}
	want := 0
	for i := 0; i < n; i++ {
		if b.Tokens[i] < 0 || int(b.Tokens[i]) >= c.VocabSize {
			return errorf("token id %d is outside the vocabulary (0..%d)", b.Tokens[i], c.VocabSize-1)
		}
		if b.Pos[i] < 0 {
			return errorf("negative position %d", b.Pos[i])
		}
		if b.Logits == nil || b.Logits[i] {
			want++
		}
	}
	if ck, ok := kv.(batchChecker); ok {
		if err := ck.CheckBatch(b); err != nil {
			return err
		}
	}
	if b.Hidden != nil && len(b.Hidden) < want*c.Hidden {
		return errorf("hidden buffer holds %d floats, need %d", len(b.Hidden), want*c.Hidden)
	}
	if !b.NoLogits && len(logits) < want*c.VocabSize {
		return errorf("logits buffer holds %d floats, need %d", len(logits), want*c.VocabSize)
	}
	m.prepare(n)
	m.s.seqLen = 0
	for _, p := range b.Pos {
		m.s.seqLen = max(m.s.seqLen, int(p)+1)
	}
	m.embed(b)
	if len(m.layers) > 0 {
		m.normRows(m.s.xn, m.s.x, m.layers[0].attnNorm, c.Hidden)
	}
	for l := range m.layers {
		m.attentionBlock(l, b, kv)
		m.ffnBlock(l)
	}
	m.outputLogits(b, logits)
	return nil
}

// embed looks up each token's embedding row, scaled where the model says.
func (m *Model) embed(b *Batch) {
	c := &m.Config
	for i, tok := range b.Tokens {
		row := m.s.x[i*c.Hidden : (i+1)*c.Hidden]
		// Rows were checked at load time, so this cannot fail.
		_ = kernels.DequantizeRow(m.tokenEmbd, int(tok), row)
		if c.EmbedScale != 0 {
			kernels.Scale(row, c.EmbedScale)
		}
	}
}

// normRows applies RMSNorm with weight w to every row of src into dst; with a
// nil weight it copies.
func (m *Model) normRows(dst, src, w []float32, width int) {
	n := len(src) / width
	for i := 0; i < n; i++ {
		d, s := dst[i*width:(i+1)*width], src[i*width:(i+1)*width]
		if w == nil {
			copy(d, s)
			continue
		}
		kernels.RMSNorm(d, s, w, m.Config.NormEps)
	}
}

func (m *Model) matmul(out []float32, w *tensor.Tensor, x []float32, n int) {
	kernels.MatMul(m.pool, out, w, x, n)
}

func addBias(x, bias []float32, n int) {
	if bias == nil {
		return
	}
	w := len(bias)
	for i := 0; i < n; i++ {
		addScaled(x[i*w:(i+1)*w], bias, 1)
	}
}

// addNorm adds a block's output delta (times the residual scale) into the
// residual stream x and, with norm, writes x normalised by weight w (copied
// when w is nil) to xn for the next block, one pass over each row.
func (m *Model) addNorm(delta, w []float32, norm bool) {
	c := &m.Config
	s := &m.s
	h := c.Hidden
	for i := 0; i < s.n; i++ {
		x, d := s.x[i*h:(i+1)*h], delta[i*h:(i+1)*h]
		switch {
		case norm && w != nil:
			kernels.AddRMSNorm(x, d, s.xn[i*h:(i+1)*h], w, c.ResidualScale, c.NormEps, false)
		case norm:
			addScaled(x, d, c.ResidualScale)
			copy(s.xn[i*h:(i+1)*h], x)
		default:
			addScaled(x, d, c.ResidualScale)
		}
	}
}

// attentionBlock: x += post_norm(Wo · attention(rope(Wq·xn), rope(Wk·xn), Wv·xn)),
// then xn = ffn_norm(x). On entry xn holds attn_norm(x).
func (m *Model) attentionBlock(l int, b *Batch, kv KVCache) {
	c := &m.Config
	w := &m.layers[l]
	s := &m.s
	n := s.n
	qDim, kvDim, vDim := c.Heads*c.HeadDim, c.KVDim(), c.KVHeads*c.ValueDim

	// Projections.
	if w.qkv != nil {
		m.matmul(s.qkv, w.qkv, s.xn, n)
		width := qDim + kvDim + vDim
		for i := 0; i < n; i++ {
			row := s.qkv[i*width:]
			copy(s.q[i*qDim:(i+1)*qDim], row[:qDim])
			copy(s.k[i*kvDim:(i+1)*kvDim], row[qDim:qDim+kvDim])
			copy(s.v[i*vDim:(i+1)*vDim], row[qDim+kvDim:width])
		}
	} else {
		s.groupW = [kernels.MaxGroup]*tensor.Tensor{w.q, w.k, w.v}
		s.groupOut = [kernels.MaxGroup][]float32{s.q[:n*qDim], s.k[:n*kvDim], s.v[:n*vDim]}
		kernels.MatMulGroup(m.pool, s.groupOut[:3], s.groupW[:3], s.xn, n)
		addBias(s.q, w.qBias, n)
		addBias(s.k, w.kBias, n)
		addBias(s.v, w.vBias, n)
	}

	// Per-head QK norm, RoPE, and the cache write.
	r := m.ropeGlobal
	if c.LayerSliding[l] {
		r = m.ropeLocal
	}
	rope := r.table(s.seqLen)
	for i := 0; i < n; i++ {
		q, k := s.q[i*qDim:(i+1)*qDim], s.k[i*kvDim:(i+1)*kvDim]
		if w.qNorm != nil {
			for h := 0; h < c.Heads; h++ {
				hv := q[h*c.HeadDim : (h+1)*c.HeadDim]
				kernels.RMSNorm(hv, hv, w.qNorm, c.NormEps)
			}
		}
		if w.kNorm != nil {
			for h := 0; h < c.KVHeads; h++ {
				hv := k[h*c.HeadDim : (h+1)*c.HeadDim]
				kernels.RMSNorm(hv, hv, w.kNorm, c.NormEps)
			}
		}
		if !c.LayerNoRope[l] {
			rope.apply(q, c.Heads, c.HeadDim, int(b.Pos[i]))
			rope.apply(k, c.KVHeads, c.HeadDim, int(b.Pos[i]))
		}
		kv.Store(l, int(b.Seq[i]), int(b.Pos[i]), k, s.v[i*vDim:(i+1)*vDim])
	}

	m.attention(l, b, kv)

	m.matmul(s.o, w.o, s.att, n)
	addBias(s.o, w.oBias, n)
	if w.postAttnNorm != nil {
		m.normRows(s.o, s.o, w.postAttnNorm, c.Hidden)
	}
	m.addNorm(s.o, w.ffnNorm, true)
}

// ffnBlock: x += post_norm(FFN(xn)), FFN = down(act(gate·xn) ⊙ up·xn), or
// the weighted sum of the chosen experts' FFNs; then xn = attn_norm(x) of
// the next layer. On entry xn holds ffn_norm(x).
func (m *Model) ffnBlock(l int) {
	c := &m.Config
	w := &m.layers[l]
	s := &m.s
	n := s.n
	if c.Experts > 0 {
		m.moe(w, n)
	} else {
		if w.gateUp != nil {
			m.matmul(s.gateUp, w.gateUp, s.xn, n)
			for i := 0; i < n; i++ {
				row := s.gateUp[i*2*c.FFN:]
				copy(s.gate[i*c.FFN:(i+1)*c.FFN], row[:c.FFN])
				copy(s.up[i*c.FFN:(i+1)*c.FFN], row[c.FFN:2*c.FFN])
			}
		} else {
			s.groupW = [kernels.MaxGroup]*tensor.Tensor{w.gate, w.up}
			s.groupOut = [kernels.MaxGroup][]float32{s.gate[:n*c.FFN], s.up[:n*c.FFN]}
			kernels.MatMulGroup(m.pool, s.groupOut[:2], s.groupW[:2], s.xn, n)
		}
		m.activate(s.gate[:n*c.FFN], s.up[:n*c.FFN])
		m.matmul(s.ffnOut, w.down, s.gate, n)
	}
	if w.postFFNNorm != nil {
		m.normRows(s.ffnOut, s.ffnOut, w.postFFNNorm, c.Hidden)
	}
	if l+1 < len(m.layers) {
		m.addNorm(s.ffnOut, m.layers[l+1].attnNorm, true)
	} else {
		m.addNorm(s.ffnOut, nil, false) // the output norm takes the selected rows only
	}
}

func (m *Model) activate(gate, up []float32) {
	a := kernels.SiLUAct
	if m.Config.Act == GELUTanh {
		a = kernels.GELUTanhAct
	}
	m.pool.GatedMul(a, gate, up)
}

// moe routes each token to its top-k experts (softmax over all experts, then
// the k largest, optionally renormalised) and runs each expert once over the
// tokens routed to it.
func (m *Model) moe(w *layerWeights, n int) {
	c := &m.Config
	s := &m.s
	m.matmul(s.router, w.router, s.xn, n)
	for e := range s.moeIdx {
		s.moeIdx[e] = s.moeIdx[e][:0]
		s.moeW[e] = s.moeW[e][:0]
	}
	if len(s.order) != c.Experts {
		s.order = make([]int, c.Experts)
	}
	order := s.order
	for i := 0; i < n; i++ {
		p := s.router[i*c.Experts : (i+1)*c.Experts]
		kernels.Softmax(p)
		for e := range order {
			order[e] = e
		}
		// Stable insertion sort by descending probability (lower id first on ties).
		for a := 1; a < len(order); a++ {
			for b := a; b > 0 && p[order[b]] > p[order[b-1]]; b-- {
				order[b], order[b-1] = order[b-1], order[b]
			}
		}
		var sum float32
		for _, e := range order[:c.ExpertsUsed] {
			sum += p[e]
		}
		for _, e := range order[:c.ExpertsUsed] {
			wt := p[e]
			if c.NormTopKProbs {
				wt /= sum
			}
			s.moeIdx[e] = append(s.moeIdx[e], i)
			s.moeW[e] = append(s.moeW[e], wt)
		}
	}
	out := s.ffnOut[:n*c.Hidden]
	for i := range out {
		out[i] = 0
	}
	for e, idx := range s.moeIdx {
		k := len(idx)
		if k == 0 {
			continue
		}
		for r, i := range idx {
			copy(s.moeX[r*c.Hidden:(r+1)*c.Hidden], s.xn[i*c.Hidden:(i+1)*c.Hidden])
		}
		x := s.moeX[:k*c.Hidden]
		m.matmul(s.gate, w.expGate[e], x, k)
		m.matmul(s.up, w.expUp[e], x, k)
		m.activate(s.gate[:k*c.FFN], s.up[:k*c.FFN])
		m.matmul(s.moeOut, w.expDown[e], s.gate, k)
		for r, i := range idx {
			addScaled(out[i*c.Hidden:(i+1)*c.Hidden], s.moeOut[r*c.Hidden:(r+1)*c.Hidden], s.moeW[e][r])
		}
	}
}

// outputLogits applies the final norm and the output projection to the
// selected tokens, then the model's logit scaling and soft-cap.
func (m *Model) outputLogits(b *Batch, logits []float32) {
	c := &m.Config
	s := &m.s
	k := 0
	for i := 0; i < s.n; i++ {
		if b.Logits != nil && !b.Logits[i] {
			continue
		}
		kernels.RMSNorm(s.xn[k*c.Hidden:(k+1)*c.Hidden], s.x[i*c.Hidden:(i+1)*c.Hidden], m.outputNorm, c.NormEps)
		k++
	}
	if b.Hidden != nil {
		copy(b.Hidden, s.xn[:k*c.Hidden])
	}
	if b.NoLogits {
		return
	}
	out := logits[:k*c.VocabSize]
	m.matmul(out, m.output, s.xn[:k*c.Hidden], k)
	if c.LogitScale != 1 {
		for i := range out {
			out[i] /= c.LogitScale
		}
	}
	if c.LogitMul != 1 {
		kernels.Scale(out, c.LogitMul)
	}
	if c.FinalSoftcap != 0 {
		kernels.Softcap(out, c.FinalSoftcap)
	}
}

// String summarises the model for logs.
func (m *Model) String() string {
	c := &m.Config
	return fmt.Sprintf("%s (%s, %d layers, hidden %d, %d/%d heads, vocab %d)", c.Name, c.Arch, c.Layers, c.Hidden, c.Heads, c.KVHeads, c.VocabSize)
}
