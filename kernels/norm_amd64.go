package kernels

//go:noescape
func sumSqAVX512(x *float32, n int) float64

//go:noescape
func sumSqAVX2(x *float32, n int) float64

//go:noescape
func addSumSqAVX512(x, d *float32, n int, s float32) float64

//go:noescape
func addSumSqAVX2(x, d *float32, n int, s float32) float64

//go:noescape
func normScaleAVX512(out, x, w *float32, n int, scale float32, plusOne bool)

//go:noescape
func normScaleAVX2(out, x, w *float32, n int, scale float32, plusOne bool)

//go:noescape
func addAVX2(dst, src *float32, n int)

//go:noescape
func scaleAVX2(x *float32, n int, s float32)

//go:noescape
func axpyAVX2(x, y *float32, n int, a float32)

// normWidth is the number of floats the norm kernels of the current level
// take at a time (0: no kernel).
func normWidth() int {
	switch level {
	case AVX512:
		return 16
	case AVX2:
		return 8
	}
	return 0
}

func sumSquares(x []float32) float64 {
	n := len(x) &^ (normWidth() - 1)
	if normWidth() == 0 || n == 0 {
		return sumSquaresGo(x)
	}
	var ss float64
	if level == AVX512 {
		ss = sumSqAVX512(&x[0], n)
	} else {
		ss = sumSqAVX2(&x[0], n)
	}
	return ss + sumSquaresGo(x[n:])
}

// addSumSquares sets x[i] += s·d[i] and returns Σ x[i]²; len(d) ≥ len(x).
func addSumSquares(x, d []float32, s float32) float64 {
	n := len(x) &^ (normWidth() - 1)
	if normWidth() == 0 || n == 0 {
		return addSumSquaresGo(x, d, s)
	}
	var ss float64
	if level == AVX512 {
		ss = addSumSqAVX512(&x[0], &d[0], n, s)
	} else {
		ss = addSumSqAVX2(&x[0], &d[0], n, s)
	}
	return ss + addSumSquaresGo(x[n:], d[n:], s)
}

// normScale sets out[i] = x[i]·scale·w[i] (·(1 + w[i]) with plusOne); out
// and w are at least as long as x.
func normScale(out, x, w []float32, scale float32, plusOne bool) {
	n := len(x) &^ (normWidth() - 1)
	if normWidth() == 0 || n == 0 {
		normScaleGo(out, x, w, scale, plusOne)
		return
	}
	if level == AVX512 {
		normScaleAVX512(&out[0], &x[0], &w[0], n, scale, plusOne)
	} else {
		normScaleAVX2(&out[0], &x[0], &w[0], n, scale, plusOne)
	}
	normScaleGo(out[n:], x[n:], w[n:], scale, plusOne)
}

func add(dst, src []float32) {
	n := len(dst) &^ 7
	if level < AVX2 || n == 0 {
		addGo(dst, src)
		return
	}
	src = src[:len(dst)]
	addAVX2(&dst[0], &src[0], n)
	addGo(dst[n:], src[n:])
}

func scale(x []float32, s float32) {
	n := len(x) &^ 7
	if level < AVX2 || n == 0 {
		scaleGo(x, s)
		return
	}
	scaleAVX2(&x[0], n, s)
	scaleGo(x[n:], s)
}

func axpy(a float32, x, y []float32) {
	n := len(x) &^ 7
	if level < AVX2 || n == 0 {
		axpyGo(a, x, y)
		return
	}
	y = y[:len(x)]
	axpyAVX2(&x[0], &y[0], n, a)
	axpyGo(a, x[n:], y[n:])
}

//go:noescape
func softcapAVX2(x *float32, n int, c float32)

func softcap(x []float32, c float32) {
	n := len(x) &^ 7
	if level < AVX2 || n == 0 {
		softcapGo(x, c)
		return
	}
	softcapAVX2(&x[0], n, c)
	softcapGo(x[n:], c)
}
