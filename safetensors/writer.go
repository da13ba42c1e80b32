package safetensors

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"sort"

	"github.com/nuri-ai/nuri/tensor"
)

// Tensor is a tensor to write.
type Tensor struct {
	Name  string
	DType DType
	// Shape is row-major, innermost dimension last.
	Shape []int
	Data  []byte
}

// FromTensor converts a Nuri tensor (F64, F32, F16, BF16 or a signed integer
// type) for writing; the data is shared, not copied.
func FromTensor(t *tensor.Tensor) (Tensor, error) {
	d, ok := DTypeOf(t.Type)
	if !ok {
		return Tensor{}, fmt.Errorf("safetensors: tensor %q: type %v cannot be stored in safetensors", t.Name, t.Type)
	}
	return Tensor{Name: t.Name, DType: d, Shape: t.Shape, Data: t.Data}, nil
}

// Write writes tensors to a .safetensors file at path, in the given order,
// with optional __metadata__. The header is padded with spaces so that the
// data starts at a multiple of 8 bytes. The file is written to a temporary
// name in the same folder and renamed into place when complete.
func Write(path string, tensors []Tensor, metadata map[string]string) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = WriteTo(tmp, tensors, metadata); err != nil {
		return fmt.Errorf("%w (writing %s)", err, path)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// WriteTo writes tensors in .safetensors form to w (see Write) and returns
// the number of bytes written.
func WriteTo(w io.Writer, tensors []Tensor, metadata map[string]string) (int64, error) {
	hdr, err := encodeHeader(tensors, metadata)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	n := int64(0)
	k, err := bw.Write(hdr)
	n += int64(k)
	for _, t := range tensors {
		if err != nil {
			break
		}
		k, err = bw.Write(t.Data)
		n += int64(k)
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return n, fmt.Errorf("safetensors: %w", err)
	}
	return n, nil
}

// encodeHeader returns the length prefix and padded JSON header.
func encodeHeader(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	buf := []byte{'{'}
	if len(metadata) > 0 {
		m, err := json.Marshal(metadata) // keys sorted
		if err != nil {
			return nil, fmt.Errorf("safetensors: metadata: %w", err)
		}
		buf = append(buf, `"`+metadataKey+`":`...)
		buf = append(buf, m...)
	}
	seen := map[string]bool{}
	var off uint64
	for _, t := range tensors {
		if t.Name == "" || t.Name == metadataKey {
			return nil, fmt.Errorf("safetensors: invalid tensor name %q", t.Name)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("safetensors: duplicate tensor %q", t.Name)
		}
		seen[t.Name] = true
		if !t.DType.Known() {
			return nil, fmt.Errorf("safetensors: tensor %q: unknown dtype %q", t.Name, t.DType)
		}
		elems := uint64(1)
		for _, d := range t.Shape {
			if d < 0 {
				return nil, fmt.Errorf("safetensors: tensor %q: negative dimension in shape %v", t.Name, t.Shape)
			}
			hi, lo := bits.Mul64(elems, uint64(d))
			if hi != 0 || lo > math.MaxInt64 {
				return nil, fmt.Errorf("safetensors: tensor %q: shape %v overflows", t.Name, t.Shape)
			}
			elems = lo
		}
		hi, size := bits.Mul64(elems, uint64(t.DType.Size()))
		if hi != 0 || size != uint64(len(t.Data)) {
			return nil, fmt.Errorf("safetensors: tensor %q: %d bytes of data, want %d for %s %v", t.Name, len(t.Data), size, t.DType, t.Shape)
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		e, err := json.Marshal(struct {
			DType   DType    `json:"dtype"`
			Shape   []int    `json:"shape"`
			Offsets []uint64 `json:"data_offsets"`
		}{t.DType, shape, []uint64{off, off + size}})
		if err != nil {
			return nil, fmt.Errorf("safetensors: tensor %q: %w", t.Name, err)
		}
		name, err := json.Marshal(t.Name)
		if err != nil {
			return nil, fmt.Errorf("safetensors: tensor %q: %w", t.Name, err)
		}
		if len(buf) > 1 {
			buf = append(buf, ',')
		}
		buf = append(buf, name...)
		buf = append(buf, ':')
		buf = append(buf, e...)
		off += size
	}
	buf = append(buf, '}')
	for len(buf)%8 != 0 {
		buf = append(buf, ' ')
	}
	out := binary.LittleEndian.AppendUint64(make([]byte, 0, 8+len(buf)), uint64(len(buf)))
	return append(out, buf...), nil
}

// WriteSharded writes tensors into dir as shards of at most maxShardBytes of
// tensor data each (a larger tensor gets a shard of its own), named
// model-00001-of-0000N.safetensors, plus a model.safetensors.index.json
// mapping each tensor to its shard. Every shard carries metadata. It returns
// the shard file names.
func WriteSharded(dir string, tensors []Tensor, metadata map[string]string, maxShardBytes int64) ([]string, error) {
	if maxShardBytes <= 0 {
		return nil, errors.New("safetensors: shard size must be positive")
	}
	seen := map[string]bool{}
	for _, t := range tensors {
		if seen[t.Name] {
			return nil, fmt.Errorf("safetensors: duplicate tensor %q", t.Name)
		}
		seen[t.Name] = true
	}
	var groups [][]Tensor
	var cur []Tensor
	var curSize, total int64
	for _, t := range tensors {
		sz := int64(len(t.Data))
		if len(cur) > 0 && curSize+sz > maxShardBytes {
			groups = append(groups, cur)
			cur, curSize = nil, 0
		}
		cur = append(cur, t)
		curSize += sz
		total += sz
	}
	if len(cur) > 0 || len(groups) == 0 {
		groups = append(groups, cur)
	}
	idx := Index{Metadata: map[string]any{"total_size": total}, WeightMap: map[string]string{}}
	var names []string
	for i, g := range groups {
		name := fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, len(groups))
		if err := Write(filepath.Join(dir, name), g, metadata); err != nil {
			return nil, err
		}
		for _, t := range g {
			idx.WeightMap[t.Name] = name
		}
		names = append(names, name)
	}
	data, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("safetensors: index: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, IndexFile), append(data, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	sort.Strings(names)
	return names, nil
}
