package model

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/nuri-ai/nuri/kernels"
	"github.com/nuri-ai/nuri/tensor"
)

// Checks against Hugging Face transformers 5 (see
// testdata/transformers/README.md): each fixture folder is a model exactly as
// transformers saves it (config.json with rope_parameters and layer_types),
// with the logits of one forward pass over a prompt and a greedy continuation.

// tfTolerance is the largest |logit difference| accepted per fixture. Both
// sides compute in float32 with the same formulas (exact tanh-GELU for the
// Gemmas), so 1e-4 holds for all; granite divides its logits by 8, so its
// differences are 8× smaller and it gets 1e-5.
func tfTolerance(name string) float64 {
	if name == "granite" {
		return 1e-5
	}
	return 1e-4
}

func tfFixtures(t *testing.T, sets ...string) []string {
	t.Helper()
	var dirs []string
	for _, set := range sets {
		gs, err := filepath.Glob(filepath.Join("..", "testdata", "transformers", set, "*", "golden.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gs {
			dirs = append(dirs, filepath.Dir(g))
		}
	}
	if len(dirs) == 0 {
		t.Fatalf("no transformers fixtures found under testdata/transformers/%v", sets)
	}
	slices.Sort(dirs)
	return dirs
}

// TestTransformers loads every public and hidden fixture from its Hugging
// Face folder, runs the prompt as one batch and compares every logits row,
// then decodes greedily one token at a time through a float32 KV cache and
// compares the ids with transformers' generate.
func TestTransformers(t *testing.T) {
	pool := kernels.NewPool(2)
	defer pool.Close()
	for _, dir := range tfFixtures(t, "public", "hidden") {
		set, name := filepath.Base(filepath.Dir(dir)), filepath.Base(dir)
		t.Run(set+"/"+name, func(t *testing.T) {
			gp := filepath.Join(dir, "golden.safetensors")
			ts := readSafetensors(t, gp)
			ids := goldenInts(t, ts, gp, "input_ids", tensor.I64)
			want := goldenFloats(t, ts, gp, "logits")
			greedy := goldenInts(t, ts, gp, "greedy_ids", tensor.I64)

			m, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			m.SetPool(pool)
			v := m.Config.VocabSize
			if len(want) != len(ids)*v {
				t.Fatalf("golden logits have %d values, want %d×%d", len(want), len(ids), v)
			}
			s, err := m.Score(ids, len(greedy))
			if err != nil {
				t.Fatal(err)
			}
			tol := tfTolerance(name)
			d, at := maxAbsDiff(s.Logits, want)
			t.Logf("%s: max |logit diff| %.3g over %d×%d (tolerance %.g)", name, d, len(ids), v, tol)
			if d > tol {
				t.Errorf("prompt logits: max |diff| %.3g at position %d token %d (tolerance %.g)", d, at/v, at%v, tol)
			}
			if !slices.Equal(s.GreedyIDs, greedy) {
				t.Errorf("greedy ids:\n got %v\nwant %v", s.GreedyIDs, greedy)
			}
		})
	}
}

// TestTransformersRopeConfig checks that the RoPE settings of transformers 5
// configs (rope_parameters, flat or keyed by layer type) are read.
func TestTransformersRopeConfig(t *testing.T) {
	cases := []struct {
		dir           string
		theta, local  float64 // local 0: no separate sliding-layer base
		scaling       string
		factor        float64
		orig, context int
	}{
		{"public/llama", 10000, 0, "", 0, 0, 256},
		{"public/llama3-ropescaled", 500000, 0, "llama3", 8, 32, 256},
		{"public/gemma3", 1e6, 10000, "", 0, 0, 256},
		{"long/gemma3-linear-32k", 1e6, 10000, "linear", 8, 0, 131072},
		{"long/qwen2-yarn-128k", 1e6, 0, "yarn", 4, 32768, 131072},
		{"long/phi3-longrope-128k", 10000, 0, "longrope", 1, 4096, 131072},
	}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			m, err := Load(filepath.Join("..", "testdata", "transformers", filepath.FromSlash(c.dir)))
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			cfg := m.Config
			sc := cfg.RopeScaling
			if cfg.RopeTheta != c.theta || cfg.RopeThetaSWA != c.local {
				t.Errorf("RoPE bases %g (sliding %g), want %g (sliding %g)", cfg.RopeTheta, cfg.RopeThetaSWA, c.theta, c.local)
			}
			if sc.Type != c.scaling || (c.factor != 0 && sc.Factor != c.factor) || sc.OriginalContext != c.orig {
				t.Errorf("scaling %q factor %g original context %d, want %q %g %d", sc.Type, sc.Factor, sc.OriginalContext, c.scaling, c.factor, c.orig)
			}
			if cfg.ContextLen != c.context {
				t.Errorf("trained context %d, want %d", cfg.ContextLen, c.context)
			}
		})
	}
}
