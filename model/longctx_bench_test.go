package model

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nuri-ai/nuri/kernels"
)

// BenchmarkLongContext measures prefill and decode speed at depth with a
// Q8_0 KV cache on the model named by NURI_BENCH_MODEL (for example a
// llama-3.2-1b shape written by `nuri testmodel`), and compares the peak
// resident memory with the memory plan:
//
//	NURI_BENCH_MODEL=llama1b.gguf NURI_BENCH_DEPTHS=4096,32768,131072 \
//	  go test ./model -run '^$' -bench LongContext -benchtime 1x -timeout 0
//
// The positions before each measured step hold random keys and values, so a
// depth costs a fill rather than a full prefill. Reported per depth D:
// prefill tokens/s of a chunk ending at D (NURI_BENCH_CHUNK tokens, default
// 256), the estimated rate of a whole D-token prompt (chunk time growing
// linearly from the first chunk's to the last's), and decode tokens/s at D.
func BenchmarkLongContext(b *testing.B) {
	path := os.Getenv("NURI_BENCH_MODEL")
	if path == "" {
		b.Skip("set NURI_BENCH_MODEL to a model file")
	}
	depths := []int{4096, 32768, 131072}
	if s := os.Getenv("NURI_BENCH_DEPTHS"); s != "" {
		depths = depths[:0]
		for _, f := range strings.Split(s, ",") {
			d, err := strconv.Atoi(f)
			if err != nil {
				b.Fatal(err)
			}
			depths = append(depths, d)
		}
	}
	chunk := 256
	if s := os.Getenv("NURI_BENCH_CHUNK"); s != "" {
		chunk, _ = strconv.Atoi(s)
	}
	m, err := Load(path)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	pool := kernels.NewPool(0)
	defer pool.Close()
	m.SetPool(pool)
	maxCtx := 0
	for _, d := range depths {
		maxCtx = max(maxCtx, d)
	}
	kv, err := NewDenseCacheType(&m.Config, KVQ8, 1, maxCtx)
	if err != nil {
		b.Fatal(err)
	}
	plan := m.Plan(maxCtx, KVQ8, chunk)
	logits := make([]float32, m.Config.VocabSize)
	step := func(first, n int) time.Duration {
		bt := &Batch{Tokens: make([]int32, n), Pos: make([]int32, n), Seq: make([]int32, n), Logits: make([]bool, n)}
		for i := range bt.Pos {
			bt.Tokens[i] = int32((first + i) % m.Config.VocabSize)
			bt.Pos[i] = int32(first + i)
		}
		bt.Logits[n-1] = true
		t0 := time.Now()
		if err := m.Forward(bt, kv, logits); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	first := step(0, chunk)
	filled := 0
	for _, d := range depths {
		fillPastFrom(&m.Config, kv, filled, d-chunk-1)
		filled = d - chunk - 1
		last := step(d-chunk-1, chunk)
		const decodeSteps = 3
		var dec time.Duration
		for i := 0; i < decodeSteps; i++ {
			dec += step(d-1, 1)
		}
		chunks := float64(d) / float64(chunk)
		whole := float64(d) / (chunks * (first.Seconds() + last.Seconds()) / 2)
		b.Logf("depth %6d: prefill chunk %.1f tok/s, whole prompt ≈ %.1f tok/s, decode %.2f tok/s",
			d, float64(chunk)/last.Seconds(), whole, decodeSteps/dec.Seconds())
	}
	hwm := peakRSS()
	b.Logf("plan at %d tokens (q8_0): weights %d + KV %d + scratch %d = %d MiB; peak RSS %d MiB (%+.1f%%)",
		maxCtx, plan.Weights>>20, plan.KV>>20, plan.Scratch>>20, plan.Total>>20, hwm>>20,
		100*(float64(hwm)/float64(plan.Total)-1))
}

// fillPastFrom stores random rows for positions [from, to) of sequence 0.
func fillPastFrom(c *Config, kv KVCache, from, to int) {
	k, v := make([]float32, c.KVDim()), make([]float32, c.KVHeads*c.ValueDim)
	x := uint32(from*7 + 1)
	for l := 0; l < c.Layers; l++ {
		for p := from; p < to; p++ {
			for i := range k {
				x = x*1664525 + 1013904223
				k[i] = float32(int32(x)>>20) / 1024
			}
			for i := range v {
				x = x*1664525 + 1013904223
				v[i] = float32(int32(x)>>20) / 2048
			}
			kv.Store(l, 0, p, k, v)
		}
	}
}

// peakRSS reads VmHWM from /proc/self/status (0 if unknown).
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			_, _ = fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb << 10
		}
	}
	return 0
}
