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
