package testmodel

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nuri-ai/nuri/gguf"
	"github.com/nuri-ai/nuri/tensor"
	"github.com/nuri-ai/nuri/tokenizer"
)

// params counts the weights of a spec from its tensor list.
func params(s *Spec) int64 {
	var n int64
	for _, d := range tensorDefs(s) {
		n += int64(d.rows()) * int64(d.cols)
	}
	return n
}

// TestShapesMatchRealModels checks every shape resolves and has the
// parameter count of the real model (as its model card states it).
func TestShapesMatchRealModels(t *testing.T) {
	want := map[string]float64{ // billions
		"llama-3.2-1b": 1.236, "llama-3.2-3b": 3.213, "llama-3.1-8b": 8.030, "mixtral-8x7b": 46.70,
		"qwen2.5-0.5b": 0.494, "qwen2.5-1.5b": 1.544, "qwen2.5-7b": 7.616, "qwen3-0.6b": 0.596, "qwen3-8b": 8.191,
		"gemma-2-2b": 2.614, "gemma-3-1b": 0.9999, "exaone-3.5-2.4b": 2.405, "exaone-4.0-1.2b": 1.279,
		"phi-3-mini-4k": 3.821, "granite-3.1-2b": 2.534,
	}
	for _, name := range ShapeNames() {
		t.Run(name, func(t *testing.T) {
			o := Options{Shape: name}
			s, err := o.Resolve()
			if err != nil {
				t.Fatal(err)
			}
			got := float64(params(&s)) / 1e9
			if w, ok := want[name]; ok && math.Abs(got-w)/w > 0.01 {
				t.Errorf("%.4gB parameters, the real model has %.4gB", got, w)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		msg  string
	}{
		{"no shape", Options{}, "no shape"},
		{"unknown shape", Options{Shape: "llama-9"}, "unknown shape"},
		{"unknown arch", Options{Spec: &Spec{Arch: "gpt2", Vocab: 300, Hidden: 64, Layers: 1, Heads: 4, FFN: 64}}, "architecture"},
		{"heads", Options{Spec: &Spec{Arch: "llama", Vocab: 300, Hidden: 64, Layers: 1, Heads: 4, KVHeads: 3, FFN: 64}}, "multiple"},
		{"head dim", Options{Spec: &Spec{Arch: "qwen2", Vocab: 300, Hidden: 64, Layers: 1, Heads: 4, HeadDim: 8, FFN: 64}}, "hidden/heads"},
		{"window", Options{Spec: &Spec{Arch: "llama", Vocab: 300, Hidden: 64, Layers: 1, Heads: 4, FFN: 64, SlidingWindow: 4}}, "sliding"},
		{"experts", Options{Spec: &Spec{Arch: "mixtral", Vocab: 300, Hidden: 64, Layers: 1, Heads: 4, FFN: 64}}, "experts"},
		{"scaling", Options{Spec: &Spec{Arch: "llama", Vocab: 300, Hidden: 64, Layers: 1, Heads: 4, FFN: 64,
			RopeScaling: &RopeScaling{Type: "yarn", Factor: 4}}}, "not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.o.Resolve()
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v, want one containing %q", err, tc.msg)
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		o    Options
		msg  string
	}{
		{"no out", Options{Shape: "tiny"}, "no output"},
		{"bad type", Options{Shape: "tiny", Type: "q3_k", Out: filepath.Join(dir, "a.gguf")}, "weight type"},
		{"quantized HF", Options{Shape: "tiny", Type: TypeQ4_0, Out: filepath.Join(dir, "hf")}, "f32, f16 or bf16"},
		{"small vocab", Options{Spec: &Spec{Arch: "llama", Vocab: 100, Hidden: 64, Layers: 1, Heads: 4, FFN: 64},
			Out: filepath.Join(dir, "b.gguf")}, "at least 259"},
		{"missing tokenizer", Options{Shape: "tiny", TokenizerDir: filepath.Join(dir, "none"), Out: filepath.Join(dir, "c.gguf")}, "tokenizer.json"},
		{"bad std", Options{Shape: "tiny", Std: -1, Out: filepath.Join(dir, "d.gguf")}, "deviation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Write(ctx, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v, want one containing %q", err, tc.msg)
			}
		})
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := Write(cancelled, Options{Shape: "tiny", Out: filepath.Join(dir, "e.gguf")}); err == nil {
		t.Fatal("cancelled write succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "e.gguf")); err == nil {
		t.Fatal("cancelled write left a file")
	}
}

// TestGGUFTypes writes the tiny shape in every type and checks the tensor
// types, metadata and tokenizer of the file.
func TestGGUFTypes(t *testing.T) {
	dir := t.TempDir()
	// Hidden 256 so that the K-quants need no fallback.
	spec := Spec{Arch: "llama", Vocab: 320, Hidden: 256, Layers: 8, Heads: 4, KVHeads: 2, FFN: 512, Tied: true}
	want := map[FileType]map[string]tensor.DType{
		TypeF32:  {"token_embd.weight": tensor.F32, "blk.0.attn_q.weight": tensor.F32},
		TypeF16:  {"token_embd.weight": tensor.F16, "blk.0.attn_norm.weight": tensor.F32},
		TypeBF16: {"token_embd.weight": tensor.BF16, "blk.3.ffn_down.weight": tensor.BF16},
		TypeQ8_0: {"token_embd.weight": tensor.Q8_0, "blk.0.ffn_up.weight": tensor.Q8_0, "output_norm.weight": tensor.F32},
		TypeQ4_0: {"token_embd.weight": tensor.Q4_0, "blk.0.attn_k.weight": tensor.Q4_0},
		TypeQ4_KM: {"token_embd.weight": tensor.Q6_K, "blk.0.attn_q.weight": tensor.Q4_K,
			"blk.0.attn_v.weight": tensor.Q6_K, "blk.1.attn_v.weight": tensor.Q4_K, "blk.3.ffn_down.weight": tensor.Q6_K,
			"blk.2.ffn_down.weight": tensor.Q4_K, "blk.7.ffn_down.weight": tensor.Q6_K, "rope_freqs.weight": tensor.F32},
		TypeQ4_1: {"token_embd.weight": tensor.Q4_1, "blk.0.attn_q.weight": tensor.Q4_1},
		TypeQ5_0: {"token_embd.weight": tensor.Q5_0, "blk.5.ffn_gate.weight": tensor.Q5_0},
		TypeQ5_1: {"token_embd.weight": tensor.Q5_1, "blk.5.ffn_down.weight": tensor.Q5_1},
		TypeQ5_KM: {"token_embd.weight": tensor.Q6_K, "blk.0.attn_q.weight": tensor.Q5_K,
			"blk.0.attn_v.weight": tensor.Q6_K, "blk.1.attn_v.weight": tensor.Q5_K, "blk.3.ffn_down.weight": tensor.Q6_K,
			"blk.2.ffn_down.weight": tensor.Q5_K, "blk.4.ffn_up.weight": tensor.Q5_K},
		TypeQ6_K: {"token_embd.weight": tensor.Q6_K, "blk.2.attn_k.weight": tensor.Q6_K},
		TypeQ3_KM: {"token_embd.weight": tensor.Q6_K, "blk.0.attn_q.weight": tensor.Q3_K, "blk.0.attn_v.weight": tensor.Q5_K,
			"blk.2.attn_v.weight": tensor.Q4_K, "blk.4.ffn_down.weight": tensor.Q4_K, "blk.4.attn_output.weight": tensor.Q4_K,
			"blk.4.ffn_gate.weight": tensor.Q3_K},
		TypeQ2_K: {"token_embd.weight": tensor.Q6_K, "blk.0.attn_q.weight": tensor.Q2_K, "blk.1.attn_v.weight": tensor.Q3_K,
			"blk.6.ffn_down.weight": tensor.Q3_K, "blk.6.ffn_up.weight": tensor.Q2_K},
	}
	for _, typ := range Types {
		t.Run(string(typ), func(t *testing.T) {
			s := spec
			if typ == TypeQ4_KM {
				s.RopeScaling = &RopeScaling{Type: "llama3", Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalContext: 32}
			}
			path := filepath.Join(dir, string(typ)+".gguf")
			if err := Write(context.Background(), Options{Spec: &s, Type: typ, Out: path, Seed: 3}); err != nil {
				t.Fatal(err)
			}
			f, err := gguf.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			for name, dt := range want[typ] {
				ti, ok := f.TensorInfo(name)
				if !ok {
					t.Errorf("no tensor %s", name)
				} else if ti.Type != dt {
					t.Errorf("%s is %v, want %v", name, ti.Type, dt)
				}
			}
			if _, ok := f.TensorInfo("output.weight"); ok {
				t.Error("tied model has output.weight")
			}
			if a, _ := f.String("general.architecture"); a != "llama" {
				t.Errorf("general.architecture %q", a)
			}
			if n, _ := f.Uint("llama.block_count"); n != 8 {
				t.Errorf("llama.block_count %d", n)
			}
			if ft, _ := f.Uint("general.file_type"); ft != uint64(typ.ggufFileType()) {
				t.Errorf("general.file_type %d", ft)
			}
			tok, err := tokenizer.FromGGUF(f)
			if err != nil {
				t.Fatal(err)
			}
			if tok.VocabSize() != 320 {
				t.Errorf("vocabulary of %d tokens, want 320", tok.VocabSize())
			}
			text := "hello world, the model"
			if got := tok.Decode(tok.Encode(text, false)); got != text {
				t.Errorf("round trip %q → %q", text, got)
			}
		})
	}
}

// TestFormsAgree checks the GGUF and HF forms hold the same values, with the
// GGUF transforms (Q/K permutation, Gemma 1+w norms, stacked experts).
func TestFormsAgree(t *testing.T) {
	for _, s := range []Spec{
		{Arch: "llama", Vocab: 300, Hidden: 32, Layers: 1, Heads: 4, KVHeads: 2, FFN: 64},
		{Arch: "gemma2", Vocab: 300, Hidden: 32, Layers: 1, Heads: 4, KVHeads: 2, HeadDim: 8, FFN: 64, SlidingWindow: 4},
		{Arch: "mixtral", Vocab: 300, Hidden: 32, Layers: 1, Heads: 4, KVHeads: 2, FFN: 64, Experts: 3, ExpertsUsed: 2},
	} {
		t.Run(s.Arch, func(t *testing.T) {
			dir := t.TempDir()
			o := Options{Spec: &s, Out: filepath.Join(dir, "m.gguf"), Seed: 9}
			if err := Write(context.Background(), o); err != nil {
				t.Fatal(err)
			}
			o.Out = filepath.Join(dir, "hf")
			if err := Write(context.Background(), o); err != nil {
				t.Fatal(err)
			}
			f, err := gguf.Open(filepath.Join(dir, "m.gguf"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			hf := readHF(t, filepath.Join(dir, "hf", "model.safetensors"))
			get := func(name string) []float32 {
				x, err := f.Tensor(name)
				if err != nil {
					t.Fatal(err)
				}
				v := make([]float32, x.Elements())
				if err := tensor.Dequantize(x.Type, x.Data, v); err != nil {
					t.Fatal(err)
				}
				return v
			}
			switch s.Arch {
			case "llama":
				q, hq := get("blk.0.attn_q.weight"), hf["model.layers.0.self_attn.q_proj.weight"]
				// GGUF row h*hd + 2i + t = HF row h*hd + t*hd/2 + i (hd 8).
				for _, r := range [][2]int{{0, 0}, {1, 4}, {2, 1}, {9, 12}} {
					if !equal(q[r[0]*32:r[0]*32+32], hq[r[1]*32:r[1]*32+32]) {
						t.Errorf("GGUF q row %d ≠ HF row %d", r[0], r[1])
					}
				}
				if !equal(get("blk.0.attn_v.weight"), hf["model.layers.0.self_attn.v_proj.weight"]) {
					t.Error("v differs")
				}
			case "gemma2":
				g, h := get("blk.0.post_ffw_norm.weight"), hf["model.layers.0.post_feedforward_layernorm.weight"]
				for i := range g {
					if g[i] != 1+h[i] {
						t.Fatalf("norm %d: GGUF %g, HF %g", i, g[i], h[i])
					}
				}
			case "mixtral":
				e := get("blk.0.ffn_down_exps.weight")
				n := 32 * 64
				for x := 0; x < 3; x++ {
					if !equal(e[x*n:(x+1)*n], hf["model.layers.0.block_sparse_moe.experts."+string(rune('0'+x))+".w2.weight"]) {
						t.Errorf("expert %d differs", x)
					}
				}
			}
		})
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// readHF reads the F32 tensors of a safetensors file.
func readHF(t *testing.T, path string) map[string][]float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := safetensorsTensors(b)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestDeterministic(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, seed uint64, threads int) []byte {
		p := filepath.Join(dir, name)
		if err := Write(context.Background(), Options{Shape: "tiny", Type: TypeQ4_KM, Out: p, Seed: seed, Threads: threads}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, c := write("a.gguf", 1, 1), write("b.gguf", 1, 2), write("c.gguf", 2, 2)
	if !bytes.Equal(a, b) {
		t.Error("same seed, different files")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds, same file")
	}
}

// TestTokenizerDir embeds a tokenizer folder: its size wins over the spec's
// and the HF form gets copies of its files.
func TestTokenizerDir(t *testing.T) {
	dir := t.TempDir()
	tokDir := filepath.Join(dir, "tok")
	if err := os.Mkdir(tokDir, 0o755); err != nil {
		t.Fatal(err)
	}
	tj, cj := syntheticTokenizer(400)
	os.WriteFile(filepath.Join(tokDir, "tokenizer.json"), tj, 0o644)
	os.WriteFile(filepath.Join(tokDir, "tokenizer_config.json"), cj, 0o644)
	o := Options{Shape: "tiny", TokenizerDir: tokDir, Out: filepath.Join(dir, "hf")}
	if err := Write(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "hf", "tokenizer.json"))
	if err != nil || !bytes.Equal(got, tj) {
		t.Fatalf("tokenizer.json not copied (%v)", err)
	}
	hf := readHF(t, filepath.Join(dir, "hf", "model.safetensors"))
	if n := len(hf["model.embed_tokens.weight"]); n != 400*64 {
		t.Errorf("embeddings hold %d values, want 400×64", n)
	}
	o.Out = filepath.Join(dir, "m.gguf")
	if err := Write(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(o.Out)
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != 400 || tok.ChatTemplate() == "" {
		t.Errorf("GGUF tokenizer: %d tokens, template %q", tok.VocabSize(), tok.ChatTemplate())
	}
}

func TestFastKQuants(t *testing.T) {
	for _, tc := range []struct {
		dt     tensor.DType
		maxRel float64
	}{{tensor.Q4_K, 0.12}, {tensor.Q6_K, 0.04}} {
		t.Run(tc.dt.String(), func(t *testing.T) { checkFastQuant(t, tc.dt, tc.maxRel) })
	}
}

func checkFastQuant(t *testing.T, dt tensor.DType, maxRel float64) {
	x := make([]float32, 1024)
	p := newRowRNG(5, 6, 7)
	p.normals(x)
	for i := range x[:256] {
		x[i] *= 3 // another scale in the first block
	}
	rb, _ := tensor.RowBytes(dt, len(x))
	q := make([]byte, rb)
	if err := encodeRow(dt, x, q); err != nil {
		t.Fatal(err)
	}
	y := make([]float32, len(x))
	if err := tensor.Dequantize(dt, q, y); err != nil {
		t.Fatal(err)
	}
	var se, ss float64
	for i := range x {
		d := float64(x[i] - y[i])
		se += d * d
		ss += float64(x[i]) * float64(x[i])
	}
	rel := math.Sqrt(se / ss)
	t.Logf("relative RMS error %.4f", rel)
	if rel > maxRel {
		t.Errorf("relative RMS error %.3f, want < %g", rel, maxRel)
	}
}

func TestNormals(t *testing.T) {
	x := make([]float32, 1<<16)
	p := newRowRNG(1, 2, 3)
	p.normals(x)
	var s, s2 float64
	for _, v := range x {
		s += float64(v)
		s2 += float64(v) * float64(v)
	}
	mean := s / float64(len(x))
	sd := math.Sqrt(s2/float64(len(x)) - mean*mean)
	if math.Abs(mean) > 0.02 || math.Abs(sd-1) > 0.02 {
		t.Errorf("mean %.3f, sd %.3f", mean, sd)
	}
}

// go test ./testmodel -run '^$' -bench . -benchtime 3x
func BenchmarkWriteQ4KM(b *testing.B) {
	dir := b.TempDir()
	s := Spec{Arch: "llama", Vocab: 32000, Hidden: 2048, Layers: 2, Heads: 32, KVHeads: 8, FFN: 8192}
	b.SetBytes(params(&s) * 4)
	for b.Loop() {
		if err := Write(context.Background(), Options{Spec: &s, Type: TypeQ4_KM, Out: filepath.Join(dir, "m.gguf")}); err != nil {
			b.Fatal(err)
		}
	}
}

// safetensorsTensors decodes the F32 tensors of a safetensors file.
func safetensorsTensors(b []byte) (map[string][]float32, error) {
	n := binary.LittleEndian.Uint64(b)
	raw := map[string]json.RawMessage{}
	if err := json.Unmarshal(b[8:8+n], &raw); err != nil {
		return nil, err
	}
	out := map[string][]float32{}
	data := b[8+n:]
	for k, v := range raw {
		var e struct {
			Dtype   string `json:"dtype"`
			Offsets [2]int `json:"data_offsets"`
		}
		if k == "__metadata__" || json.Unmarshal(v, &e) != nil || e.Dtype != "F32" {
			continue
		}
		d := data[e.Offsets[0]:e.Offsets[1]]
		v := make([]float32, len(d)/4)
		if err := tensor.Dequantize(tensor.F32, d, v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}
