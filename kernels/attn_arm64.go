package kernels

import "unsafe"

// attn_arm64.s is written by attn_arm64_gen.py (python3 attn_arm64_gen.py > attn_arm64.s).
//
// At the NEON and NEONDot levels (the kernels use no dot-product
// instructions, so both run the same code) head sizes that are a multiple of
// 4 run in assembly: scores for 4 queries × 4 keys, 2 × 8 or 1 × 8 per step,
// value sums for 4, 2 or 1 rows × up to 16 (4 rows) or 32 values per key.
// F16 rows are widened in registers as they are loaded. Q8_0 rows are
// widened (d·q in float32, as the other levels compute them) a slice of
// keys at a time into a buffer on the stack, and the F32 kernels read that.
// Fewer than 8 keys, other head sizes and the Generic level use the Go
// loops.

// Score kernels: groups of 4 keys (R4: 4 queries) or 8 keys (R2, R1).

//go:noescape
func attnScF32R4NEON(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32)

//go:noescape
func attnScF32R2NEON(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32)

//go:noescape
func attnScF32R1NEON(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32)

//go:noescape
func attnScF16R4NEON(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32)

//go:noescape
func attnScF16R2NEON(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32)

//go:noescape
func attnScF16R1NEON(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32)

// Accumulation kernels: R rows × 4·W values of out, over nk ≥ 1 keys.

//go:noescape
func attnAcF32R4W4NEON(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF32R4W2NEON(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF32R4W1NEON(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF32R2W8NEON(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF32R2W4NEON(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF32R2W2NEON(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF32R2W1NEON(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF32R1W8NEON(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF32R1W4NEON(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF32R1W2NEON(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF32R1W1NEON(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF16R4W4NEON(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF16R4W2NEON(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF16R4W1NEON(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF16R2W8NEON(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF16R2W4NEON(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF16R2W2NEON(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF16R2W1NEON(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF16R1W8NEON(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF16R1W4NEON(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF16R1W2NEON(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF16R1W1NEON(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnWidenF32NEON(dst *float32, ldD int, src *byte, stride int, n int, hd int)

//go:noescape
func attnWidenF16NEON(dst *float32, ldD int, src *byte, stride int, n int, hd int)

//go:noescape
func attnWidenQ8NEON(dst *float32, ldD int, src *byte, stride int, n int, hd int)

//go:noescape
func attnMaxNEON(x *float32, n int) float32

//go:noescape
func attnExpSumNEON(x *float32, n int, m float32) float32

// attnScNEON runs the score kernel for rows queries of type kt (F32 or
// F16). The kernels are called directly, not through function values, so
// that the key rows (a stack buffer for Q8_0) do not escape.
func attnScNEON(kt KVType, rows int, q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32) {
	switch {
	case kt == KVF32 && rows == 4:
		attnScF32R4NEON(q, hd, k, kStride, groups, s, ldS, scale)
	case kt == KVF32 && rows == 2:
		attnScF32R2NEON(q, hd, k, kStride, groups, s, ldS, scale)
	case kt == KVF32:
		attnScF32R1NEON(q, hd, k, kStride, groups, s, ldS, scale)
	case rows == 4:
		attnScF16R4NEON(q, hd, k, kStride, groups, s, ldS, scale)
	case rows == 2:
		attnScF16R2NEON(q, hd, k, kStride, groups, s, ldS, scale)
	default:
		attnScF16R1NEON(q, hd, k, kStride, groups, s, ldS, scale)
	}
}

// attnAcNEON runs the value kernel of type vt (F32 or F16) for rows output
// rows (4, 2 or 1) and width w (1, 2, 4 or 8; 8 only for 2 and 1 rows).
func attnAcNEON(vt KVType, rows, w int, out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int) {
	if vt == KVF32 {
		switch rows<<4 | w {
		case 0x44:
			attnAcF32R4W4NEON(out, ldO, p, ldP, v, vStride, nk)
		case 0x42:
			attnAcF32R4W2NEON(out, ldO, p, ldP, v, vStride, nk)
		case 0x41:
			attnAcF32R4W1NEON(out, ldO, p, ldP, v, vStride, nk)
		case 0x28:
			attnAcF32R2W8NEON(out, ldO, p, ldP, v, vStride, nk)
		case 0x24:
			attnAcF32R2W4NEON(out, ldO, p, ldP, v, vStride, nk)
		case 0x22:
			attnAcF32R2W2NEON(out, ldO, p, ldP, v, vStride, nk)
		case 0x21:
			attnAcF32R2W1NEON(out, ldO, p, ldP, v, vStride, nk)
		case 0x18:
			attnAcF32R1W8NEON(out, ldO, p, ldP, v, vStride, nk)
		case 0x14:
			attnAcF32R1W4NEON(out, ldO, p, ldP, v, vStride, nk)
		case 0x12:
			attnAcF32R1W2NEON(out, ldO, p, ldP, v, vStride, nk)
		default:
			attnAcF32R1W1NEON(out, ldO, p, ldP, v, vStride, nk)
		}
		return
	}
	switch rows<<4 | w {
	case 0x44:
		attnAcF16R4W4NEON(out, ldO, p, ldP, v, vStride, nk)
	case 0x42:
		attnAcF16R4W2NEON(out, ldO, p, ldP, v, vStride, nk)
	case 0x41:
		attnAcF16R4W1NEON(out, ldO, p, ldP, v, vStride, nk)
	case 0x28:
		attnAcF16R2W8NEON(out, ldO, p, ldP, v, vStride, nk)
	case 0x24:
		attnAcF16R2W4NEON(out, ldO, p, ldP, v, vStride, nk)
	case 0x22:
		attnAcF16R2W2NEON(out, ldO, p, ldP, v, vStride, nk)
	case 0x21:
		attnAcF16R2W1NEON(out, ldO, p, ldP, v, vStride, nk)
	case 0x18:
		attnAcF16R1W8NEON(out, ldO, p, ldP, v, vStride, nk)
	case 0x14:
		attnAcF16R1W4NEON(out, ldO, p, ldP, v, vStride, nk)
	case 0x12:
		attnAcF16R1W2NEON(out, ldO, p, ldP, v, vStride, nk)
	default:
		attnAcF16R1W1NEON(out, ldO, p, ldP, v, vStride, nk)
	}
}

// attnQ8Buf is the size in float32 of the stack buffer Q8_0 key and value
// rows are widened into; rows longer than an eighth of it (hd > 512) take
// the Go loops.
const attnQ8Buf = 4096

// attnNEON reports whether rows of hd elements of type t run in assembly.
func attnNEON(t KVType, hd int) bool {
	return level >= NEON && hd%4 == 0 && (t != KVQ8_0 || hd <= attnQ8Buf/8)
}

func attnScores(s []float32, ldS int, q []float32, nq, hd int, k []byte, kStride int, kt KVType, nk int, scale float32, _ int) {
	if !attnNEON(kt, hd) || nk < attnMinKeys {
		attnScoresGo(s, ldS, q, 0, nq, hd, k, kStride, kt, 0, nk, scale)
		return
	}
	if kt != KVQ8_0 {
		attnScoresNEON(s, ldS, q, nq, hd, k, kStride, kt, nk, scale)
		return
	}
	var buf [attnQ8Buf]float32
	per := attnQ8Buf / hd
	for j := 0; j < nk; j += per {
		if nk-j < attnMinKeys {
			j = nk - attnMinKeys // widen the final keys again
		}
		n := min(per, nk-j)
		attnWidenQ8NEON(&buf[0], hd, &k[j*kStride], kStride, n, hd)
		kf := unsafe.Slice((*byte)(unsafe.Pointer(&buf[0])), 4*n*hd)
		attnScoresNEON(s[j:], ldS, q, nq, hd, kf, 4*hd, KVF32, n, scale)
	}
}

// attnMinKeys is the fewest keys the score kernels take (the most keys of
// one group); fewer go through the row dot products.
const attnMinKeys = 8

// attnScoresNEON runs the F32 or F16 score kernels over blocks of 4, then 2,
// then single queries, for nk ≥ attnMinKeys keys. It calls assembly only,
// so that its arguments do not escape (the Q8_0 path passes a stack buffer).
func attnScoresNEON(s []float32, ldS int, q []float32, nq, hd int, k []byte, kStride int, kt KVType, nk int, scale float32) {
	i := 0
	for ; i+4 <= nq; i += 4 {
		attnScoreRowsNEON(4, 4, s, ldS, q, i, hd, k, kStride, kt, nk, scale)
	}
	if i+2 <= nq {
		attnScoreRowsNEON(2, 8, s, ldS, q, i, hd, k, kStride, kt, nk, scale)
		i += 2
	}
	if i < nq {
		attnScoreRowsNEON(1, 8, s, ldS, q, i, hd, k, kStride, kt, nk, scale)
	}
}

// attnScoreRowsNEON runs the kernel for rows queries × c keys at a time
// (c ≤ nk) over queries i..i+rows-1. A last partial group of keys is
// recomputed as the final c keys (rewriting some scores with the same
// values).
func attnScoreRowsNEON(rows, c int, s []float32, ldS int, q []float32, i, hd int, k []byte, kStride int, kt KVType, nk int, scale float32) {
	groups := nk / c
	attnScNEON(kt, rows, &q[i*hd], hd, &k[0], kStride, groups, &s[i*ldS], ldS, scale)
	if groups*c < nk {
		j := nk - c
		attnScNEON(kt, rows, &q[i*hd], hd, &k[j*kStride], kStride, 1, &s[i*ldS+j], ldS, scale)
	}
}

func attnAccumulate(out []float32, ldO int, p []float32, ldP, nq int, v []byte, vStride int, vt KVType, nk, hd int, _ int) {
	if !attnNEON(vt, hd) {
		attnAccumulateGo(out, ldO, p, ldP, nq, v, vStride, vt, nk, hd)
		return
	}
	if vt != KVQ8_0 {
		attnAccumulateNEON(out, ldO, p, ldP, nq, v, vStride, vt, nk, hd)
		return
	}
	var buf [attnQ8Buf]float32
	per := attnQ8Buf / hd
	for j := 0; j < nk; j += per {
		n := min(per, nk-j)
		attnWidenQ8NEON(&buf[0], hd, &v[j*vStride], vStride, n, hd)
		vf := unsafe.Slice((*byte)(unsafe.Pointer(&buf[0])), 4*n*hd)
		attnAccumulateNEON(out, ldO, p[j:], ldP, nq, vf, 4*hd, KVF32, n, hd)
	}
}

// attnAccumulateNEON runs the F32 or F16 value kernels over blocks of 4,
// then 2, then single rows.
func attnAccumulateNEON(out []float32, ldO int, p []float32, ldP, nq int, v []byte, vStride int, vt KVType, nk, hd int) {
	chunks := hd / 4
	i := 0
	for ; i+4 <= nq; i += 4 {
		attnAccRowsNEON(4, 4, out, ldO, p, ldP, i, v, vStride, vt, nk, chunks)
	}
	if i+2 <= nq {
		attnAccRowsNEON(2, 8, out, ldO, p, ldP, i, v, vStride, vt, nk, chunks)
		i += 2
	}
	if i < nq {
		attnAccRowsNEON(1, 8, out, ldO, p, ldP, i, v, vStride, vt, nk, chunks)
	}
}

// attnAccRowsNEON covers the columns of rows i..i+rows-1 with the widest
// kernels first; a kernel of width W spans W chunks of 4 values.
func attnAccRowsNEON(rows, widest int, out []float32, ldO int, p []float32, ldP, i int, v []byte, vStride int, vt KVType, nk, chunks int) {
	for c := 0; c < chunks; {
		w := widest
		for w > chunks-c {
			w /= 2
		}
		attnAcNEON(vt, rows, w, &out[i*ldO+4*c], ldO, &p[i*ldP], ldP, &v[vt.RowBytes(4*c)], vStride, nk)
		c += w
	}
}

func attnMax(x []float32) float32 {
	n := len(x) &^ 3
	if level < NEON || n == 0 {
		return attnMaxGo(x)
	}
	return max(attnMaxNEON(&x[0], n), attnMaxGo(x[n:]))
}

func attnExpSum(x []float32, m float32) float32 {
	n := len(x) &^ 3
	if level < NEON || n == 0 {
		return attnExpSumGo(x, m)
	}
	return attnExpSumNEON(&x[0], n, m) + attnExpSumGo(x[n:], m)
}

func attnWiden(dst []float32, ldD int, src []byte, stride int, t KVType, n, hd int) {
	if level < NEON || hd%4 != 0 {
		attnWidenGo(dst, ldD, src, stride, t, n, hd)
		return
	}
	switch t {
	case KVF16:
		attnWidenF16NEON(&dst[0], ldD, &src[0], stride, n, hd)
	case KVQ8_0:
		attnWidenQ8NEON(&dst[0], ldD, &src[0], stride, n, hd)
	default:
		attnWidenF32NEON(&dst[0], ldD, &src[0], stride, n, hd)
	}
}
