package gguf

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkParse measures header parsing of the largest fixture (metadata
// with a 512-entry vocabulary and 30 tensor descriptions).
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(goldenDir, "mixtral", "model.gguf"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Parse("mixtral.gguf", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen includes the memory mapping.
func BenchmarkOpen(b *testing.B) {
	path := filepath.Join(goldenDir, "mixtral", "model.gguf")
	for b.Loop() {
		f, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// BenchmarkWrite measures writing the fixture back out.
func BenchmarkWrite(b *testing.B) {
	f, err := Open(filepath.Join(goldenDir, "mixtral", "model.gguf"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w := NewWriter()
	for _, kv := range f.KV {
		w.SetKV(kv.Key, kv.Value)
	}
	for _, name := range f.TensorNames() {
		t, _ := f.Tensor(name)
		if err := w.AddTensor(name, t.Type, t.Shape, t.Data); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if _, err := w.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
