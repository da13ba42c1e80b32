package kernels

import (
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// TestNEONKernelsUsed checks that the arm64 levels route the K-quant types
// to their assembly kernels, so that the exactness tests exercise them.
func TestNEONKernelsUsed(t *testing.T) {
	for _, l := range []Level{NEON, NEONDot} {
		if l > MaxCPULevel() {
			continue
		}
		old := setLevel(l)
		for _, dt := range []tensor.DType{tensor.Q4_K, tensor.Q5_K, tensor.Q6_K} {
			w := make([]byte, dt.TypeSize())
			xq := make([]byte, tensor.Q8_K.TypeSize())
			if _, ok := dotMoreQ8(dt, w, xq); !ok {
				t.Errorf("%v: no kernel for %v", l, dt)
			}
		}
		setLevel(old)
	}
}
