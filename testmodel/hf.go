package testmodel

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nuri-ai/nuri/tensor"
)

// hfClass is the config.json (model_type, architectures[0]) of each
// architecture.
var hfClass = map[string][2]string{
	"llama":   {"llama", "LlamaForCausalLM"},
	"mixtral": {"mixtral", "MixtralForCausalLM"},
	"qwen2":   {"qwen2", "Qwen2ForCausalLM"},
	"qwen3":   {"qwen3", "Qwen3ForCausalLM"},
	"gemma2":  {"gemma2", "Gemma2ForCausalLM"},
	"gemma3":  {"gemma3_text", "Gemma3ForCausalLM"},
	"exaone":  {"exaone", "ExaoneForCausalLM"},
	"exaone4": {"exaone4", "Exaone4ForCausalLM"},
	"phi3":    {"phi3", "Phi3ForCausalLM"},
	"granite": {"granite", "GraniteForCausalLM"},
}

// hfConfig is config.json as transformers' save_pretrained writes it for
// the class (the keys the modeling code reads, with their usual values).
func hfConfig(s *Spec, dtype string) map[string]any {
	cls := hfClass[s.Arch]
	c := map[string]any{
		"architectures":           []string{cls[1]},
		"model_type":              cls[0],
		"vocab_size":              s.Vocab,
		"hidden_size":             s.Hidden,
		"intermediate_size":       s.FFN,
		"num_hidden_layers":       s.Layers,
		"num_attention_heads":     s.Heads,
		"num_key_value_heads":     s.KVHeads,
		"max_position_embeddings": s.Context,
		"rms_norm_eps":            s.NormEps,
		"rope_theta":              s.RopeTheta,
		"rope_scaling":            nil,
		"tie_word_embeddings":     s.Tied,
		"bos_token_id":            s.BOS,
		"eos_token_id":            s.EOS,
		"torch_dtype":             dtype,
		"hidden_act":              "silu",
		"initializer_range":       0.02,
		"attention_dropout":       0.0,
		"use_cache":               true,
		"transformers_version":    "4.53.0",
	}
	if rs := s.RopeScaling; rs != nil {
		m := map[string]any{"rope_type": rs.Type, "factor": rs.Factor}
		if rs.Type == "llama3" {
			m["low_freq_factor"] = rs.LowFreqFactor
			m["high_freq_factor"] = rs.HighFreqFactor
			m["original_max_position_embeddings"] = rs.OriginalContext
		}
		c["rope_scaling"] = m
	}
	if explicitHeadDim(s.Arch) {
		c["head_dim"] = s.headDim()
	}
	layerTypes := func() []string {
		t := make([]string, s.Layers)
		for l := range t {
			t[l] = "full_attention"
			if s.sliding(l) {
				t[l] = "sliding_attention"
			}
		}
		return t
	}
	switch s.Arch {
	case "llama", "granite":
		c["attention_bias"] = false
		c["mlp_bias"] = false
		if s.Arch == "llama" {
			c["pretraining_tp"] = 1
		} else {
			c["embedding_multiplier"] = s.EmbeddingMultiplier
			c["attention_multiplier"] = s.AttentionMultiplier
			c["residual_multiplier"] = s.ResidualMultiplier
			c["logits_scaling"] = s.LogitsScaling
		}
	case "mixtral":
		c["num_local_experts"] = s.Experts
		c["num_experts_per_tok"] = s.ExpertsUsed
		c["router_aux_loss_coef"] = 0.02
		c["output_router_logits"] = false
		c["sliding_window"] = nil
	case "qwen2", "qwen3":
		c["use_sliding_window"] = false
		c["sliding_window"] = nil
		c["max_window_layers"] = s.Layers
		if s.Arch == "qwen3" {
			c["attention_bias"] = false
		}
	case "gemma2", "gemma3":
		c["hidden_act"] = "gelu_pytorch_tanh"
		c["hidden_activation"] = "gelu_pytorch_tanh"
		c["query_pre_attn_scalar"] = s.QueryPreAttnScalar
		c["sliding_window"] = s.SlidingWindow
		c["attention_bias"] = false
		c["pad_token_id"] = 0
		if s.Arch == "gemma2" {
			c["attn_logit_softcapping"] = s.AttnSoftcap
			c["final_logit_softcapping"] = s.FinalSoftcap
		} else {
			c["attn_logit_softcapping"] = nil
			c["final_logit_softcapping"] = nil
			c["rope_local_base_freq"] = s.RopeLocalTheta
			c["sliding_window_pattern"] = s.SlidingPattern
			c["layer_types"] = layerTypes()
		}
	case "exaone":
		delete(c, "num_hidden_layers")
		delete(c, "rms_norm_eps")
		delete(c, "hidden_act")
		c["num_layers"] = s.Layers
		c["layer_norm_epsilon"] = s.NormEps
		c["activation_function"] = "silu"
	case "exaone4":
		c["sliding_window"] = nil
		c["sliding_window_pattern"] = nil
		if s.SlidingWindow > 0 {
			c["sliding_window"] = s.SlidingWindow
			// Written as EXAONE 4 releases do ("LLLG" for period 4).
			p := make([]byte, s.SlidingPattern)
			for i := range p {
				p[i] = 'L'
			}
			p[len(p)-1] = 'G'
			c["sliding_window_pattern"] = string(p)
		}
		c["layer_types"] = layerTypes()
	case "phi3":
		c["sliding_window"] = nil
		if s.SlidingWindow > 0 {
			c["sliding_window"] = s.SlidingWindow
		}
		c["original_max_position_embeddings"] = s.Context
		c["resid_pdrop"] = 0.0
		c["embd_pdrop"] = 0.0
	}
	return c
}

// hfTypes are the HF form's dtypes (safetensors name, torch name, GGML id).
var hfTypes = map[FileType]struct {
	st, torch string
	dt        tensor.DType
}{
	TypeF32:  {"F32", "float32", tensor.F32},
	TypeF16:  {"F16", "float16", tensor.F16},
	TypeBF16: {"BF16", "bfloat16", tensor.BF16},
}

func writeHF(ctx context.Context, o *Options, s *Spec, v *vocab) (err error) {
	ht, ok := hfTypes[o.Type]
	if !ok {
		return fmt.Errorf("testmodel: a Hugging Face folder holds f32, f16 or bf16 weights, not %s (write a .gguf for quantized types)", o.Type)
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return fmt.Errorf("testmodel: %w", err)
	}
	cfg, err := json.MarshalIndent(hfConfig(s, ht.torch), "", "  ")
	if err != nil {
		return fmt.Errorf("testmodel: config.json: %w", err)
	}
	if err := os.WriteFile(filepath.Join(o.Out, "config.json"), append(cfg, '\n'), 0o644); err != nil {
		return fmt.Errorf("testmodel: %w", err)
	}
	if v.tokenizerJSON != nil {
		for name, b := range map[string][]byte{"tokenizer.json": v.tokenizerJSON, "tokenizer_config.json": v.config} {
			if err := os.WriteFile(filepath.Join(o.Out, name), b, 0o644); err != nil {
				return fmt.Errorf("testmodel: %w", err)
			}
		}
	}

	// Hugging Face files hold every tensor separately; stacked GGUF experts
	// become one tensor per expert.
	type hfTensor struct {
		name  string
		shape []int
		def   tensorDef
	}
	var list []hfTensor
	for _, d := range tensorDefs(s) {
		for _, p := range d.parts {
			one := d
			one.parts = []part{p}
			one.permute = 0
			shape := []int{p.rows, d.cols}
			if d.vector() {
				shape = []int{d.cols}
			}
			list = append(list, hfTensor{p.hf, shape, one})
		}
	}
	rowBytes, _ := tensor.RowBytes(ht.dt, 1)
	header := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var off int64
	for _, t := range list {
		n := int64(t.def.rows()) * int64(t.def.cols) * int64(rowBytes)
		header[t.name] = map[string]any{"dtype": ht.st, "shape": t.shape, "data_offsets": []int64{off, off + n}}
		off += n
	}
	hdr, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("testmodel: safetensors header: %w", err)
	}
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}
	path := filepath.Join(o.Out, "model.safetensors")
	tmp, err := os.CreateTemp(o.Out, ".model.safetensors.tmp*")
	if err != nil {
		return fmt.Errorf("testmodel: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err = binary.Write(bw, binary.LittleEndian, uint64(len(hdr))); err == nil {
		_, err = bw.Write(hdr)
	}
	for _, t := range list {
		if err != nil {
			break
		}
		rb := t.def.cols * rowBytes
		err = streamRows(ctx, o, s, &t.def, ht.dt, rb, false, bw)
	}
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Close()
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("testmodel: writing %s: %w", path, err)
	}
	return nil
}
