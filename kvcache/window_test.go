package kvcache

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/nuri-ai/nuri/model"
	"github.com/nuri-ai/nuri/testmodel"
)

// windowConfig has one full-attention layer and three with window 8.
func windowConfig() *model.Config {
	return &model.Config{Layers: 4, KVHeads: 2, HeadDim: 4, ValueDim: 4, SlidingWindow: 8,
		LayerSliding: []bool{false, true, true, true}}
}

func TestPlanSplit(t *testing.T) {
	c := windowConfig()
	const bs = 4
	all := BytesPerBlock(c, model.KVF32, bs)
	for _, tc := range []struct {
		name            string
		budget          int64
		o               PlanOptions
		groups          int
		full, win       int
		maxCtx          int
		windowedLayers  int
		withinBudgetAll bool
	}{
		// Windows hold the whole context: one group, as New.
		{"short context", 100 * all, PlanOptions{bs, 2, 8, 16}, 1, 100, 0, 400, 0, true},
		// Each of 2 sequences holds WindowBlocks(8,4,4) = 4 blocks, plus a
		// quarter: 10 windowed blocks; the full layer gets the rest.
		{"split", 100 * all, PlanOptions{bs, 2, 4, 1024}, 2, (100*4 - 10*3), 10, (100*4 - 10*3) * bs, 3, true},
		// A small budget: the windowed group never gets more than the
		// unsplit pool's 5 blocks, which still decode (4 needed).
		{"small budget", 5 * all, PlanOptions{bs, 8, 4, 1024}, 2, 5*4 - 5*3, 5, (5*4 - 5*3) * bs, 3, true},
		// Too little for a window: the windowed group caps the context.
		{"tiny budget", 3 * all, PlanOptions{bs, 8, 4, 1024}, 2, 3*4 - 3*3, 3, 3 * bs, 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lay, err := Plan(c, model.KVF32, tc.budget, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if len(lay.Groups) != tc.groups {
				t.Fatalf("%d groups, want %d: %+v", len(lay.Groups), tc.groups, lay)
			}
			if lay.Groups[0].Blocks != tc.full {
				t.Errorf("full group: %d blocks, want %d", lay.Groups[0].Blocks, tc.full)
			}
			if tc.groups > 1 {
				g := lay.Groups[1]
				if g.Blocks != tc.win || len(g.Layers) != tc.windowedLayers || g.Window != 8 {
					t.Errorf("windowed group %+v, want %d blocks of %d layers", g, tc.win, tc.windowedLayers)
				}
			}
			if got := lay.MaxContext(); got != tc.maxCtx {
				t.Errorf("max context %d, want %d", got, tc.maxCtx)
			}
			if b := lay.Bytes(c, model.KVF32); b > tc.budget {
				t.Errorf("layout takes %d bytes, budget %d", b, tc.budget)
			}
			if _, err := NewLayout(c, model.KVF32, lay, tc.o.Seqs); err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, err := Plan(c, model.KVF32, all-1, PlanOptions{bs, 1, 4, 1024}); err == nil {
		t.Error("a budget under one block: no error")
	}
	// Need is the budget at which every sequence gets the whole context.
	o := PlanOptions{bs, 3, 4, 1000}
	lay, err := Plan(c, model.KVF32, Need(c, model.KVF32, o), o)
	if err != nil || lay.Groups[0].Blocks != 3*250 {
		t.Errorf("plan at Need: %+v, %v; want %d full blocks", lay, err, 3*250)
	}
}

func splitPool(t *testing.T, c *model.Config, bs, full, win, seqs int) *Pool {
	t.Helper()
	var fl, wl []int
	for l := 0; l < c.Layers; l++ {
		if c.Window(l) > 0 {
			wl = append(wl, l)
		} else {
			fl = append(fl, l)
		}
	}
	p, err := NewLayout(c, model.KVF32, Layout{BlockSize: bs, Groups: []GroupLayout{
		{Layers: fl, Blocks: full}, {Window: c.SlidingWindow, Layers: wl, Blocks: win}}}, seqs)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAdvanceGivesBackWindowBlocks counts the windowed blocks a sequence
// holds as it moves on, and checks that admissions see the smaller group.
func TestAdvanceGivesBackWindowBlocks(t *testing.T) {
	c := windowConfig()
	p := splitPool(t, c, 4, 40, 6, 2)
	if got := p.Available(); got != 6 {
		t.Fatalf("available %d, want the windowed group's 6", got)
	}
	for _, tc := range []struct {
		next, reserve   int
		winUsed, winLow int
	}{
		{4, 8, 2, 0},      // positions 0..7 reserved; the query at 4 sees 0..4
		{8, 12, 3, 0},     // at 8 the window starts at 1: block 0 still needed
		{12, 16, 3, 1},    // at 12 it starts at 5: block 0 goes back
		{20, 24, 3, 3},    // window 13..20: blocks 3, 4, 5
		{100, 104, 3, 23}, // far on, step by step: never more than three
	} {
		for r := len(p.Table(0)) * 4; r+4 < tc.reserve; r += 4 {
			if err := p.Reserve(0, r+4); err != nil {
				t.Fatalf("reserve %d: %v", r+4, err)
			}
			p.Advance(0, r)
		}
		if err := p.Reserve(0, tc.reserve); err != nil {
			t.Fatalf("reserve %d: %v", tc.reserve, err)
		}
		p.Advance(0, tc.next)
		st := p.GroupStats(1)
		if st.Used != tc.winUsed {
			t.Errorf("next %d: %d windowed blocks used, want %d", tc.next, st.Used, tc.winUsed)
		}
		tab := p.GroupTable(1, 0)
		for i, b := range tab {
			if (i < tc.winLow) != (b == none) {
				t.Errorf("next %d: windowed table %v, want entries below %d empty", tc.next, tab, tc.winLow)
				break
			}
		}
		if got := p.GroupStats(0).Used; got != (tc.reserve+3)/4 {
			t.Errorf("next %d: %d full blocks used, want %d", tc.next, got, (tc.reserve+3)/4)
		}
	}
	// The full group has 40 blocks: 26 taken, and 6-3 windowed are left.
	if got, want := p.Available(), 3; got != want {
		t.Errorf("available %d, want %d", got, want)
	}
	if got := p.BlocksNeeded(0, 120); got != 4 {
		t.Errorf("blocks needed %d, want 4", got)
	}
	p.Release(0)
	if st := p.Stats(); st.Used != 0 || st.Total != 46 {
		t.Errorf("after release: %+v", st)
	}
}

// TestMatchNeedsWindowBlocks: a cached prefix is usable only up to where
// the windowed group still holds what the next query sees.
func TestMatchNeedsWindowBlocks(t *testing.T) {
	c := windowConfig()
	const bs = 4
	tokens := make([]int32, 40)
	for i := range tokens {
		tokens[i] = int32(i + 1)
	}
	hs := hashes("", tokens, bs)
	for _, tc := range []struct {
		name   string
		win    int
		evict  int // windowed blocks taken by another sequence afterwards
		want   int
		wantLo int
	}{
		// Everything committed before it was given back: a full hit.
		{"all cached", 20, 0, 10, 8},
		// Another sequence evicts the oldest cached windowed blocks; the
		// hit shrinks to where the last window is still complete.
		{"tail evicted", 10, 10, 0, 0},
		{"head evicted", 12, 4, 10, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := splitPool(t, c, bs, 40, tc.win, 2)
			for pos := 0; pos < len(tokens); pos += bs {
				if err := p.Reserve(0, pos+bs); err != nil {
					t.Fatal(err)
				}
				var parent Hash
				if i := pos / bs; i > 0 {
					parent = hs[i-1]
				}
				p.Commit(0, pos/bs, parent, hs[pos/bs], tokens[pos:pos+bs])
				p.Advance(0, pos+bs)
			}
			p.Release(0)
			if tc.evict > 0 {
				if err := p.Reserve(1, tc.evict*bs); err != nil {
					t.Fatal(err)
				}
			}
			got := p.Match(0, hs, tokens)
			if got != tc.want {
				t.Fatalf("hit %d blocks, want %d", got, tc.want)
			}
			tab := p.GroupTable(1, 0)
			if len(tab) != got || len(p.Table(0)) != got {
				t.Fatalf("tables %v and %v for a hit of %d", p.Table(0), tab, got)
			}
			for i, b := range tab {
				if (i < tc.wantLo) != (b == none) {
					t.Errorf("windowed table %v, want entries below %d empty", tab, tc.wantLo)
					break
				}
			}
		})
	}
}

// gemmaModel is a small Gemma 3 shaped model: every other layer has a
// window of 6.
func gemmaModel(t *testing.T) *model.Model {
	t.Helper()
	spec := testmodel.Spec{Arch: "gemma3", Vocab: 300, Hidden: 48, Layers: 4, Heads: 4, KVHeads: 2, HeadDim: 12,
		FFN: 96, Context: 512, RopeTheta: 10000, RopeLocalTheta: 10000, SlidingWindow: 6, SlidingPattern: 2}
	path := filepath.Join(t.TempDir(), "gemma3.gguf")
	if err := testmodel.Write(context.Background(), testmodel.Options{Spec: &spec, Out: path, Seed: 3, Std: 0.2}); err != nil {
		t.Fatal(err)
	}
	m, err := model.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// runPool computes tokens[from:] for seq the way the engine does: steps of
// up to step tokens, committing full blocks and advancing after each, and
// returns the logits of each step's last token.
func runPool(t *testing.T, m *model.Model, p *Pool, seq int, tokens []int32, from, step int) [][]float32 {
	t.Helper()
	bs := p.BlockSize()
	hs := hashes("", tokens, bs)
	var out [][]float32
	for pos := from; pos < len(tokens); {
		n := min(step, len(tokens)-pos)
		if err := p.Reserve(seq, pos+n); err != nil {
			t.Fatalf("reserve at %d: %v", pos, err)
		}
		b := &model.Batch{Tokens: tokens[pos : pos+n]}
		for i := 0; i < n; i++ {
			b.Pos = append(b.Pos, int32(pos+i))
			b.Seq = append(b.Seq, int32(seq))
			b.Logits = append(b.Logits, i == n-1)
		}
		logits := make([]float32, m.Config.VocabSize)
		if err := m.Forward(b, p, logits); err != nil {
			t.Fatal(err)
		}
		out = append(out, logits)
		for i := pos / bs; i < (pos+n)/bs; i++ {
			var parent Hash
			if i > 0 {
				parent = hs[i-1]
			}
			p.Commit(seq, i, parent, hs[i], tokens[i*bs:(i+1)*bs])
		}
		pos += n
		p.Advance(seq, pos)
		if used, most := p.GroupStats(1).Used, WindowBlocks(p.GroupWindow(1), bs, step); used > most {
			t.Fatalf("at %d: %d windowed blocks held, at most %d expected", pos, used, most)
		}
	}
	return out
}

// coldLogits runs tokens through a cache that keeps every position, in the
// same steps, and returns the last step's logits.
func coldLogits(t *testing.T, m *model.Model, tokens []int32, steps []int) []float32 {
	t.Helper()
	kv, err := model.NewDenseCacheType(&m.Config, model.KVF32, 1, len(tokens))
	if err != nil {
		t.Fatal(err)
	}
	logits := make([]float32, m.Config.VocabSize)
	pos := 0
	for _, n := range steps {
		b := &model.Batch{Tokens: tokens[pos : pos+n]}
		for i := 0; i < n; i++ {
			b.Pos = append(b.Pos, int32(pos+i))
			b.Seq = append(b.Seq, 0)
			b.Logits = append(b.Logits, i == n-1)
		}
		if err := m.Forward(b, kv, logits); err != nil {
			t.Fatal(err)
		}
		pos += n
	}
	return logits
}

func maxDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

// TestWindowedPoolMatchesFullCache: a model decoding far past its window
// through a split pool gives the logits of a cache that keeps everything,
// its windowed blocks go back to the pool, and a prefix-cache hit after
// they went back continues exactly as a cold run.
func TestWindowedPoolMatchesFullCache(t *testing.T) {
	m := gemmaModel(t)
	c := &m.Config
	const bs, step, n = 4, 5, 90
	lay, err := Plan(c, model.KVF32, 200*BytesPerBlock(c, model.KVF32, bs), PlanOptions{BlockSize: bs, Seqs: 2, Step: step, Context: 256})
	if err != nil {
		t.Fatal(err)
	}
	if len(lay.Groups) != 2 || lay.Groups[1].Window != 6 {
		t.Fatalf("layout %+v: want a windowed group", lay)
	}
	p, err := NewLayout(c, model.KVF32, lay, 2)
	if err != nil {
		t.Fatal(err)
	}
	tokens := make([]int32, n)
	for i := range tokens {
		tokens[i] = int32((i*53 + 7) % 300)
	}
	got := runPool(t, m, p, 0, tokens, 0, step)
	var steps []int
	for pos := 0; pos < n; pos += step {
		steps = append(steps, min(step, n-pos))
		want := coldLogits(t, m, tokens[:pos+steps[len(steps)-1]], steps)
		if d := maxDiff(got[len(steps)-1], want); d > 1e-4 {
			t.Fatalf("step at %d: logits differ from a full cache by %g", pos, d)
		}
	}
	if used := p.GroupStats(1).Used; used > WindowBlocks(6, bs, step) {
		t.Errorf("%d windowed blocks held after %d positions", used, n)
	}
	if used := p.GroupStats(0).Used; used != (n+bs-1)/bs {
		t.Errorf("%d full blocks held, want %d", used, (n+bs-1)/bs)
	}
	p.Release(0)

	// Same first 60 tokens, then different ones: the hit needs the window
	// before position 60, long given back by sequence 0 but still cached.
	other := append(append([]int32(nil), tokens[:60]...), 9, 8, 7, 6, 5, 4, 3, 2, 1)
	full := (len(other) - 1) / bs
	hit := p.Match(1, hashes("", other, bs)[:full], other)
	if hit != 15 {
		t.Fatalf("prefix hit of %d blocks, want 15", hit)
	}
	if nb := len(p.GroupTable(1, 1)); nb != hit || p.GroupTable(1, 1)[0] != none {
		t.Errorf("windowed table after the hit: %v", p.GroupTable(1, 1))
	}
	warm := runPool(t, m, p, 1, other, hit*bs, step)
	cold := coldLogits(t, m, other, []int{60, 5, 4})
	if d := maxDiff(warm[len(warm)-1], cold); d > 1e-4 {
		t.Errorf("after a prefix hit: logits differ from a cold run by %g", d)
	}
}
