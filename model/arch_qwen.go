package model

// Qwen 2 (q/k/v biases) and Qwen 3 (per-head QK RMSNorm, explicit head_dim,
// optional sparse MoE). Both rotate halves (NeoX RoPE) in every file form.
func init() {
	register(&archSpec{
		name:     "qwen2",
		gguf:     []string{"qwen2"},
		hf:       []string{"qwen2", "Qwen2ForCausalLM"},
		ggufRope: RopeNeoX,
	})
	register(&archSpec{
		name:     "qwen3",
		gguf:     []string{"qwen3", "qwen3moe"},
		hf:       []string{"qwen3", "qwen3_moe", "Qwen3ForCausalLM", "Qwen3MoeForCausalLM"},
		ggufRope: RopeNeoX,
		configure: func(c *Config, m meta, fromHF bool) error {
			if c.Experts > 0 {
				c.NormTopKProbs = true
				if b, ok := boolean(m, "norm_topk_prob"); ok {
					c.NormTopKProbs = b
				}
				if f, ok := num(m, "moe_intermediate_size"); ok {
					c.FFN = int(f)
				}
				if f, ok := num(m, "expert_feed_forward_length"); ok {
					c.FFN = int(f)
				}
			}
			return nil
		},
	})
}
