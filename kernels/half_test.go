package kernels

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// TestEncodeF16 checks EncodeF16 against tensor.F32ToF16 at every level,
// over random values of every magnitude, the binary16 boundaries (largest
// finite, overflow, subnormals, halfway cases) and lengths that are not
// multiples of the vector width; a NaN must stay a NaN of the same sign,
// and no byte past the values may be written.
func TestEncodeF16(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	special := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 65504, 65519.99, 65520, -65520, 1e9,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), -float32(math.NaN()),
		5.960464477539063e-08, 2.9802322387695312e-08, 2.98023259e-08, 8.940697e-08, 6.097555e-05, 6.1035156e-05,
		1.0009765625 / 2 * 2, 1 + 1.0/2048, 1 + 3.0/2048, 1e-45, -1e-40, 2049, 4097}
	var src []float32
	for i := 0; i < 3000; i++ {
		src = append(src, math.Float32frombits(rng.Uint32()))
		src = append(src, float32(rng.NormFloat64()*math.Pow(2, float64(rng.IntN(40)-20))))
	}
	src = append(src, special...)
	forLevels(t, func(t *testing.T) {
		for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 64, len(src)} {
			for off := 0; off+n <= len(src) && off < 3*len(special); off += max(n, 1) {
				x := src[len(src)-n-off : len(src)-off]
				dst := make([]byte, 2*n+3)
				for i := range dst {
					dst[i] = 0xa5
				}
				EncodeF16(dst, x)
				for i, v := range x {
					got, want := binary.LittleEndian.Uint16(dst[2*i:]), tensor.F32ToF16(v)
					if v != v {
						if got&0x7c00 != 0x7c00 || got&0x3ff == 0 || got&0x8000 != want&0x8000 {
							t.Fatalf("n %d: NaN %#x became %#x", n, math.Float32bits(v), got)
						}
						continue
					}
					if got != want {
						t.Fatalf("n %d [%d]: %v (%#x) became %#x, want %#x", n, i, v, math.Float32bits(v), got, want)
					}
				}
				for _, b := range dst[2*n:] {
					if b != 0xa5 {
						t.Fatalf("n %d: wrote past the values", n)
					}
				}
			}
		}
	})
}
