#include "textflag.h"
#include "neon_arm64.h"

// FMIN, FMAX, FMLS, FDIV Vd.4S, Vn.4S, Vm.4S
#define FMIN32(d, n, m) ENC3(0x4EA0F400, d, n, m)
#define FMAX32(d, n, m) ENC3(0x4E20F400, d, n, m)
#define FMLS32(d, n, m) ENC3(0x4EA0CC00, d, n, m)
#define FDIV32(d, n, m) ENC3(0x6E20FC00, d, n, m)
// FNEG, FRINTN (to nearest even), FCVTZS Vd.4S, Vn.4S
#define FNEG32(d, n) ENC2(0x6EA0F800, d, n)
#define FRINTN32(d, n) ENC2(0x4E218800, d, n)
#define FCVTZS32(d, n) ENC2(0x4EA1B800, d, n)
// ADD, SUB Vd.4S, Vn.4S, Vm.4S; SSHR Vd.4S, Vn.4S, #1; SHL Vd.4S, Vn.4S, #23
#define ADD32(d, n, m) ENC3(0x4EA08400, d, n, m)
#define SUB32(d, n, m) ENC3(0x6EA08400, d, n, m)
#define SSHR32_1(d, n) ENC2(0x4F3F0400, d, n)
#define SHL32_23(d, n) ENC2(0x4F375400, d, n)
// MOVV(d, n) copies Vn to Vd.
#define MOVV(d, n) ORR16B(d, n, n)

// Constants (set once): V16 log2(e), V17 and V18 ln2 (high and low parts),
// V19 100 and V20 -88 (the range of x kept; beyond 88.7 e^x is +Inf and
// f(g) a signed zero), V21..V26 1/7! .. 1/2!, V27 1, V28 0.044715,
// V29 -2·√(2/π), V30 the int32 exponent bias 127.

// SILUX(g, x): x = -g. GELUX(g, x, t): x = -2·√(2/π)·(g + 0.044715·g³),
// since (1 + tanh(u))/2 = 1/(1 + e^-2u).
#define SILUX(g, x, t) FNEG32(x, g)
#define GELUX(g, x, t) \
	FMUL32(x, g, g); \
	MOVV(t, 27); \
	FMLA32(t, x, 28); \
	FMUL32(x, t, g); \
	FMUL32(x, x, 29)

// GATE(g, x, k, p, t, u): Vg = Vg / (1 + e^Vx) · Vu, with scratch Vk, Vp,
// Vt. e^x = 2^k · e^r with k = round(x·log2 e), r = x - k·ln2 and e^r by a
// degree-7 polynomial; 2^k is applied in two factors so that neither leaves
// the normal range.
#define GATE(g, x, k, p, t, u) \
	FMIN32(x, x, 19); \
	FMAX32(x, x, 20); \
	FMUL32(k, x, 16); \
	FRINTN32(k, k); \
	FMLS32(x, k, 17); \
	FMLS32(x, k, 18); \
	MOVV(p, 22); \
	FMLA32(p, 21, x); \
	MOVV(t, 23); \
	FMLA32(t, p, x); \
	MOVV(p, 24); \
	FMLA32(p, t, x); \
	MOVV(t, 25); \
	FMLA32(t, p, x); \
	MOVV(p, 26); \
	FMLA32(p, t, x); \
	MOVV(t, 27); \
	FMLA32(t, p, x); \
	MOVV(p, 27); \
	FMLA32(p, t, x); \
	FCVTZS32(k, k); \
	SSHR32_1(t, k); \
	SUB32(k, k, t); \
	ADD32(t, t, 30); \
	SHL32_23(t, t); \
	FMUL32(p, p, t); \
	ADD32(k, k, 30); \
	SHL32_23(k, k); \
	FMUL32(p, p, k); \
	FADD32(p, p, 27); \
	FDIV32(g, g, p); \
	FMUL32(g, g, u)

#define CONST(c, v) MOVW $c, R4; VDUP R4, v.S4

// func gatedActNEON(gate, up *float32, n int, gelu bool)
// gate[i] = f(gate[i]) · up[i] for i < n (a positive multiple of 8), with
// f(g) = g / (1 + e^x), x as SILUX or GELUX makes it.
TEXT ·gatedActNEON(SB), NOSPLIT, $0-25
	MOVD gate+0(FP), R0
	MOVD up+8(FP), R1
	MOVD n+16(FP), R2
	MOVBU gelu+24(FP), R3
	CONST(0x3fb8aa3b, V16)
	CONST(0x3f317200, V17)
	CONST(0x35bfbe8e, V18)
	CONST(0x42c80000, V19)
	CONST(0xc2b00000, V20)
	CONST(0x39500d01, V21)
	CONST(0x3ab60b61, V22)
	CONST(0x3c088889, V23)
	CONST(0x3d2aaaab, V24)
	CONST(0x3e2aaaab, V25)
	CONST(0x3f000000, V26)
	CONST(0x3f800000, V27)
	CONST(0x3d372713, V28)
	CONST(0xbfcc422a, V29)
	CONST(127, V30)
	CBNZ R3, galugelu

galusilu:
	VLD1 (R0), [V0.S4, V1.S4]
	VLD1.P 32(R1), [V6.S4, V7.S4]
	SILUX(0, 2, 5)
	SILUX(1, 8, 11)
	GATE(0, 2, 3, 4, 5, 6)
	GATE(1, 8, 9, 10, 11, 7)
	VST1.P [V0.S4, V1.S4], 32(R0)
	SUBS $8, R2, R2
	BNE galusilu
	RET

galugelu:
	VLD1 (R0), [V0.S4, V1.S4]
	VLD1.P 32(R1), [V6.S4, V7.S4]
	GELUX(0, 2, 5)
	GELUX(1, 8, 11)
	GATE(0, 2, 3, 4, 5, 6)
	GATE(1, 8, 9, 10, 11, 7)
	VST1.P [V0.S4, V1.S4], 32(R0)
	SUBS $8, R2, R2
	BNE galugelu
	RET
