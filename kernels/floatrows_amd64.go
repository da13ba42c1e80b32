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
