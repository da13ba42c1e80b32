package kernels

//go:noescape
func gatedActNEON(gate, up *float32, n int, gelu bool)

// gatedActFast runs the vector kernel over the longest prefix of 8 values
// when the level allows, and the rest in Go; it reports whether it did.
func gatedActFast(a Activation, gate, up []float32) bool {
	n := len(gate) &^ 7
	if level < NEON || n == 0 {
		return false
	}
	up = up[:len(gate)]
	gatedActNEON(&gate[0], &up[0], n, a == GELUTanhAct)
	if n < len(gate) {
		if a == GELUTanhAct {
			GELUTanhMul(gate[n:], up[n:])
		} else {
			SiLUMul(gate[n:], up[n:])
		}
	}
	return true
}
