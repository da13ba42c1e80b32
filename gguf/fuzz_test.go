package gguf

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// rewrite encodes every key and tensor of f with the Writer.
func rewrite(f *File) ([]byte, error) {
	w := NewWriter()
	for _, kv := range f.KV {
		w.SetKV(kv.Key, kv.Value)
	}
	for _, name := range f.TensorNames() {
		t, err := f.Tensor(name)
		if err != nil {
			return nil, err
		}
		if err := w.AddTensor(name, t.Type, t.Shape, t.Data); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	_, err := w.WriteTo(&buf)
	return buf.Bytes(), err
}

// shrunkFixture keeps a fixture's metadata but replaces every tensor with a
// one-row F32 tensor, giving a small seed with realistic metadata.
func shrunkFixture(tb testing.TB, path string) []byte {
	f, err := Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w := NewWriter()
	for _, kv := range f.KV {
		w.SetKV(kv.Key, kv.Value)
	}
	for i, name := range f.TensorNames() {
		if i >= 4 {
			break
		}
		if err := w.AddTensor(name, tensor.F32, []int{1, 2}, make([]byte, 8)); err != nil {
			tb.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func FuzzOpen(f *testing.F) {
	f.Add(validFile())
	f.Add(shrunkFixture(f, filepath.Join(goldenDir, "qwen2", "model.gguf")))
	w := NewWriter()
	for _, kv := range allValues {
		w.SetKV(kv.Key, kv.Value)
	}
	w.SetKV(AlignmentKey, uint32(8))
	_ = w.AddTensor("q", tensor.Q8_0, []int{1, 32}, make([]byte, 34))
	_ = w.AddTensor("s", tensor.F16, nil, make([]byte, 2))
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(header(2, 0).tinfo("a", 0, 0, 16).tinfo("b", 0, 32, 16).pad(32).bytes(make([]byte, 128)).b)

	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.gguf", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "gguf: fuzz.gguf: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, ti := range file.Tensors {
			tt, err := file.Tensor(ti.Name)
			if err != nil {
				t.Fatal(err)
			}
			if uint64(len(tt.Data)) != ti.Size {
				t.Fatalf("tensor %q: %d bytes, info says %d", ti.Name, len(tt.Data), ti.Size)
			}
		}
		for _, kv := range file.KV {
			file.Uint(kv.Key)
			file.Int(kv.Key)
			file.Float(kv.Key)
			file.Ints(kv.Key)
			file.Floats(kv.Key)
		}
		// Whatever parses can be written back, and writing is stable.
		once, err := rewrite(file)
		if err != nil {
			t.Fatalf("rewrite: %v", err)
		}
		again, err := Parse("again.gguf", once)
		if err != nil {
			t.Fatalf("parsing the rewritten file: %v", err)
		}
		twice, err := rewrite(again)
		if err != nil {
			t.Fatalf("second rewrite: %v", err)
		}
		if !bytes.Equal(once, twice) {
			t.Fatal("rewriting is not stable")
		}
		// The memory-mapped path agrees with the in-memory one.
		path := filepath.Join(dir, "fuzz.gguf")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		mapped, err := Open(path)
		if err != nil {
			t.Fatalf("Parse succeeded but Open failed: %v", err)
		}
		defer mapped.Close()
		if len(mapped.KV) != len(file.KV) || len(mapped.Tensors) != len(file.Tensors) {
			t.Fatal("Open and Parse disagree")
		}
	})
}
