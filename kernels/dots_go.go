package kernels

import (
	"encoding/binary"
	"math"

	"github.com/nuri-ai/nuri/tensor"
)

// Plain-Go row kernels. Each takes one weight row in GGML layout and one
// token of activations; the integer sum of every block is exact, and block
// sums are accumulated in float32 as GGML does.

// q8Tok returns the quants, scales and corrections of token tok.
func (a *q8Act) tok(tok int) (qs []byte, d []float32, corr []int32) {
	nbp := a.nbp
	return a.qs[tok*nbp*32 : (tok+1)*nbp*32], a.d[tok*nbp : (tok+1)*nbp+4], a.corr[tok*nbp*8 : (tok+1)*nbp*8]
}

// dotQ8_0Go sums blocks [b0, nb) of a Q8_0 row against natural-order quants.
func dotQ8_0Go(w []byte, qs []byte, d []float32, b0, nb int) float32 {
	var sum float32
	for i := b0; i < nb; i++ {
		blk := w[34*i : 34*i+34]
		x := qs[32*i : 32*i+32]
		var s int32
		for j := 0; j < 32; j++ {
			s += int32(int8(blk[2+j])) * int32(int8(x[j]))
		}
		sum += float32(s) * (tensor.F16ToF32(le16(blk)) * d[i])
	}
	return sum
}

// dotQ4_0Go sums blocks [b0, nb) of a Q4_0 row; pairs of blocks (2k, 2k+1)
// with 2k+1 < nb are stored interleaved when interleaved is set.
func dotQ4_0Go(w []byte, qs []byte, d []float32, b0, nb int, interleaved bool) float32 {
	var sum float32
	for i := b0; i < nb; i++ {
		blk := w[18*i : 18*i+18]
		var lo, hi []byte // quants for elements 0..15 and 16..31
		switch {
		case !interleaved || (i%2 == 0 && i+1 >= nb):
			lo, hi = qs[32*i:32*i+16], qs[32*i+16:32*i+32]
		case i%2 == 0:
			lo, hi = qs[32*i:32*i+16], qs[32*i+32:32*i+48]
		default:
			lo, hi = qs[32*(i-1)+16:32*(i-1)+32], qs[32*(i-1)+48:32*(i-1)+64]
		}
		var s int32
		for j := 0; j < 16; j++ {
			s += (int32(blk[2+j]&0xf) - 8) * int32(int8(lo[j]))
			s += (int32(blk[2+j]>>4) - 8) * int32(int8(hi[j]))
		}
		sum += float32(s) * (tensor.F16ToF32(le16(blk)) * d[i])
	}
	return sum
}

func dotF32Go(w []byte, x []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += math.Float32frombits(binary.LittleEndian.Uint32(w[4*i:])) * x[i]
		s1 += math.Float32frombits(binary.LittleEndian.Uint32(w[4*i+4:])) * x[i+1]
		s2 += math.Float32frombits(binary.LittleEndian.Uint32(w[4*i+8:])) * x[i+2]
		s3 += math.Float32frombits(binary.LittleEndian.Uint32(w[4*i+12:])) * x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += math.Float32frombits(binary.LittleEndian.Uint32(w[4*i:])) * x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func dotF16Go(w []byte, x []float32) float32 {
	var s0, s1 float32
	i := 0
	for ; i+2 <= len(x); i += 2 {
		s0 += tensor.F16ToF32(le16(w[2*i:])) * x[i]
		s1 += tensor.F16ToF32(le16(w[2*i+2:])) * x[i+1]
	}
	for ; i < len(x); i++ {
		s0 += tensor.F16ToF32(le16(w[2*i:])) * x[i]
	}
	return s0 + s1
}

func dotBF16Go(w []byte, x []float32) float32 {
	var s0, s1 float32
	i := 0
	for ; i+2 <= len(x); i += 2 {
		s0 += tensor.BF16ToF32(le16(w[2*i:])) * x[i]
		s1 += tensor.BF16ToF32(le16(w[2*i+2:])) * x[i+1]
	}
	for ; i < len(x); i++ {
		s0 += tensor.BF16ToF32(le16(w[2*i:])) * x[i]
	}
	return s0 + s1
}

// addOddBlockX4 adds the dot of the last block of a Q8_0 or Q4_0 row, when
// the row has an odd block count, to the four tokens tok..tok+3 in out: the
// four-token kernels work on pairs of blocks and leave that block to Go.
func addOddBlockX4(t tensor.DType, w []byte, a *q8Act, tok int, out *[4]float32) {
	if a.nb%2 == 0 {
		return
	}
	for k := range 4 {
		qk, dk, _ := a.tok(tok + k)
		if t == tensor.Q8_0 {
			out[k] += dotQ8_0Go(w, qk, dk, a.nb-1, a.nb)
		} else {
			out[k] += dotQ4_0Go(w, qk, dk, a.nb-1, a.nb, a.interlv)
		}
	}
}
