package kernels

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// quantInput makes nb blocks of bs floats, each of one kind: random,
// all zeros, exact halves after scaling (ties), tiny subnormals, the
// largest magnitude present with both signs, and a single non-zero.
func quantInput(rng *rand.Rand, nb, bs int, peak float32) []float32 {
	x := make([]float32, nb*bs)
	for i := 0; i < nb; i++ {
		b := x[i*bs : (i+1)*bs]
		switch i % 6 {
		case 0:
			for j := range b {
				b[j] = float32(rng.NormFloat64()) * 3
			}
		case 1: // zeros, one of them negative
			b[rng.IntN(bs)] = float32(math.Copysign(0, -1))
		case 2: // the scale is exactly 1, so every k+1/2 is a tie
			for j := range b {
				b[j] = float32(rng.IntN(253)-126) + 0.5
			}
			b[rng.IntN(bs)] = peak
		case 3:
			for j := range b {
				b[j] = math.Float32frombits(uint32(rng.IntN(1 << 10)))
				if rng.IntN(2) == 0 {
					b[j] = -b[j]
				}
			}
		case 4: // ±amax both present; which comes first decides Q8_K's sign
			for j := range b {
				b[j] = float32(rng.NormFloat64())
			}
			p, q := rng.IntN(bs), rng.IntN(bs)
			b[p], b[q] = 9, -9
		case 5:
			b[rng.IntN(bs)] = float32(rng.NormFloat64())
		}
	}
	return x
}

// TestQuantQ8_0Fast checks that the vector Q8_0 activation quantizer fills
// q8Act with the same quants, scales and corrections as the Go path, in
// both layouts, and that its quants and scales are tensor.Quantize's.
func TestQuantQ8_0Fast(t *testing.T) { forLevels(t, testQuantQ8_0Fast) }

func testQuantQ8_0Fast(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	for _, nb := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 17} {
		for _, interleave := range []bool{false, true} {
			for trial := 0; trial < 4; trial++ {
				cols := 32 * nb
				x := quantInput(rng, nb, 32, 127)
				rng.Shuffle(nb, func(i, j int) {
					bi := slices.Clone(x[i*32 : (i+1)*32])
					copy(x[i*32:], x[j*32:(j+1)*32])
					copy(x[j*32:], bi)
				})
				off := int32(8)
				var got, want q8Act
				got.prepare(2, cols, interleave)
				want.prepare(2, cols, interleave)
				got.quantizeToken(1, x, off)
				old := setLevel(Generic)
				want.quantizeToken(1, x, off)
				setLevel(old)
				name := fmt.Sprintf("nb=%d interleave=%v trial %d", nb, interleave, trial)
				gq, gd, gc := got.tok(1)
				wq, wd, wc := want.tok(1)
				if !bytes.Equal(gq, wq) {
					t.Fatalf("%s: quants differ\n got %v\nwant %v", name, gq, wq)
				}
				if !slices.Equal(gd, wd) {
					t.Fatalf("%s: scales %v, want %v", name, gd, wd)
				}
				if !slices.Equal(gc, wc) {
					t.Fatalf("%s: corrections %v, want %v", name, gc, wc)
				}
				if interleave {
					continue
				}
				ref := make([]byte, 34*nb)
				if err := tensor.Quantize(tensor.Q8_0, x, ref); err != nil {
					t.Fatal(err)
				}
				for i := 0; i < nb; i++ {
					if !bytes.Equal(gq[32*i:32*i+32], ref[34*i+2:34*i+34]) {
						t.Fatalf("%s block %d: quants differ from tensor.Quantize", name, i)
					}
					if h := uint16(ref[34*i]) | uint16(ref[34*i+1])<<8; gd[i] != tensor.F16ToF32(h) {
						t.Fatalf("%s block %d: scale %v, tensor.Quantize %v", name, i, gd[i], tensor.F16ToF32(h))
					}
				}
			}
		}
	}
}

// TestQuantQ8KFast checks that quantizeVecDot makes tensor.Quantize's
// Q8_K bytes.
func TestQuantQ8KFast(t *testing.T) { forLevels(t, testQuantQ8KFast) }

func testQuantQ8KFast(t *testing.T) {
	rng := rand.New(rand.NewPCG(53, 54))
	for _, nb := range []int{1, 2, 3, 6, 7, 12} {
		for trial := 0; trial < 4; trial++ {
			x := quantInput(rng, nb, 256, -127)
			got := make([]byte, 292*nb)
			want := make([]byte, 292*nb)
			for i := range got {
				got[i] = 0xa5 // every byte must be written
			}
			quantizeVecDot(tensor.Q8_K, x, got)
			if err := tensor.Quantize(tensor.Q8_K, x, want); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < nb; i++ {
				g, w := got[292*i:292*i+292], want[292*i:292*i+292]
				if !bytes.Equal(g, w) {
					k := 0
					for g[k] == w[k] {
						k++
					}
					t.Fatalf("nb=%d trial %d block %d: byte %d is %#x, want %#x", nb, trial, i, k, g[k], w[k])
				}
			}
		}
	}
}

// TestQuantQ8FileFast checks that quantizeVecDot makes tensor.Quantize's
// Q8_0 and Q8_1 bytes (the activations of Q5_0, Q4_1 and Q5_1).
func TestQuantQ8FileFast(t *testing.T) { forLevels(t, testQuantQ8FileFast) }

func testQuantQ8FileFast(t *testing.T) {
	rng := rand.New(rand.NewPCG(55, 56))
	for _, dt := range []tensor.DType{tensor.Q8_0, tensor.Q8_1} {
		bs := dt.TypeSize()
		for _, nb := range []int{1, 2, 5, 6, 7, 13} {
			for trial := 0; trial < 4; trial++ {
				x := quantInput(rng, nb, 32, 127)
				got := make([]byte, bs*nb)
				want := make([]byte, bs*nb)
				for i := range got {
					got[i] = 0xa5
				}
				quantizeVecDot(dt, x, got)
				if err := tensor.Quantize(dt, x, want); err != nil {
					t.Fatal(err)
				}
				for i := 0; i < nb; i++ {
					g, w := got[bs*i:bs*(i+1)], want[bs*i:bs*(i+1)]
					if !bytes.Equal(g, w) {
						t.Fatalf("%v nb=%d trial %d block %d: % x, want % x", dt, nb, trial, i, g, w)
					}
				}
			}
		}
	}
}
