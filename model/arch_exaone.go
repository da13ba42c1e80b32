package model

// EXAONE 3.5 is the llama graph under other tensor names (transformer.h.N…,
// mapped in the generic HF table). EXAONE 4 puts the norms after attention and
// FFN (no pre-norms), adds per-head QK RMSNorm, and mixes sliding-window layers
// (with RoPE) with global layers (without RoPE).
func init() {
	register(&archSpec{
		name:     "exaone",
		gguf:     []string{"exaone"},
		hf:       []string{"exaone", "ExaoneForCausalLM"},
		ggufRope: RopeNeoX,
	})
	register(&archSpec{
		name:     "exaone4",
		gguf:     []string{"exaone4"},
		hf:       []string{"exaone4", "Exaone4ForCausalLM"},
		ggufRope: RopeNeoX,
		hfLayerName: func(rest string) (string, bool) {
			if rest == "post_attention_layernorm" {
				return "post_attention_norm", true
			}
			return "", false
		},
		configure: func(c *Config, m meta, fromHF bool) error {
			if c.SlidingWindow <= 0 {
				return nil // every layer global, every layer rotated
			}
			s := slidingFromMeta(m, c.Layers)
			if s == nil {
				s = everyNth(c.Layers, 4)
			}
			c.LayerSliding = s
			for l := range s {
				c.LayerNoRope[l] = !s[l]
			}
			return nil
		},
	})
}
