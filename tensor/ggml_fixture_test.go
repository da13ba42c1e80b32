package tensor

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"testing"
)

// The fixture testdata/ggml_quants.bin.gz was produced by a small C program
// linked against GGML's own code (see testdata/README.md). Layout, all
// little-endian:
//
//	"NURIQFX1", u32 rows, u32 cols, f32 input[rows*cols], u32 ntypes,
//	per type: u32 type, u32 rowBytes, u32 flags,
//	          u8 quantized[rows*rowBytes],
//	          if flags&1: f32 dequantized[rows*cols],
//	          if flags&2: f32 dot[rows] (row r · row (r+7)%rows quantized to VecDotType),
//	u32 nconv, per conversion: u32 float32 bits, u16 F16, u16 BF16.

type fixtureType struct {
	t       DType
	rowSize int
	quant   [][]byte
	deq     [][]float32 // nil when GGML has no dequantizer
	dots    []float32   // nil when there is no dot product
}

type fixture struct {
	rows, cols int
	input      [][]float32
	types      map[DType]*fixtureType
	order      []DType
	convIn     []uint32
	convF16    []uint16
	convBF16   []uint16
}

func loadFixture(t testing.TB) *fixture {
	t.Helper()
	raw, err := os.ReadFile("testdata/ggml_quants.bin.gz")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parseFixture(data)
	if err != nil {
		t.Fatalf("testdata/ggml_quants.bin.gz: %v", err)
	}
	return f
}

func parseFixture(data []byte) (f *fixture, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("truncated fixture: %v", r)
		}
	}()
	if string(data[:8]) != "NURIQFX1" {
		return nil, fmt.Errorf("bad magic %q", data[:8])
	}
	p := 8
	u32 := func() uint32 { v := binary.LittleEndian.Uint32(data[p:]); p += 4; return v }
	floats := func(n int) []float32 {
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(u32())
		}
		return out
	}
	f = &fixture{types: map[DType]*fixtureType{}}
	f.rows, f.cols = int(u32()), int(u32())
	for r := 0; r < f.rows; r++ {
		f.input = append(f.input, floats(f.cols))
	}
	ntypes := int(u32())
	for i := 0; i < ntypes; i++ {
		ft := &fixtureType{t: DType(u32()), rowSize: int(u32())}
		flags := u32()
		for r := 0; r < f.rows; r++ {
			ft.quant = append(ft.quant, data[p:p+ft.rowSize])
			p += ft.rowSize
		}
		if flags&1 != 0 {
			for r := 0; r < f.rows; r++ {
				ft.deq = append(ft.deq, floats(f.cols))
			}
		}
		if flags&2 != 0 {
			ft.dots = floats(f.rows)
		}
		f.types[ft.t] = ft
		f.order = append(f.order, ft.t)
	}
	n := int(u32())
	for i := 0; i < n; i++ {
		f.convIn = append(f.convIn, u32())
		f.convF16 = append(f.convF16, binary.LittleEndian.Uint16(data[p:]))
		f.convBF16 = append(f.convBF16, binary.LittleEndian.Uint16(data[p+2:]))
		p += 4
	}
	if p != len(data) {
		return nil, fmt.Errorf("%d trailing bytes", len(data)-p)
	}
	return f, nil
}

// sameBits compares floats bit for bit, except that any NaN equals any NaN
// (NaN payloads from arithmetic differ between CPU architectures).
func sameBits(a, b float32) bool {
	if a != a && b != b {
		return true
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

func TestGGMLFixtureQuantize(t *testing.T) {
	f := loadFixture(t)
	for _, dt := range f.order {
		ft := f.types[dt]
		t.Run(dt.String(), func(t *testing.T) {
			if rb, _ := RowBytes(dt, f.cols); rb != ft.rowSize {
				t.Fatalf("RowBytes = %d, GGML row size %d", rb, ft.rowSize)
			}
			got := make([]byte, ft.rowSize)
			bad := 0
			for r := 0; r < f.rows; r++ {
				if err := Quantize(dt, f.input[r], got); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, ft.quant[r]) {
					bad++
					for i := range got {
						if got[i] != ft.quant[r][i] {
							t.Errorf("row %d: first difference at byte %d (block %d): got %#02x, GGML %#02x",
								r, i, i/dt.TypeSize(), got[i], ft.quant[r][i])
							break
						}
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d rows differ", bad, f.rows)
			}
		})
	}
}

func TestGGMLFixtureDequantize(t *testing.T) {
	f := loadFixture(t)
	for _, dt := range f.order {
		ft := f.types[dt]
		if ft.deq == nil {
			continue
		}
		t.Run(dt.String(), func(t *testing.T) {
			got := make([]float32, f.cols)
			for r := 0; r < f.rows; r++ {
				if err := Dequantize(dt, ft.quant[r], got); err != nil {
					t.Fatal(err)
				}
				for i := range got {
					if !sameBits(got[i], ft.deq[r][i]) {
						t.Errorf("row %d elem %d: got %g (%#08x), GGML %g (%#08x)", r, i,
							got[i], math.Float32bits(got[i]), ft.deq[r][i], math.Float32bits(ft.deq[r][i]))
						break
					}
				}
			}
		})
	}
}

func TestGGMLFixtureDot(t *testing.T) {
	f := loadFixture(t)
	for _, dt := range f.order {
		ft := f.types[dt]
		if ft.dots == nil {
			continue
		}
		t.Run(dt.String(), func(t *testing.T) {
			act := f.types[VecDotType(dt)]
			if act == nil {
				t.Fatalf("fixture lacks activation type %v", VecDotType(dt))
			}
			for r := 0; r < f.rows; r++ {
				xq := act.quant[(r+7)%f.rows]
				got := DotQ8Ref(dt, ft.quant[r], xq)
				if !sameBits(got, ft.dots[r]) {
					t.Errorf("row %d: DotQ8Ref = %g (%#08x), GGML %g (%#08x)", r,
						got, math.Float32bits(got), ft.dots[r], math.Float32bits(ft.dots[r]))
				}
			}
		})
	}
}

func TestGGMLFixtureConversions(t *testing.T) {
	f := loadFixture(t)
	for i, b := range f.convIn {
		v := math.Float32frombits(b)
		if got := F32ToF16(v); got != f.convF16[i] {
			t.Errorf("F32ToF16(%#08x) = %#04x, GGML %#04x", b, got, f.convF16[i])
		}
		if got := F32ToBF16(v); got != f.convBF16[i] {
			t.Errorf("F32ToBF16(%#08x) = %#04x, GGML %#04x", b, got, f.convBF16[i])
		}
	}
}
