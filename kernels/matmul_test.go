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
			binary.LittleEndian.PutUint16(data[i:], floatToHalf(float32(rng.NormFloat64())))
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
				binary.LittleEndian.PutUint16(data[off+f:], floatToHalf(float32(rng.Float64()*0.05)))
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

// refMatMul is the float64 reference: dequantize each row, accumulate in float64.
func refMatMul(w *tensor.Tensor, x []float32, n int) []float64 {
	rows, cols := w.Rows(), w.Cols()
	out := make([]float64, n*rows)
	row := make([]float32, cols)
	for r := 0; r < rows; r++ {
		dequantRow(w.Type, w.Row(r), row)
		for b := 0; b < n; b++ {
			var s float64
			for c := 0; c < cols; c++ {
				s += float64(row[c]) * float64(x[b*cols+c])
			}
			out[b*rows+r] = s
		}
	}
	return out
}

// checkClose compares got against want with a tolerance relative to the
// magnitude of the sum of |w·x| terms (approximated by the row's RMS scale).
func checkClose(t *testing.T, name string, got []float32, want []float64, tol float64) {
	t.Helper()
	var scale float64
	for _, v := range want {
		scale = math.Max(scale, math.Abs(v))
	}
	if scale == 0 {
		scale = 1
	}
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); d > tol*scale || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s: out[%d] = %v, want %v (|diff| %.3g > %.3g)", name, i, got[i], want[i], d, tol*scale)
		}
	}
}

func colsFor(t tensor.DType) []int {
	if t.BlockSize() == 256 {
		return []int{256, 512, 2304}
	}
	if t.BlockSize() == 32 {
		return []int{32, 96, 544}
	}
	return []int{1, 7, 100, 333}
}

func TestMatMulAllTypes(t *testing.T) {
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
						checkClose(t, name, got, refMatMul(w, x, n), 1e-4)
					}
				}
			}
		}
		p.Close()
	}
}

func TestHalfToFloatRoundTrip(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := halfToFloat(uint16(h))
		if math.IsNaN(float64(f)) {
			continue
		}
		if back := floatToHalf(f); back != uint16(h) {
			t.Fatalf("half %#04x -> %v -> %#04x", h, f, back)
		}
	}
	tests := []struct {
		h    uint16
		want float32
	}{{0x3c00, 1}, {0xc000, -2}, {0x0001, 1.0 / (1 << 24)}, {0x7bff, 65504}, {0x3555, 0.33325195}}
	for _, tc := range tests {
		if got := halfToFloat(tc.h); got != tc.want {
			t.Errorf("halfToFloat(%#04x) = %v, want %v", tc.h, got, tc.want)
		}
	}
}

func TestDequantQ4_0Block(t *testing.T) {
	b := make([]byte, 18)
	binary.LittleEndian.PutUint16(b, floatToHalf(0.5))
	for j := 0; j < 16; j++ {
		b[2+j] = byte(j) | byte(15-j)<<4
	}
	y := make([]float32, 32)
	if err := DequantizeRow(tensor.Q4_0, b, y); err != nil {
		t.Fatal(err)
	}
	for j := 0; j < 16; j++ {
		if y[j] != float32(j-8)*0.5 || y[j+16] != float32(7-j)*0.5 {
			t.Fatalf("element %d: got %v, %v", j, y[j], y[j+16])
		}
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
