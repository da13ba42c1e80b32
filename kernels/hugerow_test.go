package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// TestMatMulHugeRows runs every type on rows far longer than any tile or
// prefetch distance (66048 columns: a multiple of 512, so the x16 layout
// applies, and of 256 for the K-quants), in the file layout and prepared,
// for one token and for a four-token group plus one, at every level.
func TestMatMulHugeRows(t *testing.T) {
	const cols = 1<<16 + 512
	forLevels(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 5))
		p := NewPool(2)
		defer p.Close()
		for _, dt := range allTypes {
			w := randomWeight(rng, dt, 5, cols)
			for _, pw := range []*tensor.Tensor{w, Prepare(w)} {
				for _, n := range []int{1, 5} {
					x := randomVec(rng, n*cols)
					got := make([]float32, n*pw.Rows())
					MatMul(p, got, pw, x, n)
					want, mag := refMatMul(w, x, n)
					checkClose(t, fmt.Sprintf("%v prepared=%v n=%d", dt, Prepared(pw), n), got, want, mag, 1e-5)
				}
			}
		}
	})
}
