package kernels

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// TestRowDotsExact runs the Q8_0 and Q4_0 row kernels on rows of every
// block count up to 9 and a few beyond (whole groups, partial groups, a
// single block), with unit scales and full-range integer activations: every
// partial sum is an integer float32 holds exactly, so each kernel must equal
// the Go path and tensor.DotQ8Ref bit for bit, in the activation layout
// MatMul gives each type (natural for Q8_0, interleaved pairs for Q4_0),
// one token at a time and four at once.
func TestRowDotsExact(t *testing.T) { forLevels(t, testRowDotsExact) }

func testRowDotsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, dt := range []tensor.DType{tensor.Q8_0, tensor.Q4_0} {
		off := int32(128)
		if dt == tensor.Q4_0 {
			off = 8
		}
		for _, nb := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 17} {
			cols := 32 * nb
			interleave := dt == tensor.Q4_0
			for trial := 0; trial < 5; trial++ {
				w := exactWeight(rng, dt, nb)
				var a q8Act
				a.prepare(4, cols, interleave)
				want := make([]float32, 4)
				for tok := range 4 {
					x := make([]float32, cols)
					for i := range x {
						x[i] = float32(rng.IntN(255) - 127)
					}
					for i := 0; i < cols; i += 32 {
						x[i+rng.IntN(32)] = 127 // scale 1 exactly
					}
					a.quantizeToken(tok, x, off)
					xq := make([]byte, nb*34)
					if err := tensor.Quantize(tensor.Q8_0, x, xq); err != nil {
						t.Fatal(err)
					}
					want[tok] = tensor.DotQ8Ref(dt, w, xq)
				}
				for tok := range 4 {
					qs, d, _ := a.tok(tok)
					var got, goPath float32
					if dt == tensor.Q8_0 {
						got, goPath = dotQ8_0(w, &a, tok), dotQ8_0Go(w, qs, d, 0, nb)
					} else {
						got, goPath = dotQ4_0(w, &a, tok), dotQ4_0Go(w, qs, d, 0, nb, interleave)
					}
					if got != want[tok] || goPath != want[tok] {
						t.Fatalf("%v nb=%d trial %d token %d: kernel %v, Go %v, want %v", dt, nb, trial, tok, got, goPath, want[tok])
					}
				}
				var o4 [4]float32
				if dotQ8x4(dt, w, &a, 0, &o4) {
					for tok, v := range o4 {
						if v != want[tok] {
							t.Fatalf("%v nb=%d trial %d: four-token kernel token %d = %v, want %v", dt, nb, trial, tok, v, want[tok])
						}
					}
				}
			}
		}
	}
}

// TestFloatDots compares the F32, F16 and BF16 row kernels with the Go
// ones at lengths around the vector widths.
func TestFloatDots(t *testing.T) { forLevels(t, testFloatDots) }

func testFloatDots(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	lengths := []int{1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 48, 63, 64, 100, 1000}
	for _, dt := range []tensor.DType{tensor.F32, tensor.F16, tensor.BF16} {
		for _, n := range lengths {
			x := randomVec(rng, n)
			wf := randomVec(rng, n)
			es := 2
			if dt == tensor.F32 {
				es = 4
			}
			w := make([]byte, es*n)
			for i, v := range wf {
				switch dt {
				case tensor.F32:
					binary.LittleEndian.PutUint32(w[4*i:], math.Float32bits(v))
				case tensor.F16:
					binary.LittleEndian.PutUint16(w[2*i:], tensor.F32ToF16(v))
				case tensor.BF16:
					binary.LittleEndian.PutUint16(w[2*i:], uint16(math.Float32bits(v)>>16))
				}
			}
			var got, want float32
			switch dt {
			case tensor.F32:
				got, want = dotF32(w, x), dotF32Go(w, x)
			case tensor.F16:
				got, want = dotF16(w, x), dotF16Go(w, x)
			case tensor.BF16:
				got, want = dotBF16(w, x), dotBF16Go(w, x)
			}
			var mag float64
			for i := range x {
				mag += math.Abs(float64(wf[i]) * float64(x[i]))
			}
			if d := math.Abs(float64(got - want)); d > 1e-5*mag+1e-30 {
				t.Errorf("%v n=%d: %v, want %v (Σ|wx| = %v)", dt, n, got, want, mag)
			}
		}
	}
	a, b := randomVec(rng, 37), randomVec(rng, 37)
	if got, want := dotF32Floats(a, b), dotGo(a, b); math.Abs(float64(got-want)) > 1e-4 {
		t.Errorf("dotF32Floats = %v, want %v", got, want)
	}
}

// TestReadSum checks the bandwidth probe's checksum against the Go one.
func TestReadSum(t *testing.T) { forLevels(t, testReadSum) }

func testReadSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, n := range []int{256, 512, 4096, 256 * 33} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if got, want := readSum(b), readSumGo(b); got != want {
			t.Errorf("n=%d: %#x, want %#x", n, got, want)
		}
	}
}
