package kernels

//go:noescape
func sumSqNEON(x *float32, n int) float64

//go:noescape
func addSumSqNEON(x, d *float32, n int, s float32) float64

//go:noescape
func normScaleNEON(out, x, w *float32, n int, scale float32, plusOne bool)

//go:noescape
func addNEON(dst, src *float32, n int)

//go:noescape
func scaleNEON(x *float32, n int, s float32)

//go:noescape
func axpyNEON(x, y *float32, n int, a float32)

// vec4 is the length of the prefix of n that the NEON kernels take (a
// multiple of 4), or 0 below the NEON level.
func vec4(n int) int {
	if level < NEON {
		return 0
	}
	return n &^ 3
}

func sumSquares(x []float32) float64 {
	n := vec4(len(x))
	if n == 0 {
		return sumSquaresGo(x)
	}
	return sumSqNEON(&x[0], n) + sumSquaresGo(x[n:])
}

// addSumSquares sets x[i] += s·d[i] and returns Σ x[i]²; len(d) ≥ len(x).
func addSumSquares(x, d []float32, s float32) float64 {
	n := vec4(len(x))
	if n == 0 {
		return addSumSquaresGo(x, d, s)
	}
	return addSumSqNEON(&x[0], &d[0], n, s) + addSumSquaresGo(x[n:], d[n:], s)
}

// normScale sets out[i] = x[i]·scale·w[i] (·(1 + w[i]) with plusOne); out
// and w are at least as long as x.
func normScale(out, x, w []float32, scale float32, plusOne bool) {
	n := vec4(len(x))
	if n > 0 {
		normScaleNEON(&out[0], &x[0], &w[0], n, scale, plusOne)
	}
	normScaleGo(out[n:], x[n:], w[n:], scale, plusOne)
}

func add(dst, src []float32) {
	n := vec4(len(dst))
	if n > 0 {
		addNEON(&dst[0], &src[0], n)
	}
	addGo(dst[n:], src[n:])
}

func scale(x []float32, s float32) {
	n := vec4(len(x))
	if n > 0 {
		scaleNEON(&x[0], n, s)
	}
	scaleGo(x[n:], s)
}

func axpy(a float32, x, y []float32) {
	n := vec4(len(x))
	if n > 0 {
		axpyNEON(&x[0], &y[0], n, a)
	}
	axpyGo(a, x[n:], y[n:])
}

//go:noescape
func softcapNEON(x *float32, n int, c float32)

func softcap(x []float32, c float32) {
	n := vec4(len(x))
	if n > 0 {
		softcapNEON(&x[0], n, c)
	}
	softcapGo(x[n:], c)
}
