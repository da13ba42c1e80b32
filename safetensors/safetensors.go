// Package safetensors reads and writes Hugging Face .safetensors weight files
// and model folders made of them (one file, or shards listed in
// model.safetensors.index.json).
//
// A .safetensors file is an 8-byte little-endian header length, a JSON header
// mapping each tensor name to its dtype, shape and byte range, and the raw
// little-endian tensor bytes. Open memory-maps a file and checks the header
// against the file before anything is used: sizes, bounds, overlaps and
// overflow. Tensors are returned as zero-copy views of the mapping.
package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"sort"

	"github.com/nuri-ai/nuri/tensor"
)

// MaxHeaderSize is the largest JSON header accepted (100 MB).
const MaxHeaderSize = 100_000_000

// metadataKey is the header entry that holds free-form string metadata.
const metadataKey = "__metadata__"

// ErrUnsupported is wrapped by errors about tensors whose dtype Nuri cannot
// use as a model weight (for example F8_E4M3, U8 or BOOL).
var ErrUnsupported = errors.New("not supported")

// DType is a safetensors element type name as written in the header.
type DType string

// The dtypes a safetensors header may use.
const (
	F64     DType = "F64"
	F32     DType = "F32"
	F16     DType = "F16"
	BF16    DType = "BF16"
	I64     DType = "I64"
	I32     DType = "I32"
	I16     DType = "I16"
	I8      DType = "I8"
	U64     DType = "U64"
	U32     DType = "U32"
	U16     DType = "U16"
	U8      DType = "U8"
	BOOL    DType = "BOOL"
	F8_E4M3 DType = "F8_E4M3"
	F8_E5M2 DType = "F8_E5M2"
)

var dtypeSizes = map[DType]int{
	F64: 8, F32: 4, F16: 2, BF16: 2,
	I64: 8, I32: 4, I16: 2, I8: 1,
	U64: 8, U32: 4, U16: 2, U8: 1,
	BOOL: 1, F8_E4M3: 1, F8_E5M2: 1,
}

var toTensorType = map[DType]tensor.DType{
	F64: tensor.F64, F32: tensor.F32, F16: tensor.F16, BF16: tensor.BF16,
	I64: tensor.I64, I32: tensor.I32, I16: tensor.I16, I8: tensor.I8,
}

// Size returns the number of bytes of one element, or 0 for an unknown
// dtype.
func (d DType) Size() int { return dtypeSizes[d] }

// Known reports whether d is a dtype this package can parse.
func (d DType) Known() bool { return dtypeSizes[d] > 0 }

// TensorType returns the Nuri tensor type d maps to; ok is false for dtypes
// that have none (unsigned integers, BOOL and the 8-bit float formats).
func (d DType) TensorType() (t tensor.DType, ok bool) {
	t, ok = toTensorType[d]
	return t, ok
}

// DTypeOf returns the safetensors dtype of a Nuri tensor type; ok is false
// for types safetensors cannot hold (the block-quantized formats).
func DTypeOf(t tensor.DType) (d DType, ok bool) {
	for d, tt := range toTensorType {
		if tt == t {
			return d, true
		}
	}
	return "", false
}

// TensorInfo describes one tensor of a .safetensors file.
type TensorInfo struct {
	Name  string
	DType DType
	// Shape is row-major, innermost dimension last.
	Shape []int
	// Begin and End delimit the tensor's bytes relative to the start of the
	// data section (the file offset 8 + header length).
	Begin, End int64
}

// File is one parsed .safetensors file.
type File struct {
	// Metadata is the header's __metadata__ map (nil if absent).
	Metadata map[string]string
	// Tensors describes the tensors in header order.
	Tensors []TensorInfo

	path      string
	data      []byte
	release   func() error
	dataStart int64
	index     map[string]int
}

// Open memory-maps the .safetensors file at path read-only and parses its
// header. Close the file once its tensors are no longer used.
func Open(path string) (*File, error) {
	data, release, err := mapFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(path, data)
	if err != nil {
		_ = release()
		return nil, err
	}
	f.release = release
	return f, nil
}

// Parse parses a .safetensors file held in memory; name is used in errors
// and returned by Path. Tensors returned by the File alias data.
func Parse(name string, data []byte) (*File, error) {
	f, err := parse(name, data)
	if err != nil {
		return nil, err
	}
	f.path = name
	f.data = data
	return f, nil
}

// Close releases the file's mapping; tensors obtained from it must not be
// used afterwards. Close may be called more than once.
func (f *File) Close() error {
	f.data = nil
	if f.release == nil {
		return nil
	}
	r := f.release
	f.release = nil
	if err := r(); err != nil {
		return fmt.Errorf("safetensors: %s: unmap: %w", f.path, err)
	}
	return nil
}

// Path returns the path (or name) the file was opened with.
func (f *File) Path() string { return f.path }

// DataOffset returns the absolute file offset of the data section.
func (f *File) DataOffset() int64 { return f.dataStart }

// Names returns the tensor names in header order.
func (f *File) Names() []string {
	names := make([]string, len(f.Tensors))
	for i := range f.Tensors {
		names[i] = f.Tensors[i].Name
	}
	return names
}

// Has reports whether the file holds the named tensor.
func (f *File) Has(name string) bool {
	_, ok := f.index[name]
	return ok
}

// Info returns the description of the named tensor, including its raw
// safetensors dtype.
func (f *File) Info(name string) (TensorInfo, bool) {
	i, ok := f.index[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.Tensors[i], true
}

// Bytes returns the raw bytes of the named tensor, whatever its dtype, as a
// zero-copy view.
func (f *File) Bytes(name string) ([]byte, error) {
	i, ok := f.index[name]
	if !ok {
		return nil, fmt.Errorf("safetensors: %s: no tensor %q", f.path, name)
	}
	if f.data == nil {
		return nil, fmt.Errorf("safetensors: %s: tensor %q: file is closed", f.path, name)
	}
	ti := &f.Tensors[i]
	b, e := f.dataStart+ti.Begin, f.dataStart+ti.End
	return f.data[b:e:e], nil
}

// Tensor returns the named tensor as a zero-copy view. Its dtype must map to
// a Nuri tensor type (F64, F32, F16, BF16, I64, I32, I16 or I8); others give
// an error wrapping ErrUnsupported (use Bytes and Info for those).
func (f *File) Tensor(name string) (*tensor.Tensor, error) {
	data, err := f.Bytes(name)
	if err != nil {
		return nil, err
	}
	ti := f.Tensors[f.index[name]]
	t, ok := ti.DType.TensorType()
	if !ok {
		return nil, fmt.Errorf("safetensors: %s: tensor %q: dtype %s is %w as a model weight", f.path, name, ti.DType, ErrUnsupported)
	}
	return &tensor.Tensor{Name: name, Type: t, Shape: slices.Clone(ti.Shape), Data: data}, nil
}

// header entry as written in the JSON.
type entry struct {
	DType   *string   `json:"dtype"`
	Shape   *[]uint64 `json:"shape"`
	Offsets *[]uint64 `json:"data_offsets"`
}

func parse(name string, data []byte) (*File, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("safetensors: %s: "+format, append([]any{name}, args...)...)
	}
	if len(data) < 8 {
		return nil, fail("file too short for a header length (%d bytes)", len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > MaxHeaderSize {
		return nil, fail("header length %d exceeds the %d-byte limit", n, MaxHeaderSize)
	}
	if n > uint64(len(data)-8) {
		return nil, fail("header length %d extends past end of file (%d bytes)", n, len(data))
	}
	if n < 2 {
		return nil, fail("header length %d is too small for a JSON object", n)
	}
	hdr := data[8 : 8+n]
	dataStart := int64(8 + n)
	avail := uint64(len(data)) - uint64(dataStart)

	dec := json.NewDecoder(bytes.NewReader(hdr))
	tok, err := dec.Token()
	if err != nil {
		return nil, fail("header is not valid JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fail("header is not a JSON object")
	}
	f := &File{dataStart: dataStart, index: map[string]int{}}
	sawMeta := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fail("header is not valid JSON: %w", err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fail("header is not valid JSON: key %v", tok)
		}
		if key == metadataKey {
			if sawMeta {
				return nil, fail("duplicate %s", metadataKey)
			}
			sawMeta = true
			if err := dec.Decode(&f.Metadata); err != nil {
				return nil, fail("%s must map strings to strings: %w", metadataKey, err)
			}
			continue
		}
		if _, dup := f.index[key]; dup {
			return nil, fail("duplicate tensor %q", key)
		}
		var e entry
		if err := dec.Decode(&e); err != nil {
			return nil, fail("tensor %q: bad header entry: %w", key, err)
		}
		ti, err := checkEntry(key, &e, avail)
		if err != nil {
			return nil, fail("tensor %q: %w", key, err)
		}
		f.index[key] = len(f.Tensors)
		f.Tensors = append(f.Tensors, ti)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, fail("header is not valid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fail("unexpected data after the header's JSON object")
	}
	if err := checkOverlaps(f.Tensors, dataStart); err != nil {
		return nil, fail("%w", err)
	}
	return f, nil
}

func checkEntry(name string, e *entry, avail uint64) (TensorInfo, error) {
	if e.DType == nil || e.Shape == nil || e.Offsets == nil {
		return TensorInfo{}, errors.New("header entry needs dtype, shape and data_offsets")
	}
	dt := DType(*e.DType)
	if !dt.Known() {
		return TensorInfo{}, fmt.Errorf("unknown dtype %q", *e.DType)
	}
	offs := *e.Offsets
	if len(offs) != 2 {
		return TensorInfo{}, fmt.Errorf("data_offsets has %d entries, want 2", len(offs))
	}
	begin, end := offs[0], offs[1]
	if begin > end {
		return TensorInfo{}, fmt.Errorf("data_offsets [%d, %d] end before they begin", begin, end)
	}
	if end > avail {
		return TensorInfo{}, fmt.Errorf("data_offsets [%d, %d] extend past the %d-byte data section", begin, end, avail)
	}
	shape := make([]int, len(*e.Shape))
	elems := uint64(1)
	for i, d := range *e.Shape {
		hi, lo := bits.Mul64(elems, d)
		if hi != 0 || d > math.MaxInt || lo > math.MaxInt64 {
			return TensorInfo{}, fmt.Errorf("shape %v: element count overflows", *e.Shape)
		}
		elems = lo
		shape[i] = int(d)
	}
	hi, size := bits.Mul64(elems, uint64(dt.Size()))
	if hi != 0 || size != end-begin {
		return TensorInfo{}, fmt.Errorf("shape %v of %s needs %d×%d bytes, but data_offsets [%d, %d] hold %d",
			*e.Shape, dt, elems, dt.Size(), begin, end, end-begin)
	}
	return TensorInfo{Name: name, DType: dt, Shape: shape, Begin: int64(begin), End: int64(end)}, nil
}

func checkOverlaps(ts []TensorInfo, dataStart int64) error {
	order := make([]int, 0, len(ts))
	for i := range ts {
		if ts[i].End > ts[i].Begin {
			order = append(order, i)
		}
	}
	sort.Slice(order, func(a, b int) bool { return ts[order[a]].Begin < ts[order[b]].Begin })
	for k := 1; k < len(order); k++ {
		p, c := &ts[order[k-1]], &ts[order[k]]
		if c.Begin < p.End {
			return fmt.Errorf("tensor %q: data [%d, %d) overlaps tensor %q [%d, %d)", c.Name,
				dataStart+c.Begin, dataStart+c.End, p.Name, dataStart+p.Begin, dataStart+p.End)
		}
	}
	return nil
}
