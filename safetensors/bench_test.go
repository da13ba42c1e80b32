package safetensors

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkParse measures header parsing and validation of the largest
// fixture.
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(goldenDir, "mixtral", "model.safetensors"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Parse("mixtral.safetensors", data); err != nil {
			b.Fatal(err)
		}
	}
}
