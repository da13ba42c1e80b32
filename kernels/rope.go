package kernels

import "fmt"

// Rope applies rotary position embeddings to one token's row x of heads
// vectors of headDim floats: in each head the first dim entries form dim/2
// pairs, and pair i is rotated by the angle whose cosine and sine are cos[i]
// and sin[i] (both of length at least dim/2, any attention scaling already
// folded in):
//
//	x'a = xa·cos − xb·sin,  x'b = xa·sin + xb·cos
//
// With interleaved the pairs are (2i, 2i+1) (GGML's "normal" layout),
// otherwise (i, i + dim/2) (NeoX / Hugging Face layout). Entries from dim to
// headDim are left as they are (partial rotary). Each product is rounded to
// float32 before the sum, at every CPU level, so all levels give the same
// bits. Rope panics if the shapes do not fit; it allocates nothing.
func Rope(x []float32, heads, headDim, dim int, cos, sin []float32, interleaved bool) {
	half := dim / 2
	if dim < 0 || dim%2 != 0 || dim > headDim || heads < 0 || len(x) < heads*headDim || len(cos) < half || len(sin) < half {
		panic(fmt.Sprintf("kernels.Rope: %d heads of %d with %d rotated dims over %d floats, %d cos and %d sin values", heads, headDim, dim, len(x), len(cos), len(sin)))
	}
	if heads == 0 || half == 0 {
		return
	}
	done := ropeFast(x, heads, headDim, half, cos, sin, interleaved)
	ropeGo(x, heads, headDim, half, done, cos, sin, interleaved)
}

// ropeGo rotates pairs from..half-1 of every head.
func ropeGo(x []float32, heads, headDim, half, from int, cos, sin []float32, interleaved bool) {
	for i := from; i < half; i++ {
		c, s := cos[i], sin[i]
		a, b := i, i+half
		if interleaved {
			a, b = 2*i, 2*i+1
		}
		for h := 0; h < heads; h++ {
			v := x[h*headDim : h*headDim+headDim]
			x0, x1 := v[a], v[b]
			// The conversions round each product, so no level fuses them.
			v[a] = float32(x0*c) - float32(x1*s)
			v[b] = float32(x0*s) + float32(x1*c)
		}
	}
}
