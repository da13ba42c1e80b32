package testmodel

import (
	"fmt"
	"sort"
)

// RopeScaling is a config.json `rope_scaling` block.
type RopeScaling struct {
	Type            string  // "llama3" or "linear"
	Factor          float64 // context extension factor
	LowFreqFactor   float64 // llama3
	HighFreqFactor  float64 // llama3
	OriginalContext int     // llama3: original_max_position_embeddings
}

// Spec is the architecture and every hyperparameter of a model, with the
// meaning (and, where real, the values) of the Hugging Face config.json.
// Zero values mean "the architecture's default" where one exists.
type Spec struct {
	Arch    string // llama, mixtral, qwen2, qwen3, gemma2, gemma3, exaone, exaone4, phi3, granite
	Vocab   int
	Hidden  int
	Layers  int
	Heads   int
	KVHeads int
	HeadDim int // 0: Hidden/Heads
	FFN     int // intermediate size (per expert for mixtral)
	Context int // max_position_embeddings

	NormEps     float64
	RopeTheta   float64
	RopeScaling *RopeScaling
	Tied        bool // output projection = token embeddings

	// Sliding-window attention. SlidingWindow 0 = none. SlidingPattern is the
	// period of sliding/global layers for gemma3 and exaone4 (layer l slides
	// when (l+1) % SlidingPattern != 0); gemma2 always slides on even layers,
	// phi3 on every layer.
	SlidingWindow  int
	SlidingPattern int

	RopeLocalTheta     float64 // gemma3: rope_local_base_freq
	QueryPreAttnScalar float64 // gemma: attention scale is its -1/2 power
	AttnSoftcap        float64 // gemma2
	FinalSoftcap       float64 // gemma2

	Experts, ExpertsUsed int // mixtral

	// Granite's μP multipliers.
	EmbeddingMultiplier, AttentionMultiplier, ResidualMultiplier, LogitsScaling float64

	BOS, EOS int // special token ids written to config.json
}

// Shapes are the real shapes testmodel can write, by name. "tiny" is a small
// Llama for tests and smoke runs.
var Shapes = map[string]Spec{
	"tiny": {Arch: "llama", Vocab: 512, Hidden: 64, Layers: 2, Heads: 4, KVHeads: 2, FFN: 160,
		Context: 2048, NormEps: 1e-5, RopeTheta: 10000, BOS: 1, EOS: 2},
	"llama-3.2-1b": {Arch: "llama", Vocab: 128256, Hidden: 2048, Layers: 16, Heads: 32, KVHeads: 8, HeadDim: 64,
		FFN: 8192, Context: 131072, NormEps: 1e-5, RopeTheta: 500000, Tied: true,
		RopeScaling: &RopeScaling{Type: "llama3", Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalContext: 8192},
		BOS:         128000, EOS: 128001},
	"llama-3.2-3b": {Arch: "llama", Vocab: 128256, Hidden: 3072, Layers: 28, Heads: 24, KVHeads: 8, HeadDim: 128,
		FFN: 8192, Context: 131072, NormEps: 1e-5, RopeTheta: 500000, Tied: true,
		RopeScaling: &RopeScaling{Type: "llama3", Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalContext: 8192},
		BOS:         128000, EOS: 128001},
	"llama-3.1-8b": {Arch: "llama", Vocab: 128256, Hidden: 4096, Layers: 32, Heads: 32, KVHeads: 8, HeadDim: 128,
		FFN: 14336, Context: 131072, NormEps: 1e-5, RopeTheta: 500000,
		RopeScaling: &RopeScaling{Type: "llama3", Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalContext: 8192},
		BOS:         128000, EOS: 128001},
	"mixtral-8x7b": {Arch: "mixtral", Vocab: 32000, Hidden: 4096, Layers: 32, Heads: 32, KVHeads: 8, HeadDim: 128,
		FFN: 14336, Context: 32768, NormEps: 1e-5, RopeTheta: 1e6, Experts: 8, ExpertsUsed: 2, BOS: 1, EOS: 2},
	"qwen2.5-0.5b": {Arch: "qwen2", Vocab: 151936, Hidden: 896, Layers: 24, Heads: 14, KVHeads: 2, FFN: 4864,
		Context: 32768, NormEps: 1e-6, RopeTheta: 1e6, Tied: true, BOS: 151643, EOS: 151645},
	"qwen2.5-1.5b": {Arch: "qwen2", Vocab: 151936, Hidden: 1536, Layers: 28, Heads: 12, KVHeads: 2, FFN: 8960,
		Context: 32768, NormEps: 1e-6, RopeTheta: 1e6, Tied: true, BOS: 151643, EOS: 151645},
	"qwen2.5-7b": {Arch: "qwen2", Vocab: 152064, Hidden: 3584, Layers: 28, Heads: 28, KVHeads: 4, FFN: 18944,
		Context: 32768, NormEps: 1e-6, RopeTheta: 1e6, BOS: 151643, EOS: 151645},
	"qwen3-0.6b": {Arch: "qwen3", Vocab: 151936, Hidden: 1024, Layers: 28, Heads: 16, KVHeads: 8, HeadDim: 128,
		FFN: 3072, Context: 40960, NormEps: 1e-6, RopeTheta: 1e6, Tied: true, BOS: 151643, EOS: 151645},
	"qwen3-8b": {Arch: "qwen3", Vocab: 151936, Hidden: 4096, Layers: 36, Heads: 32, KVHeads: 8, HeadDim: 128,
		FFN: 12288, Context: 40960, NormEps: 1e-6, RopeTheta: 1e6, BOS: 151643, EOS: 151645},
	"gemma-2-2b": {Arch: "gemma2", Vocab: 256000, Hidden: 2304, Layers: 26, Heads: 8, KVHeads: 4, HeadDim: 256,
		FFN: 9216, Context: 8192, NormEps: 1e-6, RopeTheta: 10000, Tied: true, SlidingWindow: 4096,
		QueryPreAttnScalar: 256, AttnSoftcap: 50, FinalSoftcap: 30, BOS: 2, EOS: 1},
	"gemma-3-1b": {Arch: "gemma3", Vocab: 262144, Hidden: 1152, Layers: 26, Heads: 4, KVHeads: 1, HeadDim: 256,
		FFN: 6912, Context: 32768, NormEps: 1e-6, RopeTheta: 1e6, RopeLocalTheta: 10000, Tied: true,
		SlidingWindow: 512, SlidingPattern: 6, QueryPreAttnScalar: 256, BOS: 2, EOS: 1},
	"gemma-3-4b": {Arch: "gemma3", Vocab: 262208, Hidden: 2560, Layers: 34, Heads: 8, KVHeads: 4, HeadDim: 256,
		FFN: 10240, Context: 131072, NormEps: 1e-6, RopeTheta: 1e6, RopeLocalTheta: 10000, Tied: true,
		RopeScaling:   &RopeScaling{Type: "linear", Factor: 8},
		SlidingWindow: 1024, SlidingPattern: 6, QueryPreAttnScalar: 256, BOS: 2, EOS: 1},
	"exaone-3.5-2.4b": {Arch: "exaone", Vocab: 102400, Hidden: 2560, Layers: 30, Heads: 32, KVHeads: 8,
		FFN: 7168, Context: 32768, NormEps: 1e-5, RopeTheta: 1e6, Tied: true,
		RopeScaling: &RopeScaling{Type: "llama3", Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalContext: 8192},
		BOS:         1, EOS: 361},
	"exaone-4.0-1.2b": {Arch: "exaone4", Vocab: 102400, Hidden: 2048, Layers: 30, Heads: 32, KVHeads: 8, HeadDim: 64,
		FFN: 4096, Context: 65536, NormEps: 1e-5, RopeTheta: 1e6, Tied: true,
		RopeScaling: &RopeScaling{Type: "llama3", Factor: 16, LowFreqFactor: 1, HighFreqFactor: 4, OriginalContext: 8192},
		BOS:         1, EOS: 361},
	"exaone-4.0-32b": {Arch: "exaone4", Vocab: 102400, Hidden: 5120, Layers: 64, Heads: 40, KVHeads: 8, HeadDim: 128,
		FFN: 27392, Context: 131072, NormEps: 1e-5, RopeTheta: 1e6, SlidingWindow: 4096, SlidingPattern: 4,
		RopeScaling: &RopeScaling{Type: "llama3", Factor: 16, LowFreqFactor: 1, HighFreqFactor: 4, OriginalContext: 8192},
		BOS:         1, EOS: 361},
	"phi-3-mini-4k": {Arch: "phi3", Vocab: 32064, Hidden: 3072, Layers: 32, Heads: 32, KVHeads: 32, FFN: 8192,
		Context: 4096, NormEps: 1e-5, RopeTheta: 10000, SlidingWindow: 2047, BOS: 1, EOS: 32000},
	"granite-3.1-2b": {Arch: "granite", Vocab: 49155, Hidden: 2048, Layers: 40, Heads: 32, KVHeads: 8, FFN: 8192,
		Context: 131072, NormEps: 1e-5, RopeTheta: 5e6, Tied: true,
		EmbeddingMultiplier: 12, AttentionMultiplier: 0.015625, ResidualMultiplier: 0.22, LogitsScaling: 8,
		BOS: 0, EOS: 0},
}

// ShapeNames lists the names of Shapes in order.
func ShapeNames() []string {
	out := make([]string, 0, len(Shapes))
	for n := range Shapes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Archs lists the architectures Write supports.
var Archs = []string{"llama", "mixtral", "qwen2", "qwen3", "gemma2", "gemma3", "exaone", "exaone4", "phi3", "granite"}

// headDim returns the query/key head size.
func (s *Spec) headDim() int {
	if s.HeadDim > 0 {
		return s.HeadDim
	}
	if s.Heads > 0 {
		return s.Hidden / s.Heads
	}
	return 0
}

// explicitHeadDim reports whether the architecture's config has a head_dim
// key (the others derive it as hidden/heads).
func explicitHeadDim(arch string) bool {
	switch arch {
	case "llama", "mixtral", "qwen3", "gemma2", "gemma3", "exaone4":
		return true
	}
	return false
}

func isGemma(arch string) bool { return arch == "gemma2" || arch == "gemma3" }

// sliding reports whether layer l uses the sliding window.
func (s *Spec) sliding(l int) bool {
	if s.SlidingWindow <= 0 {
		return false
	}
	switch s.Arch {
	case "gemma2":
		return l%2 == 0
	case "gemma3", "exaone4":
		p := s.SlidingPattern
		if p <= 0 {
			p = map[string]int{"gemma3": 6, "exaone4": 4}[s.Arch]
		}
		return (l+1)%p != 0
	case "phi3":
		return true
	}
	return false
}

// check reports a spec the writers cannot express.
func (s *Spec) check() error {
	known := false
	for _, a := range Archs {
		known = known || a == s.Arch
	}
	if !known {
		return fmt.Errorf("architecture %q is not one of %v", s.Arch, Archs)
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"vocabulary size", s.Vocab}, {"hidden size", s.Hidden}, {"layer count", s.Layers},
		{"head count", s.Heads}, {"KV head count", s.KVHeads}, {"feed-forward size", s.FFN}} {
		if f.v <= 0 {
			return fmt.Errorf("%s %d must be positive", f.name, f.v)
		}
	}
	if s.Heads%s.KVHeads != 0 {
		return fmt.Errorf("head count %d is not a multiple of the KV head count %d", s.Heads, s.KVHeads)
	}
	hd := s.headDim()
	if hd <= 0 || hd%2 != 0 {
		return fmt.Errorf("head dimension %d must be positive and even", hd)
	}
	if !explicitHeadDim(s.Arch) && hd*s.Heads != s.Hidden {
		return fmt.Errorf("%s derives the head size as hidden/heads; head dimension %d ≠ %d/%d", s.Arch, hd, s.Hidden, s.Heads)
	}
	if s.Arch == "mixtral" && (s.Experts <= 0 || s.ExpertsUsed <= 0 || s.ExpertsUsed > s.Experts) {
		return fmt.Errorf("mixtral needs experts (have %d, %d used)", s.Experts, s.ExpertsUsed)
	}
	if s.Arch != "mixtral" && s.Experts > 0 {
		return fmt.Errorf("%s has no experts", s.Arch)
	}
	if rs := s.RopeScaling; rs != nil {
		switch rs.Type {
		case "llama3":
			if rs.Factor <= 0 || rs.OriginalContext <= 0 || rs.HighFreqFactor <= rs.LowFreqFactor {
				return fmt.Errorf("llama3 rope scaling needs factor, original context and low < high frequency factors")
			}
		case "linear":
			if rs.Factor <= 0 {
				return fmt.Errorf("linear rope scaling needs a positive factor")
			}
		default:
			return fmt.Errorf("rope scaling type %q is not supported (llama3, linear)", rs.Type)
		}
		if rs.Type == "linear" && s.Arch != "gemma3" && s.Arch != "llama" {
			return fmt.Errorf("linear rope scaling is only written for gemma3 and llama")
		}
		if rs.Type == "llama3" && s.Arch == "gemma3" {
			return fmt.Errorf("gemma3 takes linear rope scaling only")
		}
	}
	if s.SlidingWindow > 0 && s.Arch != "gemma2" && s.Arch != "gemma3" && s.Arch != "exaone4" && s.Arch != "phi3" {
		return fmt.Errorf("%s has no sliding-window attention in both file forms", s.Arch)
	}
	return nil
}

// withDefaults fills unset numbers with the usual values.
func (s Spec) withDefaults() Spec {
	if s.KVHeads == 0 {
		s.KVHeads = s.Heads
	}
	if s.Context == 0 {
		s.Context = 4096
	}
	if s.NormEps == 0 {
		s.NormEps = 1e-5
		if s.Arch == "qwen2" || s.Arch == "qwen3" || isGemma(s.Arch) {
			s.NormEps = 1e-6
		}
	}
	if s.RopeTheta == 0 {
		s.RopeTheta = 10000
	}
	if s.Arch == "gemma3" && s.RopeLocalTheta == 0 {
		s.RopeLocalTheta = 10000
	}
	if isGemma(s.Arch) && s.QueryPreAttnScalar == 0 {
		s.QueryPreAttnScalar = float64(s.headDim())
	}
	if s.Arch == "granite" {
		for _, p := range []*float64{&s.EmbeddingMultiplier, &s.ResidualMultiplier, &s.LogitsScaling} {
			if *p == 0 {
				*p = 1
			}
		}
		if s.AttentionMultiplier == 0 {
			s.AttentionMultiplier = 1 / float64(s.headDim())
		}
	}
	if s.Arch == "gemma3" && s.SlidingPattern == 0 {
		s.SlidingPattern = 6
	}
	if s.Arch == "exaone4" && s.SlidingPattern == 0 {
		s.SlidingPattern = 4
	}
	return s
}
