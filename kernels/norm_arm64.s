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
