package kernels

import "math"

// RMSNorm and its fused forms. The sum of squares is accumulated in float64
// (the vector kernels widen each value to double lanes), so the result
// differs from a sequential float64 loop only by the order of the additions;
// the scaling multiplies in float32 in the order x·scale·w, as the scalar
// code does.

// RMSNorm sets out[i] = x[i] · scale · w[i] with scale = 1/sqrt(mean(x²) + eps).
// out may alias x; w must be at least as long as x.
func RMSNorm(out, x, w []float32, eps float32) { rmsNorm(out, x, w, eps, false) }

// RMSNormPlusOne is RMSNorm with the weight applied as (1 + w[i]), the
// convention of Hugging Face Gemma checkpoints.
func RMSNormPlusOne(out, x, w []float32, eps float32) { rmsNorm(out, x, w, eps, true) }

func rmsNorm(out, x, w []float32, eps float32, plusOne bool) {
	if len(x) == 0 {
		return
	}
	out, w = out[:len(x)], w[:len(x)]
	normScale(out, x, w, rmsScale(sumSquares(x), len(x), eps), plusOne)
}

// AddRMSNorm adds a block's output into the residual stream and normalises
// the result for the next block in one pass over x: x[i] += s·delta[i] (a
// plain add when s is 1), then out = RMSNorm(x) with weight w, applied as
// (1 + w) when plusOne is set. out must not alias x or delta.
func AddRMSNorm(x, delta, out, w []float32, s, eps float32, plusOne bool) {
	if len(x) == 0 {
		return
	}
	delta, out, w = delta[:len(x)], out[:len(x)], w[:len(x)]
	normScale(out, x, w, rmsScale(addSumSquares(x, delta, s), len(x), eps), plusOne)
}

func rmsScale(ss float64, n int, eps float32) float32 {
	return float32(1 / math.Sqrt(ss/float64(n)+float64(eps)))
}

// sumSquaresGo returns Σ x[i]² in float64.
func sumSquaresGo(x []float32) float64 {
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	return ss
}

// addSumSquaresGo sets x[i] += s·d[i] (the product rounded to float32
// before the add: the conversion keeps the compiler from fusing them) and returns Σ x[i]² in float64.
func addSumSquaresGo(x, d []float32, s float32) float64 {
	d = d[:len(x)]
	var ss float64
	if s == 1 {
		for i, v := range d {
			y := x[i] + v
			x[i] = y
			ss += float64(y) * float64(y)
		}
		return ss
	}
	for i, v := range d {
		y := x[i] + float32(s*v)
		x[i] = y
		ss += float64(y) * float64(y)
	}
	return ss
}

// normScaleGo sets out[i] = x[i]·scale·w[i], or ·(1 + w[i]) with plusOne.
func normScaleGo(out, x, w []float32, scale float32, plusOne bool) {
	out, w = out[:len(x)], w[:len(x)]
	if plusOne {
		for i, v := range x {
			out[i] = v * scale * (1 + w[i])
		}
		return
	}
	for i, v := range x {
		out[i] = v * scale * w[i]
	}
}

// addGo sets dst[i] += src[i].
func addGo(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

// scaleGo sets x[i] *= s.
func scaleGo(x []float32, s float32) {
	for i := range x {
		x[i] *= s
	}
}

// axpyGo sets y[i] += a·x[i], the product rounded before the add.
func axpyGo(a float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += float32(a * v)
	}
}
