//go:build !amd64

package kernels

import "github.com/nuri-ai/nuri/tensor"

func floatTile4x4(t tensor.DType, w []byte, rowBytes int, x []float32, cols int, out []float32, ostride int) bool {
	return false
}
