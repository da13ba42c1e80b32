//go:build !amd64 && !arm64

package kernels

import "github.com/nuri-ai/nuri/tensor"

// dotMoreQ8 has no assembly off amd64: callers fall back to tensor.DotQ8Ref.
func dotMoreQ8(t tensor.DType, w, xq []byte) (float32, bool) { return 0, false }

func dotMoreQ8x4(t tensor.DType, w, xq []byte, xStride int, out *[4]float32) bool {
	return false
}
