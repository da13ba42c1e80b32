package kernels

//go:noescape
func gatedActAVX512(gate, up *float32, n int, gelu bool)

// gatedActFast runs the vector kernel when the level allows; it reports
// whether it did.
func gatedActFast(a Activation, gate, up []float32) bool {
	if level != AVX512 || len(gate) == 0 {
		return false
	}
	_ = up[len(gate)-1]
	gatedActAVX512(&gate[0], &up[0], len(gate), a == GELUTanhAct)
	return true
}
