package kernels

//go:noescape
func ropeNeoxAVX2(x *float32, heads, stride, half, n int, cos, sin *float32)

//go:noescape
func ropeNormAVX2(x *float32, heads, stride, n int, cos, sin *float32)

// ropeFast rotates the leading pairs of every head with the vector kernel
// when the level allows and returns how many pairs it did.
func ropeFast(x []float32, heads, headDim, half int, cos, sin []float32, interleaved bool) int {
	if level < AVX2 {
		return 0
	}
	if interleaved {
		n := half &^ 3
		if n > 0 {
			ropeNormAVX2(&x[0], heads, headDim, n, &cos[0], &sin[0])
		}
		return n
	}
	n := half &^ 7
	if n > 0 {
		ropeNeoxAVX2(&x[0], heads, headDim, half, n, &cos[0], &sin[0])
	}
	return n
}
