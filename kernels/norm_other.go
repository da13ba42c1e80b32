//go:build !amd64 && !arm64

package kernels

func sumSquares(x []float32) float64 { return sumSquaresGo(x) }

func addSumSquares(x, d []float32, s float32) float64 { return addSumSquaresGo(x, d, s) }

func normScale(out, x, w []float32, scale float32, plusOne bool) {
	normScaleGo(out, x, w, scale, plusOne)
}

func add(dst, src []float32) { addGo(dst, src) }

func scale(x []float32, s float32) { scaleGo(x, s) }

func axpy(a float32, x, y []float32) { axpyGo(a, x, y) }

func softcap(x []float32, c float32) { softcapGo(x, c) }
