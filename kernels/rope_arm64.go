package kernels

//go:noescape
func ropeNeoxNEON(x *float32, heads, stride, half, n int, cos, sin *float32)

//go:noescape
func ropeNormNEON(x *float32, heads, stride, n int, cos, sin *float32)

// ropeFast rotates the leading pairs of every head with the vector kernel
// when the level allows and returns how many pairs it did.
func ropeFast(x []float32, heads, headDim, half int, cos, sin []float32, interleaved bool) int {
	n := half &^ 3
	if level < NEON || n == 0 {
		return 0
	}
	if interleaved {
		ropeNormNEON(&x[0], heads, headDim, n, &cos[0], &sin[0])
	} else {
		ropeNeoxNEON(&x[0], heads, headDim, half, n, &cos[0], &sin[0])
	}
	return n
}
