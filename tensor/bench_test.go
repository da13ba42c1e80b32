package tensor

import (
	"math/rand/v2"
	"testing"
)

var benchTypes = []DType{F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K}

func benchRow(b *testing.B, dt DType, n int) ([]float32, []byte) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	rb, err := RowBytes(dt, n)
	if err != nil {
		b.Fatal(err)
	}
	row := make([]byte, rb)
	if err := Quantize(dt, x, row); err != nil {
		b.Fatal(err)
	}
	return x, row
}

// go test ./tensor -run '^$' -bench . -benchtime 200x
func BenchmarkDequantize(b *testing.B) {
	const n = 4096
	for _, dt := range benchTypes {
		b.Run(dt.String(), func(b *testing.B) {
			_, row := benchRow(b, dt, n)
			y := make([]float32, n)
			b.SetBytes(n * 4)
			for b.Loop() {
				if err := Dequantize(dt, row, y); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDotF32(b *testing.B) {
	const n = 4096
	for _, dt := range benchTypes {
		b.Run(dt.String(), func(b *testing.B) {
			x, row := benchRow(b, dt, n)
			b.SetBytes(n * 4)
			for b.Loop() {
				_ = DotF32(dt, row, x)
			}
		})
	}
}

func BenchmarkDotQ8Ref(b *testing.B) {
	const n = 4096
	for _, dt := range []DType{Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K} {
		b.Run(dt.String(), func(b *testing.B) {
			x, row := benchRow(b, dt, n)
			vt := VecDotType(dt)
			xb, _ := RowBytes(vt, n)
			xq := make([]byte, xb)
			if err := Quantize(vt, x, xq); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(n * 4)
			for b.Loop() {
				_ = DotQ8Ref(dt, row, xq)
			}
		})
	}
}

func BenchmarkQuantize(b *testing.B) {
	const n = 4096
	for _, dt := range benchTypes {
		b.Run(dt.String(), func(b *testing.B) {
			x, row := benchRow(b, dt, n)
			b.SetBytes(n * 4)
			for b.Loop() {
				if err := Quantize(dt, x, row); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
