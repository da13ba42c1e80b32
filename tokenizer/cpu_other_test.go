//go:build !unix

package tokenizer

// cpuSeconds is unknown here; the benchmarks then report no CPU time.
func cpuSeconds() float64 { return 0 }
