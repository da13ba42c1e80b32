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

// Four-token Q2_K and Q3_K kernels (k23_arm64.s): one weight row against
// the Q8_K activations of four tokens xStride bytes apart, results in out.
// Each token's result equals the row kernel's bit for bit.

//go:noescape
func q2KDotX4SDOT(w *byte, x *byte, nb int, xStride int, out *[4]float32)

//go:noescape
func q2KDotX4NEON(w *byte, x *byte, nb int, xStride int, out *[4]float32)

//go:noescape
func q3KDotX4SDOT(w *byte, x *byte, nb int, xStride int, out *[4]float32)

//go:noescape
func q3KDotX4NEON(w *byte, x *byte, nb int, xStride int, out *[4]float32)
