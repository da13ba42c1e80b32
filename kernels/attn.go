package kernels

import (
	"fmt"
	"math"

	"github.com/nuri-ai/nuri/tensor"
)

// Attention kernels. A block of keys or values is a run of rows of hd
// elements of one KVType, stride bytes apart (the rows of one head inside a
// KV cache whose rows hold every head). Queries, scores, probabilities and
// outputs are float32 matrices with a leading dimension (row pitch, in
// elements). All entry points are single-threaded: they are meant to run
// inside Pool tasks.
//
// The products run in register-blocked micro-kernels that widen F16 and
// Q8_0 elements to float32 in registers as they are loaded and prefetch the
// rows ahead (cache rows are strided, which the hardware prefetcher follows
// poorly). AVX512: scores for 4 queries × 4 keys, 2 × 8 or 1 × 16 per step,
// sixteen dot products summed across lanes together at the end; value sums
// for 4, 2 or 1 output rows × up to 64 (4 rows) or 128 values per key. AVX2:
// scores for 2 queries × 4 keys, value sums for 2 or 1 rows × up to 32 or
// 64 values. The Generic level (and head sizes that are not a multiple of
// 16, or 8 for AVX2) uses plain loops around the row dot products.

// KVType is the element type of attention keys and values.
type KVType uint8

// Key and value element types.
const (
	KVF32  KVType = iota // little-endian float32
	KVF16                // IEEE binary16
	KVQ8_0               // blocks of 32: binary16 scale d, 32 int8 q; value d·q
)

func (t KVType) String() string {
	switch t {
	case KVF32:
		return "f32"
	case KVF16:
		return "f16"
	case KVQ8_0:
		return "q8_0"
	}
	return fmt.Sprintf("KVType(%d)", int(t))
}

// RowBytes is the size in bytes of n elements of type t (n a multiple of 32
// for Q8_0).
func (t KVType) RowBytes(n int) int {
	switch t {
	case KVF16:
		return 2 * n
	case KVQ8_0:
		return n / 32 * 34
	}
	return 4 * n
}

// AttnScores sets s[i*ldS+j] = scale · q_i·k_j for queries i < nq and keys
// j < nk, where q_i = q[i*hd : (i+1)*hd] and k_j is the row of hd elements of
// type kt at k[j*kStride:]. Q8_0 needs hd to be a multiple of 32.
//
// While it reads a row, the kernel asks for the memory ahead bytes further on
// to be brought into cache (a hint, never a read: any distance is safe), so
// that a caller who knows where the next rows lie (the next block of a paged
// cache) can overlap their loading with this call's arithmetic. Zero means
// sixteen rows on. The AVX-512 kernels (and the AVX2 value sums) follow it;
// the others prefetch a fixed distance or leave it to the hardware.
func AttnScores(s []float32, ldS int, q []float32, nq, hd int, k []byte, kStride int, kt KVType, nk int, scale float32, ahead int) {
	if nq <= 0 || nk <= 0 || hd <= 0 {
		return
	}
	checkAttn("AttnScores", kt, hd, nq, nk, ldS, len(s), len(k), kStride)
	_ = q[nq*hd-1]
	if ahead == 0 {
		ahead = attnAhead * kStride
	}
	attnScores(s, ldS, q, nq, hd, k, kStride, kt, nk, scale, ahead)
}

// AttnAccumulate adds to out[i*ldO+d] the sum over keys j < nk of
// p[i*ldP+j] · v_j[d], for rows i < nq and d < hd, where v_j is the row of hd
// elements of type vt at v[j*vStride:]. Q8_0 needs hd to be a multiple of 32.
// Rows ahead bytes further on are prefetched as in AttnScores.
func AttnAccumulate(out []float32, ldO int, p []float32, ldP, nq int, v []byte, vStride int, vt KVType, nk, hd int, ahead int) {
	if nq <= 0 || nk <= 0 || hd <= 0 {
		return
	}
	checkAttn("AttnAccumulate", vt, hd, nq, nk, ldP, len(p), len(v), vStride)
	if ldO < hd || len(out) < (nq-1)*ldO+hd {
		panic(fmt.Sprintf("kernels: AttnAccumulate: output of %d values too short for %d rows of %d (pitch %d)", len(out), nq, hd, ldO))
	}
	if ahead == 0 {
		ahead = attnAhead * vStride
	}
	attnAccumulate(out, ldO, p, ldP, nq, v, vStride, vt, nk, hd, ahead)
}

// attnAhead is how many rows on the kernels prefetch by default.
const attnAhead = 16

// AttnWiden converts n rows of hd elements of type t, stride bytes apart in
// src, to float32 rows dst[j*ldD : j*ldD+hd]. When many queries share a key
// or value block, widening it once and running the F32 kernels costs less
// than widening it in every kernel pass.
func AttnWiden(dst []float32, ldD int, src []byte, stride int, t KVType, n, hd int) {
	if n <= 0 || hd <= 0 {
		return
	}
	checkRows("AttnWiden", t, hd, n, len(src), stride)
	if ldD < hd || len(dst) < (n-1)*ldD+hd {
		panic(fmt.Sprintf("kernels: AttnWiden: output of %d values too short for %d rows of %d (pitch %d)", len(dst), n, hd, ldD))
	}
	attnWiden(dst, ldD, src, stride, t, n, hd)
}

// AttnMax returns the largest element of x (-Inf when x is empty).
func AttnMax(x []float32) float32 {
	return attnMax(x)
}

// AttnExpSum replaces x[i] by e^(x[i]-m) and returns their sum. The
// arguments are expected to be ≤ 0 (m at least the maximum, as in a stable
// softmax); those below -87 and -Inf give 0. Accurate to a few float32 ulps.
func AttnExpSum(x []float32, m float32) float32 {
	return attnExpSum(x, m)
}

// checkAttn panics with a description when the shapes of an attention call
// do not fit its buffers: these are programming errors of the caller.
func checkAttn(fn string, t KVType, hd, nq, nk, ld, nMat, nRows, stride int) {
	checkRows(fn, t, hd, nk, nRows, stride)
	if ld < nk || nMat < (nq-1)*ld+nk {
		panic(fmt.Sprintf("kernels: %s: matrix of %d values too short for %d×%d (pitch %d)", fn, nMat, nq, nk, ld))
	}
}

// checkRows panics unless n rows of hd elements of type t, stride bytes
// apart, fit in nBytes.
func checkRows(fn string, t KVType, hd, n, nBytes, stride int) {
	switch {
	case t > KVQ8_0:
		panic(fmt.Sprintf("kernels: %s: unknown element type %v", fn, t))
	case t == KVQ8_0 && hd%32 != 0:
		panic(fmt.Sprintf("kernels: %s: q8_0 rows need a multiple of 32 values, have %d", fn, hd))
	case stride < t.RowBytes(hd) && n > 1 || nBytes < (n-1)*stride+t.RowBytes(hd):
		panic(fmt.Sprintf("kernels: %s: %d bytes too short for %d rows of %d %v values, %d bytes apart", fn, nBytes, n, hd, t, stride))
	}
}

// dotKV is the dot product of x with the first len(x) elements of type t in
// row (plain loops, or the row kernels of the level for F32 and F16).
func dotKV(t KVType, row []byte, x []float32) float32 {
	switch t {
	case KVF16:
		return dotF16(row, x)
	case KVQ8_0:
		var sum float32
		for b := 0; b < len(x); b += 32 {
			blk := row[b/32*34:][:34]
			xs := x[b : b+32]
			var s float32
			for i, v := range xs {
				s += v * float32(int8(blk[2+i]))
			}
			sum += s * tensor.F16ToF32(le16(blk))
		}
		return sum
	}
	return dotF32(row, x)
}

// widenKV converts the first len(dst) elements of type t in row to float32.
func widenKV(t KVType, dst []float32, row []byte) {
	switch t {
	case KVF16:
		row = row[:2*len(dst)]
		for i := range dst {
			dst[i] = tensor.F16ToF32(le16(row[2*i:]))
		}
	case KVQ8_0:
		for b := 0; b < len(dst); b += 32 {
			blk := row[b/32*34:][:34]
			d := tensor.F16ToF32(le16(blk))
			out := dst[b : b+32]
			for i := range out {
				out[i] = d * float32(int8(blk[2+i]))
			}
		}
	default:
		row = row[:4*len(dst)]
		for i := range dst {
			dst[i] = math.Float32frombits(uint32(row[4*i]) | uint32(row[4*i+1])<<8 | uint32(row[4*i+2])<<16 | uint32(row[4*i+3])<<24)
		}
	}
}

func attnWidenGo(dst []float32, ldD int, src []byte, stride int, t KVType, n, hd int) {
	for j := 0; j < n; j++ {
		widenKV(t, dst[j*ldD:][:hd], src[j*stride:])
	}
}

// attnScoresGo computes the scores of queries [i0, nq) and keys [j0, nk)
// one dot product at a time.
func attnScoresGo(s []float32, ldS int, q []float32, i0, nq, hd int, k []byte, kStride int, kt KVType, j0, nk int, scale float32) {
	for i := i0; i < nq; i++ {
		qi := q[i*hd : (i+1)*hd]
		si := s[i*ldS:]
		for j := j0; j < nk; j++ {
			si[j] = scale * dotKV(kt, k[j*kStride:], qi)
		}
	}
}

// attnChunk is how many values attnAccumulateGo widens at a time.
const attnChunk = 256

// attnAccumulateGo is the plain loop form of AttnAccumulate: each value row
// is widened once (in chunks) and added to every output row.
func attnAccumulateGo(out []float32, ldO int, p []float32, ldP, nq int, v []byte, vStride int, vt KVType, nk, hd int) {
	var buf [attnChunk]float32
	for c := 0; c < hd; c += attnChunk {
		w := min(attnChunk, hd-c)
		row := buf[:w]
		for j := 0; j < nk; j++ {
			widenKV(vt, row, v[j*vStride+vt.RowBytes(c):])
			for i := 0; i < nq; i++ {
				pij := p[i*ldP+j]
				if pij == 0 {
					continue
				}
				o := out[i*ldO+c:][:w]
				for d, x := range row {
					o[d] += pij * x
				}
			}
		}
	}
}

func attnMaxGo(x []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range x {
		m = max(m, v)
	}
	return m
}

func attnExpSumGo(x []float32, m float32) float32 {
	var sum float32
	for i, v := range x {
		e := expNeg(v - m)
		x[i] = e
		sum += e
	}
	return sum
}

// expNeg returns e^x for x ≤ 0 to within a few float32 ulps (0 below -87):
// x = k·ln2 + r with |r| ≤ ln2/2, e^r by its Taylor polynomial, times 2^k.
func expNeg(x float32) float32 {
	if !(x >= -87) { // also -Inf and NaN
		return 0
	}
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693145751953125
		ln2lo = 1.428606765330187045e-06
	)
	kf := float32(math.RoundToEven(float64(x * log2e)))
	r := x - kf*ln2hi - kf*ln2lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040)))))))
	return p * math.Float32frombits(uint32(int32(kf)+127)<<23)
}
