#include "textflag.h"

// Vector kernels of norm.go. Lengths are positive multiples of the vector
// width (16 floats for AVX-512, 8 for AVX2); the Go side handles the rest.
// Squares are summed in float64: each float is widened with VCVTPS2PD and
// multiplied into double accumulators with VFMADD231PD. Products that the
// Go code rounds to float32 are rounded here too (VMULPS, then VADDPS), so
// the element-wise results match the scalar code bit for bit.

// func sumSqAVX512(x *float32, n int) float64  (n % 16 == 0)
TEXT ·sumSqAVX512(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPD Z0, Z0, Z0
	VXORPD Z3, Z3, Z3
	VXORPD Z4, Z4, Z4
	VXORPD Z5, Z5, Z5
	CMPQ CX, $32
	JLT ss5tail
ss5loop:
	VCVTPS2PD (SI), Z1
	VCVTPS2PD 32(SI), Z2
	VCVTPS2PD 64(SI), Z6
	VCVTPS2PD 96(SI), Z7
	VFMADD231PD Z1, Z1, Z0
	VFMADD231PD Z2, Z2, Z3
	VFMADD231PD Z6, Z6, Z4
	VFMADD231PD Z7, Z7, Z5
	ADDQ $128, SI
	SUBQ $32, CX
	CMPQ CX, $32
	JGE ss5loop
ss5tail:
	TESTQ CX, CX
	JZ ss5done
	VCVTPS2PD (SI), Z1
	VCVTPS2PD 32(SI), Z2
	VFMADD231PD Z1, Z1, Z0
	VFMADD231PD Z2, Z2, Z3
ss5done:
	VADDPD Z4, Z0, Z0
	VADDPD Z5, Z3, Z3
	VADDPD Z3, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPD Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VHADDPD X0, X0, X0
	VMOVSD X0, ret+16(FP)
	VZEROUPPER
	RET

// func sumSqAVX2(x *float32, n int) float64  (n % 8 == 0)
TEXT ·sumSqAVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	CMPQ CX, $16
	JLT ss2tail
ss2loop:
	VCVTPS2PD (SI), Y1
	VCVTPS2PD 16(SI), Y2
	VCVTPS2PD 32(SI), Y6
	VCVTPS2PD 48(SI), Y7
	VFMADD231PD Y1, Y1, Y0
	VFMADD231PD Y2, Y2, Y3
	VFMADD231PD Y6, Y6, Y4
	VFMADD231PD Y7, Y7, Y5
	ADDQ $64, SI
	SUBQ $16, CX
	CMPQ CX, $16
	JGE ss2loop
ss2tail:
	TESTQ CX, CX
	JZ ss2done
	VCVTPS2PD (SI), Y1
	VCVTPS2PD 16(SI), Y2
	VFMADD231PD Y1, Y1, Y0
	VFMADD231PD Y2, Y2, Y3
ss2done:
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y3, Y3
	VADDPD Y3, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VHADDPD X0, X0, X0
	VMOVSD X0, ret+16(FP)
	VZEROUPPER
	RET

// func addSumSqAVX512(x, d *float32, n int, s float32) float64  (n % 16 == 0)
// x[i] += s·d[i] (product rounded first; exact when s is 1), returning Σ x[i]².
TEXT ·addSumSqAVX512(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ d+8(FP), DI
	MOVQ n+16(FP), CX
	VBROADCASTSS s+24(FP), Z7
	VXORPD Z0, Z0, Z0
	VXORPD Z4, Z4, Z4
as5loop:
	VMULPS (DI), Z7, Z1
	VADDPS (SI), Z1, Z1
	VMOVUPS Z1, (SI)
	VCVTPS2PD Y1, Z2
	VEXTRACTF64X4 $1, Z1, Y3
	VCVTPS2PD Y3, Z3
	VFMADD231PD Z2, Z2, Z0
	VFMADD231PD Z3, Z3, Z4
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ as5loop
	VADDPD Z4, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPD Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VHADDPD X0, X0, X0
	VMOVSD X0, ret+32(FP)
	VZEROUPPER
	RET

// func addSumSqAVX2(x, d *float32, n int, s float32) float64  (n % 8 == 0)
TEXT ·addSumSqAVX2(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ d+8(FP), DI
	MOVQ n+16(FP), CX
	VBROADCASTSS s+24(FP), Y7
	VXORPD Y0, Y0, Y0
	VXORPD Y4, Y4, Y4
as2loop:
	VMULPS (DI), Y7, Y1
	VADDPS (SI), Y1, Y1
	VMOVUPS Y1, (SI)
	VCVTPS2PD X1, Y2
	VEXTRACTF128 $1, Y1, X3
	VCVTPS2PD X3, Y3
	VFMADD231PD Y2, Y2, Y0
	VFMADD231PD Y3, Y3, Y4
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ as2loop
	VADDPD Y4, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VHADDPD X0, X0, X0
	VMOVSD X0, ret+32(FP)
	VZEROUPPER
	RET

// func normScaleAVX512(out, x, w *float32, n int, scale float32, plusOne bool)  (n % 16 == 0)
// out[i] = (x[i]·scale)·w[i], or ·(1 + w[i]) with plusOne.
TEXT ·normScaleAVX512(SB), NOSPLIT, $0-37
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ w+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS scale+32(FP), Z7
	MOVBLZX plusOne+36(FP), AX
	TESTQ AX, AX
	JNZ ns5one
ns5plain:
	VMULPS (SI), Z7, Z1
	VMOVUPS (DX), Z2
	VMULPS Z2, Z1, Z1
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ ns5plain
	VZEROUPPER
	RET
ns5one:
	MOVL $0x3f800000, AX
	VMOVD AX, X6
	VBROADCASTSS X6, Z6
ns5plus:
	VMULPS (SI), Z7, Z1
	VMOVUPS (DX), Z2
	VADDPS Z6, Z2, Z2
	VMULPS Z2, Z1, Z1
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ ns5plus
	VZEROUPPER
	RET

// func normScaleAVX2(out, x, w *float32, n int, scale float32, plusOne bool)  (n % 8 == 0)
TEXT ·normScaleAVX2(SB), NOSPLIT, $0-37
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ w+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS scale+32(FP), Y7
	MOVBLZX plusOne+36(FP), AX
	TESTQ AX, AX
	JNZ ns2one
ns2plain:
	VMULPS (SI), Y7, Y1
	VMOVUPS (DX), Y2
	VMULPS Y2, Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ ns2plain
	VZEROUPPER
	RET
ns2one:
	MOVL $0x3f800000, AX
	VMOVD AX, X6
	VBROADCASTSS X6, Y6
ns2plus:
	VMULPS (SI), Y7, Y1
	VMOVUPS (DX), Y2
	VADDPS Y6, Y2, Y2
	VMULPS Y2, Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ ns2plus
	VZEROUPPER
	RET

// func addAVX2(dst, src *float32, n int)  (n % 8 == 0)
TEXT ·addAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	CMPQ CX, $32
	JLT add2tail
add2loop:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VADDPS (SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	VADDPS 64(SI), Y2, Y2
	VADDPS 96(SI), Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, DI
	ADDQ $128, SI
	SUBQ $32, CX
	CMPQ CX, $32
	JGE add2loop
add2tail:
	TESTQ CX, CX
	JZ add2done
	VMOVUPS (DI), Y0
	VADDPS (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	SUBQ $8, CX
	JMP add2tail
add2done:
	VZEROUPPER
	RET

// func scaleAVX2(x *float32, n int, s float32)  (n % 8 == 0)
TEXT ·scaleAVX2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	VBROADCASTSS s+16(FP), Y7
	CMPQ CX, $32
	JLT sc2tail
sc2loop:
	VMULPS (DI), Y7, Y0
	VMULPS 32(DI), Y7, Y1
	VMULPS 64(DI), Y7, Y2
	VMULPS 96(DI), Y7, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, DI
	SUBQ $32, CX
	CMPQ CX, $32
	JGE sc2loop
sc2tail:
	TESTQ CX, CX
	JZ sc2done
	VMULPS (DI), Y7, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	SUBQ $8, CX
	JMP sc2tail
sc2done:
	VZEROUPPER
	RET

// func axpyAVX2(x, y *float32, n int, a float32)  (n % 8 == 0)
// y[i] += a·x[i], the product rounded before the add.
TEXT ·axpyAVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VBROADCASTSS a+24(FP), Y7
	CMPQ CX, $16
	JLT ax2tail
ax2loop:
	VMULPS (SI), Y7, Y0
	VMULPS 32(SI), Y7, Y1
	VADDPS (DI), Y0, Y0
	VADDPS 32(DI), Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	CMPQ CX, $16
	JGE ax2loop
ax2tail:
	TESTQ CX, CX
	JZ ax2done
	VMULPS (SI), Y7, Y0
	VADDPS (DI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP ax2tail
ax2done:
	VZEROUPPER
	RET

// Soft-capping, c·tanh(x/c), for the final logits. x/c is divided in float32
// as the Go code does, then widened to double lanes, where
// tanh(y) = e/(e + 2) with e = expm1(2y): 2y is clamped to ±40 (tanh is ±1
// in float32 well before; NaN passes the clamps), split as k·ln2 + r with
// |r| ≤ ln2/2, expm1(r) is a degree-10 Taylor polynomial (error below 1e-9
// relative) and e = 2^k·expm1(r) + (2^k − 1), exactly expm1(r) when k = 0,
// so small x keep their relative accuracy. The double result rounds to
// float32 within an ulp of math.Tanh's.

// Doubles, four copies each: 1, 2, the exponent bias 1023<<52, then the
// Taylor coefficients 1/10! .. 1/2!.
DATA softcapc<>+0(SB)/8, $0x3ff0000000000000
DATA softcapc<>+8(SB)/8, $0x3ff0000000000000
DATA softcapc<>+16(SB)/8, $0x3ff0000000000000
DATA softcapc<>+24(SB)/8, $0x3ff0000000000000
DATA softcapc<>+32(SB)/8, $0x4000000000000000
DATA softcapc<>+40(SB)/8, $0x4000000000000000
DATA softcapc<>+48(SB)/8, $0x4000000000000000
DATA softcapc<>+56(SB)/8, $0x4000000000000000
DATA softcapc<>+64(SB)/8, $0x3ff0000000000000
DATA softcapc<>+72(SB)/8, $0x3ff0000000000000
DATA softcapc<>+80(SB)/8, $0x3ff0000000000000
DATA softcapc<>+88(SB)/8, $0x3ff0000000000000
DATA softcapc<>+96(SB)/8, $0x3e927e4fb7789f5c
DATA softcapc<>+104(SB)/8, $0x3e927e4fb7789f5c
DATA softcapc<>+112(SB)/8, $0x3e927e4fb7789f5c
DATA softcapc<>+120(SB)/8, $0x3e927e4fb7789f5c
DATA softcapc<>+128(SB)/8, $0x3ec71de3a556c734
DATA softcapc<>+136(SB)/8, $0x3ec71de3a556c734
DATA softcapc<>+144(SB)/8, $0x3ec71de3a556c734
DATA softcapc<>+152(SB)/8, $0x3ec71de3a556c734
DATA softcapc<>+160(SB)/8, $0x3efa01a01a01a01a
DATA softcapc<>+168(SB)/8, $0x3efa01a01a01a01a
DATA softcapc<>+176(SB)/8, $0x3efa01a01a01a01a
DATA softcapc<>+184(SB)/8, $0x3efa01a01a01a01a
DATA softcapc<>+192(SB)/8, $0x3f2a01a01a01a01a
DATA softcapc<>+200(SB)/8, $0x3f2a01a01a01a01a
DATA softcapc<>+208(SB)/8, $0x3f2a01a01a01a01a
DATA softcapc<>+216(SB)/8, $0x3f2a01a01a01a01a
DATA softcapc<>+224(SB)/8, $0x3f56c16c16c16c17
DATA softcapc<>+232(SB)/8, $0x3f56c16c16c16c17
DATA softcapc<>+240(SB)/8, $0x3f56c16c16c16c17
DATA softcapc<>+248(SB)/8, $0x3f56c16c16c16c17
DATA softcapc<>+256(SB)/8, $0x3f81111111111111
DATA softcapc<>+264(SB)/8, $0x3f81111111111111
DATA softcapc<>+272(SB)/8, $0x3f81111111111111
DATA softcapc<>+280(SB)/8, $0x3f81111111111111
DATA softcapc<>+288(SB)/8, $0x3fa5555555555555
DATA softcapc<>+296(SB)/8, $0x3fa5555555555555
DATA softcapc<>+304(SB)/8, $0x3fa5555555555555
DATA softcapc<>+312(SB)/8, $0x3fa5555555555555
DATA softcapc<>+320(SB)/8, $0x3fc5555555555555
DATA softcapc<>+328(SB)/8, $0x3fc5555555555555
DATA softcapc<>+336(SB)/8, $0x3fc5555555555555
DATA softcapc<>+344(SB)/8, $0x3fc5555555555555
DATA softcapc<>+352(SB)/8, $0x3fe0000000000000
DATA softcapc<>+360(SB)/8, $0x3fe0000000000000
DATA softcapc<>+368(SB)/8, $0x3fe0000000000000
DATA softcapc<>+376(SB)/8, $0x3fe0000000000000
GLOBL softcapc<>(SB), RODATA|NOPTR, $384

// TANHCAP(off, XA, YA, YB, YC, YD, YE): four floats at off(DI), with
// X15 = c, Y14 = 40, Y13 = -40, Y12 = 1.5·2^52, Y11 = log2(e), Y10 = ln 2.
#define TANHCAP(off, XA, YA, YB, YC, YD, YE) \
	VMOVUPS off(DI), XA; \
	VDIVPS X15, XA, XA; \
	VCVTPS2PD XA, YA; \
	VADDPD YA, YA, YA; \
	VMINPD YA, Y14, YA; \
	VMAXPD YA, Y13, YA; \
	VMOVAPD Y12, YB; \
	VFMADD231PD Y11, YA, YB; \
	VSUBPD Y12, YB, YC; \
	VMOVAPD YA, YD; \
	VFNMADD231PD Y10, YC, YD; \
	VMOVUPD softcapc<>+96(SB), YE; \
	VFMADD213PD softcapc<>+128(SB), YD, YE; \
	VFMADD213PD softcapc<>+160(SB), YD, YE; \
	VFMADD213PD softcapc<>+192(SB), YD, YE; \
	VFMADD213PD softcapc<>+224(SB), YD, YE; \
	VFMADD213PD softcapc<>+256(SB), YD, YE; \
	VFMADD213PD softcapc<>+288(SB), YD, YE; \
	VFMADD213PD softcapc<>+320(SB), YD, YE; \
	VFMADD213PD softcapc<>+352(SB), YD, YE; \
	VMULPD YD, YD, YA; \
	VFMADD213PD YD, YA, YE; \
	VPSLLQ $52, YB, YB; \
	VPADDQ softcapc<>+64(SB), YB, YB; \
	VSUBPD softcapc<>+0(SB), YB, YC; \
	VFMADD231PD YE, YB, YC; \
	VADDPD softcapc<>+32(SB), YC, YD; \
	VDIVPD YD, YC, YC; \
	VCVTPD2PSY YC, XA; \
	VMULPS X15, XA, XA; \
	VMOVUPS XA, off(DI)

// func softcapAVX2(x *float32, n int, c float32)  (n % 8 == 0)
TEXT ·softcapAVX2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	VBROADCASTSS c+16(FP), Y15
	MOVQ $0x4044000000000000, AX
	MOVQ AX, X14
	VBROADCASTSD X14, Y14
	MOVQ $0xc044000000000000, AX
	MOVQ AX, X13
	VBROADCASTSD X13, Y13
	MOVQ $0x4338000000000000, AX
	MOVQ AX, X12
	VBROADCASTSD X12, Y12
	MOVQ $0x3ff71547652b82fe, AX
	MOVQ AX, X11
	VBROADCASTSD X11, Y11
	MOVQ $0x3fe62e42fefa39ef, AX
	MOVQ AX, X10
	VBROADCASTSD X10, Y10
sc2cap:
	TANHCAP(0, X0, Y0, Y1, Y2, Y3, Y4)
	TANHCAP(16, X5, Y5, Y6, Y7, Y8, Y9)
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ sc2cap
	VZEROUPPER
	RET
