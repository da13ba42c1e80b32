package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/nuri-ai/nuri/kernels"
)

// attnModel is a model with only what attention needs: its config, a pool
// and activation buffers for n tokens.
func attnModel(c Config, n int) *Model {
	c.fillDefaults()
	m := &Model{Config: c}
	m.pool = kernels.NewPool(2)
	m.ownPool = true
	m.s.q = make([]float32, n*c.Heads*c.HeadDim)
	m.s.att = make([]float32, n*c.Heads*c.ValueDim)
	return m
}

// naiveAttention is the plain computation for token i of b, in float64,
// reading the cache's stored (already rounded) keys and values.
func naiveAttention(m *Model, l int, b *Batch, kv KVCache, i int) []float64 {
	c := &m.Config
	group := c.Heads / c.KVHeads
	pos, seq := int(b.Pos[i]), int(b.Seq[i])
	start := 0
	if w := c.Window(l); w > 0 {
		start = max(0, pos-w+1)
	}
	t := kv.KVType()
	kDim, vDim := c.KVDim(), c.KVHeads*c.ValueDim
	keys := make([]float32, (pos-start+1)*kDim)
	vals := make([]float32, (pos-start+1)*vDim)
	for p := start; p <= pos; {
		kb, vb, n := kv.Span(l, seq, p, pos+1)
		decodeKVRows(t, keys[(p-start)*kDim:], kb, 0, t.RowBytes(kDim), n, kDim)
		decodeKVRows(t, vals[(p-start)*vDim:], vb, 0, t.RowBytes(vDim), n, vDim)
		p += n
	}
	out := make([]float64, c.Heads*c.ValueDim)
	span := pos - start + 1
	sc := make([]float64, span)
	for h := 0; h < c.Heads; h++ {
		g := h / group
		q := m.s.q[(i*c.Heads+h)*c.HeadDim:][:c.HeadDim]
		mx := math.Inf(-1)
		for j := range sc {
			k := keys[j*kDim+g*c.HeadDim:][:c.HeadDim]
			var d float64
			for e := range q {
				d += float64(q[e]) * float64(k[e])
			}
			d *= float64(c.AttnScale)
			if c.AttnSoftcap != 0 {
				d = float64(c.AttnSoftcap) * math.Tanh(d/float64(c.AttnSoftcap))
			}
			sc[j] = d
			mx = max(mx, d)
		}
		var sum float64
		for j := range sc {
			sc[j] = math.Exp(sc[j] - mx)
			sum += sc[j]
		}
		o := out[h*c.ValueDim:][:c.ValueDim]
		for j := range sc {
			v := vals[j*vDim+g*c.ValueDim:][:c.ValueDim]
			for e := range o {
				o[e] += sc[j] / sum * float64(v[e])
			}
		}
	}
	return out
}

// TestAttentionLongMatchesNaive fills caches of 128K positions with random
// keys and values and checks the tiled attention against the plain
// computation on sampled query rows: single rows deep in the sequence (which
// split into key ranges), a prefill tile at the end, a second sequence, with
// and without a sliding window and a soft-cap, for every cache type.
func TestAttentionLongMatchesNaive(t *testing.T) {
	ctx := 1 << 17
	if testing.Short() {
		ctx = 1 << 14
	}
	base := Config{Layers: 1, Heads: 4, KVHeads: 2, HeadDim: 32, ValueDim: 32, Hidden: 128, VocabSize: 8}
	cases := []struct {
		name    string
		t       KVType
		window  int
		softcap float32
	}{
		{"f32", KVF32, 0, 0},
		{"f16", KVF16, 0, 0},
		{"q8_0", KVQ8, 0, 0},
		{"f32 window", KVF32, 4096, 0},
		{"f16 softcap", KVF16, 0, 30},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			c.SlidingWindow = tc.window
			c.LayerSliding = []bool{tc.window > 0}
			c.AttnSoftcap = tc.softcap
			kv, err := NewDenseCacheType(&c, tc.t, 2, ctx)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(7, uint64(len(tc.name))))
			kDim, vDim := c.KVHeads*c.HeadDim, c.KVHeads*c.ValueDim
			k, v := make([]float32, kDim), make([]float32, vDim)
			fill := func(x []float32, scale float32) {
				for i := range x {
					x[i] = (r.Float32() - 0.5) * scale
				}
			}
			for seq, n := range []int{ctx, 5000} {
				for p := 0; p < n; p++ {
					fill(k, 6)
					fill(v, 3)
					kv.Store(0, seq, p, k, v)
				}
			}
			// Sampled rows of sequence 0, a tile of 20 consecutive
			// tokens at the end, and sequence 1 decoding deep.
			b := &Batch{}
			add := func(seq, pos int) {
				b.Tokens = append(b.Tokens, 0)
				b.Seq = append(b.Seq, int32(seq))
				b.Pos = append(b.Pos, int32(pos))
			}
			for _, p := range []int{0, 1, 63, 64, 1000, ctx / 2, ctx - 100} {
				add(0, p)
			}
			for p := ctx - 17; p < ctx; p++ {
				add(0, p)
			}
			add(1, 4999)
			m := attnModel(c, len(b.Tokens))
			defer m.pool.Close()
			fill(m.s.q, 3)
			m.attention(0, b, kv)
			for i := range b.Tokens {
				want := naiveAttention(m, 0, b, kv, i)
				got := m.s.att[i*c.Heads*c.ValueDim:][:c.Heads*c.ValueDim]
				var worst float64
				for e := range want {
					worst = max(worst, math.Abs(float64(got[e])-want[e]))
				}
				if worst > 2e-5 {
					t.Errorf("token %d (seq %d pos %d): max difference %.3g", i, b.Seq[i], b.Pos[i], worst)
				}
			}
			if parts := splitParts(&m.s.attn); parts > 1 {
				t.Logf("split over %d key ranges", parts)
			}
		})
	}
}

// TestAttentionSplitDecode: a single decoding row deep in a sequence is split
// over key ranges and merged, and agrees with the unsplit computation.
func TestAttentionSplitDecode(t *testing.T) {
	c := Config{Layers: 1, Heads: 2, KVHeads: 1, HeadDim: 32, ValueDim: 32, Hidden: 64, VocabSize: 8}
	const ctx = 20000
	kv, err := NewDenseCacheType(&c, KVF32, 1, ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	k := make([]float32, 64)
	for p := 0; p < ctx; p++ {
		for i := range k {
			k[i] = float32(r.NormFloat64())
		}
		kv.Store(0, 0, p, k[:32], k[32:])
	}
	b := &Batch{Tokens: []int32{0}, Pos: []int32{ctx - 1}, Seq: []int32{0}}
	m := attnModel(c, 1)
	defer m.pool.Close()
	for i := range m.s.q {
		m.s.q[i] = float32(r.NormFloat64())
	}
	m.attention(0, b, kv)
	if parts := splitParts(&m.s.attn); parts < 2 {
		t.Fatalf("%d key ranges, want a split", parts)
	}
	want := naiveAttention(m, 0, b, kv, 0)
	for e := range want {
		if d := math.Abs(float64(m.s.att[e]) - want[e]); d > 1e-5 {
			t.Fatalf("element %d: %g, want %g", e, m.s.att[e], want[e])
		}
	}
}

func TestExpf(t *testing.T) {
	for x := float32(-87); x <= 0; x += 0.0137 {
		want := math.Exp(float64(x))
		got := float64(expf(x))
		if math.Abs(got-want) > 4e-7*want+1e-38 {
			t.Fatalf("expf(%g) = %g, want %g", x, got, want)
		}
	}
	if expf(0) != 1 {
		t.Errorf("expf(0) = %g", expf(0))
	}
}

func TestKVRowRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	src := make([]float32, 96)
	for i := range src {
		src[i] = float32(r.NormFloat64())
	}
	for _, tc := range []struct {
		t   KVType
		tol float64 // relative to the largest magnitude of a block
	}{{KVF32, 0}, {KVF16, 1e-3}, {KVQ8, 1.0 / 127}} {
		buf := make([]byte, tc.t.RowBytes(len(src)))
		EncodeKVRow(tc.t, buf, src)
		got := make([]float32, len(src))
		decodeKVRow(tc.t, got, buf)
		for i := range src {
			if d := math.Abs(float64(got[i] - src[i])); d > tc.tol*4+1e-7 {
				t.Errorf("%s: element %d: %g, want %g", tc.t, i, got[i], src[i])
				break
			}
		}
	}
	if got := KVQ8.RowBytes(64); got != 68 {
		t.Errorf("q8_0 row of 64: %d bytes", got)
	}
}

func TestResolveKVType(t *testing.T) {
	c64 := &Config{HeadDim: 64, ValueDim: 64}
	c16 := &Config{HeadDim: 16, ValueDim: 16}
	tests := []struct {
		c       *Config
		t       KVType
		ctx     int
		want    KVType
		wantErr bool
	}{
		{c64, "", 4096, KVF16, false},
		{c64, "", AutoKVThreshold, KVQ8, false},
		{c16, "", 1 << 17, KVF16, false},
		{c16, KVQ8, 1024, "", true},
		{c64, KVF32, 1 << 17, KVF32, false},
		{c64, "bf8", 1, "", true},
	}
	for _, tc := range tests {
		got, err := ResolveKVType(tc.c, tc.t, tc.ctx)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ResolveKVType(%d, %q, %d) = %q, %v", tc.c.HeadDim, tc.t, tc.ctx, got, err)
		}
	}
	for _, s := range []string{"", "auto", "f32", "f16", "q8_0", "q8"} {
		if _, err := ParseKVType(s); err != nil {
			t.Errorf("ParseKVType(%q): %v", s, err)
		}
	}
	if _, err := ParseKVType("q4"); err == nil {
		t.Error("ParseKVType(q4): no error")
	}
}

// BenchmarkAttentionDecode times one decoding row per sequence at depth, in a
// dense cache and in one of scattered 16-row blocks (the engine's layout),
// for the layer shapes of Llama 3.2 1B (4 queries per KV head) and Qwen2.5
// 7B (7 per KV head, 128 dimensions).
func BenchmarkAttentionDecode(b *testing.B) {
	depth := 32768
	if s := os.Getenv("NURI_BENCH_DEPTH"); s != "" {
		_, _ = fmt.Sscan(s, &depth)
	}
	shapes := []struct {
		name string
		c    Config
	}{
		{"llama-3.2-1b", Config{Layers: 1, Heads: 32, KVHeads: 8, HeadDim: 64, ValueDim: 64, Hidden: 2048, VocabSize: 8}},
		{"qwen2.5-7b", Config{Layers: 1, Heads: 28, KVHeads: 4, HeadDim: 128, ValueDim: 128, Hidden: 3584, VocabSize: 8}},
	}
	for _, shape := range shapes {
		for _, kt := range []KVType{KVF32, KVF16, KVQ8} {
			for _, paged := range []bool{false, true} {
				name := shape.name + "/" + string(kt)
				if paged {
					name += "/paged"
				}
				b.Run(name, func(b *testing.B) {
					benchAttentionDecode(b, shape.c, kt, paged, depth)
				})
			}
		}
	}
}

func benchAttentionDecode(b *testing.B, c Config, kt KVType, paged bool, depth int) {
	var kv KVCache
	var err error
	if paged {
		kv = newPagedCache(b, &c, kt, depth, 16, rand.New(rand.NewPCG(1, 1)))
	} else if kv, err = NewDenseCacheType(&c, kt, 1, depth); err != nil {
		b.Fatal(err)
	}
	row := make([]float32, max(c.KVDim(), c.KVHeads*c.ValueDim))
	for i := range row {
		row[i] = float32(i%7) - 3
	}
	for p := 0; p < depth; p++ {
		kv.Store(0, 0, p, row, row)
	}
	m := attnModel(c, 1)
	defer m.pool.Close()
	batch := &Batch{Tokens: []int32{0}, Pos: []int32{int32(depth - 1)}, Seq: []int32{0}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.attention(0, batch, kv)
	}
	b.ReportMetric(float64(depth)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mkeys/s")
}

// splitParts is the most key ranges any tile of the last attention call was
// split into.
func splitParts(a *attnState) int {
	parts := 1
	for _, mg := range a.merges {
		parts = max(parts, mg.parts)
	}
	return parts
}

// pagedCache is a KVCache whose positions lie in blocks of bs rows scattered
// over a dense cache in a shuffled order, as the engine's paged cache
// places them: spans end at every block boundary, and consecutive blocks
// are not neighbours in memory.
type pagedCache struct {
	*DenseCache
	bs   int
	perm []int // logical block → physical block
}

func newPagedCache(t testing.TB, c *Config, kt KVType, ctx, bs int, r *rand.Rand) *pagedCache {
	blocks := (ctx + bs - 1) / bs
	d, err := NewDenseCacheType(c, kt, 1, blocks*bs)
	if err != nil {
		t.Fatal(err)
	}
	return &pagedCache{DenseCache: d, bs: bs, perm: r.Perm(blocks)}
}

func (p *pagedCache) phys(pos int) int { return p.perm[pos/p.bs]*p.bs + pos%p.bs }

func (p *pagedCache) Store(layer, _, pos int, k, v []float32) {
	p.DenseCache.Store(layer, 0, p.phys(pos), k, v)
}

func (p *pagedCache) Span(layer, _, from, to int) (k, v []byte, n int) {
	n = min(to-from, p.bs-from%p.bs)
	at := p.phys(from)
	return p.DenseCache.Span(layer, 0, at, at+n)
}

// TestAttentionPaged: attention over caches whose spans are shorter than a
// key block (16 rows, and an odd 5) and scattered in memory agrees with the
// plain computation, for head groups of Llama's shape (4 queries per KV
// head) and of Qwen2.5's (7: more rows per head than one kernel pass takes),
// decoding rows deep enough to split into key ranges, a short tile and
// prefill tiles (a full one and a partial one), for each cache type.
func TestAttentionPaged(t *testing.T) {
	const ctx = 6000
	for _, c := range []Config{
		{Layers: 1, Heads: 8, KVHeads: 2, HeadDim: 64, ValueDim: 64, Hidden: 512, VocabSize: 8},
		{Layers: 1, Heads: 14, KVHeads: 2, HeadDim: 64, ValueDim: 64, Hidden: 896, VocabSize: 8},
	} {
		for _, kt := range []KVType{KVF32, KVF16, KVQ8} {
			for _, bs := range []int{16, 5} {
				t.Run(fmt.Sprintf("group%d/%s/block%d", c.Heads/c.KVHeads, kt, bs), func(t *testing.T) {
					testAttentionPaged(t, c, kt, bs, ctx)
				})
			}
		}
	}
}

func testAttentionPaged(t *testing.T, c Config, kt KVType, bs, ctx int) {
	r := rand.New(rand.NewPCG(11, uint64(bs)))
	kv := newPagedCache(t, &c, kt, ctx, bs, r)
	k, v := make([]float32, c.KVDim()), make([]float32, c.KVHeads*c.ValueDim)
	for p := 0; p < ctx; p++ {
		for i := range k {
			k[i] = (r.Float32() - 0.5) * 6
		}
		for i := range v {
			v[i] = (r.Float32() - 0.5) * 3
		}
		kv.Store(0, 0, p, k, v)
	}
	b := &Batch{}
	add := func(p int) {
		b.Tokens, b.Seq, b.Pos = append(b.Tokens, 0), append(b.Seq, 0), append(b.Pos, int32(p))
	}
	for _, p := range []int{ctx - 1, 3, 100, 101, 4097} {
		add(p)
	}
	for p := 2000; p < 2070; p++ {
		add(p)
	}
	m := attnModel(c, len(b.Tokens))
	defer m.pool.Close()
	for i := range m.s.q {
		m.s.q[i] = (r.Float32() - 0.5) * 3
	}
	check := func(b *Batch) {
		m.attention(0, b, kv)
		for i := range b.Tokens {
			want := naiveAttention(m, 0, b, kv, i)
			got := m.s.att[i*c.Heads*c.ValueDim:][:c.Heads*c.ValueDim]
			for e := range want {
				if d := math.Abs(float64(got[e]) - want[e]); d > 2e-5 {
					t.Fatalf("token %d (pos %d), element %d: %g, want %g", i, b.Pos[i], e, got[e], want[e])
				}
			}
		}
	}
	check(b)
	// One row alone: split over key ranges.
	check(&Batch{Tokens: []int32{0}, Seq: []int32{0}, Pos: []int32{int32(ctx - 2)}})
	if parts := splitParts(&m.s.attn); parts < 2 {
		t.Errorf("a lone decoding row ran as %d key range(s), want a split", parts)
	}
}

// BenchmarkAttentionPrefill times a prompt of 512 tokens after a context
// already in the (paged) cache, one layer of the Llama-3.2-1B shape.
func BenchmarkAttentionPrefill(b *testing.B) {
	depth := 8192
	if s := os.Getenv("NURI_BENCH_DEPTH"); s != "" {
		_, _ = fmt.Sscan(s, &depth)
	}
	const n = 512
	for _, kt := range []KVType{KVF16, KVQ8} {
		b.Run(string(kt), func(b *testing.B) {
			c := Config{Layers: 1, Heads: 32, KVHeads: 8, HeadDim: 64, ValueDim: 64, Hidden: 2048, VocabSize: 8}
			r := rand.New(rand.NewPCG(1, 1))
			kv := newPagedCache(b, &c, kt, depth+n, 16, r)
			row := make([]float32, 512)
			for p := 0; p < depth+n; p++ {
				for i := range row {
					row[i] = r.Float32() - 0.5
				}
				kv.Store(0, 0, p, row, row)
			}
			m := attnModel(c, n)
			defer m.pool.Close()
			for i := range m.s.q {
				m.s.q[i] = r.Float32() - 0.5
			}
			batch := &Batch{Tokens: make([]int32, n), Pos: make([]int32, n), Seq: make([]int32, n)}
			for i := range batch.Pos {
				batch.Pos[i] = int32(depth + i)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m.attention(0, batch, kv)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
