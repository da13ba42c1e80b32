package tensor

import (
	"encoding/binary"
	"fmt"
	"math"
)

// This file holds the reference quantizers. Each one reproduces, byte for
// byte, GGML's quantize_row_*_ref (the path used without an importance
// matrix): the same search, the same float32 operation order, the same
// integer truncations. Products that feed an addition are wrapped in
// float32(...) so that no compiler may fuse them into an FMA.
//
// Inputs are expected to be finite. Infinities and NaNs never cause a panic,
// but the bytes they produce are unspecified.

type blockEncoder func(x []float32, y []byte)

func encoderFor(t DType) blockEncoder {
	switch t {
	case Q4_0:
		return quantQ4_0
	case Q4_1:
		return quantQ4_1
	case Q5_0:
		return quantQ5_0
	case Q5_1:
		return quantQ5_1
	case Q8_0:
		return quantQ8_0
	case Q8_1:
		return quantQ8_1
	case Q2_K:
		return quantQ2K
	case Q3_K:
		return quantQ3K
	case Q4_K:
		return quantQ4K
	case Q5_K:
		return quantQ5K
	case Q6_K:
		return quantQ6K
	case Q8_K:
		return quantQ8K
	}
	return nil
}

// CanQuantize reports whether Quantize supports t.
func CanQuantize(t DType) bool {
	return t == F32 || t == F16 || t == BF16 || encoderFor(t) != nil
}

// Quantize encodes src into dst as type t. len(src) must be a multiple of t's
// block size and dst must be exactly RowBytes(t, len(src)) long. The bytes are
// identical to GGML's reference quantizers (quantize_row_*_ref, and the
// F16/BF16 row conversions).
func Quantize(t DType, src []float32, dst []byte) error {
	if !CanQuantize(t) {
		return fmt.Errorf("tensor: Quantize: unsupported type %v", t)
	}
	if err := checkRow("Quantize", t, len(dst), len(src)); err != nil {
		return err
	}
	switch t {
	case F32:
		for i, v := range src {
			binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
		}
		return nil
	case F16:
		for i, v := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], F32ToF16(v))
		}
		return nil
	case BF16:
		for i, v := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], F32ToBF16(v))
		}
		return nil
	}
	enc := encoderFor(t)
	bs, ts := t.BlockSize(), t.TypeSize()
	for i, j := 0, 0; j < len(src); i, j = i+ts, j+bs {
		enc(src[j:j+bs], dst[i:i+ts])
	}
	return nil
}

// ---- small helpers ----

const groupMaxEps = 1e-15

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

func putF16(b []byte, off int, v float32) {
	binary.LittleEndian.PutUint16(b[off:], F32ToF16(v))
}

// nearestInt rounds half to even using the float "magic number" trick GGML
// uses; for |f| ≤ 2^22 it is exact rounding, beyond that it returns the same
// (meaningless) value GGML does.
func nearestInt(f float32) int32 {
	v := float32(f) + 12582912 // the conversion forbids fusing a caller's product into an FMA
	i := int32(math.Float32bits(v))
	return (i & 0x007fffff) - 0x00400000
}

// truncI32 converts like C's float-to-int cast (toward zero).
func truncI32(f float32) int32 { return int32(f) }

// ---- 32-element block formats ----

func quantQ4_0(x []float32, y []byte) {
	x, y = x[:32], y[:18]
	var amax, mx float32
	for _, v := range x {
		if a := abs32(v); amax < a {
			amax, mx = a, v
		}
	}
	d := mx / -8
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(y, 0, d)
	for j := 0; j < 16; j++ {
		x0, x1 := float32(x[j]*id), float32(x[16+j]*id)
		q0 := min(15, int32(int8(truncI32(x0+8.5))))
		q1 := min(15, int32(int8(truncI32(x1+8.5))))
		y[2+j] = uint8(q0) | uint8(q1)<<4
	}
}

func quantQ4_1(x []float32, y []byte) {
	x, y = x[:32], y[:20]
	lo, hi := float32(math.MaxFloat32), float32(-math.MaxFloat32)
	for _, v := range x {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	d := (hi - lo) / 15
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(y, 0, d)
	putF16(y, 2, lo)
	for j := 0; j < 16; j++ {
		x0, x1 := float32((x[j]-lo)*id), float32((x[16+j]-lo)*id)
		q0 := min(15, int32(int8(truncI32(x0+0.5))))
		q1 := min(15, int32(int8(truncI32(x1+0.5))))
		y[4+j] = uint8(q0) | uint8(q1)<<4
	}
}

func quantQ5_0(x []float32, y []byte) {
	x, y = x[:32], y[:22]
	var amax, mx float32
	for _, v := range x {
		if a := abs32(v); amax < a {
			amax, mx = a, v
		}
	}
	d := mx / -16
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(y, 0, d)
	var qh uint32
	for j := 0; j < 16; j++ {
		x0, x1 := float32(x[j]*id), float32(x[16+j]*id)
		q0 := uint8(min(31, int32(int8(truncI32(x0+16.5)))))
		q1 := uint8(min(31, int32(int8(truncI32(x1+16.5)))))
		y[6+j] = q0&0x0f | (q1&0x0f)<<4
		qh |= uint32(q0&0x10) >> 4 << j
		qh |= uint32(q1&0x10) >> 4 << (j + 16)
	}
	binary.LittleEndian.PutUint32(y[2:], qh)
}

func quantQ5_1(x []float32, y []byte) {
	x, y = x[:32], y[:24]
	lo, hi := float32(math.MaxFloat32), float32(-math.MaxFloat32)
	for _, v := range x {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	d := (hi - lo) / 31
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(y, 0, d)
	putF16(y, 2, lo)
	var qh uint32
	for j := 0; j < 16; j++ {
		x0, x1 := float32((x[j]-lo)*id), float32((x[16+j]-lo)*id)
		q0 := uint8(truncI32(x0 + 0.5))
		q1 := uint8(truncI32(x1 + 0.5))
		y[8+j] = q0&0x0f | (q1&0x0f)<<4
		qh |= uint32(q0&0x10) >> 4 << j
		qh |= uint32(q1&0x10) >> 4 << (j + 16)
	}
	binary.LittleEndian.PutUint32(y[4:], qh)
}

// roundHalfAway is C's roundf: round half away from zero.
func roundHalfAway(v float32) int32 { return int32(math.Round(float64(v))) }

func quantQ8_0(x []float32, y []byte) {
	x, y = x[:32], y[:34]
	var amax float32
	for _, v := range x {
		amax = max(amax, abs32(v))
	}
	d := amax / 127
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(y, 0, d)
	for j, v := range x {
		y[2+j] = uint8(int8(roundHalfAway(v * id)))
	}
}

func quantQ8_1(x []float32, y []byte) {
	x, y = x[:32], y[:36]
	var amax float32
	for _, v := range x {
		amax = max(amax, abs32(v))
	}
	d := amax / 127
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(y, 0, d)
	var sum int32
	for j, v := range x {
		q := int8(roundHalfAway(v * id))
		y[4+j] = uint8(q)
		sum += int32(q)
	}
	putF16(y, 2, float32(sum)*d)
}

// ---- K-quant helpers ----

// makeQxQuants is GGML's make_qx_quants with weights x² (rmse_type 1, no
// importance matrix): it searches 19 candidate scales around -nmax/max and
// keeps the one that minimises the weighted error. L receives l+nmax.
func makeQxQuants(nmax int32, x []float32, L []int8) float32 {
	var mx, amax float32
	for _, v := range x {
		if a := abs32(v); a > amax {
			amax, mx = a, v
		}
	}
	if amax < groupMaxEps {
		for i := range x {
			L[i] = 0
		}
		return 0
	}
	fn := float32(nmax)
	iscale := -fn / mx
	var sumlx, suml2 float32
	for i, v := range x {
		l := max(-nmax, min(nmax-1, nearestInt(iscale*v)))
		L[i] = int8(l + nmax)
		w := v * v
		fl := float32(l)
		sumlx += float32(w * v * fl)
		suml2 += float32(w * fl * fl)
	}
	var scale float32
	if suml2 != 0 {
		scale = sumlx / suml2
	}
	best := scale * sumlx
	for is := -9; is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale = -(fn + float32(float32(0.1)*float32(is))) / mx
		sumlx, suml2 = 0, 0
		for _, v := range x {
			l := max(-nmax, min(nmax-1, nearestInt(iscale*v)))
			w := v * v
			fl := float32(l)
			sumlx += float32(w * v * fl)
			suml2 += float32(w * fl * fl)
		}
		if suml2 > 0 && float32(sumlx*sumlx) > float32(best*suml2) {
			for i, v := range x {
				l := nearestInt(iscale * v)
				L[i] = int8(nmax + max(-nmax, min(nmax-1, l)))
			}
			scale = sumlx / suml2
			best = scale * sumlx
		}
	}
	return scale
}

// makeQ3Quants is GGML's make_q3_quants with do_rmse set: start from the
// max-based scale, then greedily move single quants while the weighted
// (x²) error improves. L receives l+nmax.
func makeQ3Quants(nmax int32, x []float32, L []int8) float32 {
	var mx, amax float32
	for _, v := range x {
		if a := abs32(v); a > amax {
			amax, mx = a, v
		}
	}
	if amax < groupMaxEps {
		for i := range x {
			L[i] = 0
		}
		return 0
	}
	iscale := -float32(nmax) / mx
	var sumlx, suml2 float32
	for i, v := range x {
		l := max(-nmax, min(nmax-1, nearestInt(iscale*v)))
		L[i] = int8(l)
		w := v * v
		fl := float32(l)
		sumlx += float32(w * v * fl)
		suml2 += float32(w * fl * fl)
	}
	for itry := 0; itry < 5; itry++ {
		changed := 0
		for i, v := range x {
			w := v * v
			li := float32(L[i])
			slx := sumlx - float32(w*v*li)
			if slx > 0 {
				sl2 := suml2 - float32(w*li*li)
				nl := max(-nmax, min(nmax-1, nearestInt(v*sl2/slx)))
				if nl != int32(L[i]) {
					fnl := float32(nl)
					slx += float32(w * v * fnl)
					sl2 += float32(w * fnl * fnl)
					if sl2 > 0 && float32(slx*slx*suml2) > float32(sumlx*sumlx*sl2) {
						L[i] = int8(nl)
						sumlx, suml2 = slx, sl2
						changed++
					}
				}
			}
		}
		if changed == 0 {
			break
		}
	}
	for i := range x {
		L[i] += int8(nmax)
	}
	return sumlx / suml2
}

// makeQkx2Quants is GGML's make_qkx2_quants: an affine (scale, min) fit of x
// to levels 0..nmax under the given weights, scanning nstep+1 candidate
// scales. It returns the scale and the negated min (always ≥ 0).
func makeQkx2Quants(nmax int32, x, weights []float32, L, Laux []uint8,
	rmin, rdelta float32, nstep int, useMad bool) (float32, float32) {
	n := len(x)
	lo, hi := x[0], x[0]
	sumW := weights[0]
	sumX := float32(sumW * x[0])
	for i := 1; i < n; i++ {
		if x[i] < lo {
			lo = x[i]
		}
		if x[i] > hi {
			hi = x[i]
		}
		w := weights[i]
		sumW += w
		sumX += float32(w * x[i])
	}
	if lo > 0 {
		lo = 0
	}
	if hi == lo {
		for i := range n {
			L[i] = 0
		}
		return 0, -lo
	}
	fn := float32(nmax)
	iscale := fn / (hi - lo)
	scale := 1 / iscale
	var bestMad float32
	for i := range n {
		l := nearestInt(iscale * (x[i] - lo))
		L[i] = uint8(max(0, min(nmax, l)))
		diff := float32(scale*float32(L[i])) + lo - x[i]
		if useMad {
			diff = abs32(diff)
		} else {
			diff = diff * diff
		}
		bestMad += float32(weights[i] * diff)
	}
	if nstep < 1 {
		return scale, -lo
	}
	for is := 0; is <= nstep; is++ {
		iscale = (float32(rmin+float32(rdelta*float32(is))) + fn) / (hi - lo)
		var sumL, sumL2, sumXL float32
		for i := range n {
			l := max(0, min(nmax, nearestInt(iscale*(x[i]-lo))))
			Laux[i] = uint8(l)
			w := weights[i]
			fl := float32(l)
			sumL += float32(w * fl)
			sumL2 += float32(w * fl * fl)
			sumXL += float32(w * fl * x[i])
		}
		D := float32(sumW*sumL2) - float32(sumL*sumL)
		if D > 0 {
			thisScale := (float32(sumW*sumXL) - float32(sumX*sumL)) / D
			thisMin := (float32(sumL2*sumX) - float32(sumL*sumXL)) / D
			if thisMin > 0 {
				thisMin = 0
				thisScale = sumXL / sumL2
			}
			var mad float32
			for i := range n {
				diff := float32(thisScale*float32(Laux[i])) + thisMin - x[i]
				if useMad {
					diff = abs32(diff)
				} else {
					diff = diff * diff
				}
				mad += float32(weights[i] * diff)
			}
			if mad < bestMad {
				copy(L[:n], Laux[:n])
				bestMad = mad
				scale = thisScale
				lo = thisMin
			}
		}
	}
	return scale, -lo
}

func sqrt32(v float32) float32 { return float32(math.Sqrt(float64(v))) }

// ---- K-quant block formats ----

func quantQ2K(x []float32, y []byte) {
	x, y = x[:256], y[:84]
	var L [256]uint8
	var Laux [16]uint8
	var weights [16]float32
	var mins, scales [16]float32
	const q4scale = 15

	var maxScale, maxMin float32
	for j := 0; j < 16; j++ {
		xs := x[16*j : 16*j+16]
		for l, v := range xs {
			weights[l] = abs32(v)
		}
		scales[j], mins[j] = makeQkx2Quants(3, xs, weights[:], L[16*j:16*j+16], Laux[:], -0.5, 0.1, 15, true)
		if scales[j] > maxScale {
			maxScale = scales[j]
		}
		if mins[j] > maxMin {
			maxMin = mins[j]
		}
	}
	sc := y[0:16]
	if maxScale > 0 {
		iscale := q4scale / maxScale
		for j := range sc {
			sc[j] = uint8(nearestInt(iscale * scales[j]))
		}
		putF16(y, 80, maxScale/q4scale)
	} else {
		clear(sc)
		putF16(y, 80, 0)
	}
	if maxMin > 0 {
		iscale := q4scale / maxMin
		for j := range sc {
			sc[j] |= uint8(nearestInt(iscale*mins[j]) << 4)
		}
		putF16(y, 82, maxMin/q4scale)
	} else {
		putF16(y, 82, 0)
	}
	dAll, mAll := f16At(y, 80), f16At(y, 82)
	for j := 0; j < 16; j++ {
		d := dAll * float32(sc[j]&0x0f)
		if d == 0 {
			continue
		}
		dm := mAll * float32(sc[j]>>4)
		for ii := 0; ii < 16; ii++ {
			l := nearestInt((x[16*j+ii] + dm) / d)
			L[16*j+ii] = uint8(max(0, min(3, l)))
		}
	}
	packQ2(L[:], y[16:80])
}

// packQ2 stores 256 2-bit values: byte l of each 32-byte chunk holds
// elements l, l+32, l+64, l+96 of the chunk's 128 values.
func packQ2(L []uint8, qs []byte) {
	for j := 0; j < 256; j += 128 {
		for l := 0; l < 32; l++ {
			qs[j/4+l] = L[j+l] | L[j+l+32]<<2 | L[j+l+64]<<4 | L[j+l+96]<<6
		}
	}
}

func quantQ3K(x []float32, y []byte) {
	x, y = x[:256], y[:110]
	var L [256]int8
	var scales [16]float32

	var maxScale, amax float32
	for j := 0; j < 16; j++ {
		scales[j] = makeQ3Quants(4, x[16*j:16*j+16], L[16*j:16*j+16])
		if s := abs32(scales[j]); s > amax {
			amax, maxScale = s, scales[j]
		}
	}
	sc := y[96:108]
	clear(sc)
	if maxScale != 0 {
		iscale := -32 / maxScale
		for j := 0; j < 16; j++ {
			l := int8(nearestInt(iscale * scales[j]))
			l = int8(max(-32, min(31, int32(l))) + 32)
			if j < 8 {
				sc[j] = uint8(l) & 0x0f
			} else {
				sc[j-8] |= (uint8(l) & 0x0f) << 4
			}
			l >>= 4
			sc[j%4+8] |= uint8(l) << (2 * (j / 4))
		}
		putF16(y, 108, 1/iscale)
	} else {
		putF16(y, 108, 0)
	}
	dAll := f16At(y, 108)
	var s [16]int8
	q3kScales(sc, &s)
	for j := 0; j < 16; j++ {
		d := dAll * float32(int32(s[j])-32)
		if d == 0 {
			continue
		}
		for ii := 0; ii < 16; ii++ {
			l := nearestInt(x[16*j+ii] / d)
			L[16*j+ii] = int8(max(-4, min(3, l)) + 4)
		}
	}
	hmask := y[0:32]
	clear(hmask)
	m, hm := 0, uint8(1)
	for j := range L {
		if L[j] > 3 {
			hmask[m] |= hm
			L[j] -= 4
		}
		if m++; m == 32 {
			m, hm = 0, hm<<1
		}
	}
	var U [256]uint8
	for j, v := range L {
		U[j] = uint8(v)
	}
	packQ2(U[:], y[32:96])
}

// packScalesK4 stores eight 6-bit scales and mins in GGML's 12-byte layout.
func packScalesK4(ls, lm *[8]uint8, q []byte) {
	for j := 0; j < 8; j++ {
		if j < 4 {
			q[j] = ls[j]
			q[j+4] = lm[j]
		} else {
			q[j+4] = ls[j]&0x0f | (lm[j]&0x0f)<<4
			q[j-4] |= (ls[j] >> 4) << 6
			q[j] |= (lm[j] >> 4) << 6
		}
	}
}

// quantK4Common is the shared body of the Q4_K and Q5_K reference quantizers:
// per 32-element group an affine fit, then 6-bit scales and mins, then a
// requantization with the stored values. L receives levels 0..nmax.
func quantK4Common(x []float32, y []byte, L *[256]uint8, nmax int32, rmin float32, nstep int) {
	var Laux [32]uint8
	var weights [32]float32
	var mins, scales [8]float32

	var maxScale, maxMin float32
	for j := 0; j < 8; j++ {
		xs := x[32*j : 32*j+32]
		var sumX2 float32
		for _, v := range xs {
			sumX2 += float32(v * v)
		}
		avX := sqrt32(sumX2 / 32)
		for l, v := range xs {
			weights[l] = avX + abs32(v)
		}
		scales[j], mins[j] = makeQkx2Quants(nmax, xs, weights[:], L[32*j:32*j+32], Laux[:], rmin, 0.1, nstep, false)
		if scales[j] > maxScale {
			maxScale = scales[j]
		}
		if mins[j] > maxMin {
			maxMin = mins[j]
		}
	}
	var invScale, invMin float32
	if maxScale > 0 {
		invScale = 63 / maxScale
	}
	if maxMin > 0 {
		invMin = 63 / maxMin
	}
	var ls, lm [8]uint8
	for j := 0; j < 8; j++ {
		ls[j] = min(63, uint8(nearestInt(invScale*scales[j])))
		lm[j] = min(63, uint8(nearestInt(invMin*mins[j])))
	}
	packScalesK4(&ls, &lm, y[4:16])
	putF16(y, 0, maxScale/63)
	putF16(y, 2, maxMin/63)
	dAll, mAll := f16At(y, 0), f16At(y, 2)
	for j := 0; j < 8; j++ {
		sc, m := scaleMinK4(j, y[4:16])
		d := dAll * float32(sc)
		if d == 0 {
			continue
		}
		dm := mAll * float32(m)
		for ii := 0; ii < 32; ii++ {
			l := nearestInt((x[32*j+ii] + dm) / d)
			L[32*j+ii] = uint8(max(0, min(nmax, l)))
		}
	}
}

func quantQ4K(x []float32, y []byte) {
	x, y = x[:256], y[:144]
	var L [256]uint8
	quantK4Common(x, y, &L, 15, -1, 20)
	q := y[16:144]
	for j := 0; j < 4; j++ {
		for l := 0; l < 32; l++ {
			q[32*j+l] = L[64*j+l] | L[64*j+l+32]<<4
		}
	}
}

func quantQ5K(x []float32, y []byte) {
	x, y = x[:256], y[:176]
	var L [256]uint8
	quantK4Common(x, y, &L, 31, -0.5, 15)
	qh := y[16:48]
	ql := y[48:176]
	clear(qh)
	m1, m2 := uint8(1), uint8(2)
	for n := 0; n < 4; n++ {
		for j := 0; j < 32; j++ {
			l1, l2 := L[64*n+j], L[64*n+j+32]
			if l1 > 15 {
				l1 -= 16
				qh[j] |= m1
			}
			if l2 > 15 {
				l2 -= 16
				qh[j] |= m2
			}
			ql[32*n+j] = l1 | l2<<4
		}
		m1 <<= 2
		m2 <<= 2
	}
}

func quantQ6K(x []float32, y []byte) {
	x, y = x[:256], y[:210]
	var L [256]int8
	var scales [16]float32

	var maxScale, maxAbsScale float32
	for ib := 0; ib < 16; ib++ {
		s := makeQxQuants(32, x[16*ib:16*ib+16], L[16*ib:16*ib+16])
		scales[ib] = s
		if a := abs32(s); a > maxAbsScale {
			maxAbsScale, maxScale = a, s
		}
	}
	if maxAbsScale < groupMaxEps {
		clear(y)
		return
	}
	iscale := -128 / maxScale
	putF16(y, 208, 1/iscale)
	sc := y[192:208]
	for ib := range sc {
		sc[ib] = uint8(int8(min(127, nearestInt(iscale*scales[ib]))))
	}
	dAll := f16At(y, 208)
	for j := 0; j < 16; j++ {
		d := dAll * float32(int8(sc[j]))
		if d == 0 {
			continue
		}
		for ii := 0; ii < 16; ii++ {
			l := nearestInt(x[16*j+ii] / d)
			L[16*j+ii] = int8(max(-32, min(31, l)) + 32)
		}
	}
	ql := y[0:128]
	qh := y[128:192]
	for n := 0; n < 2; n++ {
		Ln := L[128*n : 128*n+128]
		for l := 0; l < 32; l++ {
			q1, q2 := uint8(Ln[l])&0x0f, uint8(Ln[l+32])&0x0f
			q3, q4 := uint8(Ln[l+64])&0x0f, uint8(Ln[l+96])&0x0f
			ql[64*n+l] = q1 | q3<<4
			ql[64*n+l+32] = q2 | q4<<4
			qh[32*n+l] = uint8(Ln[l])>>4 | (uint8(Ln[l+32])>>4)<<2 |
				(uint8(Ln[l+64])>>4)<<4 | (uint8(Ln[l+96])>>4)<<6
		}
	}
}

func quantQ8K(x []float32, y []byte) {
	x, y = x[:256], y[:292]
	var mx, amax float32
	for _, v := range x {
		if a := abs32(v); a > amax {
			amax, mx = a, v
		}
	}
	if amax == 0 {
		clear(y)
		return
	}
	iscale := -127 / mx
	qs := y[4:260]
	for j, v := range x {
		qs[j] = uint8(int8(min(127, nearestInt(iscale*v))))
	}
	for j := 0; j < 16; j++ {
		var sum int32
		for _, q := range qs[16*j : 16*j+16] {
			sum += int32(int8(q))
		}
		binary.LittleEndian.PutUint16(y[260+2*j:], uint16(int16(sum)))
	}
	binary.LittleEndian.PutUint32(y, math.Float32bits(1/iscale))
}
