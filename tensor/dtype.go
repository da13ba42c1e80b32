// Package tensor defines the element types Nuri reads from model files (the
// GGML block formats plus F32/F16/BF16), their sizes, and conversions between
// them and float32.
package tensor

import "fmt"

// DType is a tensor element type. The numeric values are GGML's type ids, so a
// GGUF tensor's type field converts directly.
type DType uint32

// GGML type ids.
const (
	F32  DType = 0
	F16  DType = 1
	Q4_0 DType = 2
	Q4_1 DType = 3
	Q5_0 DType = 6
	Q5_1 DType = 7
	Q8_0 DType = 8
	Q8_1 DType = 9
	Q2_K DType = 10
	Q3_K DType = 11
	Q4_K DType = 12
	Q5_K DType = 13
	Q6_K DType = 14
	Q8_K DType = 15
	I8   DType = 24
	I16  DType = 25
	I32  DType = 26
	I64  DType = 27
	F64  DType = 28
	BF16 DType = 30
)

// QK_K is the super-block size of the K-quant formats.
const QK_K = 256

type typeInfo struct {
	name      string
	blockSize int // elements per block
	typeSize  int // bytes per block
}

// types is indexed by DType (an array rather than a map: RowBytes runs in
// the matrix products' inner loops); unknown ids have no name.
var types = [...]typeInfo{
	F32:  {"F32", 1, 4},
	F16:  {"F16", 1, 2},
	BF16: {"BF16", 1, 2},
	F64:  {"F64", 1, 8},
	I8:   {"I8", 1, 1},
	I16:  {"I16", 1, 2},
	I32:  {"I32", 1, 4},
	I64:  {"I64", 1, 8},
	Q4_0: {"Q4_0", 32, 2 + 16},
	Q4_1: {"Q4_1", 32, 2 + 2 + 16},
	Q5_0: {"Q5_0", 32, 2 + 4 + 16},
	Q5_1: {"Q5_1", 32, 2 + 2 + 4 + 16},
	Q8_0: {"Q8_0", 32, 2 + 32},
	Q8_1: {"Q8_1", 32, 2 + 2 + 32},
	Q2_K: {"Q2_K", QK_K, QK_K/16 + QK_K/4 + 2 + 2},
	Q3_K: {"Q3_K", QK_K, QK_K/8 + QK_K/4 + 12 + 2},
	Q4_K: {"Q4_K", QK_K, 2 + 2 + 12 + QK_K/2},
	Q5_K: {"Q5_K", QK_K, 2 + 2 + 12 + QK_K/8 + QK_K/2},
	Q6_K: {"Q6_K", QK_K, QK_K/2 + QK_K/4 + QK_K/16 + 2},
	Q8_K: {"Q8_K", QK_K, 4 + QK_K + QK_K/16*2},
}

// info returns t's layout, and whether t is known.
func (t DType) info() (typeInfo, bool) {
	if uint64(t) < uint64(len(types)) && types[t].name != "" {
		return types[t], true
	}
	return typeInfo{}, false
}

// Known reports whether t is a type Nuri knows the layout of.
func (t DType) Known() bool { _, ok := t.info(); return ok }

// String returns GGML's name for the type.
func (t DType) String() string {
	if ti, ok := t.info(); ok {
		return ti.name
	}
	return fmt.Sprintf("DType(%d)", uint32(t))
}

// BlockSize is the number of elements in one block (1 for plain types, 0
// for unknown ones).
func (t DType) BlockSize() int { ti, _ := t.info(); return ti.blockSize }

// TypeSize is the number of bytes of one block.
func (t DType) TypeSize() int { ti, _ := t.info(); return ti.typeSize }

// Quantized reports whether t is a block-quantized format.
func (t DType) Quantized() bool { return t.BlockSize() > 1 }

// ParseDType maps a GGML type name (case-insensitive, e.g. "q4_k") to its DType.
func ParseDType(name string) (DType, error) {
	for t, ti := range types {
		if ti.name != "" && equalFold(ti.name, name) {
			return DType(t), nil
		}
	}
	return 0, fmt.Errorf("tensor: unknown type %q", name)
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if 'a' <= y && y <= 'z' {
			y -= 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// RowBytes returns the number of bytes n elements of type t occupy. n must be a
// multiple of the block size.
func RowBytes(t DType, n int) (int, error) {
	ti, ok := t.info()
	if !ok {
		return 0, fmt.Errorf("tensor: unknown type %v", t)
	}
	if n < 0 || n%ti.blockSize != 0 {
		return 0, fmt.Errorf("tensor: %d elements is not a multiple of the %v block size %d", n, t, ti.blockSize)
	}
	return n / ti.blockSize * ti.typeSize, nil
}

// Tensor is a named, typed view of bytes (usually memory-mapped from a model
// file). Shape is row-major with the innermost (contiguous) dimension last, as
// in PyTorch: a linear layer's weight is [out, in]. GGUF's dimension list is
// the reverse of Shape.
type Tensor struct {
	Name  string
	Type  DType
	Shape []int
	Data  []byte
}

// Elements is the product of the shape.
func (t *Tensor) Elements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Rows is the number of rows: the product of all but the last dimension.
func (t *Tensor) Rows() int {
	if len(t.Shape) == 0 {
		return 1
	}
	n := 1
	for _, d := range t.Shape[:len(t.Shape)-1] {
		n *= d
	}
	return n
}

// Cols is the length of the innermost dimension.
func (t *Tensor) Cols() int {
	if len(t.Shape) == 0 {
		return 1
	}
	return t.Shape[len(t.Shape)-1]
}

// RowSize is the number of bytes in one row.
func (t *Tensor) RowSize() int {
	n, _ := RowBytes(t.Type, t.Cols())
	return n
}

// Row returns the bytes of row i.
func (t *Tensor) Row(i int) []byte {
	rs := t.RowSize()
	return t.Data[i*rs : (i+1)*rs]
}
