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

// BenchmarkGEMVHot multiplies one token with a prepared weight small enough
// to stay in a core's L2 cache (768 KB), on one thread, so that memory does
// not limit it: its bytes per second are the kernel's arithmetic ceiling per
// core. A decode kernel can keep up with the memory only where this is well
// above the bandwidth each thread must stream (BenchmarkReadBandwidth ÷
// threads).
func BenchmarkGEMVHot(b *testing.B) {
	for _, dt := range []tensor.DType{tensor.Q4_0, tensor.Q8_0, tensor.Q4_K, tensor.Q5_K, tensor.Q6_K, tensor.F16} {
		w := Prepare(bigWeight(dt, 2048, 768<<10))
		x := randomVec(rand.New(rand.NewPCG(3, 3)), 2048)
		out := make([]float32, w.Rows())
		b.Run(dt.String(), func(b *testing.B) {
			p := NewPool(1)
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

// BenchmarkGEMMHot runs the four-token prefill kernels of the x16 types
// on one thread over a 64-row tile of 2048 columns, with the activations
// quantized once and everything held in the core's caches, as a prefill
// tile meets each group of four tokens: its GOPS (two per multiply-add) are
// the kernels' arithmetic speed, to set against the core's integer
// multiply-add peak (VPDPBUSD: 2 per cycle × 64 multiply-adds × 2 ops,
// about 900 GOPS at 3.5 GHz).
func BenchmarkGEMMHot(b *testing.B) {
	for _, dt := range []tensor.DType{tensor.Q4_0, tensor.Q8_0, tensor.Q4_K, tensor.Q5_K, tensor.Q6_K} {
		if !x16Asm(dt) {
			continue
		}
		rng := rand.New(rand.NewPCG(1, 2))
		const rows, cols = 64, 2048
		w := Prepare(randomWeight(rng, dt, rows, cols))
		var a x16Act
		a.prepare(4, cols, x16ActOff(dt))
		for t := 0; t < 4; t++ {
			a.quantizeToken(t, randomVec(rng, cols))
		}
		out := make([]float32, 4*rows)
		b.Run(dt.String(), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				x16RowsX4(dt, w.Data, rows, &a, 0, out, rows)
			}
			b.ReportMetric(2*rows*cols*4*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOPS")
		})
	}
}

// BenchmarkDecodeStep runs the matrix products of one decode step of the
// Llama-3.2-1B shape (16 layers of grouped q/k/v, o, grouped gate/up and
// down, then the 128256-row output) on prepared weights read from memory,
// and reports the weight bytes streamed per second next to this machine's
// read bandwidth: the share of the bandwidth roofline the matrix products
// alone reach, without the rest of the model.
//
// The read variant streams the same bytes with the same chunks, pairs of
// chunks, threads and one synchronisation per product, but only reads them
// (readSum2): the ceiling any kernel can reach in this step's structure on
// this machine.
// The Llama-3.2-1B shape of the decode-step benchmarks.
const stepDim, stepKV, stepFFN, stepVocab, stepLayers = 2048, 512, 8192, 128256, 16

// decodeStepWeights makes the prepared weights of one Llama-3.2-1B decode
// step of type dt, one entry per product (the weights of a MatMul or
// MatMulGroup call): per layer grouped q/k/v, o, grouped gate/up and down,
// then the output.
func decodeStepWeights(dt tensor.DType) [][]*tensor.Tensor {
	mk := func(rows, cols int) *tensor.Tensor {
		rb, _ := tensor.RowBytes(dt, cols)
		return Prepare(bigWeight(dt, cols, rows*rb))
	}
	var steps [][]*tensor.Tensor
	for range stepLayers {
		q, k, v, o := mk(stepDim, stepDim), mk(stepKV, stepDim), mk(stepKV, stepDim), mk(stepDim, stepDim)
		gate, up, down := mk(stepFFN, stepDim), mk(stepFFN, stepDim), mk(stepDim, stepFFN)
		steps = append(steps, []*tensor.Tensor{q, k, v}, []*tensor.Tensor{o}, []*tensor.Tensor{gate, up}, []*tensor.Tensor{down})
	}
	return append(steps, []*tensor.Tensor{mk(stepVocab, stepDim)})
}

func BenchmarkDecodeStep(b *testing.B) {
	const ffn, vocab = stepFFN, stepVocab
	for _, dt := range []tensor.DType{tensor.Q4_0, tensor.Q8_0, tensor.Q4_K} {
		steps := decodeStepWeights(dt)
		total := 0
		for _, ws := range steps {
			for _, w := range ws {
				total += len(w.Data)
			}
		}
		x := randomVec(rand.New(rand.NewPCG(8, 8)), ffn)
		outs := [][]float32{make([]float32, vocab), make([]float32, ffn), make([]float32, ffn)}
		p := NewPool(2)
		step := func() {
			for _, ws := range steps {
				MatMulGroup(p, outs[:len(ws)], ws, x[:ws[0].Cols()], 1)
			}
		}
		// read streams each product's weights in MatMul's chunks.
		type chunk struct{ data []byte }
		var parts [][]chunk
		for _, ws := range steps {
			var cs []chunk
			for _, w := range ws {
				rows := w.Rows()
				rb := len(w.Data) / rows
				rpc := rowChunk(rows, p.Threads(), rb, 1)
				for r := 0; r < rows; r += rpc {
					cs = append(cs, chunk{w.Data[r*rb : min(r+rpc, rows)*rb]})
				}
			}
			parts = append(parts, cs)
		}
		var sink [2]uint64
		read := func() { // chunk i with chunk i+half, as MatMul decodes
			for _, cs := range parts {
				half := (len(cs) + 1) / 2
				p.Run(half, func(i, thread int) {
					if i+half >= len(cs) {
						sink[thread&1] ^= readSum(cs[i].data)
						return
					}
					a, b := cs[i].data, cs[i+half].data
					m := min(len(a), len(b))
					sink[thread&1] ^= readSum2(a[:m], b[:m]) ^ readSum(a[m:]) ^ readSum(b[m:])
				})
			}
		}
		for _, v := range []struct {
			name string
			f    func()
		}{{dt.String(), step}, {dt.String() + "/read", read}} {
			b.Run(v.name, func(b *testing.B) {
				v.f()
				b.SetBytes(int64(total))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					v.f()
				}
				b.StopTimer()
				b.ReportMetric(MeasureReadBandwidth(2, 256<<20), "probeGB/s")
			})
		}
		p.Close()
	}
}

// BenchmarkBatchStep runs the matrix products of a Llama-3.2-1B-shaped
// decode step (as BenchmarkDecodeStep) for batches of 1 to 4 and 8 tokens, as
// a server decoding that many sequences at once runs them: the weights are
// read from memory once per step, and a few tokens should cost little more
// than one. It reports milliseconds per step.
func BenchmarkBatchStep(b *testing.B) {
	const ffn, vocab = stepFFN, stepVocab
	for _, dt := range []tensor.DType{tensor.Q4_0, tensor.Q8_0, tensor.Q4_K, tensor.Q6_K, tensor.F16, tensor.BF16} {
		steps := decodeStepWeights(dt)
		p := NewPool(2)
		for _, n := range []int{1, 2, 3, 4, 8} {
			x := randomVec(rand.New(rand.NewPCG(8, 8)), n*ffn)
			outs := [][]float32{make([]float32, n*vocab), make([]float32, n*ffn), make([]float32, n*ffn)}
			b.Run(fmt.Sprintf("%v/n%d", dt, n), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					for _, ws := range steps {
						MatMulGroup(p, outs[:len(ws)], ws, x[:n*ws[0].Cols()], n)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/step")
			})
		}
		p.Close()
	}
}

// BenchmarkPrepare measures the load-time repacking of a 4096×2048 weight
// (Prepare's x16 and packed copies), in bytes of weights per second.
func BenchmarkPrepare(b *testing.B) {
	for _, dt := range []tensor.DType{tensor.Q4_0, tensor.Q8_0, tensor.Q4_K, tensor.Q5_K, tensor.Q6_K} {
		b.Run(dt.String(), func(b *testing.B) {
			rb, _ := tensor.RowBytes(dt, 2048)
			w := bigWeight(dt, 2048, 4096*rb)
			b.SetBytes(int64(len(w.Data)))
			for i := 0; i < b.N; i++ {
				Prepare(w)
			}
		})
	}
}
