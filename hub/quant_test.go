package hub

import (
	"strings"
	"testing"
)

func TestSelectGGUF(t *testing.T) {
	repo := []string{
		"README.md",
		"model-Q4_K_S.gguf",
		"model-Q4_K_M.gguf",
		"model-IQ4_XS.gguf",
		"model.BF16.gguf",
		"mmproj-model-f16.gguf",
		"Q8_0/model-Q8_0-00002-of-00003.gguf",
		"Q8_0/model-Q8_0-00001-of-00003.gguf",
		"Q8_0/model-Q8_0-00003-of-00003.gguf",
		"Q6_K/model-Q6_K-00001-of-00002.gguf", // second shard missing
	}
	cases := []struct {
		files []string
		tag   string
		want  []string
		err   string
	}{
		{files: repo, tag: "", want: []string{"model-Q4_K_M.gguf"}},
		{files: repo, tag: "q4_k_m", want: []string{"model-Q4_K_M.gguf"}},
		{files: repo, tag: "Q4_K_S", want: []string{"model-Q4_K_S.gguf"}},
		{files: repo, tag: "iq4_xs", want: []string{"model-IQ4_XS.gguf"}},
		{files: repo, tag: "bf16", want: []string{"model.BF16.gguf"}},
		{files: repo, tag: "Q8_0", want: []string{"Q8_0/model-Q8_0-00001-of-00003.gguf", "Q8_0/model-Q8_0-00002-of-00003.gguf", "Q8_0/model-Q8_0-00003-of-00003.gguf"}},
		{files: repo, tag: "Q4_K", err: "available: BF16, IQ4_XS, Q4_K_M, Q4_K_S, Q8_0"},
		{files: repo, tag: "Q6_K", err: "no GGUF file matches"},
		{files: repo, tag: "f16", err: "no GGUF file matches"}, // only the projector has it
		{files: []string{"only.Q5_K_M.gguf"}, tag: "", want: []string{"only.Q5_K_M.gguf"}},
		{files: []string{"a-Q5_K_M.gguf", "a-Q8_0.gguf"}, tag: "", want: []string{"a-Q8_0.gguf"}},
		{files: []string{"a-Q5_K_M.gguf", "a-Q6_K.gguf"}, tag: "", err: "add a tag"},
		{files: []string{"model_q8_0.gguf"}, tag: "Q8_0", want: []string{"model_q8_0.gguf"}},
		{files: []string{"config.json"}, tag: "", err: "no GGUF"},
	}
	for _, tc := range cases {
		g, err := selectGGUF(tc.files, tc.tag)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("tag %q: got %v, want error %q", tc.tag, err, tc.err)
			}
			continue
		}
		if err != nil || strings.Join(g.Files, ",") != strings.Join(tc.want, ",") {
			t.Errorf("tag %q: got %v %v, want %v", tc.tag, g.Files, err, tc.want)
		}
	}
}

func TestQuantOf(t *testing.T) {
	for in, want := range map[string]string{
		"Llama-3.2-1B-Instruct-Q4_K_M.gguf":    "Q4_K_M",
		"qwen2.5-0.5b-instruct-q8_0.gguf":      "Q8_0",
		"model-UD-Q4_K_XL.gguf":                "UD-Q4_K_XL",
		"Q8_0/model-Q8_0-00001-of-00003.gguf":  "Q8_0",
		"model.BF16.gguf":                      "BF16",
		"gpt-oss-20b-MXFP4.gguf":               "MXFP4",
		"plain.gguf":                           "plain",
		"Meta-Llama-3-8B-Instruct.IQ4_XS.gguf": "IQ4_XS",
	} {
		if got := quantOf(in); got != want {
			t.Errorf("quantOf(%q) = %q, want %q", in, got, want)
		}
	}
}
