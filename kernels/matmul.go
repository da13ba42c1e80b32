package kernels

import (
	"fmt"
	"math"

	"github.com/nuri-ai/nuri/tensor"
)

// scratch holds the buffers MatMul reuses between calls: one float32 row per
// thread for dequantized weights and a shared buffer for quantized activations.
type scratch struct {
	rows [][]float32 // per thread
	act  []byte      // activations quantized once per call
}

func (s *scratch) init(threads int) { s.rows = make([][]float32, threads) }

func (s *scratch) row(thread, n int) []float32 {
	if cap(s.rows[thread]) < n {
		s.rows[thread] = make([]float32, n)
	}
	return s.rows[thread][:n]
}

func (s *scratch) actBuf(n int) []byte {
	if cap(s.act) < n {
		s.act = make([]byte, n)
	}
	return s.act[:n]
}

// Supported reports whether MatMul accepts weights of type t.
func Supported(t tensor.DType) bool { return supported(t) }

// CheckWeight reports whether w can be used as a MatMul weight: a supported
// type, a positive number of rows and columns, columns a multiple of the block
// size and exactly the bytes the shape needs. Model loaders call it once so
// that a malformed file becomes an error rather than a panic in MatMul.
func CheckWeight(w *tensor.Tensor) error {
	if w == nil {
		return fmt.Errorf("kernels: nil weight")
	}
	if !supported(w.Type) {
		return fmt.Errorf("kernels: weight %q: unsupported type %v", w.Name, w.Type)
	}
	rows, cols := w.Rows(), w.Cols()
	if rows <= 0 || cols <= 0 {
		return fmt.Errorf("kernels: weight %q: empty shape %v", w.Name, w.Shape)
	}
	rb, err := tensor.RowBytes(w.Type, cols)
	if err != nil {
		return fmt.Errorf("kernels: weight %q: %w", w.Name, err)
	}
	if len(w.Data) != rows*rb {
		return fmt.Errorf("kernels: weight %q: shape %v of %v needs %d bytes, have %d",
			w.Name, w.Shape, w.Type, rows*rb, len(w.Data))
	}
	return nil
}

// MatMul computes out[b*rows+r] = Σ_c W[r,c]·x[b*cols+c] for every token
// b < n and row r < rows, where w is [rows, cols] of any supported type. x
// holds n rows of cols float32 and out n rows of rows float32.
//
// Invalid arguments (an unsupported or inconsistent weight, short slices) are
// programming errors and panic; check weights once with CheckWeight when they
// are loaded.
func MatMul(p *Pool, out []float32, w *tensor.Tensor, x []float32, n int) {
	if err := CheckWeight(w); err != nil {
		panic(err)
	}
	rows, cols := w.Rows(), w.Cols()
	if n < 0 || len(x) < n*cols || len(out) < n*rows {
		panic(fmt.Sprintf("kernels: MatMul %q: %d tokens need x of %d and out of %d, have %d and %d",
			w.Name, n, n*cols, n*rows, len(x), len(out)))
	}
	if n == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	matmulGeneric(p, out, w, x, n, rows, cols)
}

// matmulGeneric dequantizes each weight row once into a per-thread buffer and
// takes its float32 dot product with every token.
func matmulGeneric(p *Pool, out []float32, w *tensor.Tensor, x []float32, n, rows, cols int) {
	rb := len(w.Data) / rows
	const chunk = 8
	p.run((rows+chunk-1)/chunk, func(i, thread int) {
		buf := p.scratch.row(thread, cols)
		r1 := min((i+1)*chunk, rows)
		for r := i * chunk; r < r1; r++ {
			wr := buf
			if w.Type == tensor.F32 {
				// Read F32 rows in place when the bytes can be viewed as float32.
				wr = f32View(w.Data[r*rb:(r+1)*rb], buf)
			} else {
				dequantRow(w.Type, w.Data[r*rb:(r+1)*rb], buf)
			}
			for b := 0; b < n; b++ {
				out[b*rows+r] = dotGo(wr, x[b*cols:(b+1)*cols])
			}
		}
	})
}

// f32View decodes little-endian float32 bytes into buf.
func f32View(b []byte, buf []float32) []float32 {
	for i := range buf {
		buf[i] = math.Float32frombits(le32(b[4*i:]))
	}
	return buf
}

// dotGo is a float32 dot product with eight interleaved accumulators.
func dotGo(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
		s4 += a[i+4] * b[i+4]
		s5 += a[i+5] * b[i+5]
		s6 += a[i+6] * b[i+6]
		s7 += a[i+7] * b[i+7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return ((s0 + s4) + (s1 + s5)) + ((s2 + s6) + (s3 + s7))
}
