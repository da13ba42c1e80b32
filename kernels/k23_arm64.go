package kernels

// Q2_K and Q3_K row kernels against Q8_K activations (k23_arm64.s), with
// SDOT at NEONDot and widening multiplies at NEON. Each takes whole rows
// of nb ≥ 1 blocks.

//go:noescape
func q2KDotSDOT(w *byte, x *byte, nb int) float32

//go:noescape
func q2KDotNEON(w *byte, x *byte, nb int) float32

//go:noescape
func q3KDotSDOT(w *byte, x *byte, nb int) float32

//go:noescape
func q3KDotNEON(w *byte, x *byte, nb int) float32
