package kernels

import "github.com/nuri-ai/nuri/tensor"

// dotQ8Ref dots a weight row of type t with activations xq already in
// tensor.VecDotType(t), using assembly where there is a kernel for t.
func dotQ8Ref(t tensor.DType, w, xq []byte) float32 {
	if s, ok := dotMoreQ8(t, w, xq); ok {
		return s
	}
	return tensor.DotQ8Ref(t, w, xq)
}

func dotMoreQ8(t tensor.DType, w, xq []byte) (float32, bool) { return 0, false }

func dotVecDotX4(t tensor.DType, w, xq []byte, xStride int, out *[4]float32) bool { return false }

func dotMoreQ8x4(t tensor.DType, w, xq []byte, xStride int, out *[4]float32) bool {
	return false
}
