package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nuri-ai/nuri/engine"
	"github.com/nuri-ai/nuri/sample"
)

// BenchmarkTTFTOverhead measures what the HTTP path adds to the time to
// first token: each iteration sends the same one-token request once as a
// streamed /v1/completions call over a loopback TCP connection (timed to
// the first server-sent event) and once straight to the model's engine
// (timed to the first event of its channel), on the tiny test model. The
// prompt's tokenization, which only the HTTP path does, is timed on its own
// and left out of the overhead. Metrics: ms-overhead (HTTP minus engine
// minus tokenize, the server's own cost; the goal is under 2 ms),
// http-ttft-ms, engine-ttft-ms and tokenize-ms.
//
//	go test ./server -run '^$' -bench TTFTOverhead -benchtime 200x
func BenchmarkTTFTOverhead(b *testing.B) {
	s, hs := testServer(b, func(c *Config) { c.Threads = 1 })
	m, release, err := s.mgr.acquire(context.Background(), "tiny", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer release()
	prompt := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 4)
	body, err := json.Marshal(map[string]any{"model": "tiny", "prompt": prompt, "max_tokens": 1,
		"temperature": 0, "ignore_eos": true, "stream": true})
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
	viaHTTP := func() time.Duration {
		start := time.Now()
		resp, err := client.Post(hs.URL+"/v1/completions", "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %s", resp.Status)
		}
		var first time.Duration
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if first == 0 && strings.HasPrefix(sc.Text(), "data: {") {
				first = time.Since(start)
			}
		}
		if first == 0 {
			b.Fatal("no event in the stream")
		}
		return first
	}
	viaEngine := func(ids []int32) time.Duration {
		r := &engine.Request{Prompt: ids, MaxTokens: 1, Sampling: sample.Params{Temperature: 0}}
		start := time.Now()
		ch, err := m.Engine.Submit(context.Background(), r)
		if err != nil {
			b.Fatal(err)
		}
		<-ch
		first := time.Since(start)
		for range ch {
		}
		return first
	}
	// Warm up both paths (and the prefix cache, which both then hit).
	for range 3 {
		viaHTTP()
		viaEngine(m.EncodePrompt(prompt))
	}
	var tHTTP, tEngine, tTok time.Duration
	for b.Loop() {
		tHTTP += viaHTTP()
		start := time.Now()
		ids := m.EncodePrompt(prompt)
		tTok += time.Since(start)
		tEngine += viaEngine(ids)
	}
	n := float64(b.N)
	msOf := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / n }
	b.ReportMetric(msOf(tHTTP-tEngine-tTok), "ms-overhead")
	b.ReportMetric(msOf(tHTTP), "http-ttft-ms")
	b.ReportMetric(msOf(tEngine), "engine-ttft-ms")
	b.ReportMetric(msOf(tTok), "tokenize-ms")
}
