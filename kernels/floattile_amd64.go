package kernels

import "github.com/nuri-ai/nuri/tensor"

//go:noescape
func f16Tile4x4AVX512(w *byte, wStride int, x *float32, xStride int, n int, out *float32, oStride int, pf int)

//go:noescape
func f32Tile4x4AVX512(w *byte, wStride int, x *float32, xStride int, n int, out *float32, oStride int, pf int)

//go:noescape
func bf16Tile4x4AVX512(w *byte, wStride int, x *float32, xStride int, n int, out *float32, oStride int, pf int)

// floatTile4x4 computes four F32, F16 or BF16 weight rows (each rowBytes long,
// starting at w) against four tokens x[0:cols] … x[3cols:4cols] into
// out[t*ostride+k] for row k and token t, when the level has a tiled kernel
// for t; it reports whether it did. With pf, the kernel prefetches the next
// four rows as it goes (for a tile's first pass, which reads them from
// memory; see TILEPF).
func floatTile4x4(t tensor.DType, w []byte, rowBytes int, x []float32, cols int, out []float32, ostride int, pf bool) bool {
	n := cols &^ 15
	if level != AVX512 || n == 0 {
		return false
	}
	_ = w[4*rowBytes-1]
	_ = x[4*cols-1]
	_ = out[3*ostride+3]
	var k func(w *byte, wStride int, x *float32, xStride int, n int, out *float32, oStride int, pf int)
	var tail func(w []byte, x []float32) float32
	es := 2 // bytes per weight
	switch t {
	case tensor.F16:
		k, tail = f16Tile4x4AVX512, dotF16Go
	case tensor.BF16:
		k, tail = bf16Tile4x4AVX512, dotBF16Go
	case tensor.F32:
		k, tail, es = f32Tile4x4AVX512, dotF32Go, 4
	default:
		return false
	}
	k(&w[0], rowBytes, &x[0], 4*cols, n, &out[0], 4*ostride, b2i(pf))
	if n < cols {
		for tok := range 4 {
			for r := range 4 {
				out[tok*ostride+r] += tail(w[r*rowBytes+es*n:(r+1)*rowBytes], x[tok*cols+n:(tok+1)*cols])
			}
		}
	}
	return true
}

//go:noescape
func bf16Tile4x4BF16AVX512(w *byte, wStride int, x *uint16, xStride int, n int, out *float32, oStride int, pf int)

// bf16Tile4x4 is floatTile4x4 for BF16 weights against four tokens of
// activations rounded to bfloat16 (bits in xb, float32 in xr, cols values
// a token), by VDPBF16PS where the level has it; it reports whether it did.
func bf16Tile4x4(w []byte, rowBytes int, xb []uint16, xr []float32, cols int, out []float32, ostride int, pf bool) bool {
	n := cols &^ 31
	if !bf16Dot() || n == 0 {
		return false
	}
	_ = w[4*rowBytes-1]
	_ = xb[4*cols-1]
	_ = xr[4*cols-1]
	_ = out[3*ostride+3]
	bf16Tile4x4BF16AVX512(&w[0], rowBytes, &xb[0], 2*cols, n, &out[0], 4*ostride, b2i(pf))
	if n < cols {
		for tok := range 4 {
			for r := range 4 {
				out[tok*ostride+r] += dotBF16Go(w[r*rowBytes+2*n:r*rowBytes+2*cols], xr[tok*cols+n:(tok+1)*cols])
			}
		}
	}
	return true
}

// b2i is 1 for true and 0 for false.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
