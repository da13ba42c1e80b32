package kernels

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// halfFields lists the byte offsets of the fp16 scale fields of each block
// type, so random test blocks can be given finite, moderate scales.
var halfFields = map[tensor.DType][]int{
	tensor.Q4_0: {0}, tensor.Q4_1: {0, 2}, tensor.Q5_0: {0}, tensor.Q5_1: {0, 2}, tensor.Q8_0: {0},
	tensor.Q2_K: {80, 82}, tensor.Q3_K: {108}, tensor.Q4_K: {0, 2}, tensor.Q5_K: {0, 2}, tensor.Q6_K: {208},
}

var allTypes = []tensor.DType{
	tensor.F32, tensor.F16, tensor.BF16, tensor.Q4_0, tensor.Q4_1, tensor.Q5_0, tensor.Q5_1, tensor.Q8_0,
	tensor.Q2_K, tensor.Q3_K, tensor.Q4_K, tensor.Q5_K, tensor.Q6_K, tensor.Q8_K,
}

// randomWeight makes a [rows, cols] tensor of type t with random contents:
// random quant bits and scales drawn from a moderate range.
func randomWeight(rng *rand.Rand, t tensor.DType, rows, cols int) *tensor.Tensor {
	rb, err := tensor.RowBytes(t, cols)
	if err != nil {
		panic(err)
	}
	data := make([]byte, rows*rb)
	switch t {
	case tensor.F32:
		for i := 0; i < len(data); i += 4 {
			binary.LittleEndian.PutUint32(data[i:], math.Float32bits(float32(rng.NormFloat64())))
		}
	case tensor.F16:
		for i := 0; i < len(data); i += 2 {
			binary.LittleEndian.PutUint16(data[i:], tensor.F32ToF16(float32(rng.NormFloat64())))
		}
	case tensor.BF16:
		for i := 0; i < len(data); i += 2 {
			binary.LittleEndian.PutUint16(data[i:], uint16(math.Float32bits(float32(rng.NormFloat64()))>>16))
		}
	default:
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		bs := t.TypeSize()
		for off := 0; off < len(data); off += bs {
			if t == tensor.Q8_K {
				binary.LittleEndian.PutUint32(data[off:], math.Float32bits(float32(rng.Float64()*0.02)))
				continue
			}
			for _, f := range halfFields[t] {
				binary.LittleEndian.PutUint16(data[off+f:], tensor.F32ToF16(float32(rng.Float64()*0.05)))
			}
		}
	}
	return &tensor.Tensor{Name: fmt.Sprintf("w_%v", t), Type: t, Shape: []int{rows, cols}, Data: data}
}

func randomVec(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// refMatMul is the reference: for weights GGML multiplies with quantized
// activations it is tensor.DotQ8Ref on activations tensor.Quantize'd to
// tensor.VecDotType; otherwise tensor.DotF32 (exact dequantization, float64
// sums), on activations rounded to bfloat16 for BF16 weights (GGML's
// vec-dot type for BF16). It also returns, per output, the sum of |w|·|x|
// that bounds rounding error.
func refMatMul(w *tensor.Tensor, x []float32, n int) (want, mag []float64) {
	rows, cols := w.Rows(), w.Cols()
	want = make([]float64, n*rows)
	mag = make([]float64, n*rows)
	row := make([]float32, cols)
	for b := 0; b < n; b++ {
		xb := x[b*cols : (b+1)*cols]
		if w.Type == tensor.BF16 {
			xb = roundBF16s(xb)
		}
		var xq []byte
		if vdt := tensor.VecDotType(w.Type); w.Type.Quantized() && w.Type != tensor.Q8_K {
			nbytes, _ := tensor.RowBytes(vdt, cols)
			xq = make([]byte, nbytes)
			if err := tensor.Quantize(vdt, xb, xq); err != nil {
				panic(err)
			}
		}
		for r := 0; r < rows; r++ {
			if xq != nil {
				want[b*rows+r] = float64(tensor.DotQ8Ref(w.Type, w.Row(r), xq))
			} else {
				want[b*rows+r] = float64(tensor.DotF32(w.Type, w.Row(r), xb))
			}
			if err := tensor.Dequantize(w.Type, w.Row(r), row); err != nil {
				panic(err)
			}
			for c := range row {
				mag[b*rows+r] += math.Abs(float64(row[c]) * float64(xb[c]))
			}
		}
	}
	return want, mag
}

// roundBF16s returns x rounded to bfloat16 precision.
func roundBF16s(x []float32) []float32 {
	r := make([]float32, len(x))
	for i, v := range x {
		r[i] = tensor.BF16ToF32(tensor.F32ToBF16(v))
	}
	return r
}

// checkClose requires |got-want| <= tol·mag element-wise.
func checkClose(t *testing.T, name string, got []float32, want, mag []float64, tol float64) {
	t.Helper()
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol*mag[i]+1e-30) {
			t.Fatalf("%s: out[%d] = %v, want %v (|diff| %.3g > %.3g)", name, i, got[i], want[i], d, tol*mag[i])
		}
	}
}

// forLevels runs f at every CPU feature level of this architecture that
// this machine supports.
func forLevels(t *testing.T, f func(t *testing.T)) {
	for _, l := range levels() {
		if l > MaxCPULevel() {
			continue
		}
		t.Run(l.String(), func(t *testing.T) {
			old := setLevel(l)
			defer setLevel(old)
			f(t)
		})
	}
}

func colsFor(t tensor.DType) []int {
	if t.BlockSize() == 256 {
		return []int{256, 512, 2304}
	}
	if t.BlockSize() == 32 {
		return []int{32, 96, 544, 2048}
	}
	return []int{1, 7, 100, 333}
}

func TestMatMulAllTypes(t *testing.T) { forLevels(t, testMatMulAllTypes) }

func testMatMulAllTypes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, threads := range []int{1, 2, 3} {
		p := NewPool(threads)
		for _, dt := range allTypes {
			for _, cols := range colsFor(dt) {
				for _, rows := range []int{1, 3, 17, 70} {
					for _, n := range []int{1, 2, 5} {
						w := randomWeight(rng, dt, rows, cols)
						x := randomVec(rng, n*cols)
						got := make([]float32, n*rows)
						MatMul(p, got, w, x, n)
						name := fmt.Sprintf("%v threads=%d rows=%d cols=%d n=%d", dt, threads, rows, cols, n)
						want, mag := refMatMul(w, x, n)
						checkClose(t, name, got, want, mag, 1e-5)
					}
				}
			}
		}
		p.Close()
	}
}

func TestCheckWeightErrors(t *testing.T) {
	tests := []struct {
		name string
		w    *tensor.Tensor
	}{
		{"nil", nil},
		{"type", &tensor.Tensor{Type: tensor.I32, Shape: []int{1, 4}, Data: make([]byte, 16)}},
		{"block", &tensor.Tensor{Type: tensor.Q4_0, Shape: []int{1, 33}, Data: make([]byte, 18)}},
		{"bytes", &tensor.Tensor{Type: tensor.Q8_0, Shape: []int{2, 32}, Data: make([]byte, 34)}},
		{"empty", &tensor.Tensor{Type: tensor.F32, Shape: []int{0, 4}}},
	}
	for _, tc := range tests {
		if err := CheckWeight(tc.w); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func TestMatMulNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	p := NewPool(2)
	defer p.Close()
	for _, dt := range allTypes {
		w := randomWeight(rng, dt, 64, 512)
		x := randomVec(rng, 512)
		out := make([]float32, 64)
		MatMul(p, out, w, x, 1)
		if a := testing.AllocsPerRun(20, func() { MatMul(p, out, w, x, 1) }); a != 0 {
			t.Errorf("%v: %v allocations per MatMul, want 0", dt, a)
		}
	}
}

func TestMeasureReadBandwidth(t *testing.T) {
	if g := MeasureReadBandwidth(2, 1<<20); !(g > 0) {
		t.Fatalf("bandwidth %v", g)
	}
}

// TestMatMulAwkwardShapes covers the sizes that stress chunking and the
// four-token prefill path: many rows, a prime row count, token counts that
// leave remainders after groups of four.
func TestMatMulAwkwardShapes(t *testing.T) { forLevels(t, testMatMulAwkwardShapes) }

func testMatMulAwkwardShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	p := NewPool(2)
	defer p.Close()
	for _, dt := range []tensor.DType{tensor.Q8_0, tensor.Q4_0, tensor.Q4_K, tensor.Q6_K, tensor.F16, tensor.F32} {
		cols := 96 // three blocks: one pair and an odd block
		if dt.BlockSize() == 256 {
			cols = 512
		}
		for _, tc := range []struct{ rows, n int }{{4097, 1}, {37, 33}, {17, 8}, {3, 2}} {
			w := randomWeight(rng, dt, tc.rows, cols)
			x := randomVec(rng, tc.n*cols)
			got := make([]float32, tc.n*tc.rows)
			MatMul(p, got, w, x, tc.n)
			want, mag := refMatMul(w, x, tc.n)
			checkClose(t, fmt.Sprintf("%v rows=%d n=%d", dt, tc.rows, tc.n), got, want, mag, 1e-5)
		}
	}
}

// TestActivationLayout checks that the compact activation layout holds
// exactly GGML's Q8_0 quants and scales, and consistent corrections.
func TestActivationLayout(t *testing.T) { forLevels(t, testActivationLayout) }

func testActivationLayout(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, cols := range []int{32, 64, 96, 2048} {
		for _, interleave := range []bool{false, true} {
			x := randomVec(rng, 2*cols)
			for i := 0; i < len(x); i += 7 {
				x[i] = float32(math.Round(float64(x[i]) * 8)) // exact values and rounding ties
			}
			for i := 96; i < 128 && i < len(x); i++ {
				x[i] = 0 // an all-zero block
			}
			var a q8Act
			a.prepare(2, cols, interleave)
			for b := 0; b < 2; b++ {
				a.quantizeToken(b, x[b*cols:(b+1)*cols], 8)
			}
			nb := cols / 32
			ref := make([]byte, nb*34)
			for b := 0; b < 2; b++ {
				if err := tensor.Quantize(tensor.Q8_0, x[b*cols:(b+1)*cols], ref); err != nil {
					t.Fatal(err)
				}
				qs, d, corr := a.tok(b)
				for i := 0; i < nb; i++ {
					if d[i] != tensor.F16ToF32(le16(ref[34*i:])) {
						t.Fatalf("cols=%d block %d: scale %v", cols, i, d[i])
					}
					for e := 0; e < 32; e++ {
						pos := 32*i + e // natural position
						if interleave && i+1 < nb || interleave && i%2 == 1 {
							pair, blk := i/2*64, i%2
							pos = pair + blk*16 + e%16 + e/16*32
						}
						if qs[pos] != ref[34*i+2+e] {
							t.Fatalf("cols=%d interleave=%v block %d elem %d: %d want %d", cols, interleave, i, e, int8(qs[pos]), int8(ref[34*i+2+e]))
						}
					}
				}
				for k := range corr {
					s := int32(0)
					for _, q := range qs[4*k : 4*k+4] {
						s += int32(int8(q))
					}
					if corr[k] != -8*s {
						t.Fatalf("corr[%d] = %d, want %d", k, corr[k], -8*s)
					}
				}
			}
		}
	}
}

// TestQuantizeVecDot checks the activation quantizers against
// tensor.Quantize byte for byte, including zero blocks, ties in magnitude
// and values that round at exactly one half.
func TestQuantizeVecDot(t *testing.T) { forLevels(t, testQuantizeVecDot) }

func testQuantizeVecDot(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, vdt := range []tensor.DType{tensor.Q8_K, tensor.Q8_0, tensor.Q8_1} {
		for _, cols := range []int{256, 768, 2048} {
			x := randomVec(rng, cols)
			for i := 0; i < cols; i += 5 {
				x[i] = float32(math.Round(float64(x[i])*4)) / 4
			}
			clear(x[:256][100:110])
			if cols > 256 {
				clear(x[256:512])      // a zero block
				x[600], x[601] = 9, -9 // equal magnitudes, first wins
				x[700], x[701] = -12, 12
			}
			nbytes, _ := tensor.RowBytes(vdt, cols)
			got, want := make([]byte, nbytes), make([]byte, nbytes)
			quantizeVecDot(vdt, x, got)
			if err := tensor.Quantize(vdt, x, want); err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%v cols=%d: byte %d = %#x, want %#x", vdt, cols, i, got[i], want[i])
				}
			}
		}
	}
}
