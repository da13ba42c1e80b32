package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// Benchmarks. GEMV reads a weight matrix of about 256 MiB (far above the
// last-level cache) once per op, so its MB/s (weight bytes per second) is
// comparable with BenchmarkReadBandwidth in the same run. GEMM reports
// GFLOP/s (2·rows·cols·tokens per op).
//
//	go test -run '^$' -bench . ./kernels
//	NURI_CPU=avx2 go test -run '^$' -bench . ./kernels

var benchTypes = []tensor.DType{tensor.Q4_0, tensor.Q8_0, tensor.F16, tensor.BF16, tensor.F32, tensor.Q4_K, tensor.Q6_K, tensor.Q5_K, tensor.Q4_1, tensor.Q5_0, tensor.Q5_1, tensor.Q2_K, tensor.Q3_K}

// bigWeight makes a [rows, cols] weight of about size bytes by tiling a small
// random matrix (the values do not matter for speed, only that they are
// finite).
func bigWeight(t tensor.DType, cols, size int) *tensor.Tensor {
	rng := rand.New(rand.NewPCG(7, 7))
	tile := randomWeight(rng, t, 64, cols)
	rb := len(tile.Data) / 64
	rows := max(size/rb/64, 1) * 64
	data := make([]byte, rows*rb)
	for off := 0; off < len(data); off += len(tile.Data) {
		copy(data[off:], tile.Data)
	}
	return &tensor.Tensor{Name: "bench", Type: t, Shape: []int{rows, cols}, Data: data}
}

func BenchmarkReadBandwidth(b *testing.B) {
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("t%d", threads), func(b *testing.B) {
			var gbs float64
			for i := 0; i < b.N; i++ {
				gbs = MeasureReadBandwidth(threads, 256<<20)
			}
			b.ReportMetric(gbs, "GB/s")
		})
	}
}

// benchWeights lists the weights of a benchmark: one per type, plus the
// prepared (repacked) form where Prepare changes it, named with "+prep".
func benchWeights(make func(tensor.DType) *tensor.Tensor) (names []string, ws []*tensor.Tensor) {
	for _, dt := range benchTypes {
		w := make(dt)
		names, ws = append(names, dt.String()), append(ws, w)
		if pw := Prepare(w); pw != w {
			names, ws = append(names, dt.String()+"+prep"), append(ws, pw)
		}
	}
	return names, ws
}

func BenchmarkGEMV(b *testing.B) {
	names, ws := benchWeights(func(dt tensor.DType) *tensor.Tensor { return bigWeight(dt, 2048, 256<<20) })
	for k, dt := range names {
		w := ws[k]
		rng := rand.New(rand.NewPCG(3, 3))
		x := randomVec(rng, 2048)
		out := make([]float32, w.Rows())
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%v/t%d", dt, threads), func(b *testing.B) {
				p := NewPool(threads)
				defer p.Close()
				MatMul(p, out, w, x, 1)
				b.SetBytes(int64(len(w.Data)))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					MatMul(p, out, w, x, 1)
				}
			})
		}
	}
}

func BenchmarkGEMM(b *testing.B) {
	const rows, cols, n = 8192, 2048, 128
	names, ws := benchWeights(func(dt tensor.DType) *tensor.Tensor {
		return randomWeight(rand.New(rand.NewPCG(5, 5)), dt, rows, cols)
	})
	for k, dt := range names {
		w := ws[k]
		x := randomVec(rand.New(rand.NewPCG(6, 6)), n*cols)
		out := make([]float32, n*rows)
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%v/t%d", dt, threads), func(b *testing.B) {
				p := NewPool(threads)
				defer p.Close()
				MatMul(p, out, w, x, n)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					MatMul(p, out, w, x, n)
				}
				b.ReportMetric(2*rows*cols*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
