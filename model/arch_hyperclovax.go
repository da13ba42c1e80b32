package model

// HyperCLOVA X SEED's μP models (HyperCLOVAXForCausalLM): the Granite shape
// (embedding multiplier, attention multiplier, residual multiplier) plus
// "Peri-LN" post-norms after attention and FFN, and logits MULTIPLIED by
// logits_scaling (Granite divides). The smaller SEED text models ship as
// plain llama and load through arch_llama.go.
func init() {
	register(&archSpec{
		name:     "hyperclovax",
		gguf:     []string{"hyperclovax"},
		hf:       []string{"hyperclovax", "HyperCLOVAXForCausalLM"},
		ggufRope: RopeNormal,
		hfLayerName: func(rest string) (string, bool) {
			switch rest {
			case "post_norm1":
				return "post_attention_norm", true
			case "post_norm2":
				return "post_ffw_norm", true
			}
			return "", false
		},
		configure: func(c *Config, m meta, fromHF bool) error {
			if fromHF {
				c.EmbedScale = float32(numOr(m, "embedding_multiplier", 1))
				if v, ok := num(m, "attention_multiplier"); ok {
					c.AttnScale = float32(v)
				}
				c.ResidualScale = float32(numOr(m, "residual_multiplier", 1))
				c.LogitMul = float32(numOr(m, "logits_scaling", 1))
				return nil
			}
			c.EmbedScale = float32(numOr(m, "embedding_scale", 1))
			if v, ok := num(m, "attention.scale"); ok {
				c.AttnScale = float32(v)
			}
			c.ResidualScale = float32(numOr(m, "residual_scale", 1))
			c.LogitMul = float32(numOr(m, "logit_scale", 1))
			return nil
		},
	})
}
