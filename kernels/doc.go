// Package kernels holds Nuri's CPU compute kernels: matrix products over the
// GGML weight formats, a persistent worker pool, and the small vector
// operations of a transformer layer.
//
// # Matrix products
//
// MatMul(p, out, w, x, n) computes out[b*rows+r] = Σ_c W[r,c]·x[b*cols+c]
// for n tokens. Weights stay in their file layout ([rows, cols], rows of GGML
// blocks) unless the loader calls Prepare once per weight: on AVX-512 it
// repacks Q4_0, Q8_0, Q4_K, Q5_K and Q6_K rows whose length is a multiple
// of 512 (on AVX2, Q4_0 rows) into the x16 layout (x16.go, x16k.go: 16 blocks or sub-blocks of
// 32 values side by side, so eight VPDPBUSDs finish 16 integer sums and a
// few lane-wise multiply-adds scale them; prefill runs at about twice the
// speed of the file layout), and other Q4_0 rows of a multiple of 128 into
// groups of four blocks that one shift and two masks unpack. Rows keep
// their size; MatMul recognises prepared data by its address, and
// DequantizeRow reads rows of any layout (for a tied embedding that is also
// the output). The arithmetic per type follows GGML, so results agree with
// llama.cpp to float rounding:
//
//   - Q8_0, Q4_0: activations are quantized to Q8_0 (bytes identical to
//     tensor.Quantize) and multiplied with integer block sums (AVX-512 VNNI
//     VPDPBUSD or AVX2 VPMADDUBSW), scaled per block in float32.
//   - Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q4_1, Q5_0, Q5_1: activations quantized
//     to tensor.VecDotType (Q8_K, Q8_1 or Q8_0) and integer block sums, with
//     AVX-512 VNNI and AVX2 row kernels for every one of them (dots_amd64.s,
//     kquant_amd64.s, kquant2_amd64.s). x16 Q4_K, Q5_K and Q6_K weights take the
//     same Q8_K quants, rearranged into the x16 order with each sub-block's
//     sums, so these types share one activation pass.
//   - F32, F16: float32 activations, float32 fused multiply-add.
//   - BF16: activations rounded to bfloat16 (GGML's vec-dot type for BF16),
//     multiplied by VDPBF16PS where the CPU has AVX512_BF16 (decode rows and
//     a four-row × four-token prefill tile: 32 multiply-adds an
//     instruction, 1.6–1.75× the GFLOP/s of widening to float32 on an
//     8192×2048 weight and 128 tokens), elsewhere as float32 on the rounded
//     values, so all levels compute the same products.
//   - Q8_K and any type without a dot product above: each row dequantized
//     exactly (tensor.Dequantize) and dotted in float32.
//
// For n ≥ 4, Q8_0, Q4_0 and Q2_K–Q6_K use kernels that multiply one weight
// row with four tokens at once (AVX-512 and AVX2, Q4_1, Q5_0 and Q5_1
// included), F32, F16 and BF16 a register-tiled kernel of four rows × four
// tokens (AVX-512, floattile_amd64.s), and every path walks tiles of 16 rows
// (64 for the x16 kernels) × 4 tokens so that weights and activations stay
// in cache (prefill). At AVX-512 the x16 Q4_0, Q8_0 and Q4_K four-token
// kernels take two rows at a time (P2ROWS in x16_amd64.s), each activation
// vector loaded once for both. x16 Q4_0 and Q8_0 also run two or three
// tokens as one four-token pass with the missing tokens' scales zero.
//
// A batch of a few tokens (a server decoding several sequences) meets each
// weight once, from memory, in these kernels, and their arithmetic leaves
// too few loads in flight for the hardware prefetcher: the x16 four-token
// kernels prefetch 16 KB ahead in every row they read, and the float tiles
// the next four rows on a tile's first pass (see BenchmarkBatchStep).
//
// MatMulGroup multiplies several weights that read the same input (the
// query, key and value projections; gate and up) in one pass: the input is
// quantized once and the rows of all weights are handed out together.
//
// With at most four tokens (decode, small batches) a product streams its
// weights from memory: the rows are cut into chunks of about 128 KB (at
// least two per thread), each thread reads its contiguous share in order,
// and the x16 kernels take a whole chunk per call. For one token the x16
// kernels take two chunks at once, i and i+half, alternating between them
// every super group: each thread then keeps two memory streams in flight,
// which on the Llama-3.2-1B decode step streamed 5–16% more bytes per
// second than one stream (the hardware prefetcher runs only so far ahead of
// each stream). F16 decode pairs its chunks the same way (floatRows2),
// with each row read 64 bytes at a time and the activations loaded once
// for both rows: its decode went from 72–73% to 79–83% of the bandwidth
// measured around the runs. The bandwidth probe reads one stream and two
// and keeps the faster.
//
// # CPU levels
//
// Kernels are picked at run time. On amd64: AVX512 (AVX-512 F/BW/VL + VNNI),
// AVX2 (AVX2 + FMA + F16C) or Generic. On arm64: NEONDot (Advanced SIMD + the
// dot-product extension, SDOT), NEON (Advanced SIMD; SMULL/SMLAL2 and SADALP
// for the integer dots) or Generic. Elsewhere only Generic (plain Go). The
// environment variable NURI_CPU, read at start-up, names a level of the
// running architecture (generic|avx2|avx512, generic|neon|neondot) and lowers
// the level (it never raises it above what the CPU has); CPULevel reports the
// level in use. The tests run every level the machine supports; the arm64
// levels are tested under qemu user emulation in CI.
//
// On arm64 the row and four-token kernels of Q8_0, Q4_0, Q4_1, Q5_0, Q5_1
// and Q2_K–Q6_K, the row kernels of F32, F16 and BF16 and the four-token
// kernel of F16, the Q8_0/Q8_1/Q8_K activation quantizers and the SiLU/GELU
// gate product are NEON assembly (*_arm64.s; instructions the Go assembler
// lacks are spelled as WORD encodings named in neon_arm64.h and the other
// headers), and so are the attention kernels (attn_arm64.s, written by
// attn_arm64_gen.py; Q8_0 keys and values are widened to float a slice at a
// time, then take the F32 kernels). The repacked layouts are amd64-only:
// arm64 multiplies the file layout.
//
// # Threads and scratch memory
//
// A Pool holds persistent worker goroutines (spin for ~50µs after a job,
// then park; by default one thread per physical core, see PhysicalCores)
// and the scratch buffers MatMul needs (quantized activations, dequantized
// rows), so it doubles as the per-model workspace: after the first call with
// a given shape, MatMul does not allocate. Run gives each thread a
// contiguous share of a job's indices, taken in order so that consecutive
// chunks form one memory stream; a thread that runs out takes indices from
// the ends of the other shares, so a thread the operating system deschedules
// does not hold up the rest for long. Calls on one Pool
// are serialised; use one Pool per concurrently running model.
//
// # Benchmarks
//
//	go test -run '^$' -bench . ./kernels
//
// BenchmarkGEMV reads ~256 MiB weight matrices (bytes of weights per second,
// comparable with BenchmarkReadBandwidth / MeasureReadBandwidth in the same
// run); BenchmarkGEMM reports GFLOP/s for an 8192×2048 weight and 128
// tokens. Both run with 1 and 2 threads. BenchmarkDecodeStep runs the
// products of one Llama-3.2-1B decode step, and its read variant only reads
// the same bytes in the same chunks: the ceiling of any kernel in that
// structure. BenchmarkPrepare measures the load-time repacking.
package kernels
