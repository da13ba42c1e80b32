package kvcache

import (
	"errors"
	"testing"

	"github.com/nuri-ai/nuri/model"
)

// storeAll writes a value that names (layer, seq, pos) into every row of
// positions [0, n) of seq.
func storeAll(p *Pool, c *model.Config, seq, n int, val func(l, s, pos int) float32) {
	k, v := make([]float32, c.KVDim()), make([]float32, c.KVHeads*c.ValueDim)
	for l := 0; l < c.Layers; l++ {
		for pos := 0; pos < n; pos++ {
			for i := range k {
				k[i] = val(l, seq, pos)
			}
			for i := range v {
				v[i] = -val(l, seq, pos)
			}
			p.Store(l, seq, pos, k, v)
		}
	}
}

// checkAll reads back what storeAll wrote, possibly under another slot.
// Layer l is checked from position start(l) on (from 0 when start is nil).
func checkAll(t *testing.T, p *Pool, c *model.Config, kt model.KVType, seq, from, n int, start func(l int) int, val func(l, s, pos int) float32) {
	t.Helper()
	kr, vr := kt.RowBytes(c.KVDim()), kt.RowBytes(c.KVHeads*c.ValueDim)
	got, gotV := make([]float32, c.KVDim()), make([]float32, c.KVHeads*c.ValueDim)
	for l := 0; l < c.Layers; l++ {
		pos := 0
		if start != nil {
			pos = start(l)
		}
		for pos < n {
			kb, vb, m := p.Span(l, seq, pos, n)
			for j := 0; j < m; j++ {
				decode(kt, got, kb[j*kr:])
				decode(kt, gotV, vb[j*vr:])
				want := val(l, from, pos+j)
				if got[0] != want || got[len(got)-1] != want || gotV[0] != -want {
					t.Fatalf("layer %d pos %d: got key %v value %v, want %v", l, pos+j, got[0], gotV[0], want)
				}
			}
			pos += m
		}
	}
}

func TestSwapRoundTrip(t *testing.T) {
	val := func(l, s, pos int) float32 { return float32(l*1000 + s*100 + pos) }
	tests := []struct {
		name        string
		kt          model.KVType
		n           int // positions stored
		fillBetween int // positions another sequence takes while swapped out
	}{
		{"f32 partial block", model.KVF32, 10, 0},
		{"f16 full blocks", model.KVF16, 8, 0},
		{"other sequence reuses the blocks", model.KVF32, 10, 12},
		{"empty", model.KVF32, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig()
			p, err := New(c, tc.kt, 4, 8, 2)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Reserve(0, tc.n); err != nil {
				t.Fatal(err)
			}
			storeAll(p, c, 0, tc.n, val)
			want := p.SwapBytes(0)
			s, err := p.SwapOut(0)
			if err != nil {
				t.Fatal(err)
			}
			if s.Bytes() != want || s.Blocks() != (tc.n+3)/4 || want != int64(s.Blocks())*p.BlockBytes() {
				t.Fatalf("swapped %d blocks, %d bytes; SwapBytes said %d", s.Blocks(), s.Bytes(), want)
			}
			if st := p.Stats(); st.Used != 0 || len(p.Table(0)) != 0 {
				t.Fatalf("blocks kept after swap out: %+v", st)
			}
			if tc.fillBetween > 0 {
				// Overwrite the freed blocks with another sequence's rows.
				if err := p.Reserve(1, tc.fillBetween); err != nil {
					t.Fatal(err)
				}
				storeAll(p, c, 1, tc.fillBetween, val)
			}
			if err := p.SwapIn(0, s); err != nil {
				t.Fatal(err)
			}
			if len(p.Table(0)) != s.Blocks() {
				t.Fatalf("table has %d blocks after swap in, want %d", len(p.Table(0)), s.Blocks())
			}
			checkAll(t, p, c, tc.kt, 0, 0, tc.n, nil, val)
			if tc.fillBetween > 0 {
				checkAll(t, p, c, tc.kt, 1, 1, tc.fillBetween, nil, val)
			}
			p.Release(0)
			p.Release(1)
			if st := p.Stats(); st.Used != 0 {
				t.Errorf("leaked blocks: %+v", st)
			}
		})
	}
}

func TestSwapInErrors(t *testing.T) {
	c := testConfig()
	p, err := New(c, model.KVF32, 4, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Reserve(0, 12); err != nil {
		t.Fatal(err)
	}
	s, err := p.SwapOut(0)
	if err != nil {
		t.Fatal(err)
	}
	// Another sequence takes two of the four blocks: three do not fit.
	if err := p.Reserve(1, 8); err != nil {
		t.Fatal(err)
	}
	if err := p.SwapIn(0, s); !errors.Is(err, ErrNoBlocks) {
		t.Fatalf("swap in without room: %v", err)
	}
	if len(p.Table(0)) != 0 || p.Stats().Used != 2 {
		t.Fatalf("failed swap in kept blocks: table %v, %+v", p.Table(0), p.Stats())
	}
	p.Release(1)
	if err := p.Reserve(0, 1); err != nil {
		t.Fatal(err)
	}
	if err := p.SwapIn(0, s); err == nil {
		t.Error("swap into a non-empty table: no error")
	}
	p.Release(0)
	if err := p.SwapIn(0, s); err != nil {
		t.Errorf("swap in after the pool emptied: %v", err)
	}
	for _, seq := range []int{-1, 2} {
		if _, err := p.SwapOut(seq); err == nil {
			t.Errorf("SwapOut(%d): no error", seq)
		}
		if err := p.SwapIn(seq, s); err == nil {
			t.Errorf("SwapIn(%d): no error", seq)
		}
	}
	if err := p.SwapIn(1, nil); err == nil {
		t.Error("SwapIn(nil): no error")
	}
}

// storeSteps writes val's rows for positions [from, to) of seq block by
// block, reserving each block first and advancing after it, as the engine
// does: windowed groups give back blocks as the sequence moves on.
func storeSteps(t *testing.T, p *Pool, c *model.Config, seq, from, to int, val func(l, s, pos int) float32) {
	t.Helper()
	k, v := make([]float32, c.KVDim()), make([]float32, c.KVHeads*c.ValueDim)
	bs := p.BlockSize()
	for pos := from; pos < to; {
		end := min((pos/bs+1)*bs, to)
		if err := p.Reserve(seq, end); err != nil {
			t.Fatalf("reserve %d: %v", end, err)
		}
		for ; pos < end; pos++ {
			for l := 0; l < c.Layers; l++ {
				for i := range k {
					k[i] = val(l, seq, pos)
				}
				for i := range v {
					v[i] = -val(l, seq, pos)
				}
				p.Store(l, seq, pos, k, v)
			}
		}
		p.Advance(seq, pos)
	}
}

// TestSwapSplitPool swaps a sequence out of a pool split by attention
// window: every group is copied, the windowed blocks already given back
// stay given back (and take no blocks or bytes), SwapIn needs room in every
// group, and the sequence goes on afterwards.
func TestSwapSplitPool(t *testing.T) {
	c := windowConfig() // layer 0 full, layers 1..3 window 8
	const bs, n = 4, 22
	val := func(l, s, pos int) float32 { return float32(l*1000 + s*100 + pos) }
	p := splitPool(t, c, bs, 40, 6, 2)
	storeSteps(t, p, c, 0, 0, n, val)
	// The query at 22 sees 15..22: windowed entries 0..2 went back.
	wantTable := []bool{false, false, false, true, true, true}
	fullBB, winBB := int64(bs*c.KVDim()*4+bs*c.KVHeads*c.ValueDim*4), int64(3*(bs*c.KVDim()*4+bs*c.KVHeads*c.ValueDim*4))
	if got, want := p.BlockBytes(), fullBB+winBB; got != want {
		t.Errorf("block bytes %d, want %d", got, want)
	}
	want := 6*fullBB + 3*winBB
	if got := p.SwapBytes(0); got != want {
		t.Errorf("swap bytes %d, want %d", got, want)
	}
	s, err := p.SwapOut(0)
	if err != nil {
		t.Fatal(err)
	}
	if s.Bytes() != want || s.Blocks() != 6 || s.Held(0) != 6 || s.Held(1) != 3 || s.Held(2) != 0 {
		t.Fatalf("swapped %d bytes, %d entries, %d and %d held", s.Bytes(), s.Blocks(), s.Held(0), s.Held(1))
	}
	if st := p.Stats(); st.Used != 0 || len(p.GroupTable(1, 0)) != 0 || len(p.Table(0)) != 0 {
		t.Fatalf("blocks kept after swap out: %+v", st)
	}

	// Another sequence (one that keeps its whole window, as a prompt being
	// read in does) takes four of the six windowed blocks: the full
	// group has room, the windowed one does not.
	if err := p.Reserve(1, 4*bs); err != nil {
		t.Fatal(err)
	}
	if room := p.SwapInRoom(s); room != -1 {
		t.Errorf("room %d after a swap in that does not fit, want -1", room)
	}
	if err := p.SwapIn(0, s); !errors.Is(err, ErrNoBlocks) {
		t.Fatalf("swap in without windowed room: %v", err)
	}
	if len(p.Table(0)) != 0 || len(p.GroupTable(1, 0)) != 0 || p.GroupStats(0).Used != 4 || p.GroupStats(1).Used != 4 {
		t.Fatalf("failed swap in kept blocks: %v %v, %+v", p.Table(0), p.GroupTable(1, 0), p.Stats())
	}
	// With one block less, it fits exactly; sequence 1 rewrites the
	// windowed blocks sequence 0 had before.
	p.Truncate(1, 3)
	storeAll(p, c, 1, 3*bs, val)
	if room := p.SwapInRoom(s); room != 0 {
		t.Errorf("room %d, want 0", room)
	}
	if err := p.SwapIn(0, s); err != nil {
		t.Fatal(err)
	}
	tab := p.GroupTable(1, 0)
	if len(tab) != len(wantTable) || len(p.Table(0)) != len(wantTable) {
		t.Fatalf("tables %v and %v after swap in, want %d entries", p.Table(0), tab, len(wantTable))
	}
	for i, b := range tab {
		if (b != none) != wantTable[i] {
			t.Fatalf("windowed table %v after swap in, want entries 0..2 empty", tab)
		}
	}
	if st := p.GroupStats(1); st.Used != 6 {
		t.Errorf("%d windowed blocks used, want 3+3", st.Used)
	}
	visible := func(l int) int {
		if c.Window(l) > 0 {
			return 12
		}
		return 0
	}
	checkAll(t, p, c, model.KVF32, 0, 0, n, visible, val)
	checkAll(t, p, c, model.KVF32, 1, 1, 3*bs, nil, val)

	// Sequence 0 goes on where it stopped and gives back entry 3 at 26.
	p.Release(1)
	storeSteps(t, p, c, 0, n, 26, val)
	if tab := p.GroupTable(1, 0); tab[3] != none || tab[4] == none || p.GroupStats(1).Used != 3 {
		t.Errorf("windowed table %v (%d used) after going on to 26", tab, p.GroupStats(1).Used)
	}
	checkAll(t, p, c, model.KVF32, 0, 0, 26, func(l int) int { return visible(l) + 4*min(c.Window(l), 1) }, val)
	p.Release(0)
	if st := p.Stats(); st.Used != 0 || st.Total != 46 {
		t.Errorf("after release: %+v", st)
	}
	// A swapped copy from a pool of another shape is refused.
	q, err := New(c, model.KVF32, bs, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.SwapIn(0, s); err == nil {
		t.Error("swap into a pool of one group: no error")
	}
}

// TestSwapSplitPoolModel: a Gemma 3 shaped model preempted by swap half
// way, while another sequence overwrites the blocks it gave up, continues
// with the logits of a cache that keeps everything.
func TestSwapSplitPoolModel(t *testing.T) {
	m := gemmaModel(t)
	c := &m.Config
	const bs, step, n, at = 4, 5, 70, 40
	lay, err := Plan(c, model.KVF32, 60*BytesPerBlock(c, model.KVF32, bs), PlanOptions{BlockSize: bs, Seqs: 2, Step: step, Context: 256})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewLayout(c, model.KVF32, lay, 2)
	if err != nil {
		t.Fatal(err)
	}
	if p.Groups() != 2 {
		t.Fatalf("%d groups, want 2", p.Groups())
	}
	tokens := make([]int32, n)
	other := make([]int32, at)
	for i := range tokens {
		tokens[i] = int32((i*53 + 7) % 300)
	}
	for i := range other {
		other[i] = int32((i*31 + 11) % 300)
	}
	runPool(t, m, p, 0, tokens[:at], 0, step)
	s, err := p.SwapOut(0)
	if err != nil {
		t.Fatal(err)
	}
	if s.Held(1) >= s.Blocks() {
		t.Fatalf("%d windowed blocks swapped of %d entries: none were given back", s.Held(1), s.Blocks())
	}
	runPool(t, m, p, 1, other, 0, step)
	p.Release(1)
	if err := p.SwapIn(0, s); err != nil {
		t.Fatal(err)
	}
	got := runPool(t, m, p, 0, tokens, at, step)
	steps := make([]int, n/step)
	for i := range steps {
		steps[i] = step
	}
	if d := maxDiff(got[len(got)-1], coldLogits(t, m, tokens, steps)); d > 1e-4 {
		t.Errorf("after swapping out and in: logits differ from a full cache by %g", d)
	}
	p.Release(0)
	if st := p.Stats(); st.Used != 0 {
		t.Errorf("leaked blocks: %+v", st)
	}
}
