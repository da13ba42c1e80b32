package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nuri-ai/nuri/tokenizer"
)

// BenchmarkStreams measures aggregate generation speed and time to first
// token with 1, 4, 8 and 16 concurrent streams (64-token prompts, 64 new
// tokens each, no shared prefix). NURI_BENCH_MODEL names another GGUF file
// than the golden llama fixture, e.g. one written by `nuri testmodel`.
func BenchmarkStreams(b *testing.B) {
	path := goldenLlama
	var tok *tokenizer.Tokenizer
	if p := os.Getenv("NURI_BENCH_MODEL"); p != "" {
		path = p
		var err error
		if tok, err = tokenizer.Load(p); err != nil {
			b.Fatal(err)
		}
	}
	const promptLen, newTokens = 64, 64
	for _, streams := range []int{1, 4, 8, 16} {
		b.Run(fmt.Sprintf("streams=%d", streams), func(b *testing.B) {
			e := newEngineWith(b, path, tok, Config{Threads: 0, Context: 1024})
			vocab := min(e.Model().Config.VocabSize, 256)
			r := rand.New(rand.NewPCG(7, uint64(streams)))
			var tokens int64
			var ttft time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				var wg sync.WaitGroup
				var mu sync.Mutex
				for s := 0; s < streams; s++ {
					prompt := make([]int32, promptLen)
					for i := range prompt {
						prompt[i] = int32(r.IntN(vocab))
					}
					ch, err := e.Submit(context.Background(), &Request{Prompt: prompt, MaxTokens: newTokens})
					if err != nil {
						b.Fatal(err)
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						_, _, last := collect(ch)
						mu.Lock()
						tokens += int64(last.Usage.CompletionTokens)
						ttft += last.Usage.TimeToFirstToken
						mu.Unlock()
					}()
				}
				wg.Wait()
			}
			el := time.Since(start)
			b.ReportMetric(float64(tokens)/el.Seconds(), "tok/s")
			b.ReportMetric(float64(ttft.Milliseconds())/float64(b.N*streams), "ttft-ms")
		})
	}
}
