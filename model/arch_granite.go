package model

// Granite (IBM) and the μP-style models that share its shape: embeddings
// multiplied, a fixed attention scale, scaled residual branches, and logits
// divided by a constant. GGUF weights are permuted as for llama.
func init() {
	register(&archSpec{
		name:     "granite",
		gguf:     []string{"granite"},
		hf:       []string{"granite", "GraniteForCausalLM"},
		ggufRope: RopeNormal,
		configure: func(c *Config, m meta, fromHF bool) error {
			keys := [4][2]string{
				{"embedding_multiplier", "embedding_scale"},
				{"attention_multiplier", "attention.scale"},
				{"residual_multiplier", "residual_scale"},
				{"logits_scaling", "logit_scale"},
			}
			dst := [4]*float32{&c.EmbedScale, &c.AttnScale, &c.ResidualScale, &c.LogitScale}
			for i, k := range keys {
				key := k[1]
				if fromHF {
					key = k[0]
				}
				if v, ok := num(m, key); ok {
					*dst[i] = float32(v)
				}
			}
			return nil
		},
	})
}
