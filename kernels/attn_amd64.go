package kernels

// Score kernels: groups of 4 keys (R4: 4 queries), 8 keys (R2: 2 queries)
// or 16 keys (R1: one query), written scaled to s with pitch ldS.

//go:noescape
func attnScF32R4(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32)

//go:noescape
func attnScF32R1(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32)

//go:noescape
func attnScF16R4(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32)

//go:noescape
func attnScF16R1(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32)

//go:noescape
func attnScQ8R4(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32)

//go:noescape
func attnScQ8R1(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32)

// Accumulation kernels: R rows × 16·W values of out, over nk ≥ 1 keys.

//go:noescape
func attnAcF32R4W4(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF32R4W2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF32R4W1(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF32R1W8(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF32R1W4(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF32R1W2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF32R1W1(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF16R4W4(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF16R4W2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF16R4W1(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF16R1W8(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF16R1W4(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF16R1W2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF16R1W1(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcQ8R4W4(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcQ8R4W2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcQ8R1W8(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcQ8R1W4(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcQ8R1W2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnScF32R2(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32)

//go:noescape
func attnScF16R2(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32)

//go:noescape
func attnScQ8R2(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32)

//go:noescape
func attnAcF32R2W8(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF32R2W4(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF32R2W2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF32R2W1(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF16R2W8(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF16R2W4(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF16R2W2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcF16R2W1(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcQ8R2W8(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcQ8R2W4(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnAcQ8R2W2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

//go:noescape
func attnMaxAVX512(x *float32, n int) float32

//go:noescape
func attnExpSumAVX512(x *float32, n int, m float32) float32

type attnScFn func(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32)

type attnAcFn func(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)

// Kernels by type: scores for 4, 2 and 1 queries; accumulation for 4, 2
// and 1 rows by width W (index W; nil where there is none).
var (
	attnSc4 = [3]attnScFn{attnScF32R4, attnScF16R4, attnScQ8R4}
	attnSc2 = [3]attnScFn{attnScF32R2, attnScF16R2, attnScQ8R2}
	attnSc1 = [3]attnScFn{attnScF32R1, attnScF16R1, attnScQ8R1}
	attnAc4 = [3][9]attnAcFn{
		{1: attnAcF32R4W1, 2: attnAcF32R4W2, 4: attnAcF32R4W4},
		{1: attnAcF16R4W1, 2: attnAcF16R4W2, 4: attnAcF16R4W4},
		{2: attnAcQ8R4W2, 4: attnAcQ8R4W4},
	}
	attnAc2 = [3][9]attnAcFn{
		{1: attnAcF32R2W1, 2: attnAcF32R2W2, 4: attnAcF32R2W4, 8: attnAcF32R2W8},
		{1: attnAcF16R2W1, 2: attnAcF16R2W2, 4: attnAcF16R2W4, 8: attnAcF16R2W8},
		{2: attnAcQ8R2W2, 4: attnAcQ8R2W4, 8: attnAcQ8R2W8},
	}
	attnAc1 = [3][9]attnAcFn{
		{1: attnAcF32R1W1, 2: attnAcF32R1W2, 4: attnAcF32R1W4, 8: attnAcF32R1W8},
		{1: attnAcF16R1W1, 2: attnAcF16R1W2, 4: attnAcF16R1W4, 8: attnAcF16R1W8},
		{2: attnAcQ8R1W2, 4: attnAcQ8R1W4, 8: attnAcQ8R1W8},
	}
)

func attnScores(s []float32, ldS int, q []float32, nq, hd int, k []byte, kStride int, kt KVType, nk int, scale float32) {
	if level != AVX512 || hd%16 != 0 {
		attnScoresGo(s, ldS, q, 0, nq, hd, k, kStride, kt, 0, nk, scale)
		return
	}
	i := 0
	for ; i+4 <= nq; i += 4 {
		attnScoreRows(attnSc4[kt], 4, s, ldS, q, i, hd, k, kStride, kt, nk, scale)
	}
	if i+2 <= nq {
		attnScoreRows(attnSc2[kt], 8, s, ldS, q, i, hd, k, kStride, kt, nk, scale)
		i += 2
	}
	for ; i < nq; i++ {
		attnScoreRows(attnSc1[kt], 16, s, ldS, q, i, hd, k, kStride, kt, nk, scale)
	}
}

// attnScoreRows runs fn, which takes keys c at a time, for the queries from
// i on. A last partial group of keys is recomputed as the final c keys
// (rewriting some scores with the same values); fewer than c keys in all
// go through the row dot products.
func attnScoreRows(fn attnScFn, c int, s []float32, ldS int, q []float32, i, hd int, k []byte, kStride int, kt KVType, nk int, scale float32) {
	rows := 16 / c
	groups := nk / c
	if groups == 0 {
		attnScoresGo(s, ldS, q, i, i+rows, hd, k, kStride, kt, 0, nk, scale)
		return
	}
	fn(&q[i*hd], hd, &k[0], kStride, groups, &s[i*ldS], ldS, scale)
	if groups*c < nk {
		j := nk - c
		fn(&q[i*hd], hd, &k[j*kStride], kStride, 1, &s[i*ldS+j], ldS, scale)
	}
}

func attnAccumulate(out []float32, ldO int, p []float32, ldP, nq int, v []byte, vStride int, vt KVType, nk, hd int) {
	if level != AVX512 || hd%16 != 0 {
		attnAccumulateGo(out, ldO, p, ldP, nq, v, vStride, vt, nk, hd)
		return
	}
	chunks := hd / 16
	i := 0
	for ; i+4 <= nq; i += 4 {
		attnAccRows(&attnAc4[vt], 4, out, ldO, p, ldP, i, v, vStride, vt, nk, chunks)
	}
	if i+2 <= nq {
		attnAccRows(&attnAc2[vt], 8, out, ldO, p, ldP, i, v, vStride, vt, nk, chunks)
		i += 2
	}
	for ; i < nq; i++ {
		attnAccRows(&attnAc1[vt], 8, out, ldO, p, ldP, i, v, vStride, vt, nk, chunks)
	}
}

// attnAccRows covers the columns of rows i.. with the widest kernels first.
func attnAccRows(fns *[9]attnAcFn, widest int, out []float32, ldO int, p []float32, ldP, i int, v []byte, vStride int, vt KVType, nk, chunks int) {
	for c := 0; c < chunks; {
		w := widest
		for w > chunks-c || fns[w] == nil {
			w /= 2
		}
		fns[w](&out[i*ldO+16*c], ldO, &p[i*ldP], ldP, &v[vt.RowBytes(16*c)], vStride, nk)
		c += w
	}
}

func attnMax(x []float32) float32 {
	if level == AVX512 && len(x) > 0 {
		return attnMaxAVX512(&x[0], len(x))
	}
	return attnMaxGo(x)
}

func attnExpSum(x []float32, m float32) float32 {
	if level == AVX512 && len(x) > 0 {
		return attnExpSumAVX512(&x[0], len(x), m)
	}
	return attnExpSumGo(x, m)
}
