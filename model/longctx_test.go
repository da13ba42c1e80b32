package model

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
	"github.com/nuri-ai/nuri/testmodel"
)

// Long-context checks: a small Llama with 32-wide heads and a 128K trained
// context, run at positions around 1K, 16K and 64K with llama3, YaRN and
// LongRoPE scaling, against a plain float64 forward pass written here from
// the Hugging Face definitions. The positions before the checked tokens are
// filled with random keys and values (both sides read the same cache), so
// the test costs a few forward steps rather than a 64K-token prefill.

func longModel(t *testing.T) *Model {
	t.Helper()
	path := filepath.Join(t.TempDir(), "long.gguf")
	spec := testmodel.Spec{Arch: "llama", Vocab: 300, Hidden: 128, Layers: 2, Heads: 4, KVHeads: 2, HeadDim: 32,
		FFN: 192, Context: 131072, NormEps: 1e-5, RopeTheta: 500000, BOS: 1, EOS: 2,
		RopeScaling: &testmodel.RopeScaling{Type: "llama3", Factor: 16, LowFreqFactor: 1, HighFreqFactor: 4, OriginalContext: 8192}}
	if err := testmodel.Write(context.Background(), testmodel.Options{Spec: &spec, Out: path, Seed: 5, Std: 0.15}); err != nil {
		t.Fatal(err)
	}
	m, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// setScaling replaces the model's RoPE scaling.
func setScaling(t *testing.T, m *Model, sc RopeScaling) {
	t.Helper()
	m.Config.RopeFreqs = nil
	m.Config.RopeScaling = sc
	if err := m.init(); err != nil {
		t.Fatal(err)
	}
}

// refRope returns the inverse frequencies and the cos/sin factor of the
// scaling sc for a head of dim, at a sequence of seqLen positions.
func refRope(c *Config, sc RopeScaling, seqLen int) ([]float64, float64) {
	d := c.RopeDim
	base := make([]float64, d/2)
	for i := range base {
		base[i] = 1 / math.Pow(c.RopeTheta, float64(2*i)/float64(d))
	}
	orig := float64(sc.OriginalContext)
	inv := make([]float64, d/2)
	switch sc.Type {
	case "llama3":
		lowWave, highWave := orig/sc.LowFreqFactor, orig/sc.HighFreqFactor
		for i, f := range base {
			wave := 2 * math.Pi / f
			switch {
			case wave < highWave:
				inv[i] = f
			case wave > lowWave:
				inv[i] = f / sc.Factor
			default:
				s := (orig/wave - sc.LowFreqFactor) / (sc.HighFreqFactor - sc.LowFreqFactor)
				inv[i] = (1-s)*f/sc.Factor + s*f
			}
		}
		return inv, 1
	case "yarn":
		dimFor := func(rot float64) float64 {
			return float64(d) * math.Log(orig/(rot*2*math.Pi)) / (2 * math.Log(c.RopeTheta))
		}
		low := math.Max(math.Floor(dimFor(32)), 0)
		high := math.Min(math.Ceil(dimFor(1)), float64(d-1))
		for i, f := range base {
			ramp := math.Min(math.Max((float64(i)-low)/(high-low), 0), 1)
			extra := 1 - ramp // share of the original frequency
			inv[i] = f/sc.Factor*(1-extra) + f*extra
		}
		return inv, 0.1*math.Log(sc.Factor) + 1
	case "longrope":
		factors := sc.ShortFactor
		if seqLen > sc.OriginalContext {
			factors = sc.LongFactor
		}
		for i, f := range base {
			inv[i] = f / factors[i]
		}
		scale := float64(c.ContextLen) / orig
		return inv, math.Sqrt(1 + math.Log(scale)/math.Log(orig))
	}
	return base, 1
}

// refLinear computes W·x for a weight matrix of the model.
func refLinear(w *tensor.Tensor, x []float64) []float64 {
	out := make([]float64, w.Rows())
	row := make([]float32, w.Cols())
	for r := range out {
		if err := tensor.Dequantize(w.Type, w.Row(r), row); err != nil {
			panic(err)
		}
		var s float64
		for i, v := range row {
			s += float64(v) * x[i]
		}
		out[r] = s
	}
	return out
}

func refNorm(x []float64, w []float32, eps float64) []float64 {
	var ss float64
	for _, v := range x {
		ss += v * v
	}
	inv := 1 / math.Sqrt(ss/float64(len(x))+eps)
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v * inv * float64(w[i])
	}
	return out
}

// refRotate rotates every head of x for position pos.
func refRotate(c *Config, x []float64, heads int, inv []float64, scale float64, pos int) {
	half := c.RopeDim / 2
	for h := 0; h < heads; h++ {
		v := x[h*c.HeadDim:]
		for i := 0; i < half; i++ {
			s, co := math.Sincos(float64(pos) * inv[i])
			a, b := i, i+half
			if c.RopeStyle == RopeNormal {
				a, b = 2*i, 2*i+1
			}
			x0, x1 := v[a], v[b]
			v[a] = (x0*co - x1*s) * scale
			v[b] = (x0*s + x1*co) * scale
		}
	}
}

// refForward runs tokens at positions first, first+1, … over a float32
// cache that holds the positions before first, and returns the logits of
// the last token. It implements the plain Llama block only.
func refForward(m *Model, sc RopeScaling, kv KVCache, tokens []int32, first int) []float64 {
	c := &m.Config
	inv, scale := refRope(c, sc, first+len(tokens))
	kDim, vDim := c.KVDim(), c.KVHeads*c.ValueDim
	// Keys and values per layer: the cached past, then the new tokens.
	pastK := make([][][]float64, c.Layers)
	pastV := make([][][]float64, c.Layers)
	for l := 0; l < c.Layers; l++ {
		for p := 0; p < first; {
			kb, vb, n := kv.Span(l, 0, p, first)
			for j := 0; j < n; j++ {
				kf, vf := f32View(kb[j*4*kDim:]), f32View(vb[j*4*vDim:])
				k, v := make([]float64, kDim), make([]float64, vDim)
				for e := range k {
					k[e] = float64(kf[e])
				}
				for e := range v {
					v[e] = float64(vf[e])
				}
				pastK[l] = append(pastK[l], k)
				pastV[l] = append(pastV[l], v)
			}
			p += n
		}
	}
	eps := float64(c.NormEps)
	var last []float64
	for ti, tok := range tokens {
		pos := first + ti
		x := make([]float64, c.Hidden)
		emb := make([]float32, c.Hidden)
		_ = tensor.Dequantize(m.tokenEmbd.Type, m.tokenEmbd.Row(int(tok)), emb)
		for i, v := range emb {
			x[i] = float64(v)
		}
		for l := 0; l < c.Layers; l++ {
			w := &m.layers[l]
			xn := refNorm(x, w.attnNorm, eps)
			q, k, v := refLinear(w.q, xn), refLinear(w.k, xn), refLinear(w.v, xn)
			refRotate(c, q, c.Heads, inv, scale, pos)
			refRotate(c, k, c.KVHeads, inv, scale, pos)
			pastK[l] = append(pastK[l], k)
			pastV[l] = append(pastV[l], v)
			att := make([]float64, c.Heads*c.ValueDim)
			group := c.Heads / c.KVHeads
			for h := 0; h < c.Heads; h++ {
				g := h / group
				s := make([]float64, len(pastK[l]))
				mx := math.Inf(-1)
				for j, kj := range pastK[l] {
					var d float64
					for e := 0; e < c.HeadDim; e++ {
						d += q[h*c.HeadDim+e] * kj[g*c.HeadDim+e]
					}
					s[j] = d / math.Sqrt(float64(c.HeadDim))
					mx = max(mx, s[j])
				}
				var sum float64
				for j := range s {
					s[j] = math.Exp(s[j] - mx)
					sum += s[j]
				}
				for j, vj := range pastV[l] {
					for e := 0; e < c.ValueDim; e++ {
						att[h*c.ValueDim+e] += s[j] / sum * vj[g*c.ValueDim+e]
					}
				}
			}
			o := refLinear(w.o, att)
			for i := range x {
				x[i] += o[i]
			}
			xn = refNorm(x, w.ffnNorm, eps)
			gate, up := refLinear(w.gate, xn), refLinear(w.up, xn)
			for i := range gate {
				gate[i] = gate[i] / (1 + math.Exp(-gate[i])) * up[i]
			}
			d := refLinear(w.down, gate)
			for i := range x {
				x[i] += d[i]
			}
		}
		last = x
	}
	return refLinear(m.output, refNorm(last, m.outputNorm, eps))
}

// fillPast stores random keys and values for positions [0, n) of sequence 0.
func fillPast(c *Config, kv KVCache, n int, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 99))
	k, v := make([]float32, c.KVDim()), make([]float32, c.KVHeads*c.ValueDim)
	for l := 0; l < c.Layers; l++ {
		for p := 0; p < n; p++ {
			for i := range k {
				k[i] = (r.Float32() - 0.5) * 3
			}
			for i := range v {
				v[i] = (r.Float32() - 0.5) * 2
			}
			kv.Store(l, 0, p, k, v)
		}
	}
}

// runAt runs tokens at positions first… through the model over kv and
// returns the last token's logits.
func runAt(t *testing.T, m *Model, kv KVCache, tokens []int32, first int) []float32 {
	t.Helper()
	b := &Batch{Tokens: tokens, Pos: make([]int32, len(tokens)), Seq: make([]int32, len(tokens)), Logits: make([]bool, len(tokens))}
	for i := range tokens {
		b.Pos[i] = int32(first + i)
	}
	b.Logits[len(tokens)-1] = true
	logits := make([]float32, m.Config.VocabSize)
	if err := m.Forward(b, kv, logits); err != nil {
		t.Fatal(err)
	}
	return logits
}

// logitDiff is the largest difference between logits, relative to the
// reference's root mean square.
func logitDiff(got []float32, want []float64) float64 {
	var ss, worst float64
	for i, w := range want {
		ss += w * w
		worst = max(worst, math.Abs(float64(got[i])-w))
	}
	return worst / math.Sqrt(ss/float64(len(want)))
}

func TestLongContextRopeScaling(t *testing.T) {
	m := longModel(t)
	half := m.Config.RopeDim / 2
	short, long := make([]float64, half), make([]float64, half)
	for i := range long {
		short[i] = 1 + 0.05*float64(i)
		long[i] = 1 + 1.5*float64(i)
	}
	scalings := []RopeScaling{
		{Type: "llama3", Factor: 16, LowFreqFactor: 1, HighFreqFactor: 4, OriginalContext: 8192},
		{Type: "yarn", Factor: 16, OriginalContext: 8192},
		{Type: "longrope", ShortFactor: short, LongFactor: long, OriginalContext: 4096},
	}
	positions := []int{1 << 10, 1 << 14, 1 << 16}
	if testing.Short() {
		positions = positions[:2]
	}
	tokens := []int32{17, 250, 3, 42}
	kv, err := NewDenseCacheType(&m.Config, KVF32, 1, positions[len(positions)-1])
	if err != nil {
		t.Fatal(err)
	}
	fillPast(&m.Config, kv, positions[len(positions)-1]-len(tokens), 11)
	for _, sc := range scalings {
		for _, p := range positions {
			t.Run(fmt.Sprintf("%s/%d", sc.Type, p), func(t *testing.T) {
				first := p - len(tokens)
				setScaling(t, m, sc)
				want := refForward(m, sc, kv, tokens, first)
				got := runAt(t, m, kv, tokens, first)
				// float32 angles (as Hugging Face computes them) drift
				// from exact ones by up to an ulp of pos·θ; allow for it.
				tol := 1e-4 + 2e-7*float64(p)
				d := logitDiff(got, want)
				t.Logf("largest logit difference %.3g of their RMS", d)
				if d > tol {
					t.Errorf("largest logit difference %.3g of their RMS, want ≤ %.3g", d, tol)
				}
				// The check is sensitive: the unscaled RoPE is far off
				// (except below the original context for LongRoPE's
				// mild short factors).
				base := RopeScaling{}
				setScaling(t, m, base)
				wrong := runAt(t, m, kv, tokens, first)
				if d := logitDiff(wrong, want); d < 10*tol {
					t.Errorf("unscaled RoPE differs by only %.3g", d)
				}
			})
		}
	}
}

// TestLongContextQuantizedKV: F16 and Q8_0 caches change the logits at 16K
// only slightly compared with float32.
func TestLongContextQuantizedKV(t *testing.T) {
	m := longModel(t)
	sc := RopeScaling{Type: "llama3", Factor: 16, LowFreqFactor: 1, HighFreqFactor: 4, OriginalContext: 8192}
	setScaling(t, m, sc)
	const p = 1 << 14
	tokens := []int32{17, 250, 3, 42}
	var ref []float32
	for _, tc := range []struct {
		t   KVType
		tol float64
	}{{KVF32, 0}, {KVF16, 0.01}, {KVQ8, 0.05}} {
		kv, err := NewDenseCacheType(&m.Config, tc.t, 1, p)
		if err != nil {
			t.Fatal(err)
		}
		fillPast(&m.Config, kv, p-len(tokens), 11)
		got := runAt(t, m, kv, tokens, p-len(tokens))
		if ref == nil {
			ref = got
			continue
		}
		want := make([]float64, len(ref))
		for i, v := range ref {
			want[i] = float64(v)
		}
		d := logitDiff(got, want)
		t.Logf("%s: largest logit difference %.3g of their RMS", tc.t, d)
		if d > tc.tol {
			t.Errorf("%s: largest logit difference %.3g of their RMS, want ≤ %g", tc.t, d, tc.tol)
		}
	}
}
