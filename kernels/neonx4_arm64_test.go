package kernels

import (
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// TestNEONX4KernelsUsed checks that the arm64 levels have four-token
// kernels for the types that have them, so that the exactness and MatMul
// tests exercise them.
func TestNEONX4KernelsUsed(t *testing.T) {
	for _, l := range []Level{NEON, NEONDot} {
		if l > MaxCPULevel() {
			continue
		}
		old := setLevel(l)
		for _, dt := range []tensor.DType{tensor.Q4_K, tensor.Q5_K, tensor.Q6_K} {
			w := make([]byte, dt.TypeSize())
			xb := tensor.Q8_K.TypeSize()
			xq := make([]byte, 4*xb)
			var out [4]float32
			if !dotVecDotX4(dt, w, xq, xb, &out) {
				t.Errorf("%v: no four-token kernel for %v", l, dt)
			}
		}
		setLevel(old)
	}
}
