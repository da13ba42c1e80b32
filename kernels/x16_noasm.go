//go:build !amd64

package kernels

import "github.com/nuri-ai/nuri/tensor"

// Weights are repacked only for the amd64 kernels (see Prepare), so the
// packed and x16 layouts never reach these off amd64; they keep the Go
// paths.

func dotQ4_0Packed(w []byte, a *q8Act, tok int) float32 {
	qs, d, _ := a.tok(tok)
	return dotQ4_0PackedGo(w, qs, d, a.nb)
}

func dotQ4_0PackedX4(w []byte, a *q8Act, tok int, out *[4]float32) bool { return false }

func x16Rows(t tensor.DType, w []byte, nrows int, a *x16Act, tok int, out []float32) bool {
	return false
}

func x16Rows2(t tensor.DType, wA, wB []byte, nrows int, a *x16Act, outA, outB []float32) bool {
	return false
}

func x16RowsX4(t tensor.DType, w []byte, nrows int, a *x16Act, tok int, out []float32, ostride int) bool {
	return false
}

func (a *x16Act) quantizeFast(b int, x []float32) bool { return false }

func (a *x16Act) quantizeKFast(b int, x []float32) bool { return false }

// x16Asm reports whether type t has x16 assembly kernels: none here.
func x16Asm(t tensor.DType) bool { return false }
