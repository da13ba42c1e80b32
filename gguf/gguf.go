// Package gguf reads and writes GGUF model files (versions 2 and 3,
// little-endian).
//
// A GGUF file is a header (magic, version, tensor and metadata counts), an
// ordered list of typed metadata key/value pairs, a list of tensor
// descriptions (name, dimensions, element type, offset) and an aligned data
// section holding the tensor bytes. Open memory-maps a file and checks every
// field against the file's size before allocating anything, so damaged or
// hostile files produce an error rather than a crash or a huge allocation.
//
// Metadata values are decoded into plain Go values: scalars as uint8, int8,
// uint16, int16, uint32, int32, uint64, int64, float32, float64, bool or
// string; arrays as slices of exactly that element type ([]uint32, []string,
// ...); arrays of arrays as []any whose elements are such slices (or further
// []any). Metadata is copied out of the file and stays valid after Close;
// tensor data returned by Tensor is a view into the mapping and does not.
package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sort"

	"github.com/nuri-ai/nuri/tensor"
)

// Magic is the four bytes every GGUF file starts with.
const Magic = "GGUF"

// DefaultAlignment is the data alignment used when a file has no
// general.alignment key.
const DefaultAlignment = 32

// AlignmentKey is the metadata key that overrides the data alignment.
const AlignmentKey = "general.alignment"

// MaxDims is the largest number of dimensions a GGUF tensor may have.
const MaxDims = 4

// maxArrayDepth bounds how deeply arrays of arrays may nest.
const maxArrayDepth = 16

// maxAlignment bounds general.alignment (1 MiB): real files use 32, and the
// bound keeps padding small.
const maxAlignment = 1 << 20

// ErrUnsupported is wrapped by errors about well-formed files (or parts of
// them) that Nuri cannot handle: GGUF version 1, big-endian files and tensor
// types Nuri does not know.
var ErrUnsupported = errors.New("not supported")

// Metadata value type ids as stored in the file.
const (
	typeUint8   uint32 = 0
	typeInt8    uint32 = 1
	typeUint16  uint32 = 2
	typeInt16   uint32 = 3
	typeUint32  uint32 = 4
	typeInt32   uint32 = 5
	typeFloat32 uint32 = 6
	typeBool    uint32 = 7
	typeString  uint32 = 8
	typeArray   uint32 = 9
	typeUint64  uint32 = 10
	typeInt64   uint32 = 11
	typeFloat64 uint32 = 12
)

// fixedSize is the encoded size of a scalar of type t, or 0 for strings,
// arrays and unknown types.
func fixedSize(t uint32) int {
	switch t {
	case typeUint8, typeInt8, typeBool:
		return 1
	case typeUint16, typeInt16:
		return 2
	case typeUint32, typeInt32, typeFloat32:
		return 4
	case typeUint64, typeInt64, typeFloat64:
		return 8
	}
	return 0
}

// minSize is the smallest number of bytes one value of type t can occupy.
func minSize(t uint32) int {
	switch t {
	case typeString:
		return 8 // length prefix
	case typeArray:
		return 4 + 8 // element type and count
	}
	return fixedSize(t)
}

// KV is one metadata entry.
type KV struct {
	Key   string
	Value any
}

// TensorInfo describes one tensor of a GGUF file.
type TensorInfo struct {
	Name string
	Type tensor.DType
	// Dims lists the dimensions in GGUF (ggml "ne") order: the innermost,
	// contiguous dimension first. tensor.Tensor.Shape is the reverse.
	Dims []uint64
	// Offset is the position of the tensor's first byte relative to the
	// start of the data section.
	Offset uint64
	// Size is the number of bytes the tensor occupies.
	Size uint64
}

// Elements returns the number of elements (the product of Dims).
func (ti *TensorInfo) Elements() uint64 {
	n := uint64(1)
	for _, d := range ti.Dims {
		n *= d
	}
	return n
}

// Shape returns the dimensions in row-major order (innermost last), the
// reverse of Dims.
func (ti *TensorInfo) Shape() []int {
	s := make([]int, len(ti.Dims))
	for i, d := range ti.Dims {
		s[len(s)-1-i] = int(d)
	}
	return s
}

// File is a parsed GGUF file.
type File struct {
	// Version is the GGUF format version (2 or 3).
	Version uint32
	// KV holds the metadata in file order.
	KV []KV
	// Tensors describes the tensors in file order.
	Tensors []TensorInfo

	path      string
	data      []byte
	release   func() error
	alignment int
	dataStart int64
	kvIndex   map[string]int
	tIndex    map[string]int
}

// Open memory-maps the GGUF file at path read-only and parses it. The caller
// must Close the file once it no longer uses tensor data from it.
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

// Parse parses a GGUF file held in memory; name is used in error messages
// and returned by Path. Tensor data returned by the File aliases data, which
// must not change while the File is in use.
func Parse(name string, data []byte) (*File, error) {
	p := &parser{name: name, data: data}
	f, err := p.parse()
	if err != nil {
		return nil, err
	}
	f.path = name
	f.data = data
	return f, nil
}

// Close releases the file's memory mapping. Tensor data obtained from the
// file must not be used afterwards; metadata stays valid. Close is safe to
// call more than once.
func (f *File) Close() error {
	f.data = nil
	if f.release == nil {
		return nil
	}
	r := f.release
	f.release = nil
	if err := r(); err != nil {
		return fmt.Errorf("gguf: %s: unmap: %w", f.path, err)
	}
	return nil
}

// Path returns the path (or name) the file was opened with.
func (f *File) Path() string { return f.path }

// Alignment returns the data alignment in bytes.
func (f *File) Alignment() int { return f.alignment }

// DataOffset returns the absolute file offset of the data section.
func (f *File) DataOffset() int64 { return f.dataStart }

// TensorNames returns the tensor names in file order.
func (f *File) TensorNames() []string {
	names := make([]string, len(f.Tensors))
	for i := range f.Tensors {
		names[i] = f.Tensors[i].Name
	}
	return names
}

// TensorInfo returns the description of the named tensor.
func (f *File) TensorInfo(name string) (TensorInfo, bool) {
	i, ok := f.tIndex[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.Tensors[i], true
}

// Tensor returns the named tensor as a zero-copy view of the file's bytes
// (read-only memory when the file was opened with Open). Its Shape is the
// reverse of the GGUF dimensions.
func (f *File) Tensor(name string) (*tensor.Tensor, error) {
	i, ok := f.tIndex[name]
	if !ok {
		return nil, fmt.Errorf("gguf: %s: no tensor %q", f.path, name)
	}
	if f.data == nil {
		return nil, fmt.Errorf("gguf: %s: tensor %q: file is closed", f.path, name)
	}
	ti := &f.Tensors[i]
	start := uint64(f.dataStart) + ti.Offset
	end := start + ti.Size
	return &tensor.Tensor{
		Name:  ti.Name,
		Type:  ti.Type,
		Shape: ti.Shape(),
		Data:  f.data[start:end:end],
	}, nil
}

// Get returns the value stored under key.
func (f *File) Get(key string) (any, bool) {
	i, ok := f.kvIndex[key]
	if !ok {
		return nil, false
	}
	return f.KV[i].Value, true
}

// String returns a string value.
func (f *File) String(key string) (string, bool) {
	v, _ := f.Get(key)
	s, ok := v.(string)
	return s, ok
}

// Bool returns a bool value.
func (f *File) Bool(key string) (bool, bool) {
	v, _ := f.Get(key)
	b, ok := v.(bool)
	return b, ok
}

// Uint returns an integer value of any integer type, provided it is not
// negative.
func (f *File) Uint(key string) (uint64, bool) {
	v, _ := f.Get(key)
	return toUint(v)
}

// Int returns an integer value of any integer type, provided it fits in an
// int64.
func (f *File) Int(key string) (int64, bool) {
	v, _ := f.Get(key)
	return toInt(v)
}

// Float returns a float32, float64 or integer value as a float64.
func (f *File) Float(key string) (float64, bool) {
	v, _ := f.Get(key)
	return AsFloat(v)
}

// AsInt converts a metadata value of any integer type (and Go's int, for
// values built in memory) to int64, provided it fits.
func AsInt(v any) (int64, bool) {
	if x, ok := v.(int); ok {
		return int64(x), true
	}
	return toInt(v)
}

// AsFloat converts a metadata value of any float or integer type (and Go's
// int) to float64.
func AsFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float32:
		return float64(x), true
	case float64:
		return x, true
	case uint64:
		return float64(x), true
	}
	if i, ok := AsInt(v); ok {
		return float64(i), true
	}
	return 0, false
}

// Strings returns a string array.
func (f *File) Strings(key string) ([]string, bool) {
	v, _ := f.Get(key)
	s, ok := v.([]string)
	return s, ok
}

// Ints returns an array of any integer type as int64s. It fails if a uint64
// element does not fit.
func (f *File) Ints(key string) ([]int64, bool) {
	v, _ := f.Get(key)
	return AsInts(v)
}

// AsInts converts an array value of any integer type to int64s. It fails if
// a uint64 element does not fit.
func AsInts(v any) ([]int64, bool) {
	switch a := v.(type) {
	case []int64:
		return a, true
	case []uint8:
		return widen(a), true
	case []int8:
		return widen(a), true
	case []uint16:
		return widen(a), true
	case []int16:
		return widen(a), true
	case []uint32:
		return widen(a), true
	case []int32:
		return widen(a), true
	case []uint64:
		out := make([]int64, len(a))
		for i, x := range a {
			if x > math.MaxInt64 {
				return nil, false
			}
			out[i] = int64(x)
		}
		return out, true
	}
	return nil, false
}

// Floats returns an array of floats (or integers) as float64s.
func (f *File) Floats(key string) ([]float64, bool) {
	v, _ := f.Get(key)
	return AsFloats(v)
}

// AsFloats converts an array value of floats or integers to float64s.
func AsFloats(v any) ([]float64, bool) {
	switch a := v.(type) {
	case []float64:
		return a, true
	case []float32:
		out := make([]float64, len(a))
		for i, x := range a {
			out[i] = float64(x)
		}
		return out, true
	case []uint64:
		out := make([]float64, len(a))
		for i, x := range a {
			out[i] = float64(x)
		}
		return out, true
	}
	ints, ok := AsInts(v)
	if !ok {
		return nil, false
	}
	out := make([]float64, len(ints))
	for i, x := range ints {
		out[i] = float64(x)
	}
	return out, true
}

type smallInt interface {
	~uint8 | ~int8 | ~uint16 | ~int16 | ~uint32 | ~int32
}

func widen[T smallInt](a []T) []int64 {
	out := make([]int64, len(a))
	for i, x := range a {
		out[i] = int64(x)
	}
	return out
}

func toUint(v any) (uint64, bool) {
	switch x := v.(type) {
	case uint8:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint64:
		return x, true
	case int8:
		return uint64(x), x >= 0
	case int16:
		return uint64(x), x >= 0
	case int32:
		return uint64(x), x >= 0
	case int64:
		return uint64(x), x >= 0
	}
	return 0, false
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(x), x <= math.MaxInt64
	}
	return 0, false
}

// parser walks the bytes of a GGUF file.
type parser struct {
	name string
	data []byte
	pos  int
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("gguf: %s: "+format, append([]any{p.name}, args...)...)
}

func (p *parser) remaining() int { return len(p.data) - p.pos }

// need fails unless n more bytes are available; what names the field.
func (p *parser) need(n int, what string) error {
	if n < 0 || p.remaining() < n {
		return p.errorf("unexpected end of file at offset %d reading %s (file is %d bytes)", p.pos, what, len(p.data))
	}
	return nil
}

func (p *parser) u8(what string) (uint8, error) {
	if err := p.need(1, what); err != nil {
		return 0, err
	}
	v := p.data[p.pos]
	p.pos++
	return v, nil
}

func (p *parser) u16(what string) (uint16, error) {
	if err := p.need(2, what); err != nil {
		return 0, err
	}
	v := binary.LittleEndian.Uint16(p.data[p.pos:])
	p.pos += 2
	return v, nil
}

func (p *parser) u32(what string) (uint32, error) {
	if err := p.need(4, what); err != nil {
		return 0, err
	}
	v := binary.LittleEndian.Uint32(p.data[p.pos:])
	p.pos += 4
	return v, nil
}

func (p *parser) u64(what string) (uint64, error) {
	if err := p.need(8, what); err != nil {
		return 0, err
	}
	v := binary.LittleEndian.Uint64(p.data[p.pos:])
	p.pos += 8
	return v, nil
}

// count reads a u64 element count and checks that count elements of at least
// minBytes each fit in the rest of the file.
func (p *parser) count(minBytes int, what string) (int, error) {
	at := p.pos
	n, err := p.u64(what)
	if err != nil {
		return 0, err
	}
	if minBytes < 1 {
		minBytes = 1
	}
	if n > uint64(p.remaining()/minBytes) {
		return 0, p.errorf("%s %d at offset %d is larger than the rest of the file (%d bytes) can hold", what, n, at, p.remaining())
	}
	return int(n), nil
}

func (p *parser) str(what string) (string, error) {
	at := p.pos
	n, err := p.u64(what + " length")
	if err != nil {
		return "", err
	}
	if n > uint64(p.remaining()) {
		return "", p.errorf("%s at offset %d: length %d extends past end of file (%d bytes left)", what, at, n, p.remaining())
	}
	s := string(p.data[p.pos : p.pos+int(n)])
	p.pos += int(n)
	return s, nil
}

func (p *parser) parse() (*File, error) {
	if len(p.data) < 4 {
		return nil, p.errorf("file too short for a GGUF header (%d bytes)", len(p.data))
	}
	if string(p.data[:4]) != Magic {
		return nil, p.errorf("not a GGUF file (magic %q, want %q)", p.data[:4], Magic)
	}
	p.pos = 4
	version, err := p.u32("version")
	if err != nil {
		return nil, err
	}
	switch {
	case version == 2 || version == 3:
	case version == 1:
		return nil, p.errorf("GGUF version 1 is %w (re-convert the model to a current GGUF)", ErrUnsupported)
	case version != 0 && version&0xffff == 0 && bits.ReverseBytes32(version) <= 0xffff:
		return nil, p.errorf("big-endian GGUF (version %d byte-swapped) is %w", bits.ReverseBytes32(version), ErrUnsupported)
	default:
		return nil, p.errorf("GGUF version %d is %w", version, ErrUnsupported)
	}
	// Smallest tensor info: name length, n_dims, type, offset.
	nTensors, err := p.count(8+4+4+8, "tensor count")
	if err != nil {
		return nil, err
	}
	// Smallest key/value: key length, value type, one-byte value.
	nKV, err := p.count(8+4+1, "metadata count")
	if err != nil {
		return nil, err
	}
	f := &File{
		Version:   version,
		KV:        make([]KV, 0, nKV),
		Tensors:   make([]TensorInfo, 0, nTensors),
		kvIndex:   make(map[string]int, nKV),
		tIndex:    make(map[string]int, nTensors),
		alignment: DefaultAlignment,
	}
	for i := 0; i < nKV; i++ {
		at := p.pos
		key, err := p.str(fmt.Sprintf("metadata key #%d", i))
		if err != nil {
			return nil, err
		}
		if _, dup := f.kvIndex[key]; dup {
			return nil, p.errorf("duplicate metadata key %q at offset %d", key, at)
		}
		typ, err := p.u32(fmt.Sprintf("type of metadata key %q", key))
		if err != nil {
			return nil, err
		}
		val, err := p.value(typ, key, 0)
		if err != nil {
			return nil, err
		}
		f.kvIndex[key] = len(f.KV)
		f.KV = append(f.KV, KV{Key: key, Value: val})
	}
	if v, ok := f.Get(AlignmentKey); ok {
		a, ok := toUint(v)
		if !ok || a == 0 || a > maxAlignment || a&(a-1) != 0 {
			return nil, p.errorf("%s = %v is not a power of two between 1 and %d", AlignmentKey, v, maxAlignment)
		}
		f.alignment = int(a)
	}
	for i := 0; i < nTensors; i++ {
		ti, err := p.tensorInfo(i)
		if err != nil {
			return nil, err
		}
		if _, dup := f.tIndex[ti.Name]; dup {
			return nil, p.errorf("duplicate tensor name %q", ti.Name)
		}
		f.tIndex[ti.Name] = len(f.Tensors)
		f.Tensors = append(f.Tensors, ti)
	}
	// The data section starts at the next multiple of the alignment. A file
	// without tensors may end right after the tensor infos.
	start := alignUp(uint64(p.pos), uint64(f.alignment))
	if start > uint64(len(p.data)) {
		if nTensors > 0 {
			return nil, p.errorf("data section at offset %d starts past end of file (%d bytes)", start, len(p.data))
		}
		start = uint64(len(p.data))
	}
	f.dataStart = int64(start)
	if err := p.checkData(f, start); err != nil {
		return nil, err
	}
	return f, nil
}

func alignUp(n, a uint64) uint64 {
	return (n + a - 1) &^ (a - 1)
}

func (p *parser) tensorInfo(i int) (TensorInfo, error) {
	name, err := p.str(fmt.Sprintf("name of tensor #%d", i))
	if err != nil {
		return TensorInfo{}, err
	}
	if name == "" {
		return TensorInfo{}, p.errorf("tensor #%d has an empty name", i)
	}
	what := fmt.Sprintf("tensor %q", name)
	nDims, err := p.u32(what + " dimension count")
	if err != nil {
		return TensorInfo{}, err
	}
	if nDims > MaxDims {
		return TensorInfo{}, p.errorf("%s: %d dimensions (at most %d allowed)", what, nDims, MaxDims)
	}
	ti := TensorInfo{Name: name, Dims: make([]uint64, nDims)}
	for d := range ti.Dims {
		if ti.Dims[d], err = p.u64(what + " dimensions"); err != nil {
			return TensorInfo{}, err
		}
	}
	typ, err := p.u32(what + " type")
	if err != nil {
		return TensorInfo{}, err
	}
	ti.Type = tensor.DType(typ)
	if ti.Offset, err = p.u64(what + " offset"); err != nil {
		return TensorInfo{}, err
	}
	if !ti.Type.Known() {
		return TensorInfo{}, p.errorf("%s: tensor type id %d is %w", what, typ, ErrUnsupported)
	}
	size, err := dataSize(ti.Type, ti.Dims)
	if err != nil {
		return TensorInfo{}, p.errorf("%s: %w", what, err)
	}
	ti.Size = size
	return ti, nil
}

// dataSize returns the number of bytes a tensor of type t with GGUF
// dimensions dims occupies, checking for overflow and block alignment.
func dataSize(t tensor.DType, dims []uint64) (uint64, error) {
	n := uint64(1)
	for _, d := range dims {
		hi, lo := bits.Mul64(n, d)
		if hi != 0 || lo > math.MaxInt64 || d > math.MaxInt {
			return 0, fmt.Errorf("dimensions %v: element count overflows", dims)
		}
		n = lo
	}
	bs := uint64(t.BlockSize())
	inner := uint64(1)
	if len(dims) > 0 {
		inner = dims[0]
	}
	if inner%bs != 0 {
		return 0, fmt.Errorf("innermost dimension %d is not a multiple of the %v block size %d", inner, t, bs)
	}
	hi, size := bits.Mul64(n/bs, uint64(t.TypeSize()))
	if hi != 0 || size > math.MaxInt64 {
		return 0, fmt.Errorf("dimensions %v: byte size overflows", dims)
	}
	return size, nil
}

// checkData verifies that every tensor is aligned, lies inside the file and
// overlaps no other tensor.
func (p *parser) checkData(f *File, start uint64) error {
	avail := uint64(len(p.data)) - start
	align := uint64(f.alignment)
	order := make([]int, len(f.Tensors))
	for i := range f.Tensors {
		ti := &f.Tensors[i]
		if ti.Offset%align != 0 {
			return p.errorf("tensor %q: offset %d is not a multiple of the alignment %d", ti.Name, ti.Offset, align)
		}
		if ti.Offset > avail || ti.Size > avail-ti.Offset {
			b := start + ti.Offset
			e := b + ti.Size
			if b < start || e < b { // wrapped around
				return p.errorf("tensor %q: offset %d, size %d: data extends past end of file (%d bytes)", ti.Name, ti.Offset, ti.Size, len(p.data))
			}
			return p.errorf("tensor %q: data [%d, %d) extends past end of file (%d bytes)", ti.Name, b, e, len(p.data))
		}
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return f.Tensors[order[a]].Offset < f.Tensors[order[b]].Offset })
	var prev *TensorInfo
	for _, i := range order {
		ti := &f.Tensors[i]
		if ti.Size == 0 {
			continue
		}
		if prev != nil && ti.Offset < prev.Offset+prev.Size {
			return p.errorf("tensor %q: data [%d, %d) overlaps tensor %q [%d, %d)", ti.Name,
				start+ti.Offset, start+ti.Offset+ti.Size, prev.Name, start+prev.Offset, start+prev.Offset+prev.Size)
		}
		prev = ti
	}
	return nil
}

// value decodes one metadata value of type typ; key names it in errors.
func (p *parser) value(typ uint32, key string, depth int) (any, error) {
	what := fmt.Sprintf("metadata %q", key)
	switch typ {
	case typeUint8:
		return p.u8(what)
	case typeInt8:
		v, err := p.u8(what)
		return int8(v), err
	case typeUint16:
		return p.u16(what)
	case typeInt16:
		v, err := p.u16(what)
		return int16(v), err
	case typeUint32:
		return p.u32(what)
	case typeInt32:
		v, err := p.u32(what)
		return int32(v), err
	case typeUint64:
		return p.u64(what)
	case typeInt64:
		v, err := p.u64(what)
		return int64(v), err
	case typeFloat32:
		v, err := p.u32(what)
		return math.Float32frombits(v), err
	case typeFloat64:
		v, err := p.u64(what)
		return math.Float64frombits(v), err
	case typeBool:
		at := p.pos
		v, err := p.u8(what)
		if err != nil {
			return nil, err
		}
		if v > 1 {
			return nil, p.errorf("%s: bool at offset %d has value %d", what, at, v)
		}
		return v == 1, nil
	case typeString:
		return p.str(what)
	case typeArray:
		return p.array(key, depth+1)
	}
	return nil, p.errorf("%s: unknown value type %d at offset %d", what, typ, p.pos-4)
}

func (p *parser) array(key string, depth int) (any, error) {
	what := fmt.Sprintf("metadata %q", key)
	if depth > maxArrayDepth {
		return nil, p.errorf("%s: arrays nested deeper than %d levels", what, maxArrayDepth)
	}
	et, err := p.u32(what + " array element type")
	if err != nil {
		return nil, err
	}
	ms := minSize(et)
	if ms == 0 {
		return nil, p.errorf("%s: unknown array element type %d at offset %d", what, et, p.pos-4)
	}
	n, err := p.count(ms, what+" array length")
	if err != nil {
		return nil, err
	}
	if fs := fixedSize(et); fs > 0 {
		at := p.pos
		b := p.data[p.pos : p.pos+n*fs]
		p.pos += n * fs
		v, err := decodeFixed(et, b, n)
		if err != nil {
			return nil, p.errorf("%s: array at offset %d: %w", what, at, err)
		}
		return v, nil
	}
	switch et {
	case typeString:
		out := make([]string, n)
		for i := range out {
			if out[i], err = p.str(what); err != nil {
				return nil, err
			}
		}
		return out, nil
	default: // typeArray
		// Each element is itself an array: element type, count, values.
		out := make([]any, n)
		for i := range out {
			if out[i], err = p.array(key, depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
}

func decodeFixed(et uint32, b []byte, n int) (any, error) {
	le := binary.LittleEndian
	switch et {
	case typeUint8:
		return append([]uint8(nil), b...), nil
	case typeInt8:
		out := make([]int8, n)
		for i := range out {
			out[i] = int8(b[i])
		}
		return out, nil
	case typeBool:
		out := make([]bool, n)
		for i := range out {
			if b[i] > 1 {
				return nil, fmt.Errorf("bool array element %d has value %d", i, b[i])
			}
			out[i] = b[i] == 1
		}
		return out, nil
	case typeUint16:
		out := make([]uint16, n)
		for i := range out {
			out[i] = le.Uint16(b[2*i:])
		}
		return out, nil
	case typeInt16:
		out := make([]int16, n)
		for i := range out {
			out[i] = int16(le.Uint16(b[2*i:]))
		}
		return out, nil
	case typeUint32:
		out := make([]uint32, n)
		for i := range out {
			out[i] = le.Uint32(b[4*i:])
		}
		return out, nil
	case typeInt32:
		out := make([]int32, n)
		for i := range out {
			out[i] = int32(le.Uint32(b[4*i:]))
		}
		return out, nil
	case typeFloat32:
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
		return out, nil
	case typeUint64:
		out := make([]uint64, n)
		for i := range out {
			out[i] = le.Uint64(b[8*i:])
		}
		return out, nil
	case typeInt64:
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(le.Uint64(b[8*i:]))
		}
		return out, nil
	case typeFloat64:
		out := make([]float64, n)
		for i := range out {
			out[i] = math.Float64frombits(le.Uint64(b[8*i:]))
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown array element type %d", et)
}
