//go:build !amd64 && !arm64

package kernels

import "github.com/nuri-ai/nuri/tensor"

func dotQ8_0(w []byte, a *q8Act, tok int) float32 {
	qs, d, _ := a.tok(tok)
	return dotQ8_0Go(w, qs, d, 0, a.nb)
}

func dotQ4_0(w []byte, a *q8Act, tok int) float32 {
	qs, d, _ := a.tok(tok)
	return dotQ4_0Go(w, qs, d, 0, a.nb, a.interlv)
}

func dotF32(w []byte, x []float32) float32  { return dotF32Go(w, x) }
func dotF16(w []byte, x []float32) float32  { return dotF16Go(w, x) }
func dotBF16(w []byte, x []float32) float32 { return dotBF16Go(w, x) }

func readSum(b []byte) uint64 { return readSumGo(b) }

func readSum2(a, b []byte) uint64 { return readSum2Blocks(a, b) }

func dotF32Floats(a, b []float32) float32 { return dotGo(a, b) }

// dotQ8Ref dots a weight row of type t with activations xq already in
// tensor.VecDotType(t).
func dotQ8Ref(t tensor.DType, w, xq []byte) float32 { return tensor.DotQ8Ref(t, w, xq) }

func dotQ8x4(t tensor.DType, w []byte, a *q8Act, tok int, out *[4]float32) bool { return false }

func dotF16x4(w []byte, x []float32, cols int, out *[4]float32) bool { return false }

func dotVecDotX4(t tensor.DType, w, xq []byte, xStride int, out *[4]float32) bool { return false }

func (a *q8Act) quantizeTokenFast(b int, x []float32, off int32) bool { return false }

func quantizeVecDot(t tensor.DType, x []float32, y []byte) { _ = tensor.Quantize(t, x, y) }

func gatedActFast(a Activation, gate, up []float32) bool { return false }
