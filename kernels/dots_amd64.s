#include "textflag.h"
#include "macros_amd64.h"

// Unpack one half (128 elements) of a Q6_K block into two vectors of
// unsigned 6-bit quants: dlo (elements 0..63 of the half), dhi (64..127).
#define Q6UNPACK(lo, hi, dlo, dhi) \
	VMOVDQU64 lo(SI), Z1 \
	VMOVDQU hi(SI), Y3 \
	VPANDD Z13, Z1, dlo \
	VPSRLW $4, Z1, dhi \
	VPANDD Z13, dhi, dhi \
	VPSLLW $4, Y3, Y9 \
	VPSLLW $2, Y3, Y15 \
	VINSERTI64X4 $1, Y15, Z9, Z9 \
	VPANDD Z12, Z9, Z9 \
	VPORD Z9, dlo, dlo \
	VPSRLW $2, Y3, Y15 \
	VINSERTI64X4 $1, Y15, Z3, Z9 \
	VPANDD Z12, Z9, Z9 \
	VPORD Z9, dhi, dhi

// One token of the four-token Q6_K kernel (see Q4KTOK); Y6 holds the 16
// scales as int16, Z11 the broadcast block scale d.
#define Q6KTOK(base, acc) \
	KGROUPDOTS(base) \
	VMOVDQU 260 base, Y7 \
	VPMADDWD Y7, Y6, Y7 \
	VPSLLD $5, Y7, Y7 \
	VPSUBD Z7, Z2, Z2 \
	VCVTDQ2PS Z2, Z2 \
	VBROADCASTSS base, Z9 \
	VMULPS Z11, Z9, Z9 \
	VFMADD231PS Z9, Z2, acc

#define Q4KUNPACK(off, dst) \
	VMOVDQU off(SI), Y1 \
	VPSRLW $4, Y1, Y3 \
	VINSERTI64X4 $1, Y3, Z1, dst \
	VPANDD Z13, dst, dst


#define TOKX4(qsaddr, corraddr, daddr, acc) \
	VMOVDQU32 corraddr, Z2 \
	VPDPBUSD qsaddr, Z1, Z2 \
	VCVTDQ2PS Z2, Z2 \
	VMOVQ daddr, X4 \
	VMULPS X3, X4, X4 \
	VPERMPS Z4, Z14, Z4 \
	VFMADD231PS Z4, Z2, acc

#define X4PROLOGUE \
	MOVQ w+0(FP), SI \
	MOVQ qs+8(FP), DI \
	MOVQ corr+16(FP), R8 \
	MOVQ d+24(FP), R9 \
	MOVQ npairs+32(FP), CX \
	MOVQ qsStride+40(FP), R11 \
	MOVQ corrStride+48(FP), R12 \
	MOVQ dStride+56(FP), R13 \
	LEAQ (R11)(R11*2), R10 \
	LEAQ (R12)(R12*2), DX \
	LEAQ (R13)(R13*2), BX \
	ZEROX4

#define X4TOKENS \
	TOKX4((DI), (R8), (R9), Z0) \
	TOKX4((DI)(R11*1), (R8)(R12*1), (R9)(R13*1), Z10) \
	TOKX4((DI)(R11*2), (R8)(R12*2), (R9)(R13*2), Z16) \
	TOKX4((DI)(R10*1), (R8)(DX*1), (R9)(BX*1), Z17)

#define X4EPILOGUE \
	MOVQ out+64(FP), AX \
	HSUMX4 \
	VZEROUPPER \
	RET


// Lane-to-block maps for VPERMPS: which of the two block scales each int32
// lane of a dot-product vector belongs to.
DATA permPair<>+0(SB)/8, $0x0000000000000000
DATA permPair<>+8(SB)/8, $0x0000000000000000
DATA permPair<>+16(SB)/8, $0x0000000000000000
DATA permPair<>+24(SB)/8, $0x0000000000000000
DATA permPair<>+32(SB)/8, $0x0000000100000001
DATA permPair<>+40(SB)/8, $0x0000000100000001
DATA permPair<>+48(SB)/8, $0x0000000100000001
DATA permPair<>+56(SB)/8, $0x0000000100000001
GLOBL permPair<>(SB), RODATA|NOPTR, $64

DATA permInterleaved<>+0(SB)/8, $0x0000000000000000
DATA permInterleaved<>+8(SB)/8, $0x0000000000000000
DATA permInterleaved<>+16(SB)/8, $0x0000000100000001
DATA permInterleaved<>+24(SB)/8, $0x0000000100000001
DATA permInterleaved<>+32(SB)/8, $0x0000000000000000
DATA permInterleaved<>+40(SB)/8, $0x0000000000000000
DATA permInterleaved<>+48(SB)/8, $0x0000000100000001
DATA permInterleaved<>+56(SB)/8, $0x0000000100000001
GLOBL permInterleaved<>(SB), RODATA|NOPTR, $64

DATA permPair2<>+0(SB)/8, $0x0000000200000002
DATA permPair2<>+8(SB)/8, $0x0000000200000002
DATA permPair2<>+16(SB)/8, $0x0000000200000002
DATA permPair2<>+24(SB)/8, $0x0000000200000002
DATA permPair2<>+32(SB)/8, $0x0000000300000003
DATA permPair2<>+40(SB)/8, $0x0000000300000003
DATA permPair2<>+48(SB)/8, $0x0000000300000003
DATA permPair2<>+56(SB)/8, $0x0000000300000003
GLOBL permPair2<>(SB), RODATA|NOPTR, $64

DATA permInterleaved2<>+0(SB)/8, $0x0000000200000002
DATA permInterleaved2<>+8(SB)/8, $0x0000000200000002
DATA permInterleaved2<>+16(SB)/8, $0x0000000300000003
DATA permInterleaved2<>+24(SB)/8, $0x0000000300000003
DATA permInterleaved2<>+32(SB)/8, $0x0000000200000002
DATA permInterleaved2<>+40(SB)/8, $0x0000000200000002
DATA permInterleaved2<>+48(SB)/8, $0x0000000300000003
DATA permInterleaved2<>+56(SB)/8, $0x0000000300000003
GLOBL permInterleaved2<>(SB), RODATA|NOPTR, $64

// Load four fp16 block scales at o0..o3(SI), widen them and multiply by the
// four activation scales at (R9): X3 = [dw0*dx0, ..., dw3*dx3].
#define QUADSCALES(o0, o1, o2, o3) \
	MOVWLZX o0(SI), AX \
	MOVWLZX o1(SI), BX \
	SHLQ $16, BX \
	ORQ BX, AX \
	MOVWLZX o2(SI), BX \
	SHLQ $32, BX \
	ORQ BX, AX \
	MOVWLZX o3(SI), BX \
	SHLQ $48, BX \
	ORQ BX, AX \
	VMOVQ AX, X3 \
	VCVTPH2PS X3, X3 \
	VMULPS (R9), X3, X3

// Load the fp16 scales at off0(SI) and off1(SI), widen them and multiply by
// the two activation scales at (R9): X3 = [dw0*dx0, dw1*dx1, ...].
#define PAIRSCALES(off0, off1) \
	MOVWLZX off0(SI), AX \
	MOVWLZX off1(SI), BX \
	SHLL $16, BX \
	ORL BX, AX \
	VMOVD AX, X3 \
	VCVTPH2PS X3, X3 \
	VMOVQ (R9), X4 \
	VMULPS X4, X3, X3

// func q8_0PairsAVX512(w *byte, qs *byte, corr *int32, d *float32, npairs int) float32
// Q8_0 weights are made unsigned (q+128) so VPDPBUSD applies; corr holds
// -128 times the sums of each four activation quants.
TEXT ·q8_0PairsAVX512(SB), NOSPLIT, $0-44
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ corr+16(FP), R8
	MOVQ d+24(FP), R9
	MOVQ npairs+32(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z10, Z10, Z10
	MOVL $0x80808080, AX
	VPBROADCASTD AX, Z15
	VMOVDQU32 permPair<>(SB), Z14
	VMOVDQU32 permPair2<>(SB), Z12
	CMPQ CX, $2
	JLT q80one

q80two:
	QUADSCALES(0, 34, 68, 102)
	VPERMPS Z3, Z14, Z4
	VPERMPS Z3, Z12, Z5
	VMOVDQU 2(SI), Y1
	VINSERTI64X4 $1, 36(SI), Z1, Z1
	VPXORD Z15, Z1, Z1
	VMOVDQU32 (R8), Z2
	VPDPBUSD (DI), Z1, Z2
	VMOVDQU 70(SI), Y6
	VINSERTI64X4 $1, 104(SI), Z6, Z6
	VPXORD Z15, Z6, Z6
	VMOVDQU32 64(R8), Z7
	VPDPBUSD 64(DI), Z6, Z7
	VCVTDQ2PS Z2, Z2
	VCVTDQ2PS Z7, Z7
	VFMADD231PS Z4, Z2, Z0
	VFMADD231PS Z5, Z7, Z10
	ADDQ $136, SI
	ADDQ $128, DI
	ADDQ $128, R8
	ADDQ $16, R9
	SUBQ $2, CX
	CMPQ CX, $2
	JGE q80two

q80one:
	TESTQ CX, CX
	JZ q80done
	VMOVDQU 2(SI), Y1
	VINSERTI64X4 $1, 36(SI), Z1, Z1
	VPXORD Z15, Z1, Z1
	VMOVDQU32 (R8), Z2
	VPDPBUSD (DI), Z1, Z2
	VCVTDQ2PS Z2, Z2
	PAIRSCALES(0, 34)
	VPERMPS Z3, Z14, Z3
	VFMADD231PS Z3, Z2, Z0

q80done:
	VADDPS Z10, Z0, Z0
	HSUM512
	VMOVSS X0, ret+40(FP)
	VZEROUPPER
	RET

// func q4_0PairsAVX512(w *byte, qs *byte, corr *int32, d *float32, npairs int) float32
// Two Q4_0 blocks unpack to [b0 lo, b1 lo, b0 hi, b1 hi] nibbles (0..15),
// matching the interleaved activation layout; corr holds -8 times the sums
// of each four activation quants.
TEXT ·q4_0PairsAVX512(SB), NOSPLIT, $0-44
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ corr+16(FP), R8
	MOVQ d+24(FP), R9
	MOVQ npairs+32(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z10, Z10, Z10
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z13
	VMOVDQU32 permInterleaved<>(SB), Z14
	VMOVDQU32 permInterleaved2<>(SB), Z12
	CMPQ CX, $2
	JLT q40one

q40two:
	QUADSCALES(0, 18, 36, 54)
	VPERMPS Z3, Z14, Z4
	VPERMPS Z3, Z12, Z5
	VMOVDQU 2(SI), X1
	VINSERTI128 $1, 20(SI), Y1, Y1
	VPSRLW $4, Y1, Y2
	VINSERTI64X4 $1, Y2, Z1, Z1
	VPANDD Z13, Z1, Z1
	VMOVDQU32 (R8), Z2
	VPDPBUSD (DI), Z1, Z2
	VMOVDQU 38(SI), X6
	VINSERTI128 $1, 56(SI), Y6, Y6
	VPSRLW $4, Y6, Y8
	VINSERTI64X4 $1, Y8, Z6, Z6
	VPANDD Z13, Z6, Z6
	VMOVDQU32 64(R8), Z7
	VPDPBUSD 64(DI), Z6, Z7
	VCVTDQ2PS Z2, Z2
	VCVTDQ2PS Z7, Z7
	VFMADD231PS Z4, Z2, Z0
	VFMADD231PS Z5, Z7, Z10
	ADDQ $72, SI
	ADDQ $128, DI
	ADDQ $128, R8
	ADDQ $16, R9
	SUBQ $2, CX
	CMPQ CX, $2
	JGE q40two

q40one:
	TESTQ CX, CX
	JZ q40done
	VMOVDQU 2(SI), X1
	VINSERTI128 $1, 20(SI), Y1, Y1
	VPSRLW $4, Y1, Y2
	VINSERTI64X4 $1, Y2, Z1, Z1
	VPANDD Z13, Z1, Z1
	VMOVDQU32 (R8), Z2
	VPDPBUSD (DI), Z1, Z2
	VCVTDQ2PS Z2, Z2
	PAIRSCALES(0, 18)
	VPERMPS Z3, Z14, Z3
	VFMADD231PS Z3, Z2, Z0

q40done:
	VADDPS Z10, Z0, Z0
	HSUM512
	VMOVSS X0, ret+40(FP)
	VZEROUPPER
	RET

// func q8_0PairsAVX2(w *byte, qs *byte, d *float32, npairs int) float32
// Signed bytes via the sign trick: |w| * (x with w's sign), then VPMADDUBSW.
TEXT ·q8_0PairsAVX2(SB), NOSPLIT, $0-36
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), R9
	MOVQ npairs+24(FP), CX
	VXORPS Y0, Y0, Y0
	MOVL $0x00010001, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	VMOVDQU permPair<>(SB), Y13
	VMOVDQU permPair<>+32(SB), Y14
	TESTQ CX, CX
	JZ q80a2done

q80a2loop:
	PAIRSCALES(0, 34)
	VMOVDQU 2(SI), Y1
	VPABSB Y1, Y2
	VMOVDQU (DI), Y5
	VPSIGNB Y1, Y5, Y5
	VPMADDUBSW Y5, Y2, Y5
	VPMADDWD Y15, Y5, Y5
	VCVTDQ2PS Y5, Y5
	VPERMPS Y3, Y13, Y4
	VFMADD231PS Y4, Y5, Y0
	VMOVDQU 36(SI), Y1
	VPABSB Y1, Y2
	VMOVDQU 32(DI), Y6
	VPSIGNB Y1, Y6, Y6
	VPMADDUBSW Y6, Y2, Y6
	VPMADDWD Y15, Y6, Y6
	VCVTDQ2PS Y6, Y6
	VPERMPS Y3, Y14, Y4
	VFMADD231PS Y4, Y6, Y0
	ADDQ $68, SI
	ADDQ $64, DI
	ADDQ $8, R9
	DECQ CX
	JNZ q80a2loop

q80a2done:
	HSUM256
	VMOVSS X0, ret+32(FP)
	VZEROUPPER
	RET

// func q4_0PairsAVX2(w *byte, qs *byte, corr *int32, d *float32, npairs int) float32
TEXT ·q4_0PairsAVX2(SB), NOSPLIT, $0-44
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ corr+16(FP), R8
	MOVQ d+24(FP), R9
	MOVQ npairs+32(FP), CX
	VXORPS Y0, Y0, Y0
	MOVL $0x00010001, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	VMOVDQU permInterleaved<>(SB), Y13
	TESTQ CX, CX
	JZ q40a2done

q40a2loop:
	VMOVDQU 2(SI), X1
	VINSERTI128 $1, 20(SI), Y1, Y1
	VPSRLW $4, Y1, Y2
	VPAND Y14, Y1, Y1
	VPAND Y14, Y2, Y2
	VPMADDUBSW (DI), Y1, Y5
	VPMADDUBSW 32(DI), Y2, Y6
	VPMADDWD Y15, Y5, Y5
	VPMADDWD Y15, Y6, Y6
	VPADDD Y6, Y5, Y5
	VPADDD (R8), Y5, Y5
	VPADDD 32(R8), Y5, Y5
	VCVTDQ2PS Y5, Y5
	PAIRSCALES(0, 18)
	VPERMPS Y3, Y13, Y4
	VFMADD231PS Y4, Y5, Y0
	ADDQ $36, SI
	ADDQ $64, DI
	ADDQ $64, R8
	ADDQ $8, R9
	DECQ CX
	JNZ q40a2loop

q40a2done:
	HSUM256
	VMOVSS X0, ret+40(FP)
	VZEROUPPER
	RET

// func f16DotAVX512(w *byte, x *float32, n int) float32  (n % 16 == 0)
TEXT ·f16DotAVX512(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	F16DOT512(SI)
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func f16DotAVX2(w *byte, x *float32, n int) float32  (n % 8 == 0)
TEXT ·f16DotAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	CMPQ CX, $32
	JLT f16a2tail
f16a2loop:
	VCVTPH2PS (SI), Y1
	VCVTPH2PS 16(SI), Y2
	VCVTPH2PS 32(SI), Y3
	VCVTPH2PS 48(SI), Y4
	VFMADD231PS (DI), Y1, Y0
	VFMADD231PS 32(DI), Y2, Y5
	VFMADD231PS 64(DI), Y3, Y6
	VFMADD231PS 96(DI), Y4, Y7
	ADDQ $64, SI
	ADDQ $128, DI
	SUBQ $32, CX
	CMPQ CX, $32
	JGE f16a2loop
f16a2tail:
	TESTQ CX, CX
	JZ f16a2done
	VCVTPH2PS (SI), Y1
	VFMADD231PS (DI), Y1, Y0
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP f16a2tail
f16a2done:
	VADDPS Y5, Y0, Y0
	VADDPS Y7, Y6, Y6
	VADDPS Y6, Y0, Y0
	HSUM256
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func bf16DotAVX512(w *byte, x *float32, n int) float32  (n % 16 == 0)
// bfloat16 widens to float32 by a 16-bit left shift.
TEXT ·bf16DotAVX512(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z5, Z5, Z5
	CMPQ CX, $32
	JLT bf16a5tail
bf16a5loop:
	VPMOVZXWD (SI), Z1
	VPMOVZXWD 32(SI), Z2
	VPSLLD $16, Z1, Z1
	VPSLLD $16, Z2, Z2
	VFMADD231PS (DI), Z1, Z0
	VFMADD231PS 64(DI), Z2, Z5
	ADDQ $64, SI
	ADDQ $128, DI
	SUBQ $32, CX
	CMPQ CX, $32
	JGE bf16a5loop
bf16a5tail:
	TESTQ CX, CX
	JZ bf16a5done
	VPMOVZXWD (SI), Z1
	VPSLLD $16, Z1, Z1
	VFMADD231PS (DI), Z1, Z0
	ADDQ $32, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP bf16a5tail
bf16a5done:
	VADDPS Z5, Z0, Z0
	HSUM512
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func bf16DotAVX2(w *byte, x *float32, n int) float32  (n % 8 == 0)
TEXT ·bf16DotAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y5, Y5, Y5
	CMPQ CX, $16
	JLT bf16a2tail
bf16a2loop:
	VPMOVZXWD (SI), Y1
	VPMOVZXWD 16(SI), Y2
	VPSLLD $16, Y1, Y1
	VPSLLD $16, Y2, Y2
	VFMADD231PS (DI), Y1, Y0
	VFMADD231PS 32(DI), Y2, Y5
	ADDQ $32, SI
	ADDQ $64, DI
	SUBQ $16, CX
	CMPQ CX, $16
	JGE bf16a2loop
bf16a2tail:
	TESTQ CX, CX
	JZ bf16a2done
	VPMOVZXWD (SI), Y1
	VPSLLD $16, Y1, Y1
	VFMADD231PS (DI), Y1, Y0
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP bf16a2tail
bf16a2done:
	VADDPS Y5, Y0, Y0
	HSUM256
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func f32DotAVX512(w *byte, x *float32, n int) float32  (n % 16 == 0)
TEXT ·f32DotAVX512(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z5, Z5, Z5
	CMPQ CX, $32
	JLT f32a5tail
f32a5loop:
	VMOVUPS (SI), Z1
	VMOVUPS 64(SI), Z2
	VFMADD231PS (DI), Z1, Z0
	VFMADD231PS 64(DI), Z2, Z5
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	CMPQ CX, $32
	JGE f32a5loop
f32a5tail:
	TESTQ CX, CX
	JZ f32a5done
	VMOVUPS (SI), Z1
	VFMADD231PS (DI), Z1, Z0
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP f32a5tail
f32a5done:
	VADDPS Z5, Z0, Z0
	HSUM512
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func f32DotAVX2(w *byte, x *float32, n int) float32  (n % 8 == 0)
TEXT ·f32DotAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y5, Y5, Y5
	CMPQ CX, $16
	JLT f32a2tail
f32a2loop:
	VMOVUPS (SI), Y1
	VMOVUPS 32(SI), Y2
	VFMADD231PS (DI), Y1, Y0
	VFMADD231PS 32(DI), Y2, Y5
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	CMPQ CX, $16
	JGE f32a2loop
f32a2tail:
	TESTQ CX, CX
	JZ f32a2done
	VMOVUPS (SI), Y1
	VFMADD231PS (DI), Y1, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP f32a2tail
f32a2done:
	VADDPS Y5, Y0, Y0
	HSUM256
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// XORFOLD XORs the checksum lanes Y0..Y3 of the read loops into AX (BX
// clobbered).
#define XORFOLD \
	VPXOR Y1, Y0, Y0 \
	VPXOR Y3, Y2, Y2 \
	VPXOR Y2, Y0, Y0 \
	VEXTRACTI128 $1, Y0, X1 \
	VPXOR X1, X0, X0 \
	VMOVQ X0, AX \
	VPEXTRQ $1, X0, BX \
	XORQ BX, AX

// func readSumAVX2(p *byte, n int) uint64  (n % 256 == 0)
// Streams n bytes through eight loads per iteration, XOR-folding them so the
// loads cannot be skipped; used to measure read bandwidth.
TEXT ·readSumAVX2(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	SHRQ $8, CX
	JZ rsdone
rsloop:
	VPXOR (SI), Y0, Y0
	VPXOR 32(SI), Y1, Y1
	VPXOR 64(SI), Y2, Y2
	VPXOR 96(SI), Y3, Y3
	VPXOR 128(SI), Y0, Y0
	VPXOR 160(SI), Y1, Y1
	VPXOR 192(SI), Y2, Y2
	VPXOR 224(SI), Y3, Y3
	ADDQ $256, SI
	DECQ CX
	JNZ rsloop
rsdone:
	XORFOLD
	MOVQ AX, ret+16(FP)
	VZEROUPPER
	RET

// Per-lane sub-block numbers for the K-quant kernels (VPERMD indices).
DATA idxQ4K<>+0(SB)/8, $0x0000000000000000
DATA idxQ4K<>+8(SB)/8, $0x0000000000000000
DATA idxQ4K<>+16(SB)/8, $0x0000000000000000
DATA idxQ4K<>+24(SB)/8, $0x0000000000000000
DATA idxQ4K<>+32(SB)/8, $0x0000000100000001
DATA idxQ4K<>+40(SB)/8, $0x0000000100000001
DATA idxQ4K<>+48(SB)/8, $0x0000000100000001
DATA idxQ4K<>+56(SB)/8, $0x0000000100000001
DATA idxQ4K<>+64(SB)/8, $0x0000000200000002
DATA idxQ4K<>+72(SB)/8, $0x0000000200000002
DATA idxQ4K<>+80(SB)/8, $0x0000000200000002
DATA idxQ4K<>+88(SB)/8, $0x0000000200000002
DATA idxQ4K<>+96(SB)/8, $0x0000000300000003
DATA idxQ4K<>+104(SB)/8, $0x0000000300000003
DATA idxQ4K<>+112(SB)/8, $0x0000000300000003
DATA idxQ4K<>+120(SB)/8, $0x0000000300000003
DATA idxQ4K<>+128(SB)/8, $0x0000000400000004
DATA idxQ4K<>+136(SB)/8, $0x0000000400000004
DATA idxQ4K<>+144(SB)/8, $0x0000000400000004
DATA idxQ4K<>+152(SB)/8, $0x0000000400000004
DATA idxQ4K<>+160(SB)/8, $0x0000000500000005
DATA idxQ4K<>+168(SB)/8, $0x0000000500000005
DATA idxQ4K<>+176(SB)/8, $0x0000000500000005
DATA idxQ4K<>+184(SB)/8, $0x0000000500000005
DATA idxQ4K<>+192(SB)/8, $0x0000000600000006
DATA idxQ4K<>+200(SB)/8, $0x0000000600000006
DATA idxQ4K<>+208(SB)/8, $0x0000000600000006
DATA idxQ4K<>+216(SB)/8, $0x0000000600000006
DATA idxQ4K<>+224(SB)/8, $0x0000000700000007
DATA idxQ4K<>+232(SB)/8, $0x0000000700000007
DATA idxQ4K<>+240(SB)/8, $0x0000000700000007
DATA idxQ4K<>+248(SB)/8, $0x0000000700000007
GLOBL idxQ4K<>(SB), RODATA|NOPTR, $256

DATA idxQ6K<>+0(SB)/8, $0x0000000000000000
DATA idxQ6K<>+8(SB)/8, $0x0000000000000000
DATA idxQ6K<>+16(SB)/8, $0x0000000100000001
DATA idxQ6K<>+24(SB)/8, $0x0000000100000001
DATA idxQ6K<>+32(SB)/8, $0x0000000200000002
DATA idxQ6K<>+40(SB)/8, $0x0000000200000002
DATA idxQ6K<>+48(SB)/8, $0x0000000300000003
DATA idxQ6K<>+56(SB)/8, $0x0000000300000003
DATA idxQ6K<>+64(SB)/8, $0x0000000400000004
DATA idxQ6K<>+72(SB)/8, $0x0000000400000004
DATA idxQ6K<>+80(SB)/8, $0x0000000500000005
DATA idxQ6K<>+88(SB)/8, $0x0000000500000005
DATA idxQ6K<>+96(SB)/8, $0x0000000600000006
DATA idxQ6K<>+104(SB)/8, $0x0000000600000006
DATA idxQ6K<>+112(SB)/8, $0x0000000700000007
DATA idxQ6K<>+120(SB)/8, $0x0000000700000007
DATA idxQ6K<>+128(SB)/8, $0x0000000800000008
DATA idxQ6K<>+136(SB)/8, $0x0000000800000008
DATA idxQ6K<>+144(SB)/8, $0x0000000900000009
DATA idxQ6K<>+152(SB)/8, $0x0000000900000009
DATA idxQ6K<>+160(SB)/8, $0x0000000a0000000a
DATA idxQ6K<>+168(SB)/8, $0x0000000a0000000a
DATA idxQ6K<>+176(SB)/8, $0x0000000b0000000b
DATA idxQ6K<>+184(SB)/8, $0x0000000b0000000b
DATA idxQ6K<>+192(SB)/8, $0x0000000c0000000c
DATA idxQ6K<>+200(SB)/8, $0x0000000c0000000c
DATA idxQ6K<>+208(SB)/8, $0x0000000d0000000d
DATA idxQ6K<>+216(SB)/8, $0x0000000d0000000d
DATA idxQ6K<>+224(SB)/8, $0x0000000e0000000e
DATA idxQ6K<>+232(SB)/8, $0x0000000e0000000e
DATA idxQ6K<>+240(SB)/8, $0x0000000f0000000f
DATA idxQ6K<>+248(SB)/8, $0x0000000f0000000f
GLOBL idxQ6K<>(SB), RODATA|NOPTR, $256
// func q4KDotAVX512(w *byte, x *byte, nb int) float32
// w: nb Q4_K blocks (144 bytes); x: nb Q8_K blocks (292 bytes).
// Each 64-element group unpacks to 64 nibbles in element order; VPDPBUSD
// gives 16 lanes (8 per 32-element sub-block), weighted by the sub-block's
// 6-bit scale. The mins term uses the activation block sums.
TEXT ·q4KDotAVX512(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VPXORD Z0, Z0, Z0
	VXORPS Y11, Y11, Y11
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z13
	VMOVDQU32 idxQ4K<>+0(SB), Z20
	VMOVDQU32 idxQ4K<>+64(SB), Z21
	VMOVDQU32 idxQ4K<>+128(SB), Z22
	VMOVDQU32 idxQ4K<>+192(SB), Z23
	TESTQ CX, CX
	JZ q4kdone

q4kloop:
	// Unpack the 8 scales and 8 mins (6 bits each, packed in 12 bytes).
	K5SCALES
	KMINS512

	VMOVDQU 16(SI), Y1
	VPSRLW $4, Y1, Y3
	VINSERTI64X4 $1, Y3, Z1, Z1
	VPANDD Z13, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPDPBUSD 4(DI), Z1, Z2
	VPERMD Z5, Z20, Z3
	VPMULLD Z3, Z2, Z2

	VMOVDQU 48(SI), Y1
	VPSRLW $4, Y1, Y3
	VINSERTI64X4 $1, Y3, Z1, Z1
	VPANDD Z13, Z1, Z1
	VPXORD Z4, Z4, Z4
	VPDPBUSD 68(DI), Z1, Z4
	VPERMD Z5, Z21, Z3
	VPMULLD Z3, Z4, Z4
	VPADDD Z4, Z2, Z2

	VMOVDQU 80(SI), Y1
	VPSRLW $4, Y1, Y3
	VINSERTI64X4 $1, Y3, Z1, Z1
	VPANDD Z13, Z1, Z1
	VPXORD Z4, Z4, Z4
	VPDPBUSD 132(DI), Z1, Z4
	VPERMD Z5, Z22, Z3
	VPMULLD Z3, Z4, Z4
	VPADDD Z4, Z2, Z2

	VMOVDQU 112(SI), Y1
	VPSRLW $4, Y1, Y3
	VINSERTI64X4 $1, Y3, Z1, Z1
	VPANDD Z13, Z1, Z1
	VPXORD Z4, Z4, Z4
	VPDPBUSD 196(DI), Z1, Z4
	VPERMD Z5, Z23, Z3
	VPMULLD Z3, Z4, Z4
	VPADDD Z4, Z2, Z2

	VCVTDQ2PS Z2, Z2
	VFMADD231PS Z9, Z2, Z0
	ADDQ $144, SI
	ADDQ $292, DI
	DECQ CX
	JNZ q4kloop

q4kdone:
	VSUBPS Z11, Z0, Z0
	HSUM512
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// One half (128 elements) of a Q6_K block: ql at lo(SI), qh at hi(SI),
// activations at xo(DI); adds scale-weighted lane sums into Z2.
#define Q6HALF(lo, hi, xo, idxA, idxB) \
	VMOVDQU64 lo(SI), Z1 \
	VMOVDQU hi(SI), Y3 \
	VPANDD Z13, Z1, Z4 \
	VPSRLW $4, Z1, Z8 \
	VPANDD Z13, Z8, Z8 \
	VPSLLW $4, Y3, Y9 \
	VPSLLW $2, Y3, Y10 \
	VINSERTI64X4 $1, Y10, Z9, Z9 \
	VPANDD Z12, Z9, Z9 \
	VPORD Z9, Z4, Z4 \
	VPSRLW $2, Y3, Y10 \
	VINSERTI64X4 $1, Y10, Z3, Z9 \
	VPANDD Z12, Z9, Z9 \
	VPORD Z9, Z8, Z8 \
	VPXORD Z14, Z14, Z14 \
	VPDPBUSD xo(DI), Z4, Z14 \
	VPERMD Z5, idxA, Z15 \
	VPMULLD Z15, Z14, Z14 \
	VPADDD Z14, Z2, Z2 \
	VPXORD Z14, Z14, Z14 \
	VPDPBUSD xo+64(DI), Z8, Z14 \
	VPERMD Z5, idxB, Z15 \
	VPMULLD Z15, Z14, Z14 \
	VPADDD Z14, Z2, Z2

// func q6KDotAVX512(w *byte, x *byte, nb int) float32
// w: nb Q6_K blocks (210 bytes); x: nb Q8_K blocks (292 bytes). The 6-bit
// quants are used unsigned (q+32); the offset is removed with the
// activation block sums weighted by the 16 int8 scales.
TEXT ·q6KDotAVX512(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VPXORD Z0, Z0, Z0
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z13
	MOVL $0x30303030, AX
	VPBROADCASTD AX, Z12
	VMOVDQU32 idxQ6K<>+0(SB), Z20
	VMOVDQU32 idxQ6K<>+64(SB), Z21
	VMOVDQU32 idxQ6K<>+128(SB), Z22
	VMOVDQU32 idxQ6K<>+192(SB), Z23
	TESTQ CX, CX
	JZ q6kdone

q6kloop:
	VPMOVSXBD 192(SI), Z5
	VPMOVSXBW 192(SI), Y6
	VMOVDQU 260(DI), Y7
	VPMADDWD Y7, Y6, Y7
	VPSLLD $5, Y7, Y7
	VPXORD Z2, Z2, Z2
	Q6HALF(0, 128, 4, Z20, Z21)
	Q6HALF(64, 160, 132, Z22, Z23)
	VPSUBD Z7, Z2, Z2
	VCVTDQ2PS Z2, Z2
	MOVWLZX 208(SI), AX
	VMOVD AX, X8
	VCVTPH2PS X8, X8
	VMULSS (DI), X8, X8
	VBROADCASTSS X8, Z9
	VFMADD231PS Z9, Z2, Z0
	ADDQ $210, SI
	ADDQ $292, DI
	DECQ CX
	JNZ q6kloop

q6kdone:
	HSUM512
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// Prefill kernels: one weight row against four tokens at once, so each
// weight pair is loaded and unpacked once per four tokens. Token t's
// quants, corrections and scales are at base + t*stride (strides in bytes).
// func q8_0PairsX4AVX512(w *byte, qs *byte, corr *int32, d *float32, npairs int, qsStride, corrStride, dStride int, out *[4]float32)
TEXT ·q8_0PairsX4AVX512(SB), NOSPLIT, $0-72
	X4PROLOGUE
	MOVL $0x80808080, AX
	VPBROADCASTD AX, Z15
	VMOVDQU32 permPair<>(SB), Z14
	TESTQ CX, CX
	JZ q80x4done
q80x4loop:
	MOVWLZX 0(SI), AX
	VMOVD AX, X3
	VPINSRW $1, 34(SI), X3, X3
	VCVTPH2PS X3, X3
	VMOVDQU 2(SI), Y1
	VINSERTI64X4 $1, 36(SI), Z1, Z1
	VPXORD Z15, Z1, Z1
	X4TOKENS
	ADDQ $68, SI
	ADDQ $64, DI
	ADDQ $64, R8
	ADDQ $8, R9
	DECQ CX
	JNZ q80x4loop
q80x4done:
	X4EPILOGUE

// func q4_0PairsX4AVX512(w *byte, qs *byte, corr *int32, d *float32, npairs int, qsStride, corrStride, dStride int, out *[4]float32)
TEXT ·q4_0PairsX4AVX512(SB), NOSPLIT, $0-72
	X4PROLOGUE
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z13
	VMOVDQU32 permInterleaved<>(SB), Z14
	TESTQ CX, CX
	JZ q40x4done
q40x4loop:
	Q40PAIR
	VINSERTI64X4 $1, Y2, Z1, Z1
	VPANDD Z13, Z1, Z1
	X4TOKENS
	ADDQ $36, SI
	ADDQ $64, DI
	ADDQ $64, R8
	ADDQ $8, R9
	DECQ CX
	JNZ q40x4loop
q40x4done:
	X4EPILOGUE

// func f16DotX4AVX512(w *byte, x *float32, n int, xStride int, out *[4]float32)  (n % 16 == 0)
// One F16 row against four float32 tokens at x + t*xStride bytes.
TEXT ·f16DotX4AVX512(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ xStride+24(FP), R11
	LEAQ (R11)(R11*2), R10
	ZEROX4
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	CMPQ CX, $32
	JLT f16x4tail
f16x4loop:
	VCVTPH2PS (SI), Z1
	VCVTPH2PS 32(SI), Z2
	VFMADD231PS (DI), Z1, Z0
	VFMADD231PS (DI)(R11*1), Z1, Z10
	VFMADD231PS (DI)(R11*2), Z1, Z16
	VFMADD231PS (DI)(R10*1), Z1, Z17
	VFMADD231PS 64(DI), Z2, Z18
	VFMADD231PS 64(DI)(R11*1), Z2, Z19
	VFMADD231PS 64(DI)(R11*2), Z2, Z20
	VFMADD231PS 64(DI)(R10*1), Z2, Z21
	ADDQ $64, SI
	ADDQ $128, DI
	SUBQ $32, CX
	CMPQ CX, $32
	JGE f16x4loop
f16x4tail:
	TESTQ CX, CX
	JZ f16x4done
	VCVTPH2PS (SI), Z1
	VFMADD231PS (DI), Z1, Z0
	VFMADD231PS (DI)(R11*1), Z1, Z10
	VFMADD231PS (DI)(R11*2), Z1, Z16
	VFMADD231PS (DI)(R10*1), Z1, Z17
f16x4done:
	VADDPS Z18, Z0, Z0
	VADDPS Z19, Z10, Z10
	VADDPS Z20, Z16, Z16
	VADDPS Z21, Z17, Z17
	MOVQ out+32(FP), AX
	HSUMX4
	VZEROUPPER
	RET

// func q4KDotX4AVX512(w *byte, x *byte, nb int, xStride int, out *[4]float32)
// One Q4_K row against four Q8_K tokens at x + t*xStride bytes.
TEXT ·q4KDotX4AVX512(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	MOVQ xStride+24(FP), R8
	LEAQ (R8)(R8*2), R9
	ZEROX4
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z13
	VMOVDQU32 idxQ4K<>+0(SB), Z20
	VMOVDQU32 idxQ4K<>+64(SB), Z21
	VMOVDQU32 idxQ4K<>+128(SB), Z22
	VMOVDQU32 idxQ4K<>+192(SB), Z23
	TESTQ CX, CX
	JZ q4kx4done

q4kx4loop:
	KX4SCALES
	Q4KUNPACK(16, Z28)
	Q4KUNPACK(48, Z29)
	Q4KUNPACK(80, Z30)
	Q4KUNPACK(112, Z31)
	Q4KTOK((DI), Z0)
	Q4KTOK((DI)(R8*1), Z10)
	Q4KTOK((DI)(R8*2), Z16)
	Q4KTOK((DI)(R9*1), Z17)
	ADDQ $144, SI
	ADDQ $292, DI
	DECQ CX
	JNZ q4kx4loop

q4kx4done:
	MOVQ out+32(FP), AX
	HSUMX4
	VZEROUPPER
	RET

// func q6KDotX4AVX512(w *byte, x *byte, nb int, xStride int, out *[4]float32)
// One Q6_K row against four Q8_K tokens at x + t*xStride bytes.
TEXT ·q6KDotX4AVX512(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	MOVQ xStride+24(FP), R8
	LEAQ (R8)(R8*2), R9
	ZEROX4
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z13
	MOVL $0x30303030, AX
	VPBROADCASTD AX, Z12
	VMOVDQU32 idxQ6K<>+0(SB), Z20
	VMOVDQU32 idxQ6K<>+64(SB), Z21
	VMOVDQU32 idxQ6K<>+128(SB), Z22
	VMOVDQU32 idxQ6K<>+192(SB), Z23
	TESTQ CX, CX
	JZ q6kx4done

q6kx4loop:
	VPMOVSXBD 192(SI), Z5
	VPMOVSXBW 192(SI), Y6
	VPERMD Z5, Z20, Z24
	VPERMD Z5, Z21, Z25
	VPERMD Z5, Z22, Z26
	VPERMD Z5, Z23, Z27
	MOVWLZX 208(SI), AX
	VMOVD AX, X8
	VCVTPH2PS X8, X8
	VBROADCASTSS X8, Z11
	Q6UNPACK(0, 128, Z28, Z29)
	Q6UNPACK(64, 160, Z30, Z31)
	Q6KTOK((DI), Z0)
	Q6KTOK((DI)(R8*1), Z10)
	Q6KTOK((DI)(R8*2), Z16)
	Q6KTOK((DI)(R9*1), Z17)
	ADDQ $210, SI
	ADDQ $292, DI
	DECQ CX
	JNZ q6kx4loop

q6kx4done:
	MOVQ out+32(FP), AX
	HSUMX4
	VZEROUPPER
	RET

// func quantQ8_0AVX512(x *float32, nb int, npaired int, qs *byte, d *float32, corr *int32, nbp int, negOff int32)
// Quantizes nb blocks of 32 floats exactly as GGML's quantize_row_q8_0_ref
// (scale max|x|/127 rounded to fp16; q = round-half-away(x * (1/scale)))
// into the compact activation layout: the first npaired blocks are stored
// as interleaved pairs, the rest in order. Then fills corr (nbp*8 lanes)
// with negOff times the sum of each four stored quants.
TEXT ·quantQ8_0AVX512(SB), NOSPLIT, $0-60
	MOVQ x+0(FP), SI
	MOVQ nb+8(FP), CX
	MOVQ npaired+16(FP), R8
	MOVQ qs+24(FP), DI
	MOVQ d+32(FP), R9
	MOVL $0x7fffffff, AX
	VPBROADCASTD AX, Z15      // abs mask
	MOVL $0x80000000, AX
	VPBROADCASTD AX, Z14      // sign mask
	MOVL $0x3f800000, AX
	VPBROADCASTD AX, Z13      // 1.0
	MOVL $0x3f000000, AX
	VPBROADCASTD AX, Z12      // 0.5
	MOVL $0x42fe0000, AX
	VMOVD AX, X11             // 127.0
	XORQ R10, R10             // block index
	TESTQ CX, CX
	JZ qq_corr

qq_loop:
	VMOVUPS (SI), Z1
	VMOVUPS 64(SI), Z2
	VPANDD Z15, Z1, Z3
	VPANDD Z15, Z2, Z4
	VMAXPS Z4, Z3, Z3
	VEXTRACTF64X4 $1, Z3, Y4
	VMAXPS Y4, Y3, Y3
	VEXTRACTF128 $1, Y3, X4
	VMAXPS X4, X3, X3
	VPERMILPS $0x4e, X3, X4
	VMAXPS X4, X3, X3
	VPERMILPS $0xb1, X3, X4
	VMAXPS X4, X3, X3         // X3[0] = max|x|
	VDIVSS X11, X3, X3        // d = amax/127
	VCVTPS2PH $0, X3, X4
	VCVTPH2PS X4, X4
	VMOVSS X4, (R9)(R10*4)    // stored scale (fp16-rounded)
	VXORPS X5, X5, X5
	VUCOMISS X5, X3
	JEQ qq_zero
	VDIVSS X3, X13, X3        // id = 1/d (from the unrounded d, as GGML)
	VBROADCASTSS X3, Z3
	JMP qq_scaled
qq_zero:
	VXORPS Z3, Z3, Z3
qq_scaled:
	VMULPS Z3, Z1, Z1
	VMULPS Z3, Z2, Z2
	// round half away from zero: t = trunc(v); if |v - t| >= 0.5, t += sign(v)
	VRNDSCALEPS $3, Z1, Z4
	VSUBPS Z4, Z1, Z5
	VPANDD Z15, Z5, Z5
	VCMPPS $0x1d, Z12, Z5, K1 // |v-t| >= 0.5
	VPANDD Z14, Z1, Z6
	VPORD Z13, Z6, Z6         // ±1 with v's sign
	VADDPS Z6, Z4, K1, Z4
	VRNDSCALEPS $3, Z2, Z7
	VSUBPS Z7, Z2, Z5
	VPANDD Z15, Z5, Z5
	VCMPPS $0x1d, Z12, Z5, K2
	VPANDD Z14, Z2, Z6
	VPORD Z13, Z6, Z6
	VADDPS Z6, Z7, K2, Z7
	VCVTTPS2DQ Z4, Z4
	VCVTTPS2DQ Z7, Z7
	VPMOVDB Z4, X4
	VPMOVDB Z7, X7
	// destination offsets
	CMPQ R10, R8
	JGE qq_natural
	MOVQ R10, AX
	SHRQ $1, AX
	SHLQ $6, AX
	MOVQ R10, BX
	ANDQ $1, BX
	SHLQ $4, BX
	ADDQ BX, AX
	VMOVDQU X4, (DI)(AX*1)
	VMOVDQU X7, 32(DI)(AX*1)
	JMP qq_next
qq_natural:
	MOVQ R10, AX
	SHLQ $5, AX
	VMOVDQU X4, (DI)(AX*1)
	VMOVDQU X7, 16(DI)(AX*1)
qq_next:
	ADDQ $128, SI
	INCQ R10
	CMPQ R10, CX
	JLT qq_loop

qq_corr:
	MOVQ qs+24(FP), DI
	MOVQ corr+40(FP), R11
	MOVQ nbp+48(FP), CX
	SHRQ $1, CX
	MOVL negOff+56(FP), AX
	VPBROADCASTD AX, Z10
	MOVL $0x01010101, AX
	VPBROADCASTD AX, Z9
	TESTQ CX, CX
	JZ qq_done
qq_corrloop:
	VPXORD Z1, Z1, Z1
	VPDPBUSD (DI), Z9, Z1
	VPMULLD Z10, Z1, Z1
	VMOVDQU32 Z1, (R11)
	ADDQ $64, DI
	ADDQ $64, R11
	DECQ CX
	JNZ qq_corrloop
qq_done:
	VZEROUPPER
	RET

// func quantQ8KAVX512(x *float32, nb int, y *byte)
// Quantizes nb blocks of 256 floats to Q8_K as GGML's quantize_row_q8_K_ref
// does (scale from the signed element of largest magnitude, first one on
// ties; round half to even; clamp at 127), writing d and the quants of each
// 292-byte block. The block sums are left to the caller.
TEXT ·quantQ8KAVX512(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ nb+8(FP), CX
	MOVQ y+16(FP), DI
	MOVL $0x7fffffff, AX
	VPBROADCASTD AX, Z15
	MOVL $127, AX
	VPBROADCASTD AX, Z14
	MOVL $0x3f800000, AX
	VMOVD AX, X13              // 1.0
	MOVL $0xc2fe0000, AX
	VMOVD AX, X12              // -127.0
	TESTQ CX, CX
	JZ qk_done

qk_block:
	VXORPS Z3, Z3, Z3
	XORQ R10, R10
qk_max:
	VPANDD (SI)(R10*1), Z15, Z1
	VMAXPS Z1, Z3, Z3
	ADDQ $64, R10
	CMPQ R10, $1024
	JLT qk_max
	VEXTRACTF64X4 $1, Z3, Y4
	VMAXPS Y4, Y3, Y3
	VEXTRACTF128 $1, Y3, X4
	VMAXPS X4, X3, X3
	VPERMILPS $0x4e, X3, X4
	VMAXPS X4, X3, X3
	VPERMILPS $0xb1, X3, X4
	VMAXPS X4, X3, X3
	VXORPS X5, X5, X5
	VUCOMISS X5, X3
	JEQ qk_zero
	VBROADCASTSS X3, Z8
	XORQ R10, R10
qk_find:
	VPANDD (SI)(R10*1), Z15, Z1
	VCMPPS $0, Z8, Z1, K1
	KMOVW K1, AX
	TESTL AX, AX
	JNZ qk_found
	ADDQ $64, R10
	JMP qk_find
qk_found:
	TZCNTL AX, AX
	SHLQ $2, AX
	ADDQ R10, AX
	VMOVSS (SI)(AX*1), X4      // mx
	VDIVSS X4, X12, X5         // iscale = -127/mx
	VDIVSS X5, X13, X6         // d = 1/iscale
	VMOVSS X6, (DI)
	VBROADCASTSS X5, Z5
	XORQ R10, R10
	XORQ R11, R11
qk_quant:
	VMULPS (SI)(R10*1), Z5, Z7
	VCVTPS2DQ Z7, Z7
	VPMINSD Z14, Z7, Z7
	VPMOVDB Z7, X7
	VMOVDQU X7, 4(DI)(R11*1)
	ADDQ $64, R10
	ADDQ $16, R11
	CMPQ R10, $1024
	JLT qk_quant
	JMP qk_next
qk_zero:
	VPXORD Z1, Z1, Z1
	MOVL $0, (DI)
	VMOVDQU64 Z1, 4(DI)
	VMOVDQU64 Z1, 68(DI)
	VMOVDQU64 Z1, 132(DI)
	VMOVDQU64 Z1, 196(DI)
qk_next:
	ADDQ $1024, SI
	ADDQ $292, DI
	DECQ CX
	JNZ qk_block
qk_done:
	VZEROUPPER
	RET

// One group of four packed Q4_0 blocks (64 bytes at wo(SI)) against the
// natural-order activations at xo(DI) and corrections at xo(R8): the low
// nibbles meet blocks 4g, 4g+1 and the high nibbles blocks 4g+2, 4g+3. The
// scale products for the group's lanes come from Z5 through the lane maps
// mlo and mhi.
#define PACKEDGROUP(wo, xo, mlo, mhi) \
	VMOVDQU64 wo(SI), Z1 \
	VPSRLW $4, Z1, Z2 \
	VPANDD Z13, Z1, Z1 \
	VPANDD Z13, Z2, Z2 \
	VMOVDQU32 xo(R8), Z3 \
	VPDPBUSD xo(DI), Z1, Z3 \
	VMOVDQU32 xo+64(R8), Z4 \
	VPDPBUSD xo+64(DI), Z2, Z4 \
	VCVTDQ2PS Z3, Z3 \
	VCVTDQ2PS Z4, Z4 \
	VPERMPS Z5, mlo, Z6 \
	VPERMPS Z5, mhi, Z7 \
	VFMADD231PS Z6, Z3, Z0 \
	VFMADD231PS Z7, Z4, Z10

// func q4_0PackedAVX512(w *byte, ds *byte, qs *byte, corr *int32, d *float32, ngroups int) float32
// One packed Q4_0 row: quants at w, fp16 scales at ds, ngroups groups of
// four blocks. Activations in natural order; corr holds -8 times the sums
// of each four activation quants.
TEXT ·q4_0PackedAVX512(SB), NOSPLIT, $0-52
	MOVQ w+0(FP), SI
	MOVQ ds+8(FP), R10
	MOVQ qs+16(FP), DI
	MOVQ corr+24(FP), R8
	MOVQ d+32(FP), R9
	MOVQ ngroups+40(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z10, Z10, Z10
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z13
	// Lane maps: Z16 sends lanes 0-7 to scale 0 and 8-15 to scale 1; each
	// next map adds 2.
	VMOVDQU32 permPair<>(SB), Z16
	MOVL $2, AX
	VPBROADCASTD AX, Z15
	VPADDD Z15, Z16, Z17
	VPADDD Z15, Z17, Z18
	VPADDD Z15, Z18, Z19
	VPADDD Z15, Z19, Z20
	VPADDD Z15, Z20, Z21
	VPADDD Z15, Z21, Z22
	VPADDD Z15, Z22, Z23
	CMPQ CX, $4
	JLT q4pone

q4pfour:
	VCVTPH2PS (R10), Z5
	VMULPS (R9), Z5, Z5
	PACKEDGROUP(0, 0, Z16, Z17)
	PACKEDGROUP(64, 128, Z18, Z19)
	PACKEDGROUP(128, 256, Z20, Z21)
	PACKEDGROUP(192, 384, Z22, Z23)
	ADDQ $256, SI
	ADDQ $32, R10
	ADDQ $512, DI
	ADDQ $512, R8
	ADDQ $64, R9
	SUBQ $4, CX
	CMPQ CX, $4
	JGE q4pfour

q4pone:
	TESTQ CX, CX
	JZ q4pdone
	VCVTPH2PS (R10), X5
	VMULPS (R9), X5, X5
	PACKEDGROUP(0, 0, Z16, Z17)
	ADDQ $64, SI
	ADDQ $8, R10
	ADDQ $128, DI
	ADDQ $128, R8
	ADDQ $16, R9
	DECQ CX
	JMP q4pone

q4pdone:
	VADDPS Z10, Z0, Z0
	HSUM512
	VMOVSS X0, ret+48(FP)
	VZEROUPPER
	RET

// One token of the four-token packed Q4_0 kernel: Z1/Z2 hold the group's
// unpacked low/high nibbles, X5 the group's four weight scales.
#define PTOKX4(q0, q1, c0, c1, daddr, acc) \
	VMULPS daddr, X5, X6 \
	VPERMPS Z6, Z16, Z7 \
	VPERMPS Z6, Z17, Z8 \
	VMOVDQU32 c0, Z3 \
	VPDPBUSD q0, Z1, Z3 \
	VMOVDQU32 c1, Z4 \
	VPDPBUSD q1, Z2, Z4 \
	VCVTDQ2PS Z3, Z3 \
	VCVTDQ2PS Z4, Z4 \
	VFMADD231PS Z7, Z3, acc \
	VFMADD231PS Z8, Z4, acc

// func q4_0PackedX4AVX512(w *byte, ds *byte, qs *byte, corr *int32, d *float32, ngroups int, qsStride, corrStride, dStride int, out *[4]float32)
// One packed Q4_0 row against four tokens (token t's data at base +
// t*stride bytes); each group of four blocks is unpacked once.
TEXT ·q4_0PackedX4AVX512(SB), NOSPLIT, $0-80
	MOVQ w+0(FP), SI
	MOVQ ds+8(FP), AX
	MOVQ qs+16(FP), DI
	MOVQ corr+24(FP), R8
	MOVQ d+32(FP), R9
	MOVQ ngroups+40(FP), CX
	MOVQ qsStride+48(FP), R11
	MOVQ corrStride+56(FP), R12
	MOVQ dStride+64(FP), R13
	LEAQ (R11)(R11*2), R10
	LEAQ (R12)(R12*2), DX
	LEAQ (R13)(R13*2), BX
	VPXORD Z0, Z0, Z0
	VPXORD Z10, Z10, Z10
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	MOVL $0x0f0f0f0f, R14
	VPBROADCASTD R14, Z13
	VMOVDQU32 permPair<>(SB), Z16
	MOVL $2, R14
	VPBROADCASTD R14, Z15
	VPADDD Z15, Z16, Z17
	TESTQ CX, CX
	JZ q4px4done
q4px4loop:
	VCVTPH2PS (AX), X5
	VMOVDQU64 (SI), Z1
	VPSRLW $4, Z1, Z2
	VPANDD Z13, Z1, Z1
	VPANDD Z13, Z2, Z2
	PTOKX4((DI), 64(DI), (R8), 64(R8), (R9), Z0)
	PTOKX4((DI)(R11*1), 64(DI)(R11*1), (R8)(R12*1), 64(R8)(R12*1), (R9)(R13*1), Z10)
	PTOKX4((DI)(R11*2), 64(DI)(R11*2), (R8)(R12*2), 64(R8)(R12*2), (R9)(R13*2), Z18)
	PTOKX4((DI)(R10*1), 64(DI)(R10*1), (R8)(DX*1), 64(R8)(DX*1), (R9)(BX*1), Z19)
	ADDQ $64, SI
	ADDQ $8, AX
	ADDQ $128, DI
	ADDQ $128, R8
	ADDQ $16, R9
	DECQ CX
	JNZ q4px4loop
q4px4done:
	MOVQ out+72(FP), AX
	HSUMTO(Z0, Y0, X0, (AX))
	HSUMTO(Z10, Y10, X10, 4(AX))
	HSUMTO(Z18, Y18, X18, 8(AX))
	HSUMTO(Z19, Y19, X19, 12(AX))
	VZEROUPPER
	RET

// func readSum2AVX2(p, q *byte, n int) uint64
// readSumAVX2 over n bytes at p and n bytes at q (n % 128 == 0) at once, as
// two memory streams.
TEXT ·readSum2AVX2(SB), NOSPLIT, $0-32
	MOVQ p+0(FP), SI
	MOVQ q+8(FP), DI
	MOVQ n+16(FP), CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	SHRQ $7, CX
	JZ rs2done
rs2loop:
	VPXOR (SI), Y0, Y0
	VPXOR 32(SI), Y1, Y1
	VPXOR (DI), Y2, Y2
	VPXOR 32(DI), Y3, Y3
	VPXOR 64(SI), Y0, Y0
	VPXOR 96(SI), Y1, Y1
	VPXOR 64(DI), Y2, Y2
	VPXOR 96(DI), Y3, Y3
	ADDQ $128, SI
	ADDQ $128, DI
	DECQ CX
	JNZ rs2loop
rs2done:
	XORFOLD
	MOVQ AX, ret+24(FP)
	VZEROUPPER
	RET
