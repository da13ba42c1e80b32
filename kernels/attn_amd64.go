package kernels

// attn_amd64.s is written by attn_gen.py (python3 attn_gen.py > attn_amd64.s).

// Score kernels: groups of 4 keys (R4: 4 queries), 8 keys (R2: 2 queries)
// or 16 keys (R1: one query), written scaled to s with pitch ldS.

//go:noescape
func attnScF32R4(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32, ahead int)

//go:noescape
func attnScF32R1(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32, ahead int)

//go:noescape
func attnScF16R4(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32, ahead int)

//go:noescape
func attnScF16R1(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32, ahead int)

//go:noescape
func attnScQ8R4(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32, ahead int)

//go:noescape
func attnScQ8R1(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32, ahead int)

// Accumulation kernels: R rows × 16·W values of out, over nk ≥ 1 keys.

//go:noescape
func attnAcF32R4W4(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF32R4W2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF32R4W1(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF32R1W8(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF32R1W4(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF32R1W2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF32R1W1(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF16R4W4(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF16R4W2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF16R4W1(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF16R1W8(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF16R1W4(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF16R1W2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF16R1W1(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcQ8R4W4(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcQ8R4W2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcQ8R1W8(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcQ8R1W4(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcQ8R1W2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnScF32R2(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32, ahead int)

//go:noescape
func attnScF16R2(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32, ahead int)

//go:noescape
func attnScQ8R2(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32, ahead int)

//go:noescape
func attnAcF32R2W8(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF32R2W4(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF32R2W2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF32R2W1(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF16R2W8(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF16R2W4(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF16R2W2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF16R2W1(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcQ8R2W8(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcQ8R2W4(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcQ8R2W2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

// AVX2 kernels: scores for 2 queries × 4 keys (a single query passes
// qStride = ldS = 0), accumulation for 2 or 1 rows × 8·W values.

//go:noescape
func attnScF32AVX2(q *float32, hd int, qStride int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32)

//go:noescape
func attnScF16AVX2(q *float32, hd int, qStride int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32)

//go:noescape
func attnScQ8AVX2(q *float32, hd int, qStride int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32)

//go:noescape
func attnAcF32R2W4AVX2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF32R2W2AVX2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF32R2W1AVX2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF32R1W8AVX2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF32R1W4AVX2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF32R1W2AVX2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF32R1W1AVX2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF16R2W4AVX2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF16R2W2AVX2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF16R2W1AVX2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF16R1W8AVX2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF16R1W4AVX2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF16R1W2AVX2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcF16R1W1AVX2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcQ8R2W4AVX2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcQ8R1W8AVX2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnAcQ8R1W4AVX2(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

//go:noescape
func attnWidenF16AVX512(dst *float32, ldD int, src *byte, stride int, n int, hd int)

//go:noescape
func attnWidenQ8AVX512(dst *float32, ldD int, src *byte, stride int, n int, hd int)

//go:noescape
func attnMaxAVX512(x *float32, n int) float32

//go:noescape
func attnExpSumAVX512(x *float32, n int, m float32) float32

type attnScFn func(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32, ahead int)

type attnAcFn func(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)

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

type attnScAVX2Fn func(q *float32, hd int, qStride int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32)

var (
	attnScAVX2  = [3]attnScAVX2Fn{attnScF32AVX2, attnScF16AVX2, attnScQ8AVX2}
	attnAc2AVX2 = [3][9]attnAcFn{
		{1: attnAcF32R2W1AVX2, 2: attnAcF32R2W2AVX2, 4: attnAcF32R2W4AVX2},
		{1: attnAcF16R2W1AVX2, 2: attnAcF16R2W2AVX2, 4: attnAcF16R2W4AVX2},
		{4: attnAcQ8R2W4AVX2},
	}
	attnAc1AVX2 = [3][9]attnAcFn{
		{1: attnAcF32R1W1AVX2, 2: attnAcF32R1W2AVX2, 4: attnAcF32R1W4AVX2, 8: attnAcF32R1W8AVX2},
		{1: attnAcF16R1W1AVX2, 2: attnAcF16R1W2AVX2, 4: attnAcF16R1W4AVX2, 8: attnAcF16R1W8AVX2},
		{4: attnAcQ8R1W4AVX2, 8: attnAcQ8R1W8AVX2},
	}
)

// attnScoresAVX2 runs the two-query kernel over pairs of queries (a last
// single query as a pair of itself writing one row twice), four keys at a
// time, a last partial group as the final four keys.
func attnScoresAVX2(s []float32, ldS int, q []float32, nq, hd int, k []byte, kStride int, kt KVType, nk int, scale float32) {
	if nk < 4 {
		attnScoresGo(s, ldS, q, 0, nq, hd, k, kStride, kt, 0, nk, scale)
		return
	}
	fn := attnScAVX2[kt]
	groups := nk / 4
	for i := 0; i < nq; i += 2 {
		qs, ld := 4*hd, ldS
		if i+1 == nq {
			qs, ld = 0, 0
		}
		fn(&q[i*hd], hd, qs, &k[0], kStride, groups, &s[i*ldS], ld, scale)
		if groups*4 < nk {
			j := nk - 4
			fn(&q[i*hd], hd, qs, &k[j*kStride], kStride, 1, &s[i*ldS+j], ld, scale)
		}
	}
}

func attnScores(s []float32, ldS int, q []float32, nq, hd int, k []byte, kStride int, kt KVType, nk int, scale float32, ahead int) {
	if level == AVX2 && hd%8 == 0 {
		attnScoresAVX2(s, ldS, q, nq, hd, k, kStride, kt, nk, scale)
		return
	}
	if level != AVX512 || hd%16 != 0 {
		attnScoresGo(s, ldS, q, 0, nq, hd, k, kStride, kt, 0, nk, scale)
		return
	}
	i := 0
	for ; i+4 <= nq; i += 4 {
		attnScoreRows(attnSc4[kt], 4, s, ldS, q, i, hd, k, kStride, kt, nk, scale, ahead)
	}
	if i+2 <= nq {
		attnScoreRows(attnSc2[kt], 8, s, ldS, q, i, hd, k, kStride, kt, nk, scale, ahead)
		i += 2
	}
	for ; i < nq; i++ {
		attnScoreRows(attnSc1[kt], 16, s, ldS, q, i, hd, k, kStride, kt, nk, scale, ahead)
	}
}

// attnScoreRows runs fn, which takes keys c at a time, for the queries from
// i on. A last partial group of keys is recomputed as the final c keys
// (rewriting some scores with the same values); fewer than c keys in all
// go through the row dot products.
func attnScoreRows(fn attnScFn, c int, s []float32, ldS int, q []float32, i, hd int, k []byte, kStride int, kt KVType, nk int, scale float32, ahead int) {
	rows := 16 / c
	groups := nk / c
	if groups == 0 {
		attnScoresGo(s, ldS, q, i, i+rows, hd, k, kStride, kt, 0, nk, scale)
		return
	}
	fn(&q[i*hd], hd, &k[0], kStride, groups, &s[i*ldS], ldS, scale, ahead)
	if groups*c < nk {
		j := nk - c
		fn(&q[i*hd], hd, &k[j*kStride], kStride, 1, &s[i*ldS+j], ldS, scale, ahead)
	}
}

func attnAccumulate(out []float32, ldO int, p []float32, ldP, nq int, v []byte, vStride int, vt KVType, nk, hd int, ahead int) {
	if level == AVX2 && hd%8 == 0 {
		i := 0
		for ; i+2 <= nq; i += 2 {
			attnAccRows(&attnAc2AVX2[vt], 4, 8, out, ldO, p, ldP, i, v, vStride, vt, nk, hd/8, ahead)
		}
		if i < nq {
			attnAccRows(&attnAc1AVX2[vt], 8, 8, out, ldO, p, ldP, i, v, vStride, vt, nk, hd/8, ahead)
		}
		return
	}
	if level != AVX512 || hd%16 != 0 {
		attnAccumulateGo(out, ldO, p, ldP, nq, v, vStride, vt, nk, hd)
		return
	}
	chunks := hd / 16
	i := 0
	for ; i+4 <= nq; i += 4 {
		attnAccRows(&attnAc4[vt], 4, 16, out, ldO, p, ldP, i, v, vStride, vt, nk, chunks, ahead)
	}
	if i+2 <= nq {
		attnAccRows(&attnAc2[vt], 8, 16, out, ldO, p, ldP, i, v, vStride, vt, nk, chunks, ahead)
		i += 2
	}
	for ; i < nq; i++ {
		attnAccRows(&attnAc1[vt], 8, 16, out, ldO, p, ldP, i, v, vStride, vt, nk, chunks, ahead)
	}
}

// attnAccRows covers the columns of rows i.. with the widest kernels first;
// a kernel of width W spans W chunks of cw values.
func attnAccRows(fns *[9]attnAcFn, widest, cw int, out []float32, ldO int, p []float32, ldP, i int, v []byte, vStride int, vt KVType, nk, chunks, ahead int) {
	for c := 0; c < chunks; {
		w := widest
		for w > chunks-c || fns[w] == nil {
			w /= 2
		}
		fns[w](&out[i*ldO+cw*c], ldO, &p[i*ldP], ldP, &v[vt.RowBytes(cw*c)], vStride, nk, ahead)
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

func attnWiden(dst []float32, ldD int, src []byte, stride int, t KVType, n, hd int) {
	if level == AVX512 && hd%16 == 0 {
		switch t {
		case KVF16:
			attnWidenF16AVX512(&dst[0], ldD, &src[0], stride, n, hd)
			return
		case KVQ8_0:
			attnWidenQ8AVX512(&dst[0], ldD, &src[0], stride, n, hd)
			return
		}
	}
	attnWidenGo(dst, ldD, src, stride, t, n, hd)
}
