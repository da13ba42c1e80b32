package model

import "math"

// Gemma 2 and Gemma 3: embeddings scaled by √hidden, GELU(tanh), four norms
// per layer (pre and post around attention and FFN), soft-capping (Gemma 2),
// sliding-window layers, QK-norm and a separate local RoPE base (Gemma 3).
// Hugging Face stores norm weights as w and applies (1+w); GGUF stores 1+w.
func init() {
	gemmaNames := func(rest string) (string, bool) {
		if rest == "post_attention_layernorm" {
			return "post_attention_norm", true
		}
		return "", false
	}
	register(&archSpec{
		name:        "gemma2",
		gguf:        []string{"gemma2"},
		hf:          []string{"gemma2", "Gemma2ForCausalLM"},
		ggufRope:    RopeNeoX,
		hfLayerName: gemmaNames,
		configure: func(c *Config, m meta, fromHF bool) error {
			gemmaCommon(c, m, fromHF)
			c.AttnSoftcap = float32(numOr(m, "attn_logit_softcapping", 0))
			c.FinalSoftcap = float32(numOr(m, "final_logit_softcapping", 0))
			// Even layers use the sliding window.
			for l := range c.LayerSliding {
				c.LayerSliding[l] = l%2 == 0
			}
			if !fromHF && c.Layers == 46 {
				// llama.cpp's rule for Gemma 2 27B: scale by hidden/heads.
				c.AttnScale = float32(1 / math.Sqrt(float64(c.Hidden/c.Heads)))
			}
			return nil
		},
	})
	register(&archSpec{
		name:        "gemma3",
		gguf:        []string{"gemma3"},
		hf:          []string{"gemma3", "gemma3_text", "Gemma3ForCausalLM", "Gemma3ForConditionalGeneration"},
		ggufRope:    RopeNeoX,
		hfLayerName: gemmaNames,
		configure: func(c *Config, m meta, fromHF bool) error {
			gemmaCommon(c, m, fromHF)
			c.FinalSoftcap = float32(numOr(m, "final_logit_softcapping", 0))
			c.AttnSoftcap = float32(numOr(m, "attn_logit_softcapping", 0))
			if s := slidingFromMeta(m, c.Layers); s != nil {
				c.LayerSliding = s
			} else {
				c.LayerSliding = everyNth(c.Layers, 6)
			}
			if fromHF {
				c.RopeThetaSWA = numOr(m, "rope_local_base_freq", 10000)
			} else if c.RopeThetaSWA == 0 {
				c.RopeThetaSWA = 10000 // llama.cpp's fixed local base
			}
			if !fromHF && c.Layers == 62 {
				c.AttnScale = float32(1 / math.Sqrt(float64(c.Hidden/c.Heads)))
			}
			return nil
		},
	})
}

func gemmaCommon(c *Config, m meta, fromHF bool) {
	c.Act = GELUTanh
	c.NormPlusOne = fromHF
	// Hugging Face rounds √hidden to the activation dtype; float32 here.
	c.EmbedScale = float32(math.Sqrt(float64(c.Hidden)))
	if q, ok := num(m, "query_pre_attn_scalar"); ok && q > 0 {
		c.AttnScale = float32(1 / math.Sqrt(q))
	}
}

func numOr(m meta, key string, def float64) float64 {
	if v, ok := num(m, key); ok {
		return v
	}
	return def
}
