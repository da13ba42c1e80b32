package safetensors

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzOpen(f *testing.F) {
	// A fixture's header with its tensors cut down to one element each
	// keeps the seeds small, which keeps the fuzzer fast.
	golden, err := Open(filepath.Join(goldenDir, "qwen2", "golden.safetensors"))
	if err != nil {
		f.Fatal(err)
	}
	var small []Tensor
	for _, ti := range golden.Tensors {
		b, _ := golden.Bytes(ti.Name)
		small = append(small, Tensor{Name: ti.Name, DType: ti.DType, Shape: []int{1}, Data: bytes.Clone(b[:ti.DType.Size()])})
	}
	golden.Close()
	var buf bytes.Buffer
	if _, err := WriteTo(&buf, small, golden.Metadata); err != nil {
		f.Fatal(err)
	}
	f.Add(bytes.Clone(buf.Bytes()))
	buf.Reset()
	if _, err := WriteTo(&buf, allDTypes, map[string]string{"format": "pt"}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[1,2],"data_offsets":[8,12]}}`, 12))
	f.Add(rawFile(`{"__metadata__":{"k":"v"}}`, 0))

	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.safetensors", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "safetensors: fuzz.safetensors: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		var ts []Tensor
		for _, ti := range file.Tensors {
			b, err := file.Bytes(ti.Name)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(b)) != ti.End-ti.Begin {
				t.Fatalf("tensor %q: %d bytes, offsets say %d", ti.Name, len(b), ti.End-ti.Begin)
			}
			if _, ok := ti.DType.TensorType(); ok {
				if _, err := file.Tensor(ti.Name); err != nil {
					t.Fatal(err)
				}
			}
			ts = append(ts, Tensor{Name: ti.Name, DType: ti.DType, Shape: ti.Shape, Data: b})
		}
		// Whatever parses can be written back and read again.
		var out bytes.Buffer
		if _, err := WriteTo(&out, ts, file.Metadata); err != nil {
			t.Fatalf("rewrite: %v", err)
		}
		again, err := Parse("again.safetensors", out.Bytes())
		if err != nil {
			t.Fatalf("parsing the rewritten file: %v", err)
		}
		if len(again.Tensors) != len(file.Tensors) {
			t.Fatal("rewrite lost tensors")
		}
		// The memory-mapped path agrees with the in-memory one.
		path := filepath.Join(dir, "fuzz.safetensors")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		mapped, err := Open(path)
		if err != nil {
			t.Fatalf("Parse succeeded but Open failed: %v", err)
		}
		defer mapped.Close()
		if len(mapped.Tensors) != len(file.Tensors) {
			t.Fatal("Open and Parse disagree")
		}
	})
}
