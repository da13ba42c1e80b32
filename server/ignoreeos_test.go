package server

import (
	"fmt"
	"slices"
	"testing"

	"github.com/nuri-ai/nuri/engine"
)

// TestIgnoreEOS: the ignore_eos extension of the OpenAI endpoints leaves
// the model's end tokens out of the engine request's stop tokens.
func TestIgnoreEOS(t *testing.T) {
	made := make(chan *fakeEngine, 1)
	_, hs := testServer(t, func(c *Config) {
		c.NewEngine = fakeFactory(func(r *engine.Request) string { return "hi" }, 0, 0, made)
	})
	var f *fakeEngine
	tests := []struct {
		path, body string
		ignore     bool
	}{
		{"/v1/completions", `{"model":"tiny","prompt":"a","max_tokens":4}`, false},
		{"/v1/completions", `{"model":"tiny","prompt":"a","max_tokens":4,"ignore_eos":true,"stream":true}`, true},
		{"/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"a"}],"max_tokens":4}`, false},
		{"/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"a"}],"max_tokens":4,"ignore_eos":true}`, true},
	}
	for i, tc := range tests {
		t.Run(fmt.Sprintf("%s ignore=%v", tc.path, tc.ignore), func(t *testing.T) {
			resp, body := post(t, hs.URL+tc.path, tc.body)
			if resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if f == nil {
				f = <-made
			}
			f.mu.Lock()
			r := f.requests[i]
			f.mu.Unlock()
			eos := f.tok.EOS()
			if len(eos) == 0 {
				t.Fatal("the test tokenizer has no end token")
			}
			if has := slices.Contains(r.StopTokens, eos[0]); has == tc.ignore {
				t.Errorf("stop tokens %v with ignore_eos=%v (end token %d)", r.StopTokens, tc.ignore, eos[0])
			}
			if r.IgnoreEOS != tc.ignore {
				t.Errorf("request IgnoreEOS = %v", r.IgnoreEOS)
			}
		})
	}
}
