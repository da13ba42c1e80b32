package model

import (
	"math"
	"sort"
	"strings"
)

// An archSpec describes one architecture family: which files it comes from
// and how its metadata differs from the generic decoder. Each family lives in
// its own arch_*.go file and registers itself; the forward pass is shared.
type archSpec struct {
	name string
	// gguf lists `general.architecture` values; hf lists config.json
	// `model_type` values (and `architectures` class names).
	gguf []string
	hf   []string
	// ggufRope is the RoPE layout GGUF weights of this family are stored for.
	ggufRope RopeStyle
	// configure adjusts the generic config; fromHF tells which form m is.
	configure func(c *Config, m meta, fromHF bool) error
	// hfLayerName maps the part of an HF tensor name after "layers.N." to the
	// GGUF name after "blk.N.", overriding the generic table.
	hfLayerName func(rest string) (string, bool)
}

var archs = map[string]*archSpec{}

func register(a *archSpec) { archs[a.name] = a }

func archForGGUF(name string) *archSpec {
	for _, a := range archs {
		for _, n := range a.gguf {
			if n == name {
				return a
			}
		}
	}
	return nil
}

func archForHF(modelType string, classes []string) *archSpec {
	for _, a := range archs {
		for _, n := range a.hf {
			if n == modelType {
				return a
			}
			for _, c := range classes {
				if n == c {
					return a
				}
			}
		}
	}
	return nil
}

// Architectures lists the architecture names Nuri runs.
func Architectures() []string {
	var out []string
	for n := range archs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// everyNth marks layers as sliding when (l+1)%n != 0: n-1 sliding layers, then
// one global layer (Gemma 3, EXAONE 4's "LLLG").
func everyNth(layers, n int) []bool {
	s := make([]bool, layers)
	for l := range s {
		s[l] = n <= 0 || (l+1)%n != 0
	}
	return s
}

// slidingFromMeta reads a per-layer sliding pattern: HF `layer_types`,
// `sliding_window_pattern` (an int period or a string such as "LLLG"), or GGUF
// `attention.sliding_window_pattern` (a period, or a per-layer bool array).
// It returns nil when none is given.
func slidingFromMeta(m meta, layers int) []bool {
	if v, ok := m.Get("layer_types"); ok {
		if xs, ok := v.([]any); ok && len(xs) == layers {
			s := make([]bool, layers)
			for i, x := range xs {
				t, _ := x.(string)
				s[i] = t == "sliding_attention"
			}
			return s
		}
	}
	for _, key := range []string{"sliding_window_pattern", "attention.sliding_window_pattern"} {
		if p, ok := str(m, key); ok && p != "" {
			s := make([]bool, layers)
			for l := range s {
				s[l] = strings.ToUpper(p[l%len(p):])[0] == 'L'
			}
			return s
		}
		if v, ok := m.Get(key); ok {
			if bs, ok := v.([]bool); ok && len(bs) == layers {
				return append([]bool(nil), bs...)
			}
		}
		if n, ok := num(m, key); ok && n > 0 && n == math.Trunc(n) {
			return everyNth(layers, int(n))
		}
	}
	return nil
}

// hfLayerNames is the generic table from Hugging Face per-layer tensor names
// (after "layers.N.") to GGUF names (after "blk.N."), suffix ".weight" or
// ".bias" kept.
var hfLayerNames = map[string]string{
	"input_layernorm":             "attn_norm",
	"ln_1":                        "attn_norm",
	"self_attn.q_proj":            "attn_q",
	"self_attn.k_proj":            "attn_k",
	"self_attn.v_proj":            "attn_v",
	"self_attn.o_proj":            "attn_output",
	"self_attn.qkv_proj":          "attn_qkv",
	"self_attn.q_norm":            "attn_q_norm",
	"self_attn.k_norm":            "attn_k_norm",
	"attn.attention.q_proj":       "attn_q",
	"attn.attention.k_proj":       "attn_k",
	"attn.attention.v_proj":       "attn_v",
	"attn.attention.out_proj":     "attn_output",
	"post_attention_layernorm":    "ffn_norm",
	"ln_2":                        "ffn_norm",
	"pre_feedforward_layernorm":   "ffn_norm",
	"post_feedforward_layernorm":  "post_ffw_norm",
	"mlp.gate_proj":               "ffn_gate",
	"mlp.up_proj":                 "ffn_up",
	"mlp.down_proj":               "ffn_down",
	"mlp.gate_up_proj":            "ffn_up",
	"mlp.c_fc_0":                  "ffn_gate",
	"mlp.c_fc_1":                  "ffn_up",
	"mlp.c_proj":                  "ffn_down",
	"block_sparse_moe.gate":       "ffn_gate_inp",
	"mlp.gate":                    "ffn_gate_inp",
	"mlp.shared_expert_gate":      "ffn_gate_inp_shexp",
	"mlp.shared_expert.gate_proj": "ffn_gate_shexp",
	"mlp.shared_expert.up_proj":   "ffn_up_shexp",
	"mlp.shared_expert.down_proj": "ffn_down_shexp",
}

// hfExpertNames maps per-expert HF names (after "experts.E.") to GGUF
// per-expert names ("ffn_gate.E" etc.).
var hfExpertNames = map[string]string{
	"w1": "ffn_gate", "w2": "ffn_down", "w3": "ffn_up",
	"gate_proj": "ffn_gate", "up_proj": "ffn_up", "down_proj": "ffn_down",
}

// ggufNameForHF maps a Hugging Face tensor name to Nuri's canonical (GGUF)
// name; ok is false for tensors the forward pass does not use.
func ggufNameForHF(a *archSpec, name string) (string, bool) {
	for _, p := range []string{"language_model.", "model.", "transformer."} {
		name = strings.TrimPrefix(name, p)
	}
	switch name {
	case "embed_tokens.weight", "wte.weight":
		return "token_embd.weight", true
	case "norm.weight", "ln_f.weight":
		return "output_norm.weight", true
	case "lm_head.weight":
		return "output.weight", true
	}
	var rest string
	switch {
	case strings.HasPrefix(name, "layers."):
		rest = name[len("layers."):]
	case strings.HasPrefix(name, "h."):
		rest = name[len("h."):]
	default:
		return "", false
	}
	dot := strings.IndexByte(rest, '.')
	if dot <= 0 {
		return "", false
	}
	layer, rest := rest[:dot], rest[dot+1:]
	suffix := ""
	switch {
	case strings.HasSuffix(rest, ".weight"):
		suffix, rest = ".weight", strings.TrimSuffix(rest, ".weight")
	case strings.HasSuffix(rest, ".bias"):
		suffix, rest = ".bias", strings.TrimSuffix(rest, ".bias")
	default:
		return "", false
	}
	if a.hfLayerName != nil {
		if g, ok := a.hfLayerName(rest); ok {
			return "blk." + layer + "." + g + suffix, true
		}
	}
	if g, ok := hfLayerNames[rest]; ok {
		return "blk." + layer + "." + g + suffix, true
	}
	for _, p := range []string{"block_sparse_moe.experts.", "mlp.experts."} {
		if strings.HasPrefix(rest, p) {
			e := rest[len(p):]
			dot := strings.IndexByte(e, '.')
			if dot <= 0 {
				return "", false
			}
			if g, ok := hfExpertNames[e[dot+1:]]; ok {
				return "blk." + layer + "." + g + "." + e[:dot] + suffix, true
			}
		}
	}
	return "", false
}
