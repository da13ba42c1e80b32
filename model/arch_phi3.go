package model

// Phi-3: fused qkv and gate_up projections (gate first), NeoX RoPE, a sliding
// window on every layer.
func init() {
	register(&archSpec{
		name:     "phi3",
		gguf:     []string{"phi3"},
		hf:       []string{"phi3", "Phi3ForCausalLM"},
		ggufRope: RopeNeoX,
		configure: func(c *Config, m meta, fromHF bool) error {
			if c.SlidingWindow > 0 {
				for l := range c.LayerSliding {
					c.LayerSliding[l] = true
				}
			}
			return nil
		},
	})
}
