package testmodel

import (
	"hash/fnv"
	"math/bits"
)

// pcg is a PCG-XSL-RR 128/64 generator: fast, and seeded per (model seed,
// tensor, row) so that any row can be drawn on its own, in any order and on
// any goroutine, with the same result.
type pcg struct{ hi, lo uint64 }

const (
	pcgMulHi = 2549297995355413924
	pcgMulLo = 4865540595714422341
	pcgIncHi = 6364136223846793005
	pcgIncLo = 1442695040888963407
)

func (p *pcg) next() uint64 {
	hi, lo := bits.Mul64(p.lo, pcgMulLo)
	hi += p.hi*pcgMulLo + p.lo*pcgMulHi
	lo, c := bits.Add64(lo, pcgIncLo, 0)
	hi, _ = bits.Add64(hi, pcgIncHi, c)
	p.lo, p.hi = lo, hi
	return bits.RotateLeft64(hi^lo, -int(hi>>58))
}

// nameHash identifies a tensor in the seed.
func nameHash(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

func newRowRNG(seed, tensor uint64, row int) pcg {
	p := pcg{hi: seed ^ 0x9e3779b97f4a7c15, lo: tensor ^ uint64(row)*0xbf58476d1ce4e5b9}
	p.next()
	p.next()
	return p
}

// normals fills dst with approximately standard normal values: each is the
// centred, rescaled sum of four 16-bit uniforms (Irwin–Hall), which has the
// right mean and variance, a bell shape and bounded tails (|z| < 3.47).
func (p *pcg) normals(dst []float32) {
	const scale = 1.7320508075688772 / 65536 // √3 / 2^16
	for i := range dst {
		u := p.next()
		s := (u & 0xffff) + (u >> 16 & 0xffff) + (u >> 32 & 0xffff) + (u >> 48)
		dst[i] = float32((float64(s) + 2 - 2*65536) * scale)
	}
}

// values draws HF row `row` of tensor hf (len(dst) wide). Norm weights are
// 1 + noise; with hfGemma they are the noise alone, as Hugging Face Gemma
// stores them (it applies 1+w; the GGUF form stores 1+w).
func values(seed uint64, hf string, row int, k kind, std float64, hfGemma bool, dst []float32) {
	p := newRowRNG(seed, nameHash(hf), row)
	p.normals(dst)
	sd := float32(std)
	for i := range dst {
		dst[i] *= sd
	}
	if k == kindNorm && !hfGemma {
		for i := range dst {
			dst[i] += 1
		}
	}
}
