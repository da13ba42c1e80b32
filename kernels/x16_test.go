package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
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

// TestX16K checks the x16 Q4_K, Q5_K and Q6_K layouts: packing keeps every value
// (a row dequantizes as the file row does), the activations are
// tensor.Quantize's Q8_K quants in the x16 order with the right sums, and
// products through MatMul match the GGML reference at every level, for one
// token, four and odd counts.
func TestX16K(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	for _, dt := range []tensor.DType{tensor.Q4_K, tensor.Q5_K, tensor.Q6_K} {
		for _, cols := range []int{512, 1024, 3072} {
			w := randomWeight(rng, dt, 37, cols)
			rb := len(w.Data) / 37
			packed := make([]byte, len(w.Data))
			for r := 0; r < 37; r++ {
				packX16Row(dt, packed[r*rb:(r+1)*rb], w.Data[r*rb:(r+1)*rb], cols/32)
			}
			want := make([]float32, cols)
			got := make([]float32, cols)
			for r := 0; r < 37; r++ {
				if err := tensor.Dequantize(dt, w.Row(r), want); err != nil {
					t.Fatal(err)
				}
				dequantX16Row(dt, got, packed[r*rb:(r+1)*rb], cols/32)
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("%v cols %d row %d [%d]: %v, want %v", dt, cols, r, i, got[i], want[i])
					}
				}
			}

			x := randomVec(rng, 2*cols)
			clear(x[cols : cols+256])        // a Q8_K block of zeros
			x[cols+259], x[cols+265] = -7, 7 // the first of equal magnitudes sets the sign
			ref := make([]byte, 292*cols/256)
			if err := tensor.Quantize(tensor.Q8_K, x[cols:], ref); err != nil {
				t.Fatal(err)
			}
			forLevels(t, func(t *testing.T) {
				var a x16Act
				a.prepare(2, cols, 0)
				a.quantizeToken(1, x[cols:])
				qs, corr, d := a.tok(1)
				half := a.half[2*a.nb:]
				for i := 0; i < cols/32; i++ {
					blk := ref[292*(i/8) : 292*(i/8+1)]
					if dw := math.Float32frombits(uint32(le16(blk)) | uint32(le16(blk[2:]))<<16); d[i] != dw {
						t.Fatalf("cols %d sub-block %d: scale %v, want %v", cols, i, d[i], dw)
					}
					q := blk[4+32*(i%8) : 4+32*(i%8)+32]
					var got [32]byte
					base, lane := (i/16)*x16Group, 4*(i%16)
					for u := 0; u < 8; u++ {
						copy(got[x16Offset(u):x16Offset(u)+4], qs[base+64*u+lane:base+64*u+lane+4])
					}
					if string(got[:]) != string(q) {
						t.Fatalf("cols %d sub-block %d: quants differ", cols, i)
					}
					if s := blockSum(q); corr[i] != s {
						t.Fatalf("cols %d sub-block %d: sum %d, want %d", cols, i, corr[i], s)
					}
					ha, hb := half[32*(i/16)+i%16], half[32*(i/16)+16+i%16]
					if wa, wb := -32*blockSum(q[:16]), -32*blockSum(q[16:]); ha != wa || hb != wb {
						t.Fatalf("cols %d sub-block %d: halves %d %d, want %d %d", cols, i, ha, hb, wa, wb)
					}
				}
			})

			pw := Prepare(w)
			if level == AVX512 && !Prepared(pw) {
				t.Fatalf("%v cols %d: not repacked", dt, cols)
			}
			forLevels(t, func(t *testing.T) {
				p := NewPool(2)
				defer p.Close()
				for _, n := range []int{1, 3, 4, 5, 9} {
					x := randomVec(rng, n*cols)
					got := make([]float32, n*37)
					MatMul(p, got, pw, x, n)
					want, mag := refMatMul(w, x, n)
					checkClose(t, fmt.Sprintf("%v cols %d n %d", dt, cols, n), got, want, mag, 1e-5)
				}
			})
		}
	}
}

// TestX16Q4_0Kernels checks that the assembly kernels for x16 Q4_0 rows run
// at AVX2 and AVX-512 and give the integer block sums exactly: with unit
// scales every product is an integer well below 2^24, so the results must
// equal dotX16Go's, including rows of 15s against activations of ±127 (the
// largest partial sums the AVX2 kernels add in 16-bit words). With real
// scales the AVX2 one-token kernel must equal the AVX-512 one bit for bit.
// At AVX2 the other x16 types must keep the Go path.
func TestX16Q4_0Kernels(t *testing.T) {
	if runtime.GOARCH != "amd64" || MaxCPULevel() < AVX2 {
		t.Skip("no x16 assembly kernels on this CPU")
	}
	rng := rand.New(rand.NewPCG(37, 38))
	const rows, nb, n = 21, 64, 5
	rb := 18 * nb
	type tcase struct {
		name string
		w    func(i int) byte // quant byte i of the weight
		q    func(i int) int8 // activation quant i
	}
	cases := []tcase{
		{"random", func(int) byte { return byte(rng.Uint32()) }, func(int) int8 { return int8(rng.IntN(255) - 127) }},
		{"max", func(int) byte { return 0xff }, func(int) int8 { return 127 }},
		{"min", func(int) byte { return 0xff }, func(int) int8 { return -127 }},
		{"mixed", func(i int) byte { return 0xff &^ byte(i&0x10) }, func(i int) int8 { return int8(127 - 254*(i/512%2)) }},
	}
	for _, c := range cases {
		w := make([]byte, rows*rb)
		for r := 0; r < rows; r++ {
			row := w[r*rb : (r+1)*rb]
			for i := 0; i < nb; i++ {
				row[2*i], row[2*i+1] = 0x00, 0x3c // fp16 1.0
			}
			for i := 2 * nb; i < rb; i++ {
				row[i] = c.w(i)
			}
		}
		var a x16Act
		a.prepare(n, 32*nb, 8)
		for i := range a.qs {
			a.qs[i] = byte(c.q(i))
		}
		for b := 0; b < n; b++ {
			qs, corr, d := a.tok(b)
			for i := 0; i < nb; i++ {
				var blk [32]byte
				base, lane := (i/16)*x16Group, 4*(i%16)
				for u := 0; u < 8; u++ {
					copy(blk[x16Offset(u):x16Offset(u)+4], qs[base+64*u+lane:base+64*u+lane+4])
				}
				corr[i] = -8 * blockSum(blk[:])
				d[i] = 1
			}
		}
		for _, l := range []Level{AVX2, AVX512} {
			if l > MaxCPULevel() {
				continue
			}
			old := setLevel(l)
			got := make([]float32, n*rows)
			if !x16RowsX4(tensor.Q4_0, w, rows, &a, 0, got, rows) {
				t.Fatalf("%v: no four-token x16 Q4_0 kernel", l)
			}
			for b := 4; b < n; b++ {
				if !x16Rows(tensor.Q4_0, w, rows, &a, b, got[b*rows:(b+1)*rows]) {
					t.Fatalf("%v: no x16 Q4_0 row kernel", l)
				}
			}
			one := make([]float32, rows)
			for b := 0; b < n; b++ {
				qs, corr, d := a.tok(b)
				if !x16Rows(tensor.Q4_0, w, rows, &a, b, one) {
					t.Fatalf("%v: no x16 Q4_0 row kernel", l)
				}
				for r := 0; r < rows; r++ {
					want := dotX16Go(tensor.Q4_0, w[r*rb:(r+1)*rb], qs, corr, d, nb)
					if got[b*rows+r] != want || one[r] != want {
						t.Fatalf("%v %s token %d row %d: %v (one token %v), want %v", l, c.name, b, r, got[b*rows+r], one[r], want)
					}
				}
			}
			if l == AVX2 && (x16Rows(tensor.Q8_0, w, rows, &a, 0, one) || x16RowsX4(tensor.Q6_K, w, rows, &a, 0, got, rows)) {
				t.Fatalf("AVX2 ran an x16 kernel for a type it has none for")
			}
			setLevel(old)
		}
	}

	// Real scales: the AVX2 and AVX-512 one-token kernels agree bit for bit.
	if MaxCPULevel() < AVX512 {
		return
	}
	wt := randomWeight(rng, tensor.Q4_0, rows, 32*nb)
	w := make([]byte, len(wt.Data))
	for r := 0; r < rows; r++ {
		packX16Row(tensor.Q4_0, w[r*rb:(r+1)*rb], wt.Data[r*rb:(r+1)*rb], nb)
	}
	var a x16Act
	a.prepare(1, 32*nb, 8)
	a.quantizeToken(0, randomVec(rng, 32*nb))
	var outs [2][]float32
	for k, l := range []Level{AVX2, AVX512} {
		old := setLevel(l)
		outs[k] = make([]float32, rows)
		x16Rows(tensor.Q4_0, w, rows, &a, 0, outs[k])
		setLevel(old)
	}
	for r := range outs[0] {
		if outs[0][r] != outs[1][r] {
			t.Fatalf("row %d: AVX2 %v, AVX-512 %v", r, outs[0][r], outs[1][r])
		}
	}
}

// TestX16Rows2 checks the two-stream decode kernels: each of the two runs
// of rows must come out bit for bit as the one-row kernel gives it, for
// every x16 type and row counts that are not multiples of anything. Then
// MatMulGroup, whose decode pairs chunks across the group's weights (of
// different types in a Q4_K_M layer), must match the reference.
func TestX16Rows2(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	forLevels(t, func(t *testing.T) {
		for _, dt := range []tensor.DType{tensor.Q4_0, tensor.Q8_0, tensor.Q4_K, tensor.Q5_K, tensor.Q6_K} {
			if !x16Asm(dt) {
				continue // no x16 kernels for dt at this level
			}
			for _, cols := range []int{512, 1536} {
				const rows = 23
				w := Prepare(randomWeight(rng, dt, 2*rows, cols))
				if layoutOf(w.Data) != x16 {
					t.Fatalf("%v: not repacked", dt)
				}
				rb := len(w.Data) / (2 * rows)
				x := randomVec(rng, cols)
				var a x16Act
				a.prepare(1, cols, x16ActOff(dt))
				a.quantizeToken(0, x)
				want := make([]float32, 2*rows)
				if !x16Rows(dt, w.Data, 2*rows, &a, 0, want) {
					t.Fatalf("%v: no one-row kernel", dt)
				}
				for _, n := range []int{1, 2, 7, rows} {
					got := make([]float32, 2*rows)
					for i := range got {
						got[i] = float32(math.NaN())
					}
					// rows [0, n) with rows [rows, rows+n)
					if !x16Rows2(dt, w.Data[:n*rb], w.Data[rows*rb:(rows+n)*rb], n, &a, got[:n], got[rows:rows+n]) {
						t.Fatalf("%v: no two-stream kernel", dt)
					}
					checkPairRows(t, fmt.Sprintf("%v cols %d n %d", dt, cols, n), got, want, rows, n)
				}
			}
		}
	})

	p := NewPool(2)
	defer p.Close()
	const cols = 1024
	var ws, pws []*tensor.Tensor
	var outs [][]float32
	for k, dt := range []tensor.DType{tensor.Q4_K, tensor.Q4_K, tensor.Q6_K} {
		w := randomWeight(rng, dt, []int{300, 77, 77}[k], cols)
		ws, pws = append(ws, w), append(pws, Prepare(w))
		outs = append(outs, make([]float32, w.Rows()))
	}
	x := randomVec(rng, cols)
	MatMulGroup(p, outs, pws, x, 1)
	for k, w := range ws {
		want, mag := refMatMul(w, x, 1)
		checkClose(t, fmt.Sprintf("group weight %d (%v)", k, w.Type), outs[k], want, mag, 1e-5)
	}
}

// TestX16RowsX4 checks the four-token prefill kernels (for Q4_0 and Q8_0,
// the two-row ones and the odd last row): at AVX-512 every token's result
// must come out bit for bit as the one-token kernel gives it (at AVX2, whose
// kernels add in other orders, within float rounding), for every x16 type
// and row counts even and odd, and no output outside the rows may be
// written.
func TestX16RowsX4(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	forLevels(t, func(t *testing.T) {
		for _, dt := range []tensor.DType{tensor.Q4_0, tensor.Q8_0, tensor.Q4_K, tensor.Q5_K, tensor.Q6_K} {
			if !x16Asm(dt) {
				continue
			}
			for _, cols := range []int{512, 2560} {
				const rows = 23
				w := Prepare(randomWeight(rng, dt, rows, cols))
				rb := len(w.Data) / rows
				var a x16Act
				a.prepare(5, cols, x16ActOff(dt))
				for b := 0; b < 5; b++ {
					a.quantizeToken(b, randomVec(rng, cols))
				}
				want := make([]float32, 5*rows)
				for b := 0; b < 5; b++ {
					if !x16Rows(dt, w.Data, rows, &a, b, want[b*rows:(b+1)*rows]) {
						t.Fatalf("%v: no one-token kernel", dt)
					}
				}
				for _, n := range []int{1, 2, 3, 8, rows} {
					for _, tok := range []int{0, 1} {
						got := make([]float32, 4*rows+1)
						for i := range got {
							got[i] = float32(math.NaN())
						}
						if !x16RowsX4(dt, w.Data[:n*rb], n, &a, tok, got, rows) {
							t.Fatalf("%v: no four-token kernel", dt)
						}
						for k := 0; k < 4; k++ {
							for r := 0; r < rows; r++ {
								g := got[k*rows+r]
								if r >= n {
									if !math.IsNaN(float64(g)) {
										t.Fatalf("%v cols %d n %d: token %d row %d written", dt, cols, n, tok+k, r)
									}
									continue
								}
								wnt := want[(tok+k)*rows+r]
								if level == AVX2 && math.Abs(float64(g-wnt)) <= 1e-5*max(1, math.Abs(float64(wnt))) {
									continue
								}
								if g != wnt {
									t.Fatalf("%v cols %d n %d token %d row %d: %v, want %v", dt, cols, n, tok+k, r, g, wnt)
								}
							}
						}
						if !math.IsNaN(float64(got[4*rows])) {
							t.Fatalf("%v: wrote past the outputs", dt)
						}
					}
				}
			}
		}
	})
}

// TestX16SmallBatch checks that a batch of a few tokens (two or three run
// as a padded four-token pass) gives each token what it gets alone, bit for
// bit at AVX-512 (within float rounding at the other levels, whose batch
// kernels add in other orders), for every x16 type, with no allocation.
func TestX16SmallBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	forLevels(t, func(t *testing.T) {
		p := NewPool(2)
		defer p.Close()
		for _, dt := range []tensor.DType{tensor.Q4_0, tensor.Q8_0, tensor.Q4_K, tensor.Q5_K, tensor.Q6_K} {
			const rows, cols = 150, 1024
			w := Prepare(randomWeight(rng, dt, rows, cols))
			for _, n := range []int{2, 3, 6, 7, 9} {
				x := randomVec(rng, n*cols)
				got := make([]float32, n*rows)
				MatMul(p, got, w, x, n)
				one := make([]float32, rows)
				for b := 0; b < n; b++ {
					MatMul(p, one, w, x[b*cols:(b+1)*cols], 1)
					for r, want := range one {
						g := got[b*rows+r]
						if level != AVX512 && math.Abs(float64(g-want)) <= 1e-4*max(1, math.Abs(float64(want))) {
							continue
						}
						if g != want {
							t.Fatalf("%v n %d token %d row %d: %v, alone %v", dt, n, b, r, g, want)
						}
					}
				}
				if a := testing.AllocsPerRun(5, func() { MatMul(p, got, w, x, n) }); a != 0 {
					t.Fatalf("%v n %d: %v allocations per product", dt, n, a)
				}
			}
		}
	})
}
