package model

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/nuri-ai/nuri/kernels"
	"github.com/nuri-ai/nuri/tensor"
)

// golden is one fixture's reference outputs (see testdata/golden/README.md).
type golden struct {
	inputIDs     []int32
	logits       []float32
	greedyIDs    []int32
	greedyLogits []float32
}

func readGolden(t *testing.T, path string) golden {
	t.Helper()
	ts := readSafetensors(t, path)
	return golden{
		inputIDs:     goldenInts(t, ts, path, "input_ids", tensor.I64),
		logits:       goldenFloats(t, ts, path, "logits"),
		greedyIDs:    goldenInts(t, ts, path, "greedy_ids", tensor.I64),
		greedyLogits: goldenFloats(t, ts, path, "greedy_logits"),
	}
}

// goldenTensor returns tensor name of a fixture read by readSafetensors,
// failing unless it has type dt.
func goldenTensor(t *testing.T, ts map[string]*tensor.Tensor, path, name string, dt tensor.DType) *tensor.Tensor {
	t.Helper()
	x, ok := ts[name]
	if !ok {
		t.Fatalf("%s: no tensor %s", path, name)
	}
	if x.Type != dt {
		t.Fatalf("%s: %s is %v, want %v", path, name, x.Type, dt)
	}
	return x
}

// goldenInts reads an integer tensor of type dt (I32 or I64) as int32s.
func goldenInts(t *testing.T, ts map[string]*tensor.Tensor, path, name string, dt tensor.DType) []int32 {
	t.Helper()
	x := goldenTensor(t, ts, path, name, dt)
	out := make([]int32, x.Elements())
	for i := range out {
		if dt == tensor.I32 {
			out[i] = int32(binary.LittleEndian.Uint32(x.Data[4*i:]))
		} else {
			out[i] = int32(int64(binary.LittleEndian.Uint64(x.Data[8*i:])))
		}
	}
	return out
}

// goldenFloats reads an F32 tensor.
func goldenFloats(t *testing.T, ts map[string]*tensor.Tensor, path, name string) []float32 {
	t.Helper()
	x := goldenTensor(t, ts, path, name, tensor.F32)
	out := make([]float32, x.Elements())
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(x.Data[4*i:]))
	}
	return out
}

// tolerance per fixture: see testdata/golden/README.md (gemma2's reference
// rounds GELU through fp16; granite's logits are divided by 8).
func tolerance(name string) float64 {
	switch name {
	case "gemma2":
		return 5e-3
	case "granite":
		return 1e-5
	}
	return 1e-4
}

func maxAbsDiff(a, b []float32) (float64, int) {
	worst, at := 0.0, -1
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if d > worst || math.IsNaN(d) {
			worst, at = d, i
		}
	}
	return worst, at
}

// TestGolden checks every architecture fixture, in both file forms, against
// the reference logits and greedy continuation.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "testdata", "golden", "*", "golden.safetensors"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden fixtures found: %v", err)
	}
	for _, gp := range dirs {
		dir := filepath.Dir(gp)
		name := filepath.Base(dir)
		g := readGolden(t, gp)
		for _, form := range []string{"gguf", "hf"} {
			t.Run(name+"/"+form, func(t *testing.T) {
				path := dir
				if form == "gguf" {
					path = filepath.Join(dir, "model.gguf")
				}
				if _, err := os.Stat(path); err != nil {
					t.Skip(err)
				}
				m, err := Load(path)
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				pool := kernels.NewPool(2)
				defer pool.Close()
				m.SetPool(pool)
				v := m.Config.VocabSize
				if len(g.logits) != len(g.inputIDs)*v {
					t.Fatalf("golden logits have %d values, want %d×%d", len(g.logits), len(g.inputIDs), v)
				}
				s, err := m.Score(g.inputIDs, len(g.greedyIDs))
				if err != nil {
					t.Fatal(err)
				}
				tol := tolerance(name)
				if d, at := maxAbsDiff(s.Logits, g.logits); d > tol {
					t.Errorf("prompt logits: max |diff| %.3g at position %d token %d (tolerance %.g)", d, at/v, at%v, tol)
				}
				for k := range g.greedyIDs {
					if s.GreedyIDs[k] != g.greedyIDs[k] {
						t.Fatalf("greedy ids: got %v, want %v", s.GreedyIDs, g.greedyIDs)
					}
				}
				if d, at := maxAbsDiff(s.GreedyLogits, g.greedyLogits); d > tol {
					t.Errorf("greedy logits: max |diff| %.3g at step %d token %d (tolerance %.g)", d, at/v, at%v, tol)
				}
			})
		}
	}
}

// readSafetensors is a minimal, independent reader for the golden files
// (F32, I32 and I64 tensors only), so these tests do not trust the package
// they check.
func readSafetensors(t *testing.T, path string) map[string]*tensor.Tensor {
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
	base := 8 + int(n)
	out := map[string]*tensor.Tensor{}
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
		dt, ok := map[string]tensor.DType{"F32": tensor.F32, "I32": tensor.I32, "I64": tensor.I64}[info.Dtype]
		if !ok {
			t.Fatalf("%s: %s has type %s, which this reader does not know", path, name, info.Dtype)
		}
		if info.Offsets[0] < 0 || info.Offsets[1] < info.Offsets[0] || base+info.Offsets[1] > len(b) {
			t.Fatalf("%s: %s: data offsets %v outside the file", path, name, info.Offsets)
		}
		out[name] = &tensor.Tensor{Name: name, Type: dt, Shape: info.Shape, Data: b[base+info.Offsets[0] : base+info.Offsets[1]]}
	}
	return out
}
