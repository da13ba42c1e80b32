package model

// The Llama family: Llama 2/3/3.1, Mistral, Mixtral (sparse MoE), Kakao
// Kanana and HyperCLOVA X SEED text models all use this graph: pre-norm,
// SwiGLU, GQA, RoPE. GGUF stores Q/K permuted for adjacent-pair RoPE.
func init() {
	register(&archSpec{
		name:     "llama",
		gguf:     []string{"llama", "mistral"},
		hf:       []string{"llama", "mistral", "mixtral", "LlamaForCausalLM", "MistralForCausalLM", "MixtralForCausalLM"},
		ggufRope: RopeNormal,
		configure: func(c *Config, m meta, fromHF bool) error {
			if c.Experts > 0 {
				c.NormTopKProbs = true
			}
			// Mistral-style models apply their window to every layer.
			if fromHF && c.SlidingWindow > 0 {
				for l := range c.LayerSliding {
					c.LayerSliding[l] = true
				}
			}
			return nil
		},
	})
}
