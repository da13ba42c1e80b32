package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nuri-ai/nuri/internal/testfixtures"
	"github.com/nuri-ai/nuri/server"
	"github.com/nuri-ai/nuri/testmodel"
	"github.com/nuri-ai/nuri/tokenizer"
)

// fakeServer streams /v1/completions the way OpenAI-compatible servers do:
// one token per event, a usage event when asked, then [DONE]. Every
// failEvery-th request fails with 500; ignoreEOS=false stops after half the
// tokens (a server that does not honour ignore_eos).
func fakeServer(t *testing.T, failEvery int, ignoreEOS, usage bool) *httptest.Server {
	var n atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"object":"list","data":[{"id":"fake-model","object":"model"}]}`)
	})
	mux.HandleFunc("POST /v1/completions", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model     string `json:"model"`
			Prompt    string `json:"prompt"`
			MaxTokens int    `json:"max_tokens"`
			IgnoreEOS bool   `json:"ignore_eos"`
			Stream    bool   `json:"stream"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || !req.Stream || req.Model != "fake-model" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if k := n.Add(1); failEvery > 0 && k%int64(failEvery) == 0 {
			http.Error(w, `{"error":{"message":"boom"}}`, http.StatusInternalServerError)
			return
		}
		gen := req.MaxTokens
		if !ignoreEOS || !req.IgnoreEOS {
			gen = max(1, gen/2)
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		for i := range gen {
			time.Sleep(200 * time.Microsecond)
			fmt.Fprintf(w, "data: {\"choices\":[{\"text\":\" t%d\",\"index\":0}]}\n\n", i)
			fl.Flush()
		}
		if usage {
			// One prompt token per word plus BOS.
			fmt.Fprintf(w, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d}}\n\n", len(strings.Fields(req.Prompt))+1, gen)
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	})
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return hs
}

func TestRunServeFake(t *testing.T) {
	tests := []struct {
		name             string
		failEvery        int
		ignoreEOS, usage bool
		wantErrors       int // over the levels 1 and 3 (4 requests after the warm-up)
		wantShort        int
		wantPrompt       float64
	}{
		{"honours ignore_eos", 0, true, true, 0, 0, 20},
		{"no usage reported", 0, true, false, 0, 0, 0},
		{"stops early", 0, false, true, 0, 4, 20},
		{"every second request fails", 2, true, true, 2, 0, 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hs := fakeServer(t, tc.failEvery, tc.ignoreEOS, tc.usage)
			// The warm-up is the first request: it always succeeds.
			rep, err := RunServe(context.Background(), ServeOptions{URL: hs.URL + "/v1", Concurrency: []int{1, 3}, PromptTokens: 20, Gen: 6})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Model != "fake-model" || len(rep.Levels) != 2 {
				t.Fatalf("report %+v", rep)
			}
			errs, short := 0, 0
			for _, l := range rep.Levels {
				errs += l.Errors
				short += l.Short
				ok := l.Requests - l.Errors
				if l.Requests != l.Concurrency {
					t.Errorf("level %d: %d requests", l.Concurrency, l.Requests)
				}
				if ok > 0 && (l.TTFTMean <= 0 || l.TTFTP50 <= 0 || l.TTFTP90 < l.TTFTP50 || l.ITLMean <= 0 || l.TokensPerSecond <= 0) {
					t.Errorf("level %d: figures missing: %+v", l.Concurrency, l)
				}
				if ok > 0 && l.PromptTokens != tc.wantPrompt {
					t.Errorf("level %d: prompt tokens %g, want %g", l.Concurrency, l.PromptTokens, tc.wantPrompt)
				}
				if tc.ignoreEOS && l.CompletionTokens != 6*ok {
					t.Errorf("level %d: %d completion tokens from %d requests", l.Concurrency, l.CompletionTokens, ok)
				}
			}
			if errs != tc.wantErrors || short != tc.wantShort {
				t.Errorf("errors %d, short %d; want %d and %d", errs, short, tc.wantErrors, tc.wantShort)
			}
			var buf bytes.Buffer
			rep.Print(&buf)
			if !strings.Contains(buf.String(), "TTFT p90 ms") {
				t.Errorf("table:\n%s", buf.String())
			}
		})
	}
}

func TestRunServeErrors(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	empty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/models" {
			fmt.Fprint(w, `{"data":[]}`)
			return
		}
		http.Error(w, "no", http.StatusNotFound)
	}))
	defer empty.Close()
	for _, tc := range []struct {
		name string
		opt  ServeOptions
		want string
	}{
		{"no URL", ServeOptions{}, "no server URL"},
		{"bad level", ServeOptions{URL: empty.URL, Concurrency: []int{0}}, "concurrency 0"},
		{"unreachable", ServeOptions{URL: dead.URL, Model: "m"}, "warm-up"},
		{"no models", ServeOptions{URL: empty.URL}, "lists no models"},
		{"endpoint missing", ServeOptions{URL: empty.URL, Model: "m"}, "404"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := RunServe(context.Background(), tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	for _, tc := range []struct {
		x    []float64
		q    float64
		want float64
	}{
		{nil, 0.5, 0},
		{[]float64{3}, 0.9, 3},
		{[]float64{1, 2, 3, 4}, 0.5, 2.5},
		{[]float64{0, 10}, 0.9, 9},
		{[]float64{1, 2, 3}, 1, 3},
	} {
		if got := percentile(tc.x, tc.q); got != tc.want {
			t.Errorf("percentile(%v, %g) = %g, want %g", tc.x, tc.q, got, tc.want)
		}
	}
}

// TestRunServeLocal runs the benchmark against Nuri in this process on a
// tiny random-weight model with the Qwen3 tokenizer.
func TestRunServeLocal(t *testing.T) {
	tokDir := testfixtures.TokenizerDir(t, "qwen3")
	tok, err := tokenizer.Load(tokDir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tiny.gguf")
	spec := testmodel.Spec{Arch: "llama", Vocab: tok.VocabSize(), Hidden: 32, Layers: 2, Heads: 2, KVHeads: 1, FFN: 64,
		Context: 1024, NormEps: 1e-5, RopeTheta: 10000, Tied: true}
	if err := testmodel.Write(context.Background(), testmodel.Options{Spec: &spec, TokenizerDir: tokDir, Out: path,
		Type: testmodel.TypeF16, Seed: 1, Std: 0.5, Name: "tiny"}); err != nil {
		t.Fatal(err)
	}
	url, name, stop, err := StartLocal(context.Background(), path, server.Config{Threads: 1, KVMemory: 4 << 20, Context: 512})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if name != "tiny" {
		t.Errorf("model name %q", name)
	}
	rep, err := RunServe(context.Background(), ServeOptions{URL: url, Concurrency: []int{1, 2}, PromptTokens: 24, Gen: 12})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range rep.Levels {
		if l.Errors != 0 || l.Short != 0 || l.CompletionTokens != 12*l.Concurrency {
			t.Errorf("level %d: %+v", l.Concurrency, l)
		}
		// Random words tokenize to about one token each: the calibration
		// should land near the target.
		if l.PromptTokens < 20 || l.PromptTokens > 28 {
			t.Errorf("level %d: prompt of %g tokens, want about 24", l.Concurrency, l.PromptTokens)
		}
	}
	b, err := json.Marshal(rep)
	if err != nil || !bytes.Contains(b, []byte(`"ttft_p90_ms"`)) {
		t.Errorf("JSON report %s: %v", b, err)
	}
	t.Logf("%+v", rep.Levels)
}
