#include "textflag.h"
#include "neon_arm64.h"

// NEON kernels of norm.go. Lengths are positive multiples of 4. Squares
// are summed in float64 lanes (FCVTL/FCVTL2 widen, FMLA .2D accumulates);
// products the Go code rounds to float32 are rounded here too.

// FCVTL Vd.2D, Vn.2S; FCVTL2 Vd.2D, Vn.4S
#define FCVTL64(d, n) ENC2(0x0E617800, d, n)
#define FCVTL2_64(d, n) ENC2(0x4E617800, d, n)
// FMLA, FADD Vd.2D, Vn.2D, Vm.2D; FADDP Dd, Vn.2D
#define FMLA64(d, n, m) ENC3(0x4E60CC00, d, n, m)
#define FADD64(d, n, m) ENC3(0x4E60D400, d, n, m)
#define FADDPD(d, n) ENC2(0x7E70D800, d, n)

// SQACC(v): V16 += lo(Vv)², V17 += hi(Vv)² in double lanes (V18, V19 scratch).
#define SQACC(v) \
	FCVTL64(18, v); \
	FCVTL2_64(19, v); \
	FMLA64(16, 18, 18); \
	FMLA64(17, 19, 19)

// func sumSqNEON(x *float32, n int) float64  (n % 4 == 0)
TEXT ·sumSqNEON(SB), NOSPLIT, $0-24
	MOVD x+0(FP), R0
	MOVD n+8(FP), R1
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
ssnloop:
	VLD1.P 16(R0), [V0.S4]
	SQACC(0)
	SUBS $4, R1, R1
	BNE ssnloop
	FADD64(16, 16, 17)
	FADDPD(0, 16)
	FMOVD F0, ret+16(FP)
	RET

// func addSumSqNEON(x, d *float32, n int, s float32) float64  (n % 4 == 0)
// x[i] += s·d[i] (product rounded first), returning Σ x[i]².
TEXT ·addSumSqNEON(SB), NOSPLIT, $0-40
	MOVD x+0(FP), R0
	MOVD d+8(FP), R1
	MOVD n+16(FP), R2
	MOVW s+24(FP), R4
	VDUP R4, V7.S4
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
asnloop:
	VLD1 (R0), [V0.S4]
	VLD1.P 16(R1), [V1.S4]
	FMUL32(1, 1, 7)
	FADD32(0, 0, 1)
	VST1.P [V0.S4], 16(R0)
	SQACC(0)
	SUBS $4, R2, R2
	BNE asnloop
	FADD64(16, 16, 17)
	FADDPD(0, 16)
	FMOVD F0, ret+32(FP)
	RET

// func normScaleNEON(out, x, w *float32, n int, scale float32, plusOne bool)  (n % 4 == 0)
// out[i] = (x[i]·scale)·w[i], or ·(1 + w[i]) with plusOne.
TEXT ·normScaleNEON(SB), NOSPLIT, $0-37
	MOVD out+0(FP), R0
	MOVD x+8(FP), R1
	MOVD w+16(FP), R2
	MOVD n+24(FP), R3
	MOVW scale+32(FP), R4
	VDUP R4, V7.S4
	MOVBU plusOne+36(FP), R5
	CBNZ R5, nsnone
nsnplain:
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R2), [V1.S4]
	FMUL32(0, 0, 7)
	FMUL32(0, 0, 1)
	VST1.P [V0.S4], 16(R0)
	SUBS $4, R3, R3
	BNE nsnplain
	RET
nsnone:
	MOVW $0x3f800000, R4
	VDUP R4, V6.S4
nsnplus:
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R2), [V1.S4]
	FADD32(1, 1, 6)
	FMUL32(0, 0, 7)
	FMUL32(0, 0, 1)
	VST1.P [V0.S4], 16(R0)
	SUBS $4, R3, R3
	BNE nsnplus
	RET

// func addNEON(dst, src *float32, n int)  (n % 4 == 0)
TEXT ·addNEON(SB), NOSPLIT, $0-24
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD n+16(FP), R2
addnloop:
	VLD1 (R0), [V0.S4]
	VLD1.P 16(R1), [V1.S4]
	FADD32(0, 0, 1)
	VST1.P [V0.S4], 16(R0)
	SUBS $4, R2, R2
	BNE addnloop
	RET

// func scaleNEON(x *float32, n int, s float32)  (n % 4 == 0)
TEXT ·scaleNEON(SB), NOSPLIT, $0-20
	MOVD x+0(FP), R0
	MOVD n+8(FP), R2
	MOVW s+16(FP), R4
	VDUP R4, V7.S4
scnloop:
	VLD1 (R0), [V0.S4]
	FMUL32(0, 0, 7)
	VST1.P [V0.S4], 16(R0)
	SUBS $4, R2, R2
	BNE scnloop
	RET

// func axpyNEON(x, y *float32, n int, a float32)  (n % 4 == 0)
// y[i] += a·x[i], the product rounded before the add.
TEXT ·axpyNEON(SB), NOSPLIT, $0-28
	MOVD x+0(FP), R1
	MOVD y+8(FP), R0
	MOVD n+16(FP), R2
	MOVW a+24(FP), R4
	VDUP R4, V7.S4
axnloop:
	VLD1 (R0), [V0.S4]
	VLD1.P 16(R1), [V1.S4]
	FMUL32(1, 1, 7)
	FADD32(0, 0, 1)
	VST1.P [V0.S4], 16(R0)
	SUBS $4, R2, R2
	BNE axnloop
	RET

// Soft-capping c·tanh(x/c) in double lanes, as softcapAVX2 in
// norm_amd64.s: tanh(y) = e/(e + 2), e = expm1(2y) = 2^k·expm1(r) + (2^k − 1)
// with 2y clamped to ±40 (FMIN/FMAX keep NaN), k rounded with the
// 1.5·2^52 shift and expm1(r) a degree-10 Taylor polynomial.

#define FMIN64(d, n, m) ENC3(0x4EE0F400, d, n, m)
#define FMAX64(d, n, m) ENC3(0x4E60F400, d, n, m)
#define FMLS64(d, n, m) ENC3(0x4EE0CC00, d, n, m)
#define FSUB64(d, n, m) ENC3(0x4EE0D400, d, n, m)
#define FMUL64(d, n, m) ENC3(0x6E60DC00, d, n, m)
#define FDIV64(d, n, m) ENC3(0x6E60FC00, d, n, m)
#define ADD64(d, n, m) ENC3(0x4EE08400, d, n, m)
#define SHL64_52(d, n) ENC2(0x4F745400, d, n)
#define FDIVS4(d, n, m) ENC3(0x6E20FC00, d, n, m)
// FCVTN Vd.2S, Vn.2D; FCVTN2 Vd.4S, Vn.2D
#define FCVTN64(d, n) ENC2(0x0E616800, d, n)
#define FCVTN2_64(d, n) ENC2(0x4E616800, d, n)
#define MOVV(d, n) ORR16B(d, n, n)

// TANHD(z, b, k, r, p, q): on entry Vz.2D holds
// y, on exit tanh(y); Vb, Vk, Vr, Vp, Vq are scratch. Constants: V30 40,
// V29 -40, V28 1.5·2^52, V27 log2(e), V26 ln 2, V25 1, V24 2, V23 1023<<52,
// V14..V22 1/2! .. 1/10!.
#define TANHD(z, b, k, r, p, q) \
	FADD64(z, z, z); \
	FMIN64(z, z, 30); \
	FMAX64(z, z, 29); \
	MOVV(b, 28); \
	FMLA64(b, z, 27); \
	FSUB64(k, b, 28); \
	MOVV(r, z); \
	FMLS64(r, k, 26); \
	MOVV(p, 21); \
	FMLA64(p, 22, r); \
	MOVV(q, 20); \
	FMLA64(q, p, r); \
	MOVV(p, 19); \
	FMLA64(p, q, r); \
	MOVV(q, 18); \
	FMLA64(q, p, r); \
	MOVV(p, 17); \
	FMLA64(p, q, r); \
	MOVV(q, 16); \
	FMLA64(q, p, r); \
	MOVV(p, 15); \
	FMLA64(p, q, r); \
	MOVV(q, 14); \
	FMLA64(q, p, r); \
	FMUL64(z, r, r); \
	FMLA64(r, z, q); \
	SHL64_52(b, b); \
	ADD64(b, b, 23); \
	FSUB64(k, b, 25); \
	FMLA64(k, b, r); \
	FADD64(p, k, 24); \
	FDIV64(z, k, p)

// func softcapNEON(x *float32, n int, c float32)  (n % 4 == 0)
TEXT ·softcapNEON(SB), NOSPLIT, $0-20
	MOVD x+0(FP), R0
	MOVD n+8(FP), R2
	MOVW c+16(FP), R4
	VDUP R4, V31.S4
	MOVD $0x4044000000000000, R4
	VDUP R4, V30.D2
	MOVD $0xc044000000000000, R4
	VDUP R4, V29.D2
	MOVD $0x4338000000000000, R4
	VDUP R4, V28.D2
	MOVD $0x3ff71547652b82fe, R4
	VDUP R4, V27.D2
	MOVD $0x3fe62e42fefa39ef, R4
	VDUP R4, V26.D2
	MOVD $0x3ff0000000000000, R4
	VDUP R4, V25.D2
	MOVD $0x4000000000000000, R4
	VDUP R4, V24.D2
	MOVD $0x3ff0000000000000, R4
	VDUP R4, V23.D2
	MOVD $0x3fe0000000000000, R4
	VDUP R4, V14.D2
	MOVD $0x3fc5555555555555, R4
	VDUP R4, V15.D2
	MOVD $0x3fa5555555555555, R4
	VDUP R4, V16.D2
	MOVD $0x3f81111111111111, R4
	VDUP R4, V17.D2
	MOVD $0x3f56c16c16c16c17, R4
	VDUP R4, V18.D2
	MOVD $0x3f2a01a01a01a01a, R4
	VDUP R4, V19.D2
	MOVD $0x3efa01a01a01a01a, R4
	VDUP R4, V20.D2
	MOVD $0x3ec71de3a556c734, R4
	VDUP R4, V21.D2
	MOVD $0x3e927e4fb7789f5c, R4
	VDUP R4, V22.D2
scnloop4:
	VLD1 (R0), [V0.S4]
	FDIVS4(0, 0, 31)
	FCVTL64(1, 0)
	FCVTL2_64(2, 0)
	TANHD(1, 3, 4, 5, 6, 7)
	TANHD(2, 8, 9, 10, 11, 12)
	FCVTN64(0, 1)
	FCVTN2_64(0, 2)
	FMUL32(0, 0, 31)
	VST1.P [V0.S4], 16(R0)
	SUBS $4, R2, R2
	BNE scnloop4
	RET
