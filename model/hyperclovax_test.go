package model

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestHyperCLOVAXFromGranite: a HyperCLOVAX folder without post-norms and
// with logits_scaling = 1/8 computes exactly what the Granite fixture's
// reference does (Granite divides its logits by 8; HyperCLOVAX multiplies).
func TestHyperCLOVAXFromGranite(t *testing.T) {
	src := filepath.Join("..", "testdata", "golden", "granite")
	g := readGolden(t, filepath.Join(src, "golden.safetensors"))
	var cfg map[string]any
	b, err := os.ReadFile(filepath.Join(src, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["model_type"] = "hyperclovax"
	cfg["architectures"] = []string{"HyperCLOVAXForCausalLM"}
	cfg["use_post_norm"] = false
	cfg["logits_scaling"] = 0.125
	dir := t.TempDir()
	b, _ = json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	// A copy, not a link: Windows allows symbolic links only to privileged
	// users (and Wine 8 makes none).
	st, err := os.ReadFile(filepath.Join(src, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.safetensors"), st, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Config.Arch != "hyperclovax" || m.Config.LogitMul != 0.125 {
		t.Fatalf("config %+v", m.Config)
	}
	s, err := m.Score(g.inputIDs, len(g.greedyIDs))
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := maxAbsDiff(s.Logits, g.logits); d > 1e-5 {
		t.Errorf("logits differ by %g", d)
	}
	for k := range g.greedyIDs {
		if s.GreedyIDs[k] != g.greedyIDs[k] {
			t.Fatalf("greedy %v, want %v", s.GreedyIDs, g.greedyIDs)
		}
	}
}
