package model

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nuri-ai/nuri/safetensors"
)

// hfConfig reads config.json, flattening a nested text_config (multimodal
// wrappers) into the top level and rope_parameters into the rope keys.
func hfConfig(dir string) (mapMeta, error) {
	p := filepath.Join(dir, "config.json")
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, errorf("%w", err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, errorf("%s: %w", p, err)
	}
	if tc, ok := raw["text_config"].(map[string]any); ok {
		for k, v := range tc {
			if k == "model_type" {
				raw["text_model_type"] = v
				continue
			}
			raw[k] = v
		}
	}
	if rp, ok := raw["rope_parameters"].(map[string]any); ok {
		// Models whose layer kinds rotate differently (Gemma 3) save one
		// set per layer type: the full-attention set is the model's RoPE,
		// the sliding set's base becomes the local base.
		if full, ok := rp["full_attention"].(map[string]any); ok {
			if local, ok := rp["sliding_attention"].(map[string]any); ok {
				if v, ok := local["rope_theta"]; ok {
					raw["rope_local_base_freq"] = v
				}
			}
			rp = full
		}
		if v, ok := rp["rope_theta"]; ok {
			raw["rope_theta"] = v
		}
		if t, _ := rp["rope_type"].(string); t != "" && t != "default" {
			raw["rope_scaling"] = rp
		}
	}
	return mapMeta(raw), nil
}

func loadHF(dir string) (*Model, error) {
	m, err := hfConfig(dir)
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(filepath.Base(dir), "config.json")
	modelType, _ := str(m, "model_type")
	var classes []string
	if xs, ok := m["architectures"].([]any); ok {
		for _, x := range xs {
			if s, ok := x.(string); ok {
				classes = append(classes, s)
			}
		}
	}
	a := archForHF(modelType, classes)
	if a == nil {
		return nil, errorf("%s: model_type %q: %w (supported: %s)", cfgPath, modelType, ErrUnsupported, strings.Join(Architectures(), ", "))
	}
	c := Config{Arch: a.name, RopeStyle: RopeNeoX}
	c.Name = filepath.Base(dir)
	required := []struct {
		keys []string
		dst  *int
	}{
		{[]string{"hidden_size"}, &c.Hidden},
		{[]string{"num_hidden_layers", "num_layers"}, &c.Layers},
		{[]string{"num_attention_heads"}, &c.Heads},
		{[]string{"intermediate_size"}, &c.FFN},
		{[]string{"vocab_size"}, &c.VocabSize},
	}
	for _, r := range required {
		found := false
		for _, k := range r.keys {
			v, ok, err := integer(m, k)
			if err != nil {
				return nil, errorf("%s: %w", cfgPath, err)
			}
			if ok {
				*r.dst, found = v, true
				break
			}
		}
		if !found {
			return nil, errorf("%s: required field %q is missing", cfgPath, r.keys[0])
		}
	}
	optional := []struct {
		key string
		dst *int
	}{
		{"num_key_value_heads", &c.KVHeads},
		{"head_dim", &c.HeadDim},
		{"max_position_embeddings", &c.ContextLen},
		{"num_local_experts", &c.Experts},
		{"num_experts", &c.Experts},
		{"num_experts_per_tok", &c.ExpertsUsed},
		{"sliding_window", &c.SlidingWindow},
	}
	for _, o := range optional {
		v, ok, err := integer(m, o.key)
		if err != nil {
			return nil, errorf("%s: %w", cfgPath, err)
		}
		if ok {
			*o.dst = v
		}
	}
	for _, k := range []string{"rms_norm_eps", "layer_norm_epsilon", "layer_norm_eps"} {
		if v, ok := num(m, k); ok {
			c.NormEps = float32(v)
			break
		}
	}
	c.RopeTheta = numOr(m, "rope_theta", 10000)
	if act, ok := str(m, "hidden_act"); ok && strings.HasPrefix(act, "gelu") {
		c.Act = GELUTanh
	}
	if rs, ok := m["rope_scaling"].(map[string]any); ok {
		sm := mapMeta(rs)
		t, _ := str(sm, "rope_type")
		if t == "" {
			t, _ = str(sm, "type")
		}
		c.RopeScaling = RopeScaling{
			Type:            t,
			Factor:          numOr(sm, "factor", 1),
			LowFreqFactor:   numOr(sm, "low_freq_factor", 1),
			HighFreqFactor:  numOr(sm, "high_freq_factor", 4),
			BetaFast:        numOr(sm, "beta_fast", 32),
			BetaSlow:        numOr(sm, "beta_slow", 1),
			AttnFactor:      numOr(sm, "attention_factor", 0),
			MScale:          numOr(sm, "mscale", 0),
			MScaleAllDim:    numOr(sm, "mscale_all_dim", 0),
			OriginalContext: int(numOr(sm, "original_max_position_embeddings", numOr(m, "original_max_position_embeddings", 0))),
		}
		c.RopeScaling.ShortFactor, _ = floats(sm, "short_factor")
		c.RopeScaling.LongFactor, _ = floats(sm, "long_factor")
	}
	if f, ok := num(m, "partial_rotary_factor"); ok && f > 0 && f < 1 {
		hd := c.HeadDim
		if hd == 0 && c.Heads > 0 {
			hd = c.Hidden / c.Heads
		}
		c.RopeDim = int(float64(hd) * f)
	}
	c.fillDefaults()
	if a.configure != nil {
		if err := a.configure(&c, m, true); err != nil {
			return nil, errorf("%s: %w", cfgPath, err)
		}
	}
	if err := c.validate(); err != nil {
		return nil, errorf("%s: %w", cfgPath, err)
	}
	st, err := safetensors.OpenDir(dir)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	src := mapSource{}
	for _, n := range st.Names() {
		g, ok := ggufNameForHF(a, n)
		if !ok {
			continue
		}
		t, err := st.Tensor(n)
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("model: %w", err)
		}
		src[g] = t
	}
	mod, err := build(c, src, filepath.Base(dir), FormatHF)
	if err != nil {
		st.Close()
		return nil, err
	}
	mod.closers = append(mod.closers, st)
	return mod, nil
}
