package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// TestX16Quantize checks that the x16 activation quantizer gives, at every
// level, exactly tensor.Quantize's Q8_0 quants and scales in the x16 order
// and the right corrections, including blocks of zeros and values on
// rounding boundaries.
func TestX16Quantize(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, nb := range []int{16, 32, 64} {
		x := randomVec(rng, 32*nb)
		clear(x[32:64]) // a block of zeros
		for i := 64; i < 96; i++ {
			x[i] = float32(i-80) * 0.5 // halves: round-half-away cases
		}
		x[96] = float32(math.Nextafter32(0.5, 0)) * 127 / 126.99 // just below a half after scaling
		want := make([]byte, 34*nb)
		if err := tensor.Quantize(tensor.Q8_0, x, want); err != nil {
			t.Fatal(err)
		}
		for _, off := range []int32{8, 128} {
			forLevels(t, func(t *testing.T) {
				var a x16Act
				a.prepare(2, 32*nb, off)
				a.quantizeToken(1, x)
				qs, corr, d := a.tok(1)
				for i := 0; i < nb; i++ {
					blk := want[34*i : 34*i+34]
					if dw := tensor.F16ToF32(le16(blk)); d[i] != dw {
						t.Fatalf("nb %d block %d: scale %v, want %v", nb, i, d[i], dw)
					}
					var got [32]byte
					base, lane := (i/16)*x16Group, 4*(i%16)
					for u := 0; u < 8; u++ {
						copy(got[x16Offset(u):x16Offset(u)+4], qs[base+64*u+lane:base+64*u+lane+4])
					}
					if string(got[:]) != string(blk[2:]) {
						t.Fatalf("nb %d block %d: quants %v, want %v", nb, i, got, blk[2:])
					}
					if c := -off * blockSum(blk[2:]); corr[i] != c {
						t.Fatalf("nb %d block %d: correction %d, want %d", nb, i, corr[i], c)
					}
				}
			})
		}
	}
}

// TestX16RoundTrip checks that packing and unpacking a row restores it.
func TestX16RoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, dt := range []tensor.DType{tensor.Q4_0, tensor.Q8_0} {
		w := randomWeight(rng, dt, 3, 1024)
		rb := len(w.Data) / 3
		packed := make([]byte, rb)
		back := make([]byte, rb)
		for r := 0; r < 3; r++ {
			packX16Row(dt, packed, w.Data[r*rb:(r+1)*rb], 32)
			unpackX16Row(dt, back, packed, 32)
			if string(back) != string(w.Data[r*rb:(r+1)*rb]) {
				t.Fatalf("%v row %d: round trip changed the row", dt, r)
			}
		}
	}
}

// unpackX16Row is the inverse of packX16Row: it restores the file layout of
// one row.
func unpackX16Row(t tensor.DType, dst, src []byte, nb int) {
	switch t {
	case tensor.Q4_0:
		ds, qs := src[:2*nb], src[2*nb:]
		for i := 0; i < nb; i++ {
			blk := dst[18*i : 18*i+18]
			blk[0], blk[1] = ds[2*i], ds[2*i+1]
			base, lane := (i/16)*256, 4*(i%16)
			for m := 0; m < 4; m++ {
				copy(blk[2+4*m:2+4*m+4], qs[base+64*m+lane:base+64*m+lane+4])
			}
		}
	case tensor.Q8_0:
		ds, qs := src[:2*nb], src[2*nb:]
		for i := 0; i < nb; i++ {
			blk := dst[34*i : 34*i+34]
			blk[0], blk[1] = ds[2*i], ds[2*i+1]
			base, lane := (i/16)*x16Group, 4*(i%16)
			for u := 0; u < 8; u++ {
				e := x16Offset(u)
				for j := 0; j < 4; j++ {
					blk[2+e+j] = qs[base+64*u+lane+j] ^ 0x80
				}
			}
		}
	}
}
