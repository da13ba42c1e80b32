package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/nuri-ai/nuri/tensor"
)

// Writer builds a GGUF version 3 file: metadata in insertion order followed by
// tensors in the order they were added, each aligned to general.alignment
// (32 bytes unless that key is set).
//
// SetKV accepts every type the reader produces (see the package comment),
// plus these conveniences:
//
//   - int: uint32 when 0 <= v <= MaxUint32 (the type llama.cpp expects for
//     counts, sizes and token ids), int32 when negative and in range, int64
//     otherwise;
//   - uint: uint32 when it fits, uint64 otherwise;
//   - []int: an int32 array when every element fits, an int64 array
//     otherwise;
//   - []uint: a uint32 array when every element fits, a uint64 array
//     otherwise.
//
// []string, []float32, []int32 and the other typed slices map to arrays of
// that exact element type, and []any to an array of arrays whose elements
// must themselves be array values. Invalid values are reported by WriteTo and
// WriteFile.
type Writer struct {
	kv      []KV
	kvIndex map[string]int
	tensors []wtensor
	tIndex  map[string]bool
}

type wtensor struct {
	name  string
	typ   tensor.DType
	dims  []uint64
	size  uint64
	data  []byte
	write func(io.Writer) error
}

// NewWriter returns an empty Writer.
func NewWriter() *Writer {
	return &Writer{kvIndex: map[string]int{}, tIndex: map[string]bool{}}
}

// SetKV sets a metadata value. Setting an existing key replaces its value
// but keeps its original position.
func (w *Writer) SetKV(key string, value any) {
	if i, ok := w.kvIndex[key]; ok {
		w.kv[i].Value = value
		return
	}
	w.kvIndex[key] = len(w.kv)
	w.kv = append(w.kv, KV{Key: key, Value: value})
}

// AddTensor adds a tensor with the given row-major shape (innermost
// dimension last); data must hold exactly the tensor's bytes. The data is
// not copied and must stay unchanged until the file is written.
func (w *Writer) AddTensor(name string, t tensor.DType, shape []int, data []byte) error {
	wt, err := w.newTensor(name, t, shape)
	if err != nil {
		return err
	}
	if uint64(len(data)) != wt.size {
		return fmt.Errorf("gguf: tensor %q: %d bytes of data, want %d for %v %v", name, len(data), wt.size, t, shape)
	}
	wt.data = data
	w.add(wt)
	return nil
}

// AddTensorFunc adds a tensor whose size bytes are produced by write when the
// file is written, so tensors need not be held in memory. size must match
// the type and shape, and write must write exactly size bytes.
func (w *Writer) AddTensorFunc(name string, t tensor.DType, shape []int, size int64, write func(io.Writer) error) error {
	wt, err := w.newTensor(name, t, shape)
	if err != nil {
		return err
	}
	if size < 0 || uint64(size) != wt.size {
		return fmt.Errorf("gguf: tensor %q: size %d, want %d for %v %v", name, size, wt.size, t, shape)
	}
	if write == nil {
		return fmt.Errorf("gguf: tensor %q: nil write function", name)
	}
	wt.write = write
	w.add(wt)
	return nil
}

func (w *Writer) newTensor(name string, t tensor.DType, shape []int) (wtensor, error) {
	if name == "" {
		return wtensor{}, errors.New("gguf: empty tensor name")
	}
	if w.tIndex[name] {
		return wtensor{}, fmt.Errorf("gguf: duplicate tensor %q", name)
	}
	if !t.Known() {
		return wtensor{}, fmt.Errorf("gguf: tensor %q: type %v is %w", name, t, ErrUnsupported)
	}
	if len(shape) > MaxDims {
		return wtensor{}, fmt.Errorf("gguf: tensor %q: %d dimensions (at most %d allowed)", name, len(shape), MaxDims)
	}
	dims := make([]uint64, len(shape))
	for i, d := range shape {
		if d < 0 {
			return wtensor{}, fmt.Errorf("gguf: tensor %q: negative dimension in shape %v", name, shape)
		}
		dims[len(shape)-1-i] = uint64(d)
	}
	size, err := dataSize(t, dims)
	if err != nil {
		return wtensor{}, fmt.Errorf("gguf: tensor %q: %w", name, err)
	}
	return wtensor{name: name, typ: t, dims: dims, size: size}, nil
}

func (w *Writer) add(wt wtensor) {
	w.tIndex[wt.name] = true
	w.tensors = append(w.tensors, wt)
}

// alignment returns the alignment the file will use.
func (w *Writer) alignment() (uint64, error) {
	i, ok := w.kvIndex[AlignmentKey]
	if !ok {
		return DefaultAlignment, nil
	}
	v := w.kv[i].Value
	a, ok := toUint(v)
	if x, isInt := v.(int); isInt && x >= 0 {
		a, ok = uint64(x), true
	}
	if !ok || a == 0 || a > maxAlignment || a&(a-1) != 0 {
		return 0, fmt.Errorf("gguf: %s = %v is not a power of two between 1 and %d", AlignmentKey, v, maxAlignment)
	}
	return a, nil
}

// WriteTo writes the GGUF file to out and returns the number of bytes
// written.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	align, err := w.alignment()
	if err != nil {
		return 0, err
	}
	// Encode the header into memory first so that invalid metadata is
	// reported before anything is written.
	var hdr []byte
	hdr = append(hdr, Magic...)
	hdr = binary.LittleEndian.AppendUint32(hdr, 3)
	hdr = binary.LittleEndian.AppendUint64(hdr, uint64(len(w.tensors)))
	hdr = binary.LittleEndian.AppendUint64(hdr, uint64(len(w.kv)))
	for _, kv := range w.kv {
		hdr = appendString(hdr, kv.Key)
		if hdr, err = appendValue(hdr, kv.Value, true, 0); err != nil {
			return 0, fmt.Errorf("gguf: metadata %q: %w", kv.Key, err)
		}
	}
	var off uint64
	for _, t := range w.tensors {
		hdr = appendString(hdr, t.name)
		hdr = binary.LittleEndian.AppendUint32(hdr, uint32(len(t.dims)))
		for _, d := range t.dims {
			hdr = binary.LittleEndian.AppendUint64(hdr, d)
		}
		hdr = binary.LittleEndian.AppendUint32(hdr, uint32(t.typ))
		hdr = binary.LittleEndian.AppendUint64(hdr, off)
		off = alignUp(off+t.size, align)
	}

	bw := bufio.NewWriterSize(out, 1<<16)
	cw := &countWriter{w: bw}
	if _, err := cw.Write(hdr); err != nil {
		return cw.n, fmt.Errorf("gguf: writing header: %w", err)
	}
	if err := writeZeros(cw, alignUp(uint64(len(hdr)), align)-uint64(len(hdr))); err != nil {
		return cw.n, fmt.Errorf("gguf: writing header: %w", err)
	}
	for _, t := range w.tensors {
		start := cw.n
		if t.write != nil {
			lw := &limitWriter{w: cw, left: t.size}
			if err := t.write(lw); err != nil {
				return cw.n, fmt.Errorf("gguf: writing tensor %q: %w", t.name, err)
			}
			if lw.left != 0 {
				return cw.n, fmt.Errorf("gguf: writing tensor %q: wrote %d bytes, want %d", t.name, t.size-lw.left, t.size)
			}
		} else if _, err := cw.Write(t.data); err != nil {
			return cw.n, fmt.Errorf("gguf: writing tensor %q: %w", t.name, err)
		}
		pad := alignUp(uint64(cw.n-start), align) - uint64(cw.n-start)
		if err := writeZeros(cw, pad); err != nil {
			return cw.n, fmt.Errorf("gguf: writing tensor %q: %w", t.name, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return cw.n, fmt.Errorf("gguf: %w", err)
	}
	return cw.n, nil
}

// WriteFile writes the GGUF file to path through a temporary file in the same
// folder that is renamed into place once complete.
func (w *Writer) WriteFile(path string) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = w.WriteTo(tmp); err != nil {
		return fmt.Errorf("%w (writing %s)", err, path)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("gguf: %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("gguf: %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	return nil
}

var zeros [4096]byte

// writeZeros writes n zero bytes.
func writeZeros(w io.Writer, n uint64) error {
	for n > 0 {
		k := min(n, uint64(len(zeros)))
		if _, err := w.Write(zeros[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// limitWriter passes at most left bytes through and fails beyond that.
type limitWriter struct {
	w    io.Writer
	left uint64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if uint64(len(p)) > l.left {
		return 0, fmt.Errorf("tensor data longer than its declared size (%d bytes too many)", uint64(len(p))-l.left)
	}
	n, err := l.w.Write(p)
	l.left -= uint64(n)
	return n, err
}

func appendString(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

// appendValue encodes v, preceded by its type id when tagged.
func appendValue(b []byte, v any, tagged bool, depth int) ([]byte, error) {
	le := binary.LittleEndian
	tag := func(t uint32) {
		if tagged {
			b = le.AppendUint32(b, t)
		}
	}
	switch x := v.(type) {
	case uint8:
		tag(typeUint8)
		return append(b, x), nil
	case int8:
		tag(typeInt8)
		return append(b, byte(x)), nil
	case uint16:
		tag(typeUint16)
		return le.AppendUint16(b, x), nil
	case int16:
		tag(typeInt16)
		return le.AppendUint16(b, uint16(x)), nil
	case uint32:
		tag(typeUint32)
		return le.AppendUint32(b, x), nil
	case int32:
		tag(typeInt32)
		return le.AppendUint32(b, uint32(x)), nil
	case uint64:
		tag(typeUint64)
		return le.AppendUint64(b, x), nil
	case int64:
		tag(typeInt64)
		return le.AppendUint64(b, uint64(x)), nil
	case float32:
		tag(typeFloat32)
		return le.AppendUint32(b, math.Float32bits(x)), nil
	case float64:
		tag(typeFloat64)
		return le.AppendUint64(b, math.Float64bits(x)), nil
	case bool:
		tag(typeBool)
		if x {
			return append(b, 1), nil
		}
		return append(b, 0), nil
	case string:
		tag(typeString)
		return appendString(b, x), nil
	case int:
		switch {
		case x >= 0 && uint64(x) <= math.MaxUint32:
			return appendValue(b, uint32(x), tagged, depth)
		case x < 0 && x >= math.MinInt32:
			return appendValue(b, int32(x), tagged, depth)
		}
		return appendValue(b, int64(x), tagged, depth)
	case uint:
		if uint64(x) <= math.MaxUint32 {
			return appendValue(b, uint32(x), tagged, depth)
		}
		return appendValue(b, uint64(x), tagged, depth)
	}
	tag(typeArray)
	return appendArray(b, v, depth+1)
}

func appendArray(b []byte, v any, depth int) ([]byte, error) {
	if depth > maxArrayDepth {
		return nil, fmt.Errorf("arrays nested deeper than %d levels", maxArrayDepth)
	}
	le := binary.LittleEndian
	head := func(t uint32, n int) {
		b = le.AppendUint32(b, t)
		b = le.AppendUint64(b, uint64(n))
	}
	switch a := v.(type) {
	case []uint8:
		head(typeUint8, len(a))
		return append(b, a...), nil
	case []int8:
		head(typeInt8, len(a))
		for _, x := range a {
			b = append(b, byte(x))
		}
		return b, nil
	case []bool:
		head(typeBool, len(a))
		for _, x := range a {
			if x {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		}
		return b, nil
	case []uint16:
		head(typeUint16, len(a))
		for _, x := range a {
			b = le.AppendUint16(b, x)
		}
		return b, nil
	case []int16:
		head(typeInt16, len(a))
		for _, x := range a {
			b = le.AppendUint16(b, uint16(x))
		}
		return b, nil
	case []uint32:
		head(typeUint32, len(a))
		for _, x := range a {
			b = le.AppendUint32(b, x)
		}
		return b, nil
	case []int32:
		head(typeInt32, len(a))
		for _, x := range a {
			b = le.AppendUint32(b, uint32(x))
		}
		return b, nil
	case []uint64:
		head(typeUint64, len(a))
		for _, x := range a {
			b = le.AppendUint64(b, x)
		}
		return b, nil
	case []int64:
		head(typeInt64, len(a))
		for _, x := range a {
			b = le.AppendUint64(b, uint64(x))
		}
		return b, nil
	case []float32:
		head(typeFloat32, len(a))
		for _, x := range a {
			b = le.AppendUint32(b, math.Float32bits(x))
		}
		return b, nil
	case []float64:
		head(typeFloat64, len(a))
		for _, x := range a {
			b = le.AppendUint64(b, math.Float64bits(x))
		}
		return b, nil
	case []string:
		head(typeString, len(a))
		for _, x := range a {
			b = appendString(b, x)
		}
		return b, nil
	case []int:
		fits := true
		for _, x := range a {
			if x < math.MinInt32 || x > math.MaxInt32 {
				fits = false
				break
			}
		}
		if fits {
			head(typeInt32, len(a))
			for _, x := range a {
				b = le.AppendUint32(b, uint32(int32(x)))
			}
			return b, nil
		}
		head(typeInt64, len(a))
		for _, x := range a {
			b = le.AppendUint64(b, uint64(x))
		}
		return b, nil
	case []uint:
		fits := true
		for _, x := range a {
			if uint64(x) > math.MaxUint32 {
				fits = false
				break
			}
		}
		if fits {
			head(typeUint32, len(a))
			for _, x := range a {
				b = le.AppendUint32(b, uint32(x))
			}
			return b, nil
		}
		head(typeUint64, len(a))
		for _, x := range a {
			b = le.AppendUint64(b, uint64(x))
		}
		return b, nil
	case []any:
		head(typeArray, len(a))
		var err error
		for i, x := range a {
			if b, err = appendArray(b, x, depth+1); err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
		}
		return b, nil
	}
	if v == nil {
		return nil, errors.New("nil value")
	}
	return nil, fmt.Errorf("unsupported value type %T (want a scalar or a slice)", v)
}
