package kernels

import "github.com/nuri-ai/nuri/tensor"

//go:noescape
func f16RowsAVX512(w *byte, rowBytes, nrows int, x *float32, n int, out *float32)

//go:noescape
func f16Rows2AVX512(wA, wB *byte, rowBytes, nrows int, x *float32, n int, outA, outB *float32)

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

// floatRows2 is floatRows for two runs of len(outA) == len(outB) rows at
// once (wA into outA, wB into outB) in the two-stream kernel; each output
// equals floatRows's bit for bit.
func floatRows2(t tensor.DType, wA, wB []byte, rowBytes int, x []float32, outA, outB []float32) bool {
	n, nrows := len(x), len(outA)
	if level != AVX512 || t != tensor.F16 || n%16 != 0 || nrows == 0 || len(outB) != nrows {
		return false
	}
	_, _ = wA[(nrows-1)*rowBytes+2*n-1], wB[(nrows-1)*rowBytes+2*n-1]
	f16Rows2AVX512(&wA[0], &wB[0], rowBytes, nrows, &x[0], n, &outA[0], &outB[0])
	return true
}
