package model

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nuri-ai/nuri/testmodel"
)

// windowModel writes and loads a small model of the given architecture
// whose sliding-window layers have window w.
func windowModel(t *testing.T, arch string, w, pattern int) *Model {
	t.Helper()
	spec := testmodel.Spec{Arch: arch, Vocab: 300, Hidden: 48, Layers: 4, Heads: 4, KVHeads: 2, HeadDim: 12,
		FFN: 96, Context: 512, RopeTheta: 10000, SlidingWindow: w, SlidingPattern: pattern}
	if arch == "gemma3" {
		spec.RopeLocalTheta = 10000
	}
	path := filepath.Join(t.TempDir(), arch+".gguf")
	if err := testmodel.Write(context.Background(), testmodel.Options{Spec: &spec, Out: path, Seed: 7, Std: 0.2}); err != nil {
		t.Fatal(err)
	}
	m, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	windows := 0
	for l := 0; l < m.Config.Layers; l++ {
		if m.Config.Window(l) == w {
			windows++
		}
	}
	if windows == 0 {
		t.Fatalf("%s: no layer has window %d", arch, w)
	}
	return m
}

// runSteps feeds tokens in steps of the given sizes (then one at a time)
// and returns the logits of every step's last token.
func runSteps(t *testing.T, m *Model, kv KVCache, tokens []int32, steps []int) [][]float32 {
	t.Helper()
	var out [][]float32
	b := &Batch{}
	for pos, si := 0, 0; pos < len(tokens); si++ {
		n := 1
		if si < len(steps) {
			n = steps[si]
		}
		n = min(n, len(tokens)-pos)
		b.Tokens, b.Pos, b.Seq, b.Logits = tokens[pos:pos+n], b.Pos[:0], b.Seq[:0], b.Logits[:0]
		for i := 0; i < n; i++ {
			b.Pos = append(b.Pos, int32(pos+i))
			b.Seq = append(b.Seq, 0)
			b.Logits = append(b.Logits, i == n-1)
		}
		logits := make([]float32, m.Config.VocabSize)
		if err := m.Forward(b, kv, logits); err != nil {
			t.Fatalf("step at %d: %v", pos, err)
		}
		out = append(out, logits)
		pos += n
	}
	return out
}

// TestWindowRingMatchesFullCache: decoding far past the window with rings
// of window+step positions gives the logits of a cache that keeps every
// position, for every family with sliding-window layers.
func TestWindowRingMatchesFullCache(t *testing.T) {
	const ctx, step = 160, 6
	for _, tc := range []struct {
		arch       string
		w, pattern int
	}{
		{"gemma2", 8, 0},
		{"gemma3", 5, 2},
		{"exaone4", 7, 2},
		{"phi3", 9, 0}, // every layer windowed
	} {
		t.Run(tc.arch, func(t *testing.T) {
			m := windowModel(t, tc.arch, tc.w, tc.pattern)
			tokens := make([]int32, ctx)
			for i := range tokens {
				tokens[i] = int32((i*37 + 11) % 300)
			}
			full, err := NewDenseCacheType(&m.Config, KVF32, 1, ctx)
			if err != nil {
				t.Fatal(err)
			}
			ring, err := NewDenseCacheStep(&m.Config, KVF32, 1, ctx, step)
			if err != nil {
				t.Fatal(err)
			}
			if ring.Bytes() >= full.Bytes() {
				t.Errorf("ring cache takes %d bytes, full cache %d", ring.Bytes(), full.Bytes())
			}
			steps := []int{step, 3, step, 1, step, 5, 2, step} // then single tokens
			want := runSteps(t, m, full, tokens, steps)
			got := runSteps(t, m, ring, tokens, steps)
			worst := 0.0
			for i := range want {
				for j := range want[i] {
					worst = max(worst, math.Abs(float64(got[i][j]-want[i][j])))
				}
			}
			if worst > 1e-4 {
				t.Errorf("ring logits differ from the full cache's by %g", worst)
			}
		})
	}
}

// TestDenseCacheCheckBatch: steps a ring cache cannot serve are errors
// before anything is computed.
func TestDenseCacheCheckBatch(t *testing.T) {
	m := windowModel(t, "gemma2", 8, 0)
	const ctx, step = 64, 4
	seq := func(from, n int) *Batch {
		b := &Batch{}
		for i := 0; i < n; i++ {
			b.Tokens = append(b.Tokens, 5)
			b.Pos = append(b.Pos, int32(from+i))
			b.Seq = append(b.Seq, 0)
		}
		return b
	}
	for _, tc := range []struct {
		name    string
		before  int // positions computed first, step by step
		b       *Batch
		wantErr string
	}{
		{"fits", 0, seq(0, 4), ""},
		{"too many", 0, seq(0, 5), "more than the KV cache's limit of 4"},
		{"past context", 60, seq(60, 5), "outside the KV cache's context"},
		{"short rewind", 20, seq(18, 2), ""},
		{"long rewind", 40, seq(10, 1), "no longer holds"},
		{"bad sequence", 0, &Batch{Tokens: []int32{1}, Pos: []int32{0}, Seq: []int32{1}}, "outside the KV cache's 1 sequences"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kv, err := NewDenseCacheStep(&m.Config, KVF32, 1, ctx, step)
			if err != nil {
				t.Fatal(err)
			}
			logits := make([]float32, ctx*m.Config.VocabSize)
			for p := 0; p < tc.before; p += step {
				if err := m.Forward(seq(p, min(step, tc.before-p)), kv, logits); err != nil {
					t.Fatal(err)
				}
			}
			err = m.Forward(tc.b, kv, logits)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
			}
		})
	}
}

// TestPlanWindowedKV: the plan counts what windowed layers really hold.
func TestPlanWindowedKV(t *testing.T) {
	m := windowModel(t, "gemma3", 5, 2)
	c := &m.Config
	per := int64(KVF32.RowBytes(c.KVDim()) + KVF32.RowBytes(c.KVHeads*c.ValueDim))
	windowed := 0
	for l := 0; l < c.Layers; l++ {
		if c.Window(l) > 0 {
			windowed++
		}
	}
	full := int64(c.Layers - windowed)
	for _, tc := range []struct {
		ctx, batch int
		kv, saved  int64
	}{
		{4, 8, int64(c.Layers) * 4 * per, 0}, // context inside the window
		{100, 8, (full*100 + int64(windowed)*13) * per, int64(windowed) * 87 * per},
		{1000, 16, (full*1000 + int64(windowed)*21) * per, int64(windowed) * 979 * per},
	} {
		p := m.Plan(tc.ctx, KVF32, tc.batch)
		if p.KV != tc.kv || p.KVSavedByWindows != tc.saved {
			t.Errorf("ctx %d batch %d: KV %d saved %d, want %d and %d", tc.ctx, tc.batch, p.KV, p.KVSavedByWindows, tc.kv, tc.saved)
		}
		if p.KVPerToken != float64(full*per) && tc.ctx > 5+tc.batch {
			t.Errorf("ctx %d: %g bytes per token, want %d (full layers only)", tc.ctx, p.KVPerToken, full*per)
		}
	}
}
