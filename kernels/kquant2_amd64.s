#include "textflag.h"

// More kernels for amd64: AVX2 four-token kernels (one weight row against
// four activation rows) for Q8_0, Q4_0, Q4_K, Q5_K and Q6_K; Q2_K and Q3_K
// against Q8_K (AVX-512 VNNI and AVX2); AVX2 row kernels for Q4_1, Q5_0
// and Q5_1. The AVX2 kernels multiply unsigned weights with signed
// activations by VPMADDUBSW (int16 pairs, which cannot overflow for these
// value ranges) and widen by VPMADDWD; block sums stay exact integers and
// are scaled in float32 per block.

DATA selW<>+0(SB)/8, $0x0100010001000100
DATA selW<>+8(SB)/8, $0x0100010001000100
DATA selW<>+16(SB)/8, $0x0100010001000100
DATA selW<>+24(SB)/8, $0x0100010001000100
DATA selW<>+32(SB)/8, $0x0302030203020302
DATA selW<>+40(SB)/8, $0x0302030203020302
DATA selW<>+48(SB)/8, $0x0302030203020302
DATA selW<>+56(SB)/8, $0x0302030203020302
DATA selW<>+64(SB)/8, $0x0504050405040504
DATA selW<>+72(SB)/8, $0x0504050405040504
DATA selW<>+80(SB)/8, $0x0504050405040504
DATA selW<>+88(SB)/8, $0x0504050405040504
DATA selW<>+96(SB)/8, $0x0706070607060706
DATA selW<>+104(SB)/8, $0x0706070607060706
DATA selW<>+112(SB)/8, $0x0706070607060706
DATA selW<>+120(SB)/8, $0x0706070607060706
DATA selW<>+128(SB)/8, $0x0908090809080908
DATA selW<>+136(SB)/8, $0x0908090809080908
DATA selW<>+144(SB)/8, $0x0908090809080908
DATA selW<>+152(SB)/8, $0x0908090809080908
DATA selW<>+160(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA selW<>+168(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA selW<>+176(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA selW<>+184(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA selW<>+192(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA selW<>+200(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA selW<>+208(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA selW<>+216(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA selW<>+224(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA selW<>+232(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA selW<>+240(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA selW<>+248(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL selW<>(SB), RODATA|NOPTR, $256

DATA selH<>+0(SB)/8, $0x0100010001000100
DATA selH<>+8(SB)/8, $0x0100010001000100
DATA selH<>+16(SB)/8, $0x0302030203020302
DATA selH<>+24(SB)/8, $0x0302030203020302
DATA selH<>+32(SB)/8, $0x0504050405040504
DATA selH<>+40(SB)/8, $0x0504050405040504
DATA selH<>+48(SB)/8, $0x0706070607060706
DATA selH<>+56(SB)/8, $0x0706070607060706
DATA selH<>+64(SB)/8, $0x0908090809080908
DATA selH<>+72(SB)/8, $0x0908090809080908
DATA selH<>+80(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA selH<>+88(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA selH<>+96(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA selH<>+104(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA selH<>+112(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA selH<>+120(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL selH<>(SB), RODATA|NOPTR, $128

DATA perm2<>+0(SB)/8, $0x0000000000000000
DATA perm2<>+8(SB)/8, $0x0000000000000000
DATA perm2<>+16(SB)/8, $0x0000000100000001
DATA perm2<>+24(SB)/8, $0x0000000100000001
GLOBL perm2<>(SB), RODATA|NOPTR, $32

DATA idxW<>+0(SB)/8, $0x0000000000000000
DATA idxW<>+8(SB)/8, $0x0000000000000000
DATA idxW<>+16(SB)/8, $0x0001000100010001
DATA idxW<>+24(SB)/8, $0x0001000100010001
DATA idxW<>+32(SB)/8, $0x0002000200020002
DATA idxW<>+40(SB)/8, $0x0002000200020002
DATA idxW<>+48(SB)/8, $0x0003000300030003
DATA idxW<>+56(SB)/8, $0x0003000300030003
DATA idxW<>+64(SB)/8, $0x0004000400040004
DATA idxW<>+72(SB)/8, $0x0004000400040004
DATA idxW<>+80(SB)/8, $0x0005000500050005
DATA idxW<>+88(SB)/8, $0x0005000500050005
DATA idxW<>+96(SB)/8, $0x0006000600060006
DATA idxW<>+104(SB)/8, $0x0006000600060006
DATA idxW<>+112(SB)/8, $0x0007000700070007
DATA idxW<>+120(SB)/8, $0x0007000700070007
DATA idxW<>+128(SB)/8, $0x0008000800080008
DATA idxW<>+136(SB)/8, $0x0008000800080008
DATA idxW<>+144(SB)/8, $0x0009000900090009
DATA idxW<>+152(SB)/8, $0x0009000900090009
DATA idxW<>+160(SB)/8, $0x000a000a000a000a
DATA idxW<>+168(SB)/8, $0x000a000a000a000a
DATA idxW<>+176(SB)/8, $0x000b000b000b000b
DATA idxW<>+184(SB)/8, $0x000b000b000b000b
DATA idxW<>+192(SB)/8, $0x000c000c000c000c
DATA idxW<>+200(SB)/8, $0x000c000c000c000c
DATA idxW<>+208(SB)/8, $0x000d000d000d000d
DATA idxW<>+216(SB)/8, $0x000d000d000d000d
DATA idxW<>+224(SB)/8, $0x000e000e000e000e
DATA idxW<>+232(SB)/8, $0x000e000e000e000e
DATA idxW<>+240(SB)/8, $0x000f000f000f000f
DATA idxW<>+248(SB)/8, $0x000f000f000f000f
GLOBL idxW<>(SB), RODATA|NOPTR, $256

DATA bitSel<>+0(SB)/8, $0x8040201008040201
DATA bitSel<>+8(SB)/8, $0x8040201008040201
DATA bitSel<>+16(SB)/8, $0x8040201008040201
DATA bitSel<>+24(SB)/8, $0x8040201008040201
GLOBL bitSel<>(SB), RODATA|NOPTR, $32

DATA bitShuf<>+0(SB)/8, $0x0000000000000000
DATA bitShuf<>+8(SB)/8, $0x0101010101010101
DATA bitShuf<>+16(SB)/8, $0x0202020202020202
DATA bitShuf<>+24(SB)/8, $0x0303030303030303
GLOBL bitShuf<>(SB), RODATA|NOPTR, $32

// HSUM8 reduces the eight floats of yr (low half xr) into dst; X14 is
// clobbered.
#define HSUM8(yr, xr, dst) \
	VEXTRACTF128 $1, yr, X14 \
	VADDPS X14, xr, X14 \
	VHADDPS X14, X14, X14 \
	VHADDPS X14, X14, X14 \
	VMOVSS X14, dst

// Q8TOK4 adds one Q8_0 block (|w| in Y7, w in Y6, dw broadcast in Y8)
// times the token's quants at xa, scaled by dw·dx (dx at da), into acc.
#define Q8TOK4(xa, da, acc) \
	VMOVDQU xa, Y4 \
	VPSIGNB Y6, Y4, Y4 \
	VPMADDUBSW Y4, Y7, Y4 \
	VPMADDWD Y15, Y4, Y4 \
	VCVTDQ2PS Y4, Y4 \
	VBROADCASTSS da, Y5 \
	VMULPS Y8, Y5, Y5 \
	VFMADD231PS Y5, Y4, acc

// Q4TOK4 adds one pair of Q4_0 blocks (low nibbles in Y1, high in Y2,
// the two weight scales in X3) times one token into acc: quants at qa,
// corrections at ca, the token's two scales at da.
#define Q4TOK4(qa, ca, da, acc) \
	VPMADDUBSW qa, Y1, Y5 \
	VPMADDUBSW 32 qa, Y2, Y6 \
	VPMADDWD Y15, Y5, Y5 \
	VPMADDWD Y15, Y6, Y6 \
	VPADDD Y6, Y5, Y5 \
	VPADDD ca, Y5, Y5 \
	VPADDD 32 ca, Y5, Y5 \
	VCVTDQ2PS Y5, Y5 \
	VMOVQ da, X4 \
	VMULPS X3, X4, X4 \
	VPERMPS Y4, Y13, Y4 \
	VFMADD231PS Y4, Y5, acc

// KTOK4 multiplies the unsigned weights in q with the quants at offset xo
// of every token, weights the int16 pair sums by the scale words in Y7 and
// adds them to Y8..Y11.
#define KTOK4(q, xo) \
	VPMADDUBSW xo(DI), q, Y12 \
	VPMADDWD Y7, Y12, Y12 \
	VPADDD Y12, Y8, Y8 \
	VPMADDUBSW xo(DI)(R8*1), q, Y12 \
	VPMADDWD Y7, Y12, Y12 \
	VPADDD Y12, Y9, Y9 \
	VPMADDUBSW xo(DI)(R8*2), q, Y12 \
	VPMADDWD Y7, Y12, Y12 \
	VPADDD Y12, Y10, Y10 \
	VPMADDUBSW xo(DI)(R9*1), q, Y12 \
	VPMADDWD Y7, Y12, Y12 \
	VPADDD Y12, Y11, Y11

#define KX4SETUP \
	MOVQ w+0(FP), SI \
	MOVQ x+8(FP), DI \
	MOVQ nb+16(FP), CX \
	MOVQ xStride+24(FP), R8 \
	LEAQ (R8)(R8*2), R9 \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	VXORPS Y2, Y2, Y2 \
	VXORPS Y3, Y3, Y3 \
	MOVL $0x0f0f0f0f, AX \
	VMOVD AX, X13 \
	VPBROADCASTD X13, Y13

#define KX4END \
	MOVQ out+32(FP), AX \
	HSUM8(Y0, X0, (AX)) \
	HSUM8(Y1, X1, 4(AX)) \
	HSUM8(Y2, X2, 8(AX)) \
	HSUM8(Y3, X3, 12(AX)) \
	VZEROUPPER \
	RET

// KSCALEREGS decodes the six-bit scales and mins of a Q4_K/Q5_K block
// (12 bytes at 4(SI)) into R10 (scales 0..3), R12 (scales 4..7), R11
// (mins 0..3) and R13 (mins 4..7), one byte each; AX, BX, DX clobbered.
#define KSCALEREGS \
	MOVL 4(SI), AX \
	MOVL 8(SI), BX \
	MOVL 12(SI), DX \
	MOVL AX, R10 \
	ANDL $0x3f3f3f3f, R10 \
	MOVL BX, R11 \
	ANDL $0x3f3f3f3f, R11 \
	MOVL DX, R12 \
	ANDL $0x0f0f0f0f, R12 \
	SHRL $6, AX \
	ANDL $0x03030303, AX \
	SHLL $4, AX \
	ORL AX, R12 \
	MOVL DX, R13 \
	SHRL $4, R13 \
	ANDL $0x0f0f0f0f, R13 \
	SHRL $6, BX \
	ANDL $0x03030303, BX \
	SHLL $4, BX \
	ORL BX, R13

// KSCALEWORDS puts the eight scales as int16 words in both lanes of Y6 and
// clears the int32 accumulators.
#define KSCALEWORDS \
	VMOVD R10, X6 \
	VPINSRD $1, R12, X6, X6 \
	VPMOVZXBW X6, X6 \
	VINSERTI128 $1, X6, Y6, Y6 \
	VPXOR Y8, Y8, Y8 \
	VPXOR Y9, Y9, Y9 \
	VPXOR Y10, Y10, Y10 \
	VPXOR Y11, Y11, Y11

// KMINFIN finishes a Q4_K/Q5_K block: Y6 = each min as an int16 pair, Y5
// = d, Y4 = dmin (broadcast), then for every token acc += dx·(d·lanes -
// dmin·(mins·block sums)).
#define KMINTOK(base, lanes, acc) \
	VCVTDQ2PS lanes, lanes \
	VMULPS Y5, lanes, lanes \
	VPMADDWD 260 base, Y6, Y12 \
	VCVTDQ2PS Y12, Y12 \
	VFNMADD231PS Y4, Y12, lanes \
	VBROADCASTSS base, Y12 \
	VFMADD231PS Y12, lanes, acc

#define KMINFIN \
	VMOVD R11, X6 \
	VPINSRD $1, R13, X6, X6 \
	VPMOVZXBD X6, Y6 \
	VPSLLD $16, Y6, Y7 \
	VPOR Y7, Y6, Y6 \
	VMOVD (SI), X4 \
	VCVTPH2PS X4, X4 \
	VBROADCASTSS X4, Y5 \
	VMOVSHDUP X4, X4 \
	VBROADCASTSS X4, Y4 \
	KMINTOK((DI), Y8, Y0) \
	KMINTOK((DI)(R8*1), Y9, Y1) \
	KMINTOK((DI)(R8*2), Y10, Y2) \
	KMINTOK((DI)(R9*1), Y11, Y3)

// KNIB4 splits the 32 bytes at off(SI) into low nibbles (Y4) and high
// nibbles (Y5).
#define KNIB4(off) \
	VMOVDQU off(SI), Y4 \
	VPSRLW $4, Y4, Y5 \
	VPAND Y13, Y4, Y4 \
	VPAND Y13, Y5, Y5

// KGROUP4 runs group g of a Q4_K/Q5_K block (weights in Y4, Y5; activation
// offset xo of the first sub-block; scale selectors s0, s1).
#define KGROUP4(xo, s0, s1) \
	VPSHUFB s0, Y6, Y7 \
	KTOK4(Y4, xo) \
	VPSHUFB s1, Y6, Y7 \
	KTOK4(Y5, xo+32)

DATA k10<>+0(SB)/8, $0x1010101010101010
DATA k10<>+8(SB)/8, $0x1010101010101010
DATA k10<>+16(SB)/8, $0x1010101010101010
DATA k10<>+24(SB)/8, $0x1010101010101010
GLOBL k10<>(SB), RODATA|NOPTR, $32

// KHI4 ORs the fifth bits of a Q5_K group into Y4 and Y5: the qh vector
// (Y14) shifted so the group's bits land on bit 4.
#define KHI4(opA, nA, opB, nB) \
	opA $nA, Y14, Y15 \
	VPAND k10<>(SB), Y15, Y15 \
	VPOR Y15, Y4, Y4 \
	opB $nB, Y14, Y15 \
	VPAND k10<>(SB), Y15, Y15 \
	VPOR Y15, Y5, Y5

// Q6VEC4 builds one vector of 32 unsigned six-bit Q6_K values in Y4: the
// nibbles of the 32 bytes at lo(SI) (high nibbles if nsh is 4), ORed with
// the two bits of qh at hi(SI) brought to bits 4..5 by hop $hn (Y14 =
// 0x30 bytes), then multiplies it with every token (selector sel of the
// half's scales in Y5).
#define Q6VEC4(lo, nsh, hi, hop, hn, xo, sel) \
	VMOVDQU lo(SI), Y4 \
	VPSRLW $nsh, Y4, Y4 \
	VPAND Y13, Y4, Y4 \
	VMOVDQU hi(SI), Y15 \
	hop $hn, Y15, Y15 \
	VPAND Y14, Y15, Y15 \
	VPOR Y15, Y4, Y4 \
	VPSHUFB sel, Y5, Y7 \
	KTOK4(Y4, xo)

#define Q6HALF4(lo, hi, xo) \
	Q6VEC4(lo, 0, hi, VPSLLW, 4, xo, selH<>+0(SB)) \
	Q6VEC4(lo+32, 0, hi, VPSLLW, 2, xo+32, selH<>+32(SB)) \
	Q6VEC4(lo, 4, hi, VPSRLW, 0, xo+64, selH<>+64(SB)) \
	Q6VEC4(lo+32, 4, hi, VPSRLW, 2, xo+96, selH<>+96(SB))

// Q6START sets token t's lanes to -32·Σ scale·block sum (the values are
// used unsigned, q+32).
#define Q6START(base, lanes) \
	VPMADDWD 260 base, Y6, Y7 \
	VPSLLD $5, Y7, Y7 \
	VPSUBD Y7, Y12, lanes

// Q6FIN adds dx·d·lanes to acc (d broadcast in Y5).
#define Q6FIN(base, lanes, acc) \
	VCVTDQ2PS lanes, lanes \
	VBROADCASTSS base, Y12 \
	VMULPS Y5, Y12, Y12 \
	VFMADD231PS Y12, lanes, acc

// ---------------------------------------------------------------------
// Q8_0 × four tokens (natural activation layout).

// func q8_0X4AVX2(w *byte, qs *byte, d *float32, nb int, qsStride, dStride int, out *[4]float32)
// One Q8_0 row (nb blocks) against four tokens whose quants and scales
// start qsStride and dStride bytes apart. Signed weights use the sign
// trick: |w| times the activations carrying w's sign.
TEXT ·q8_0X4AVX2(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ d+16(FP), R9
	MOVQ nb+24(FP), CX
	MOVQ qsStride+32(FP), R11
	MOVQ dStride+40(FP), R13
	LEAQ (R11)(R11*2), R10
	LEAQ (R13)(R13*2), DX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVL $0x00010001, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	TESTQ CX, CX
	JZ q80x4done

q80x4loop:
	MOVWLZX (SI), AX
	VMOVD AX, X8
	VCVTPH2PS X8, X8
	VBROADCASTSS X8, Y8
	VMOVDQU 2(SI), Y6
	VPABSB Y6, Y7
	Q8TOK4((DI), (R9), Y0)
	Q8TOK4((DI)(R11*1), (R9)(R13*1), Y1)
	Q8TOK4((DI)(R11*2), (R9)(R13*2), Y2)
	Q8TOK4((DI)(R10*1), (R9)(DX*1), Y3)
	ADDQ $34, SI
	ADDQ $32, DI
	ADDQ $4, R9
	DECQ CX
	JNZ q80x4loop

q80x4done:
	MOVQ out+48(FP), AX
	HSUM8(Y0, X0, (AX))
	HSUM8(Y1, X1, 4(AX))
	HSUM8(Y2, X2, 8(AX))
	HSUM8(Y3, X3, 12(AX))
	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// Q4_0 × four tokens (interleaved activation pairs, corrections for the
// offset 8).

// func q4_0PairsX4AVX2(w *byte, qs *byte, corr *int32, d *float32, npairs int, qsStride, corrStride, dStride int, out *[4]float32)
TEXT ·q4_0PairsX4AVX2(SB), NOSPLIT, $0-72
	MOVQ w+0(FP), SI
	MOVQ qs+8(FP), DI
	MOVQ corr+16(FP), R8
	MOVQ d+24(FP), R9
	MOVQ npairs+32(FP), CX
	MOVQ qsStride+40(FP), R11
	MOVQ corrStride+48(FP), R12
	MOVQ dStride+56(FP), R13
	LEAQ (R11)(R11*2), R10
	LEAQ (R12)(R12*2), DX
	LEAQ (R13)(R13*2), BX
	VXORPS Y0, Y0, Y0
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	MOVL $0x00010001, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	VMOVDQU perm2<>(SB), Y13
	TESTQ CX, CX
	JZ q40x4done

q40x4loop:
	MOVWLZX (SI), AX
	VMOVD AX, X3
	VPINSRW $1, 18(SI), X3, X3
	VCVTPH2PS X3, X3
	VMOVDQU 2(SI), X1
	VINSERTI128 $1, 20(SI), Y1, Y1
	VPSRLW $4, Y1, Y2
	VPAND Y14, Y1, Y1
	VPAND Y14, Y2, Y2
	Q4TOK4((DI), (R8), (R9), Y0)
	Q4TOK4((DI)(R11*1), (R8)(R12*1), (R9)(R13*1), Y7)
	Q4TOK4((DI)(R11*2), (R8)(R12*2), (R9)(R13*2), Y8)
	Q4TOK4((DI)(R10*1), (R8)(DX*1), (R9)(BX*1), Y9)
	ADDQ $36, SI
	ADDQ $64, DI
	ADDQ $64, R8
	ADDQ $8, R9
	DECQ CX
	JNZ q40x4loop

q40x4done:
	MOVQ out+64(FP), AX
	HSUM8(Y0, X0, (AX))
	HSUM8(Y7, X7, 4(AX))
	HSUM8(Y8, X8, 8(AX))
	HSUM8(Y9, X9, 12(AX))
	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// Q4_K, Q5_K, Q6_K × four Q8_K tokens (x + t·xStride bytes). Each 32-value
// weight vector is unpacked once and multiplied with all four tokens; the
// int32 lanes of token t collect in Y8..Y11 over a block and are scaled
// once per block. Tokens: (DI), (DI)(R8*1), (DI)(R8*2), (DI)(R9*1).

// func q4KDotX4AVX2(w *byte, x *byte, nb int, xStride int, out *[4]float32)
TEXT ·q4KDotX4AVX2(SB), NOSPLIT, $0-40
	KX4SETUP
	TESTQ CX, CX
	JZ q4kx4done

q4kx4loop:
	KSCALEREGS
	KSCALEWORDS
	KNIB4(16)
	KGROUP4(4, selW<>+0(SB), selW<>+32(SB))
	KNIB4(48)
	KGROUP4(68, selW<>+64(SB), selW<>+96(SB))
	KNIB4(80)
	KGROUP4(132, selW<>+128(SB), selW<>+160(SB))
	KNIB4(112)
	KGROUP4(196, selW<>+192(SB), selW<>+224(SB))
	KMINFIN
	ADDQ $144, SI
	ADDQ $292, DI
	DECQ CX
	JNZ q4kx4loop

q4kx4done:
	KX4END

// func q5KDotX4AVX2(w *byte, x *byte, nb int, xStride int, out *[4]float32)
TEXT ·q5KDotX4AVX2(SB), NOSPLIT, $0-40
	KX4SETUP
	TESTQ CX, CX
	JZ q5kx4done

q5kx4loop:
	KSCALEREGS
	KSCALEWORDS
	VMOVDQU 16(SI), Y14
	KNIB4(48)
	KHI4(VPSLLW, 4, VPSLLW, 3)
	KGROUP4(4, selW<>+0(SB), selW<>+32(SB))
	KNIB4(80)
	KHI4(VPSLLW, 2, VPSLLW, 1)
	KGROUP4(68, selW<>+64(SB), selW<>+96(SB))
	KNIB4(112)
	KHI4(VPSRLW, 0, VPSRLW, 1)
	KGROUP4(132, selW<>+128(SB), selW<>+160(SB))
	KNIB4(144)
	KHI4(VPSRLW, 2, VPSRLW, 3)
	KGROUP4(196, selW<>+192(SB), selW<>+224(SB))
	KMINFIN
	ADDQ $176, SI
	ADDQ $292, DI
	DECQ CX
	JNZ q5kx4loop

q5kx4done:
	KX4END

// func q6KDotX4AVX2(w *byte, x *byte, nb int, xStride int, out *[4]float32)
TEXT ·q6KDotX4AVX2(SB), NOSPLIT, $0-40
	KX4SETUP
	MOVL $0x30303030, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	TESTQ CX, CX
	JZ q6kx4done

q6kx4loop:
	VPMOVSXBW 192(SI), Y6
	VPXOR Y12, Y12, Y12
	Q6START((DI), Y8)
	Q6START((DI)(R8*1), Y9)
	Q6START((DI)(R8*2), Y10)
	Q6START((DI)(R9*1), Y11)
	VPERMQ $0x44, Y6, Y5
	Q6HALF4(0, 128, 4)
	VPERMQ $0xee, Y6, Y5
	Q6HALF4(64, 160, 132)
	MOVWLZX 208(SI), AX
	VMOVD AX, X5
	VCVTPH2PS X5, X5
	VBROADCASTSS X5, Y5
	Q6FIN((DI), Y8, Y0)
	Q6FIN((DI)(R8*1), Y9, Y1)
	Q6FIN((DI)(R8*2), Y10, Y2)
	Q6FIN((DI)(R9*1), Y11, Y3)
	ADDQ $210, SI
	ADDQ $292, DI
	DECQ CX
	JNZ q6kx4loop

q6kx4done:
	KX4END
