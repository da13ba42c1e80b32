package model

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nuri-ai/nuri/gguf"
	"github.com/nuri-ai/nuri/kernels"
	"github.com/nuri-ai/nuri/tensor"
)

// rewriteGGUF copies the llama fixture into a temp file, letting edit change
// metadata and tensors on the way.
func rewriteGGUF(t *testing.T, edit func(kv map[string]any, tensors map[string]*tensor.Tensor)) string {
	t.Helper()
	f, err := gguf.Open(filepath.Join("..", "testdata", "golden", "llama", "model.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kv := map[string]any{}
	var keys []string
	for _, e := range f.KV {
		kv[e.Key] = e.Value
		keys = append(keys, e.Key)
	}
	tensors := map[string]*tensor.Tensor{}
	names := f.TensorNames()
	for _, n := range names {
		x, err := f.Tensor(n)
		if err != nil {
			t.Fatal(err)
		}
		c := *x
		c.Data = append([]byte(nil), x.Data...)
		c.Shape = append([]int(nil), x.Shape...)
		tensors[n] = &c
	}
	edit(kv, tensors)
	w := gguf.NewWriter()
	for _, k := range keys {
		if v, ok := kv[k]; ok {
			w.SetKV(k, v)
		}
	}
	for _, n := range names {
		if x, ok := tensors[n]; ok {
			if err := w.AddTensor(n, x.Type, x.Shape, x.Data); err != nil {
				t.Fatal(err)
			}
		}
	}
	p := filepath.Join(t.TempDir(), "bad.gguf")
	if err := w.WriteFile(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLoadBadGGUF: malformed models give an error naming the file and the
// problem, never a panic.
func TestLoadBadGGUF(t *testing.T) {
	cases := []struct {
		name string
		edit func(kv map[string]any, ts map[string]*tensor.Tensor)
		want string
	}{
		{"unknown architecture", func(kv map[string]any, ts map[string]*tensor.Tensor) {
			kv["general.architecture"] = "mamba9"
		}, `architecture "mamba9"`},
		{"missing tensor", func(kv map[string]any, ts map[string]*tensor.Tensor) {
			delete(ts, "blk.1.attn_k.weight")
		}, "missing tensor blk.1.attn_k.weight"},
		{"missing embedding", func(kv map[string]any, ts map[string]*tensor.Tensor) {
			delete(ts, "token_embd.weight")
		}, "token_embd.weight"},
		{"wrong head count", func(kv map[string]any, ts map[string]*tensor.Tensor) {
			kv["llama.attention.head_count"] = uint32(8)
		}, "attn_q.weight has shape"},
		{"heads not a multiple of kv heads", func(kv map[string]any, ts map[string]*tensor.Tensor) {
			kv["llama.attention.head_count_kv"] = uint32(3)
		}, "not a multiple"},
		{"absurd layer count", func(kv map[string]any, ts map[string]*tensor.Tensor) {
			kv["llama.block_count"] = uint32(1 << 30)
		}, "layer count"},
		{"zero hidden size", func(kv map[string]any, ts map[string]*tensor.Tensor) {
			kv["llama.embedding_length"] = uint32(0)
		}, "hidden size"},
		{"negative epsilon", func(kv map[string]any, ts map[string]*tensor.Tensor) {
			kv["llama.attention.layer_norm_rms_epsilon"] = float32(-1)
		}, "epsilon"},
		{"integer weight", func(kv map[string]any, ts map[string]*tensor.Tensor) {
			ts["blk.0.ffn_up.weight"].Type = tensor.I32
		}, "not a weight type"},
		{"odd rotary dimension", func(kv map[string]any, ts map[string]*tensor.Tensor) {
			kv["llama.rope.dimension_count"] = uint32(7)
		}, "rotary dimension"},
		{"wrong norm size", func(kv map[string]any, ts map[string]*tensor.Tensor) {
			n := ts["blk.0.attn_norm.weight"]
			n.Shape, n.Data = []int{32}, n.Data[:128]
		}, "blk.0.attn_norm.weight has 32 elements"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := rewriteGGUF(t, c.edit)
			m, err := Load(p)
			if err == nil {
				m.Close()
				t.Fatal("loaded a bad model without error")
			}
			if !strings.Contains(err.Error(), "bad.gguf") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q should name the file and say %q", err, c.want)
			}
		})
	}
}

// TestLoadBadHF covers Hugging Face folders: config.json problems and
// mismatched weights.
func TestLoadBadHF(t *testing.T) {
	src := filepath.Join("..", "testdata", "golden", "qwen2")
	weights, err := os.ReadFile(filepath.Join(src, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	cfgBytes, err := os.ReadFile(filepath.Join(src, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		edit func(cfg map[string]any)
		want string
	}{
		{"missing hidden_size", func(c map[string]any) { delete(c, "hidden_size") }, `"hidden_size" is missing`},
		{"missing layers", func(c map[string]any) { delete(c, "num_hidden_layers") }, `"num_hidden_layers" is missing`},
		{"fractional heads", func(c map[string]any) { c["num_attention_heads"] = 2.5 }, "num_attention_heads"},
		{"unknown model_type", func(c map[string]any) { c["model_type"] = "rwkv"; c["architectures"] = []string{"RwkvForCausalLM"} }, `model_type "rwkv"`},
		{"vocab mismatch", func(c map[string]any) { c["vocab_size"] = 1000 }, "has shape"},
		{"more layers than weights", func(c map[string]any) { c["num_hidden_layers"] = 3 }, "missing tensor blk.2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var cfg map[string]any
			if err := json.Unmarshal(cfgBytes, &cfg); err != nil {
				t.Fatal(err)
			}
			c.edit(cfg)
			dir := t.TempDir()
			b, _ := json.Marshal(cfg)
			os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644)
			os.WriteFile(filepath.Join(dir, "model.safetensors"), weights, 0o644)
			m, err := Load(dir)
			if err == nil {
				m.Close()
				t.Fatal("loaded a bad model without error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q should say %q", err, c.want)
			}
		})
	}
	t.Run("no config.json", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "model.safetensors"), weights, 0o644)
		if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "config.json") {
			t.Fatalf("want an error about config.json, got %v", err)
		}
	})
	t.Run("truncated weights", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "config.json"), cfgBytes, 0o644)
		os.WriteFile(filepath.Join(dir, "model.safetensors"), weights[:len(weights)/2], 0o644)
		if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "model.safetensors") {
			t.Fatalf("want an error naming model.safetensors, got %v", err)
		}
	})
}

// TestForwardBadBatch: out-of-range ids and inconsistent batches are errors.
func TestForwardBadBatch(t *testing.T) {
	m, err := Load(filepath.Join("..", "testdata", "golden", "llama", "model.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	kv, _ := NewDenseCache(&m.Config, 1, 8)
	logits := make([]float32, 2*m.Config.VocabSize)
	for _, b := range []*Batch{
		{Tokens: []int32{1, 99999}, Pos: []int32{0, 1}, Seq: []int32{0, 0}},
		{Tokens: []int32{1, -1}, Pos: []int32{0, 1}, Seq: []int32{0, 0}},
		{Tokens: []int32{1, 2}, Pos: []int32{0}, Seq: []int32{0, 0}},
		{Tokens: []int32{1, 2}, Pos: []int32{0, -4}, Seq: []int32{0, 0}},
	} {
		if err := m.Forward(b, kv, logits); err == nil {
			t.Errorf("batch %+v: no error", b)
		}
	}
	if _, err := m.Score(nil, 0); err == nil {
		t.Error("Score of no ids: no error")
	}
}

// TestEmbed: unit length, deterministic, different inputs differ, and the
// hidden states match the logits path (logits = hidden · Wᵀ for an F32 model).
func TestEmbed(t *testing.T) {
	m, err := Load(filepath.Join("..", "testdata", "golden", "llama", "model.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	a, err := m.Embed([]int32{1, 17, 300, 42})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.Embed([]int32{1, 17, 300, 42})
	c, _ := m.Embed([]int32{1, 99, 5})
	var norm, diff, same float64
	for i := range a {
		norm += float64(a[i]) * float64(a[i])
		diff += math.Abs(float64(a[i] - c[i]))
		same += math.Abs(float64(a[i] - b[i]))
	}
	if math.Abs(norm-1) > 1e-5 || same != 0 || diff == 0 {
		t.Fatalf("norm² %g, repeat diff %g, other diff %g", norm, same, diff)
	}
	if _, err := m.Embed(nil); err == nil {
		t.Fatal("empty input accepted")
	}
	// Hidden output beside logits: logits[v] = Σ hidden·output[v].
	ids := []int32{1, 17, 300}
	kv, _ := NewDenseCache(&m.Config, 1, 3)
	hb := &Batch{Tokens: ids, Pos: []int32{0, 1, 2}, Seq: []int32{0, 0, 0}, Logits: []bool{false, false, true}, Hidden: make([]float32, m.Config.Hidden)}
	logits := make([]float32, m.Config.VocabSize)
	if err := m.Forward(hb, kv, logits); err != nil {
		t.Fatal(err)
	}
	row := make([]float32, m.Config.Hidden)
	for _, v := range []int{0, 7, 511} {
		if err := tensor.Dequantize(m.output.Type, m.output.Row(v), row); err != nil {
			t.Fatal(err)
		}
		var s float64
		for j := range row {
			s += float64(row[j]) * float64(hb.Hidden[j])
		}
		if math.Abs(s-float64(logits[v])) > 1e-4 {
			t.Errorf("token %d: hidden·W = %g, logit %g", v, s, logits[v])
		}
	}
}

// TestNoMmap: copied weights give the same logits as mapped ones.
func TestNoMmap(t *testing.T) {
	p := filepath.Join("..", "testdata", "golden", "mixtral", "model.gguf")
	a, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := LoadWith(p, LoadOptions{NoMmap: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ids := []int32{1, 5, 9, 300}
	sa, err := a.Score(ids, 3)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := b.Score(ids, 3)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := maxAbsDiff(sa.GreedyLogits, sb.GreedyLogits); d != 0 {
		t.Fatalf("copied weights differ by %g", d)
	}
}

// TestNoMmapDropsFilePages: copying the weights gives back the file pages
// each one was read from, so a --no-mmap process does not hold the weights
// twice (once copied, once as page cache mapped into it).
func TestNoMmapDropsFilePages(t *testing.T) {
	m, err := Load(filepath.Join("..", "testdata", "golden", "mixtral", "model.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.dropPages == nil {
		t.Fatal("a GGUF model has no way to drop its file pages")
	}
	dropped := map[*byte]bool{}
	drop := m.dropPages
	m.dropPages = func(b []byte) {
		if len(b) > 0 {
			dropped[&b[0]] = true
		}
		drop(b)
	}
	var file []*byte
	for _, w := range m.weights() {
		if !kernels.Prepared(w) && len(w.Data) > 0 {
			file = append(file, &w.Data[0])
		}
	}
	if len(file) == 0 {
		t.Fatal("no weight is read from the file")
	}
	if err := m.copyWeights(); err != nil {
		t.Fatal(err)
	}
	for i, p := range file {
		if !dropped[p] {
			t.Errorf("weight %d: its file pages were kept", i)
		}
	}
}
