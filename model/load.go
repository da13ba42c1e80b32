package model

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/nuri-ai/nuri/gguf"
	"github.com/nuri-ai/nuri/kernels"
	"github.com/nuri-ai/nuri/tensor"
)

// Format is the on-disk form a model was loaded from.
type Format string

// Model file forms.
const (
	FormatGGUF Format = "gguf"
	FormatHF   Format = "hf"
)

// tensorSource yields tensors by canonical (GGUF) name.
type tensorSource interface {
	tensor(name string) (*tensor.Tensor, bool)
	names() []string
}

type ggufSource struct{ f *gguf.File }

// dropPages releases the resident pages of file bytes the model stopped
// reading (weights repacked into memory of their own).
func (s ggufSource) dropPages(b []byte) { s.f.DropPages(b) }

func (s ggufSource) tensor(name string) (*tensor.Tensor, bool) {
	t, err := s.f.Tensor(name)
	if err != nil {
		return nil, false
	}
	return t, true
}
func (s ggufSource) names() []string { return s.f.TensorNames() }

type mapSource map[string]*tensor.Tensor

func (s mapSource) tensor(name string) (*tensor.Tensor, bool) { t, ok := s[name]; return t, ok }
func (s mapSource) names() []string {
	out := make([]string, 0, len(s))
	for n := range s {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Load opens a model: a GGUF file, or a Hugging Face folder (config.json plus
// safetensors weights). Weights stay memory-mapped; only small vectors (norm
// weights, biases) are copied.
func Load(path string) (*Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if st.IsDir() {
		return loadHF(path)
	}
	return loadGGUF(path)
}

func loadGGUF(path string) (*Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	m, err := fromGGUF(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	m.closers = append(m.closers, f)
	return m, nil
}

func fromGGUF(f *gguf.File, path string) (*Model, error) {
	name := filepath.Base(path)
	archName, ok := f.String("general.architecture")
	if !ok {
		return nil, errorf("%s: no general.architecture key", name)
	}
	a := archForGGUF(archName)
	if a == nil {
		return nil, errorf("%s: architecture %q: %w (supported: %s)", name, archName, ErrUnsupported, strings.Join(Architectures(), ", "))
	}
	src := ggufSource{f}
	m := prefixed{f, archName + "."}
	c := Config{Arch: a.name, RopeStyle: a.ggufRope}
	c.Name, _ = f.String("general.name")
	var err error
	geti := func(key string, dst *int) {
		if err != nil {
			return
		}
		if v, ok, e := integer(m, key); e != nil {
			err = e
		} else if ok {
			*dst = v
		}
	}
	geti("embedding_length", &c.Hidden)
	geti("block_count", &c.Layers)
	geti("feed_forward_length", &c.FFN)
	geti("attention.head_count", &c.Heads)
	geti("attention.head_count_kv", &c.KVHeads)
	geti("attention.key_length", &c.HeadDim)
	geti("attention.value_length", &c.ValueDim)
	geti("rope.dimension_count", &c.RopeDim)
	geti("context_length", &c.ContextLen)
	geti("expert_count", &c.Experts)
	geti("expert_used_count", &c.ExpertsUsed)
	geti("attention.sliding_window", &c.SlidingWindow)
	geti("rope.scaling.original_context_length", &c.RopeScaling.OriginalContext)
	if err != nil {
		return nil, errorf("%s: %w", name, err)
	}
	if v, ok := num(m, "attention.layer_norm_rms_epsilon"); ok {
		c.NormEps = float32(v)
	}
	c.RopeTheta = numOr(m, "rope.freq_base", 10000)
	if v, ok := num(m, "rope.freq_base_swa"); ok {
		c.RopeThetaSWA = v
	}
	if t, ok := str(m, "rope.scaling.type"); ok && t != "none" {
		c.RopeScaling.Type = t
		c.RopeScaling.Factor = numOr(m, "rope.scaling.factor", 1)
		c.RopeScaling.AttnFactor = numOr(m, "rope.scaling.attn_factor", 0)
		c.RopeScaling.BetaFast = numOr(m, "rope.scaling.yarn_beta_fast", 0)
		c.RopeScaling.BetaSlow = numOr(m, "rope.scaling.yarn_beta_slow", 0)
	}
	emb, ok := src.tensor("token_embd.weight")
	if !ok {
		return nil, errorf("%s: missing tensor token_embd.weight", name)
	}
	c.VocabSize = emb.Rows()
	c.fillDefaults()
	if a.configure != nil {
		if err := a.configure(&c, m, false); err != nil {
			return nil, errorf("%s: %w", name, err)
		}
	}
	if b, ok := boolean(m, "expert_weights_norm"); ok {
		c.NormTopKProbs = b
	}
	if err := c.validate(); err != nil {
		return nil, errorf("%s: %w", name, err)
	}
	return build(c, src, name, FormatGGUF)
}

// Weights of one decoder layer. Matrices are views of the mapped file;
// vectors are float32 copies. Absent parts are nil.
type layerWeights struct {
	attnNorm, postAttnNorm, ffnNorm, postFFNNorm []float32
	qNorm, kNorm                                 []float32
	q, k, v, o, qkv                              *tensor.Tensor
	qBias, kBias, vBias, oBias                   []float32
	gate, up, down, gateUp                       *tensor.Tensor
	router                                       *tensor.Tensor
	expGate, expUp, expDown                      []*tensor.Tensor
}

// build resolves every tensor the config needs, checks shapes, and makes the
// model.
func build(c Config, src tensorSource, name string, format Format) (*Model, error) {
	b := &builder{src: src, name: name, c: &c}
	mod := &Model{Config: c, Format: format}
	if d, ok := src.(interface{ dropPages([]byte) }); ok {
		mod.dropPages = d.dropPages
	}
	mod.tokenEmbd = b.matrix("token_embd.weight", c.VocabSize, c.Hidden)
	mod.outputNorm = b.vector("output_norm.weight", c.Hidden, true)
	if _, ok := src.tensor("output.weight"); ok {
		mod.output = b.matrix("output.weight", c.VocabSize, c.Hidden)
	} else {
		mod.output = mod.tokenEmbd
	}
	if f, ok := src.tensor("rope_freqs.weight"); ok {
		v, err := toF32(f)
		if err != nil {
			return nil, errorf("%s: rope_freqs.weight: %w", name, err)
		}
		mod.Config.RopeFreqs = v
	}
	long, okL := src.tensor("rope_factors_long.weight")
	short, okS := src.tensor("rope_factors_short.weight")
	if okL && okS {
		lf, err1 := toF32(long)
		sf, err2 := toF32(short)
		if err := errors.Join(err1, err2); err != nil {
			return nil, errorf("%s: rope factors: %w", name, err)
		}
		sc := &mod.Config.RopeScaling
		sc.Type = "longrope"
		sc.LongFactor, sc.ShortFactor = widen(lf), widen(sf)
	}
	qDim, kvDim := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	vDim := c.KVHeads * c.ValueDim
	for l := 0; l < c.Layers; l++ {
		p := "blk." + strconv.Itoa(l) + "."
		var w layerWeights
		w.attnNorm = b.vector(p+"attn_norm.weight", c.Hidden, false)
		w.postAttnNorm = b.vector(p+"post_attention_norm.weight", c.Hidden, false)
		w.ffnNorm = b.vector(p+"ffn_norm.weight", c.Hidden, false)
		w.postFFNNorm = b.vector(p+"post_ffw_norm.weight", c.Hidden, false)
		if w.attnNorm == nil && w.postAttnNorm == nil {
			b.fail(p + "attn_norm.weight")
		}
		w.qNorm = b.vector(p+"attn_q_norm.weight", c.HeadDim, false)
		w.kNorm = b.vector(p+"attn_k_norm.weight", c.HeadDim, false)
		if b.has(p + "attn_qkv.weight") {
			w.qkv = b.matrix(p+"attn_qkv.weight", qDim+kvDim+vDim, c.Hidden)
		} else {
			w.q = b.matrix(p+"attn_q.weight", qDim, c.Hidden)
			w.k = b.matrix(p+"attn_k.weight", kvDim, c.Hidden)
			w.v = b.matrix(p+"attn_v.weight", vDim, c.Hidden)
			w.qBias = b.vector(p+"attn_q.bias", qDim, false)
			w.kBias = b.vector(p+"attn_k.bias", kvDim, false)
			w.vBias = b.vector(p+"attn_v.bias", vDim, false)
		}
		w.o = b.matrix(p+"attn_output.weight", c.Hidden, c.Heads*c.ValueDim)
		w.oBias = b.vector(p+"attn_output.bias", c.Hidden, false)
		if c.Experts > 0 {
			w.router = b.matrix(p+"ffn_gate_inp.weight", c.Experts, c.Hidden)
			w.expGate = b.experts(p, "ffn_gate", c.Experts, c.FFN, c.Hidden)
			w.expUp = b.experts(p, "ffn_up", c.Experts, c.FFN, c.Hidden)
			w.expDown = b.experts(p, "ffn_down", c.Experts, c.Hidden, c.FFN)
		} else {
			if b.has(p + "ffn_gate.weight") {
				w.gate = b.matrix(p+"ffn_gate.weight", c.FFN, c.Hidden)
				w.up = b.matrix(p+"ffn_up.weight", c.FFN, c.Hidden)
			} else {
				w.gateUp = b.matrix(p+"ffn_up.weight", 2*c.FFN, c.Hidden)
			}
			w.down = b.matrix(p+"ffn_down.weight", c.Hidden, c.FFN)
		}
		mod.layers = append(mod.layers, w)
	}
	if b.err != nil {
		return nil, b.err
	}
	if err := mod.init(); err != nil {
		return nil, errorf("%s: %w", name, err)
	}
	return mod, nil
}

type builder struct {
	src  tensorSource
	name string
	c    *Config
	err  error
}

func (b *builder) has(n string) bool { _, ok := b.src.tensor(n); return ok }

func (b *builder) fail(n string) {
	if b.err == nil {
		b.err = errorf("%s: missing tensor %s", b.name, n)
	}
}

func (b *builder) matrix(n string, rows, cols int) *tensor.Tensor {
	if b.err != nil {
		return nil
	}
	t, ok := b.src.tensor(n)
	if !ok {
		b.fail(n)
		return nil
	}
	if t.Rows() != rows || t.Cols() != cols {
		b.err = errorf("%s: tensor %s has shape %v, want [%d %d]", b.name, n, t.Shape, rows, cols)
		return nil
	}
	if !t.Type.Known() || t.Type == tensor.I8 || t.Type == tensor.I16 || t.Type == tensor.I32 || t.Type == tensor.I64 {
		b.err = errorf("%s: tensor %s has type %v, which is not a weight type", b.name, n, t.Type)
		return nil
	}
	if t.Type.Quantized() && cols%t.Type.BlockSize() != 0 {
		b.err = errorf("%s: tensor %s: %d columns do not fill whole %v blocks", b.name, n, cols, t.Type)
		return nil
	}
	if err := kernels.CheckWeight(t); err != nil {
		b.err = errorf("%s: %w", b.name, err)
		return nil
	}
	return t
}

// vector loads a 1-D tensor as float32; a missing optional vector is nil.
// Hugging Face Gemma norms are converted to the applied (1+w) form here.
func (b *builder) vector(n string, size int, required bool) []float32 {
	if b.err != nil {
		return nil
	}
	t, ok := b.src.tensor(n)
	if !ok {
		if required {
			b.fail(n)
		}
		return nil
	}
	if t.Elements() != size {
		b.err = errorf("%s: tensor %s has %d elements, want %d", b.name, n, t.Elements(), size)
		return nil
	}
	v, err := toF32(t)
	if err != nil {
		b.err = errorf("%s: tensor %s: %w", b.name, n, err)
		return nil
	}
	if b.c.NormPlusOne && strings.HasSuffix(n, "norm.weight") {
		for i := range v {
			v[i]++
		}
	}
	return v
}

// experts returns one [rows, cols] view per expert, from a stacked
// `<kind>_exps` tensor or from per-expert `<kind>.E` tensors.
func (b *builder) experts(p, kind string, n, rows, cols int) []*tensor.Tensor {
	if b.err != nil {
		return nil
	}
	if t, ok := b.src.tensor(p + kind + "_exps.weight"); ok {
		if len(t.Shape) != 3 || t.Shape[0] != n || t.Shape[1] != rows || t.Shape[2] != cols {
			b.err = errorf("%s: tensor %s_exps.weight has shape %v, want [%d %d %d]", b.name, p+kind, t.Shape, n, rows, cols)
			return nil
		}
		rb, err := tensor.RowBytes(t.Type, cols)
		if err != nil {
			b.err = errorf("%s: tensor %s_exps.weight: %w", b.name, p+kind, err)
			return nil
		}
		size := rb * rows
		out := make([]*tensor.Tensor, n)
		for e := range out {
			out[e] = &tensor.Tensor{Name: fmt.Sprintf("%s%s_exps.weight[%d]", p, kind, e), Type: t.Type,
				Shape: []int{rows, cols}, Data: t.Data[e*size : (e+1)*size]}
		}
		return out
	}
	out := make([]*tensor.Tensor, n)
	for e := range out {
		out[e] = b.matrix(fmt.Sprintf("%s%s.%d.weight", p, kind, e), rows, cols)
	}
	return out
}

func widen(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// toF32 converts a whole tensor to float32.
func toF32(t *tensor.Tensor) ([]float32, error) {
	n := t.Elements()
	if n < 0 || n > 1<<28 {
		return nil, errors.New("too large to convert")
	}
	out := make([]float32, n)
	if err := tensor.Dequantize(t.Type, t.Data, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Close releases the mapped files.
func (m *Model) Close() error {
	var first error
	for _, c := range m.closers {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	m.closers = nil
	if m.pool != nil && m.ownPool {
		m.pool.Close()
	}
	return first
}

var _ io.Closer = (*Model)(nil)
