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
func checkAll(t *testing.T, p *Pool, c *model.Config, kt model.KVType, seq, from, n int, val func(l, s, pos int) float32) {
	t.Helper()
	kr, vr := kt.RowBytes(c.KVDim()), kt.RowBytes(c.KVHeads*c.ValueDim)
	got, gotV := make([]float32, c.KVDim()), make([]float32, c.KVHeads*c.ValueDim)
	for l := 0; l < c.Layers; l++ {
		for pos := 0; pos < n; {
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
			checkAll(t, p, c, tc.kt, 0, 0, tc.n, val)
			if tc.fillBetween > 0 {
				checkAll(t, p, c, tc.kt, 1, 1, tc.fillBetween, val)
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
