package testmodel

import (
	"fmt"
	"strconv"
)

// Kinds of tensors, which decide how values are drawn and stored.
type kind int

const (
	kindMatrix kind = iota // N(0, std²)
	kindNorm               // 1 + N(0, std²) as applied
	kindBias               // N(0, std²)
)

// part is a block of rows of one Hugging Face tensor.
type part struct {
	hf   string // HF tensor name the values are drawn for
	rows int
}

// tensorDef is one tensor of the model with its name in each form. A GGUF
// tensor may stack several HF tensors (MoE experts); the values of a row are
// always those of its HF row, so both forms hold the same model.
type tensorDef struct {
	gguf  string
	parts []part
	cols  int
	kind  kind
	// ggufShape is the row-major GGUF shape ([rows, cols], [cols] for
	// vectors, [experts, rows, cols] for stacked experts).
	ggufShape []int
	// permute > 0: GGUF rows are permuted for adjacent-pair RoPE, with this
	// head size (llama, granite, mixtral attn_q/attn_k).
	permute int
	// role and layer pick the Q4_K_M type.
	role  string
	layer int
}

func (d *tensorDef) rows() int {
	n := 0
	for _, p := range d.parts {
		n += p.rows
	}
	return n
}

func (d *tensorDef) vector() bool { return len(d.ggufShape) == 1 }

// hfRow maps a GGUF row index to the HF tensor and row that hold its values.
func (d *tensorDef) hfRow(r int) (string, int) {
	if d.permute > 0 {
		hd := d.permute
		h, i := r/hd, r%hd
		r = h*hd + (i%2)*(hd/2) + i/2
	}
	for _, p := range d.parts {
		if r < p.rows {
			return p.hf, r
		}
		r -= p.rows
	}
	return "", -1
}

// hfNames gives the Hugging Face names of one architecture.
type hfNames struct {
	embed, norm, layer string            // layer prefix, e.g. "model.layers."
	per                map[string]string // GGUF per-layer name → HF per-layer name
}

var generic = map[string]string{
	"attn_norm":           "input_layernorm",
	"attn_q":              "self_attn.q_proj",
	"attn_k":              "self_attn.k_proj",
	"attn_v":              "self_attn.v_proj",
	"attn_output":         "self_attn.o_proj",
	"attn_qkv":            "self_attn.qkv_proj",
	"attn_q_norm":         "self_attn.q_norm",
	"attn_k_norm":         "self_attn.k_norm",
	"ffn_norm":            "post_attention_layernorm",
	"post_attention_norm": "post_attention_layernorm",
	"post_ffw_norm":       "post_feedforward_layernorm",
	"ffn_gate":            "mlp.gate_proj",
	"ffn_up":              "mlp.up_proj",
	"ffn_down":            "mlp.down_proj",
	"ffn_gate_inp":        "block_sparse_moe.gate",
}

func namesFor(arch string) hfNames {
	n := hfNames{embed: "model.embed_tokens.weight", norm: "model.norm.weight", layer: "model.layers.", per: map[string]string{}}
	for k, v := range generic {
		n.per[k] = v
	}
	switch arch {
	case "exaone":
		n = hfNames{embed: "transformer.wte.weight", norm: "transformer.ln_f.weight", layer: "transformer.h.", per: map[string]string{
			"attn_norm":   "ln_1",
			"attn_q":      "attn.attention.q_proj",
			"attn_k":      "attn.attention.k_proj",
			"attn_v":      "attn.attention.v_proj",
			"attn_output": "attn.attention.out_proj",
			"ffn_norm":    "ln_2",
			"ffn_gate":    "mlp.c_fc_0",
			"ffn_up":      "mlp.c_fc_1",
			"ffn_down":    "mlp.c_proj",
		}}
	case "gemma2", "gemma3":
		n.per["ffn_norm"] = "pre_feedforward_layernorm"
	case "phi3":
		n.per["ffn_up"] = "mlp.gate_up_proj"
	}
	return n
}

// tensorDefs lists every tensor of the model in file order.
func tensorDefs(s *Spec) []tensorDef {
	n := namesFor(s.Arch)
	hd := s.headDim()
	qDim, kvDim := s.Heads*hd, s.KVHeads*hd
	permute := s.Arch == "llama" || s.Arch == "granite" || s.Arch == "mixtral"
	var defs []tensorDef
	mat := func(gguf, hf string, rows, cols int, role string, layer int) tensorDef {
		return tensorDef{gguf: gguf, parts: []part{{hf, rows}}, cols: cols, kind: kindMatrix,
			ggufShape: []int{rows, cols}, role: role, layer: layer}
	}
	vec := func(gguf, hf string, size int, k kind) tensorDef {
		return tensorDef{gguf: gguf, parts: []part{{hf, 1}}, cols: size, kind: k, ggufShape: []int{size}, layer: -1}
	}
	defs = append(defs, mat("token_embd.weight", n.embed, s.Vocab, s.Hidden, "token_embd", -1))
	for l := 0; l < s.Layers; l++ {
		g := "blk." + strconv.Itoa(l) + "."
		h := n.layer + strconv.Itoa(l) + "."
		hf := func(name, suffix string) string { return h + n.per[name] + suffix }
		norm := func(name string) { defs = append(defs, vec(g+name+".weight", hf(name, ".weight"), s.Hidden, kindNorm)) }
		linear := func(name string, rows, cols int) {
			defs = append(defs, mat(g+name+".weight", hf(name, ".weight"), rows, cols, name, l))
		}
		if s.Arch != "exaone4" {
			norm("attn_norm")
		}
		if s.Arch == "phi3" {
			linear("attn_qkv", qDim+2*kvDim, s.Hidden)
		} else {
			linear("attn_q", qDim, s.Hidden)
			linear("attn_k", kvDim, s.Hidden)
			linear("attn_v", kvDim, s.Hidden)
			if permute {
				defs[len(defs)-3].permute = hd
				defs[len(defs)-2].permute = hd
			}
			if s.Arch == "qwen2" {
				for _, b := range []struct {
					name string
					size int
				}{{"attn_q", qDim}, {"attn_k", kvDim}, {"attn_v", kvDim}} {
					defs = append(defs, vec(g+b.name+".bias", hf(b.name, ".bias"), b.size, kindBias))
				}
			}
		}
		if s.Arch == "qwen3" || s.Arch == "gemma3" || s.Arch == "exaone4" {
			defs = append(defs, vec(g+"attn_q_norm.weight", hf("attn_q_norm", ".weight"), hd, kindNorm))
			defs = append(defs, vec(g+"attn_k_norm.weight", hf("attn_k_norm", ".weight"), hd, kindNorm))
		}
		linear("attn_output", s.Hidden, qDim)
		if isGemma(s.Arch) || s.Arch == "exaone4" {
			norm("post_attention_norm")
		}
		if s.Arch != "exaone4" {
			norm("ffn_norm")
		}
		switch s.Arch {
		case "mixtral":
			defs = append(defs, mat(g+"ffn_gate_inp.weight", hf("ffn_gate_inp", ".weight"), s.Experts, s.Hidden, "ffn_gate_inp", l))
			for _, e := range []struct{ gguf, hf string }{{"ffn_gate_exps", "w1"}, {"ffn_down_exps", "w2"}, {"ffn_up_exps", "w3"}} {
				rows, cols := s.FFN, s.Hidden
				if e.hf == "w2" {
					rows, cols = s.Hidden, s.FFN
				}
				d := tensorDef{gguf: g + e.gguf + ".weight", cols: cols, kind: kindMatrix,
					ggufShape: []int{s.Experts, rows, cols}, role: e.gguf[:len(e.gguf)-5], layer: l}
				for x := 0; x < s.Experts; x++ {
					d.parts = append(d.parts, part{fmt.Sprintf("%sblock_sparse_moe.experts.%d.%s.weight", h, x, e.hf), rows})
				}
				defs = append(defs, d)
			}
		case "phi3":
			linear("ffn_up", 2*s.FFN, s.Hidden)
			linear("ffn_down", s.Hidden, s.FFN)
		default:
			linear("ffn_gate", s.FFN, s.Hidden)
			linear("ffn_up", s.FFN, s.Hidden)
			linear("ffn_down", s.Hidden, s.FFN)
		}
		if isGemma(s.Arch) || s.Arch == "exaone4" {
			norm("post_ffw_norm")
		}
	}
	defs = append(defs, vec("output_norm.weight", n.norm, s.Hidden, kindNorm))
	if !s.Tied {
		defs = append(defs, mat("output.weight", "lm_head.weight", s.Vocab, s.Hidden, "output", -1))
	}
	return defs
}
