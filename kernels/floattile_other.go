//go:build !amd64

package kernels

import "github.com/nuri-ai/nuri/tensor"

func floatTile4x4(t tensor.DType, w []byte, rowBytes int, x []float32, cols int, out []float32, ostride int, pf bool) bool {
	return false
}

func floatRows(t tensor.DType, w []byte, rowBytes int, x []float32, out []float32) bool {
	return false
}

func bf16Rows(w []byte, rowBytes int, xb []uint16, xr []float32, out []float32) bool { return false }

func bf16Tile4x4(w []byte, rowBytes int, xb []uint16, xr []float32, cols int, out []float32, ostride int, pf bool) bool {
	return false
}

func floatRows2(t tensor.DType, wA, wB []byte, rowBytes int, x []float32, outA, outB []float32) bool {
	return false
}

func bf16Rows2(wA, wB []byte, rowBytes int, xb []uint16, xr []float32, outA, outB []float32) bool {
	return false
}
