package kernels

import "math"

// Small vector operations of a transformer layer. All take float32 slices;
// where two slices are given they must have the same length (the shorter
// length is not silently used: a mismatch panics like an index error).

// RMSNorm, RMSNormPlusOne and AddRMSNorm are in norm.go, Rope in rope.go.

// Softmax replaces x by exp(x[i] - max(x)) / Σ exp(x[j] - max(x)), with the
// sum accumulated in float64. Entries equal to -Inf become 0; an all -Inf
// or empty x is left unchanged.
func Softmax(x []float32) {
	if len(x) == 0 {
		return
	}
	m := x[0]
	for _, v := range x[1:] {
		if v > m {
			m = v
		}
	}
	if math.IsInf(float64(m), -1) {
		return
	}
	var sum float64
	for i, v := range x {
		e := float32(math.Exp(float64(v - m)))
		x[i] = e
		sum += float64(e)
	}
	inv := float32(1 / sum)
	for i := range x {
		x[i] *= inv
	}
}

// Activation names the gate activation of a gated feed-forward layer.
type Activation uint8

const (
	SiLUAct     Activation = iota // silu(g) = g / (1 + e^-g)
	GELUTanhAct                   // the tanh approximation of GELU
)

// GatedMul sets gate[i] = act(gate[i]) · up[i], spreading the work over p's
// threads. It allocates nothing.
func (p *Pool) GatedMul(a Activation, gate, up []float32) {
	up = up[:len(gate)]
	if len(gate) <= actChunk || p.threads == 1 {
		gatedMul(a, gate, up)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	j := &p.job
	j.act, j.actGate, j.actUp = a, gate, up
	p.run((len(gate)+actChunk-1)/actChunk, j.actFn)
	j.actGate, j.actUp = nil, nil
}

// actChunk is the number of values one thread takes at a time in GatedMul.
const actChunk = 2048

func (p *Pool) gatedChunk(i, _ int) {
	j := &p.job
	hi := min((i+1)*actChunk, len(j.actGate))
	gatedMul(j.act, j.actGate[i*actChunk:hi], j.actUp[i*actChunk:hi])
}

func gatedMul(a Activation, gate, up []float32) {
	if gatedActFast(a, gate, up) {
		return
	}
	if a == GELUTanhAct {
		GELUTanhMul(gate, up)
	} else {
		SiLUMul(gate, up)
	}
}

// SiLUMul sets gate[i] = silu(gate[i]) · up[i], where silu(g) = g / (1 + e^-g).
func SiLUMul(gate, up []float32) {
	up = up[:len(gate)]
	for i, g := range gate {
		gate[i] = g / (1 + float32(math.Exp(float64(-g)))) * up[i]
	}
}

// GELUTanhMul sets gate[i] = gelu(gate[i]) · up[i] with the tanh
// approximation gelu(g) = g/2 · (1 + tanh(√(2/π) · (g + 0.044715·g³))).
func GELUTanhMul(gate, up []float32) {
	up = up[:len(gate)]
	for i, g := range gate {
		gate[i] = GELUTanh(g) * up[i]
	}
}

// GELUTanh is the tanh approximation of GELU (see GELUTanhMul).
func GELUTanh(g float32) float32 {
	const c = 0.7978845608028654 // √(2/π)
	x := float64(g)
	return float32(0.5 * x * (1 + math.Tanh(c*(x+0.044715*x*x*x))))
}

// Add sets dst[i] += src[i].
func Add(dst, src []float32) { add(dst, src[:len(dst)]) }

// Scale sets x[i] *= s.
func Scale(x []float32, s float32) { scale(x, s) }

// Softcap sets x[i] = c·tanh(x[i]/c), the soft-capping of Gemma 2 logits.
// The vector kernel stays within an ulp of the float64 math.Tanh result;
// ±Inf map to ±c and NaN stays NaN.
func Softcap(x []float32, c float32) { softcap(x, c) }

// softcapGo is Softcap with math.Tanh.
func softcapGo(x []float32, c float32) {
	for i, v := range x {
		x[i] = c * float32(math.Tanh(float64(v/c)))
	}
}

// Dot returns Σ a[i]·b[i], accumulated in float32 with the vector kernel
// where available (sums in a different order than a sequential loop).
func Dot(a, b []float32) float32 {
	b = b[:len(a)]
	if len(a) == 0 {
		return 0
	}
	return dotF32Floats(a, b)
}

// AXPY sets y[i] += a·x[i], the product rounded to float32 before the add
// (no fused multiply-add, so every level gives the same bits).
func AXPY(a float32, x, y []float32) { axpy(a, x, y[:len(x)]) }
