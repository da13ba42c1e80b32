package model

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nuri-ai/nuri/kernels"
)

// Checks against Hugging Face transformers 5 (see
// testdata/transformers/README.md): each fixture folder is a model exactly as
// transformers saves it (config.json with rope_parameters and layer_types),
// with the logits of one forward pass over a prompt and a greedy continuation.

// tfTensor is one tensor of a golden file, kept as raw little-endian bytes.
type tfTensor struct {
	dtype string
	shape []int
	data  []byte
}

// readTFTensors reads a safetensors file on its own (F32, I32 and I64 only),
// so the check does not rely on the reader it helps to test.
func readTFTensors(t *testing.T, path string) map[string]tfTensor {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 8 {
		t.Fatalf("%s: too short for a safetensors file", path)
	}
	n := binary.LittleEndian.Uint64(b)
	if n > uint64(len(b)-8) {
		t.Fatalf("%s: header length %d exceeds the file", path, n)
	}
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &hdr); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string]tfTensor{}
	for name, raw := range hdr {
		if name == "__metadata__" {
			continue
		}
		var info struct {
			Dtype   string `json:"dtype"`
			Shape   []int  `json:"shape"`
			Offsets [2]int `json:"data_offsets"`
		}
		if err := json.Unmarshal(raw, &info); err != nil {
			t.Fatalf("%s: %s: %v", path, name, err)
		}
		base := 8 + int(n)
		out[name] = tfTensor{dtype: info.Dtype, shape: info.Shape, data: b[base+info.Offsets[0] : base+info.Offsets[1]]}
	}
	return out
}

func tfGet(t *testing.T, ts map[string]tfTensor, path, name string) tfTensor {
	t.Helper()
	x, ok := ts[name]
	if !ok {
		t.Fatalf("%s: no tensor %q", path, name)
	}
	return x
}

// tfInts reads an I32 or I64 tensor.
func tfInts(t *testing.T, ts map[string]tfTensor, path, name string) []int32 {
	t.Helper()
	x := tfGet(t, ts, path, name)
	switch x.dtype {
	case "I64":
		out := make([]int32, len(x.data)/8)
		for i := range out {
			out[i] = int32(int64(binary.LittleEndian.Uint64(x.data[8*i:])))
		}
		return out
	case "I32":
		out := make([]int32, len(x.data)/4)
		for i := range out {
			out[i] = int32(binary.LittleEndian.Uint32(x.data[4*i:]))
		}
		return out
	}
	t.Fatalf("%s: %s is %s, want an integer type", path, name, x.dtype)
	return nil
}

func tfFloats(t *testing.T, ts map[string]tfTensor, path, name string) []float32 {
	t.Helper()
	x := tfGet(t, ts, path, name)
	if x.dtype != "F32" {
		t.Fatalf("%s: %s is %s, want F32", path, name, x.dtype)
	}
	out := make([]float32, len(x.data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(x.data[4*i:]))
	}
	return out
}

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
			ts := readTFTensors(t, gp)
			ids := tfInts(t, ts, gp, "input_ids")
			want := tfFloats(t, ts, gp, "logits")
			greedy := tfInts(t, ts, gp, "greedy_ids")

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
