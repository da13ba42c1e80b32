package kernels

// Four-token Q4_1, Q5_0 and Q5_1 kernels (legacyx4_arm64.s): one weight
// row of nb blocks against the activations (tensor.VecDotType) of four
// tokens xStride bytes apart, results in out. Each token's result equals
// the row kernel's bit for bit.

//go:noescape
func q4_1DotX4SDOT(w *byte, x *byte, nb int, xStride int, out *[4]float32)

//go:noescape
func q4_1DotX4NEON(w *byte, x *byte, nb int, xStride int, out *[4]float32)

//go:noescape
func q5_0DotX4SDOT(w *byte, x *byte, nb int, xStride int, out *[4]float32)

//go:noescape
func q5_0DotX4NEON(w *byte, x *byte, nb int, xStride int, out *[4]float32)

//go:noescape
func q5_1DotX4SDOT(w *byte, x *byte, nb int, xStride int, out *[4]float32)

//go:noescape
func q5_1DotX4NEON(w *byte, x *byte, nb int, xStride int, out *[4]float32)
