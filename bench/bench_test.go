package bench

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nuri-ai/nuri/model"
)

func TestRun(t *testing.T) {
	m, err := model.Load(filepath.Join("..", "testdata", "golden", "llama", "model.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	rep, err := Run(context.Background(), m, Options{Prompt: 16, Gen: 8, Reps: 2, Threads: 1, Bandwidth: true, BandwidthMB: 8})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 2 || rep.Results[0].Test != "pp16" || rep.Results[1].Test != "tg8" {
		t.Fatalf("results %+v", rep.Results)
	}
	for _, r := range rep.Results {
		if len(r.Seconds) != 2 || !(r.Mean > 0) {
			t.Errorf("%s: %+v", r.Test, r)
		}
	}
	// Only generation is measured against the bandwidth around its runs.
	if pp, tg := rep.Results[0], rep.Results[1]; pp.AroundGBs != 0 || !(tg.AroundGBs > 0) || !(tg.StreamGBs > 0) {
		t.Errorf("bandwidth around runs: pp %+v, tg %+v", pp, tg)
	}
	if rep.Type != "F32" || rep.WeightBytes <= 0 || rep.Params <= 0 || !(rep.BandwidthGBs > 0) || !(rep.RooflineTGtps > 0) {
		t.Errorf("report %+v", rep)
	}
	var b bytes.Buffer
	rep.Print(&b)
	for _, want := range []string{"pp16", "tg8", "F32", "roofline", "around its runs"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}

func TestCancel(t *testing.T) {
	m, err := model.Load(filepath.Join("..", "testdata", "golden", "llama", "model.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, m, Options{Gen: 4, Reps: 1, Threads: 1}); err == nil {
		t.Fatal("cancelled run returned no error")
	}
}

// TestDepth checks that -d runs the tests after a filled context: names as
// llama-bench prints them, the KV bytes a generated token reads counted into
// its roofline, and clear errors for depths that cannot run.
func TestDepth(t *testing.T) {
	m, err := model.Load(filepath.Join("..", "testdata", "golden", "llama", "model.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c := &m.Config
	rep, err := Run(context.Background(), m, Options{Prompt: 8, Gen: 4, Reps: 1, Threads: 1, Depth: 20, Bandwidth: true, BandwidthMB: 8})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 2 || rep.Results[0].Test != "pp8 @ d20" || rep.Results[1].Test != "tg4 @ d20" {
		t.Fatalf("results %+v", rep.Results)
	}
	if rep.KVType != model.KVF16 || rep.Depth != 20 {
		t.Errorf("KV type %q, depth %d", rep.KVType, rep.Depth)
	}
	// Tokens at positions 20..23 see 21..24 positions in every layer.
	row := float64(model.KVF16.RowBytes(c.KVDim()) + model.KVF16.RowBytes(c.KVHeads*c.ValueDim))
	if tg, want := rep.Results[1], float64(c.Layers)*row*22.5; tg.KVBytes != want || rep.Results[0].KVBytes != 0 {
		t.Errorf("KV bytes per token: tg %v, want %v; pp %v", tg.KVBytes, want, rep.Results[0].KVBytes)
	}
	var b bytes.Buffer
	rep.Print(&b)
	if !strings.Contains(b.String(), "tg4 @ d20 also reads") || !strings.Contains(b.String(), "of weights and KV cache") {
		t.Errorf("output:\n%s", b.String())
	}
	for _, opt := range []Options{{Gen: 1, Depth: -1}, {Gen: 1, Depth: c.ContextLen}, {Gen: 1, KVType: "q4"}} {
		opt.Reps, opt.Threads = 1, 1
		if _, err := Run(context.Background(), m, opt); err == nil {
			t.Errorf("%+v: no error", opt)
		}
	}
}

func TestKVReadBytes(t *testing.T) {
	c := &model.Config{Layers: 2, KVHeads: 2, HeadDim: 32, ValueDim: 32, SlidingWindow: 4, LayerSliding: []bool{true, false}}
	row := float64(2 * model.KVQ8.RowBytes(64))
	for _, tc := range []struct {
		from, n int
		want    float64 // positions seen, summed over layers and tokens
	}{
		{0, 1, 1 + 1},
		{0, 4, (1 + 2 + 3 + 4) * 2},
		{10, 2, 4 + 11 + 4 + 12},
	} {
		if got, want := kvReadBytes(c, model.KVQ8, tc.from, tc.n), tc.want*row/float64(tc.n); got != want {
			t.Errorf("from %d, n %d: %v, want %v", tc.from, tc.n, got, want)
		}
	}
}
