package kernels

import "github.com/nuri-ai/nuri/tensor"

//go:noescape
func f16RowsAVX512(w *byte, rowBytes, nrows int, x *float32, n int, out *float32)

// floatRows computes out[r] = row r · x for the len(out) consecutive rows of
// a float weight at w (rowBytes apart) in one assembly call when the type
// and level have a multi-row kernel; it reports whether it did.
func floatRows(t tensor.DType, w []byte, rowBytes int, x []float32, out []float32) bool {
	n := len(x)
	if level != AVX512 || t != tensor.F16 || n%16 != 0 || len(out) == 0 {
		return false
	}
	_ = w[(len(out)-1)*rowBytes+2*n-1]
	f16RowsAVX512(&w[0], rowBytes, len(out), &x[0], n, &out[0])
	return true
}

//go:noescape
func f16Rows2AVX512(wA, wB *byte, rowBytes, nrows int, x *float32, n int, outA, outB *float32)

// floatRows2 is floatRows for two runs of len(outA) rows at once (at wA and
// wB, rowBytes apart), as two memory streams; it reports whether the type
// and level have such a kernel. Each row's result is floatRows's.
func floatRows2(t tensor.DType, wA, wB []byte, rowBytes int, x []float32, outA, outB []float32) bool {
	n := len(x)
	if level != AVX512 || t != tensor.F16 || n%16 != 0 || len(outA) == 0 || len(outB) != len(outA) {
		return false
	}
	_ = wA[(len(outA)-1)*rowBytes+2*n-1]
	_ = wB[(len(outA)-1)*rowBytes+2*n-1]
	f16Rows2AVX512(&wA[0], &wB[0], rowBytes, len(outA), &x[0], n, &outA[0], &outB[0])
	return true
}

//go:noescape
func bf16RowsBF16AVX512(w *byte, rowBytes, nrows int, x *uint16, n int, out *float32)

// bf16Rows computes out[r] = row r · x for the len(out) consecutive BF16
// rows at w (rowBytes apart) against activations already rounded to
// bfloat16, given both as bits (xb) and as float32 (xr), by VDPBF16PS where
// the level has it; it reports whether it did. Columns past the last
// multiple of 32 are added in Go.
func bf16Rows(w []byte, rowBytes int, xb []uint16, xr []float32, out []float32) bool {
	cols := len(xr)
	n := cols &^ 31
	if !bf16Dot() || n == 0 || len(out) == 0 {
		return false
	}
	_ = w[(len(out)-1)*rowBytes+2*cols-1]
	_ = xb[cols-1]
	bf16RowsBF16AVX512(&w[0], rowBytes, len(out), &xb[0], n, &out[0])
	if n < cols {
		for r := range out {
			out[r] += dotBF16Go(w[r*rowBytes+2*n:r*rowBytes+2*cols], xr[n:])
		}
	}
	return true
}

//go:noescape
func bf16Rows2BF16AVX512(wA, wB *byte, rowBytes, nrows int, x *uint16, n int, outA, outB *float32)

// bf16Rows2 is bf16Rows for two runs of len(outA) rows at once (at wA and
// wB), as two memory streams; each row's result is bf16Rows's.
func bf16Rows2(wA, wB []byte, rowBytes int, xb []uint16, xr []float32, outA, outB []float32) bool {
	cols := len(xr)
	n := cols &^ 31
	if !bf16Dot() || n == 0 || len(outA) == 0 || len(outB) != len(outA) {
		return false
	}
	_ = wA[(len(outA)-1)*rowBytes+2*cols-1]
	_ = wB[(len(outA)-1)*rowBytes+2*cols-1]
	_ = xb[cols-1]
	bf16Rows2BF16AVX512(&wA[0], &wB[0], rowBytes, len(outA), &xb[0], n, &outA[0], &outB[0])
	if n < cols {
		for r := range outA {
			outA[r] += dotBF16Go(wA[r*rowBytes+2*n:r*rowBytes+2*cols], xr[n:])
			outB[r] += dotBF16Go(wB[r*rowBytes+2*n:r*rowBytes+2*cols], xr[n:])
		}
	}
	return true
}
