#include "textflag.h"
#include "macros_amd64.h"

// Kernels for the GGML block formats beyond Q4_0/Q8_0/Q4_K/Q6_K, on
// activations already quantized to tensor.VecDotType of the weight.

// Per-lane sub-block numbers (VPERMD indices): lanes 0..7 of a VPDPBUSD
// result cover the first 32 elements of a 64-element group, lanes 8..15
// the second 32.
DATA idxK5<>+0(SB)/8, $0x0000000000000000
DATA idxK5<>+8(SB)/8, $0x0000000000000000
DATA idxK5<>+16(SB)/8, $0x0000000000000000
DATA idxK5<>+24(SB)/8, $0x0000000000000000
DATA idxK5<>+32(SB)/8, $0x0000000100000001
DATA idxK5<>+40(SB)/8, $0x0000000100000001
DATA idxK5<>+48(SB)/8, $0x0000000100000001
DATA idxK5<>+56(SB)/8, $0x0000000100000001
DATA idxK5<>+64(SB)/8, $0x0000000200000002
DATA idxK5<>+72(SB)/8, $0x0000000200000002
DATA idxK5<>+80(SB)/8, $0x0000000200000002
DATA idxK5<>+88(SB)/8, $0x0000000200000002
DATA idxK5<>+96(SB)/8, $0x0000000300000003
DATA idxK5<>+104(SB)/8, $0x0000000300000003
DATA idxK5<>+112(SB)/8, $0x0000000300000003
DATA idxK5<>+120(SB)/8, $0x0000000300000003
DATA idxK5<>+128(SB)/8, $0x0000000400000004
DATA idxK5<>+136(SB)/8, $0x0000000400000004
DATA idxK5<>+144(SB)/8, $0x0000000400000004
DATA idxK5<>+152(SB)/8, $0x0000000400000004
DATA idxK5<>+160(SB)/8, $0x0000000500000005
DATA idxK5<>+168(SB)/8, $0x0000000500000005
DATA idxK5<>+176(SB)/8, $0x0000000500000005
DATA idxK5<>+184(SB)/8, $0x0000000500000005
DATA idxK5<>+192(SB)/8, $0x0000000600000006
DATA idxK5<>+200(SB)/8, $0x0000000600000006
DATA idxK5<>+208(SB)/8, $0x0000000600000006
DATA idxK5<>+216(SB)/8, $0x0000000600000006
DATA idxK5<>+224(SB)/8, $0x0000000700000007
DATA idxK5<>+232(SB)/8, $0x0000000700000007
DATA idxK5<>+240(SB)/8, $0x0000000700000007
DATA idxK5<>+248(SB)/8, $0x0000000700000007
GLOBL idxK5<>(SB), RODATA|NOPTR, $256

// K5HIGH loads the 32 qh bytes of a Q5_K block into Z14 as [qh, qh>>1]:
// bit 2j of a byte in the low half and bit 2j+1 in the high half then
// share a position, so one shift per group brings them to bit 4.
#define K5HIGH \
	VMOVDQU 16(SI), Y14 \
	VPSRLW $1, Y14, Y15 \
	VINSERTI64X4 $1, Y15, Z14, Z14

// K5UNPACK unpacks the 64 five-bit values of group j (qs at off(SI)) into
// dst in element order: low nibbles (sub-block 2j) in the low 256 bits,
// high nibbles (sub-block 2j+1) in the high 256 bits, each ORed with its
// high bit (hb, the qh vector shifted to bit 4; Z18 = 0x10 bytes).
#define K5UNPACK(off, hb, dst) \
	VMOVDQU off(SI), Y1 \
	VPSRLW $4, Y1, Y3 \
	VINSERTI64X4 $1, Y3, Z1, dst \
	VPANDD Z13, dst, dst \
	VPTERNLOGD $0xf8, Z18, hb, dst

#define K5GROUPS(d0, d1, d2, d3) \
	VPSLLW $4, Z14, Z15 \
	K5UNPACK(48, Z15, d0) \
	VPSLLW $2, Z14, Z15 \
	K5UNPACK(80, Z15, d1) \
	K5UNPACK(112, Z14, d2) \
	VPSRLW $2, Z14, Z15 \
	K5UNPACK(144, Z15, d3)

// func q5KDotAVX512(w *byte, x *byte, nb int) float32
// w: nb Q5_K blocks (176 bytes: d, dmin, scales[12], qh[32], qs[128]);
// x: nb Q8_K blocks (292 bytes: d, qs[256], bsums[16]). The five-bit
// values are unsigned, so VPDPBUSD multiplies them with the signed
// activations directly; each sub-block's lanes are weighted by its scale,
// and the mins term comes from the activation block sums.
TEXT ·q5KDotAVX512(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VPXORD Z0, Z0, Z0
	VXORPS Y11, Y11, Y11
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z13
	MOVL $0x10101010, AX
	VPBROADCASTD AX, Z18
	VMOVDQU32 idxK5<>+0(SB), Z20
	VMOVDQU32 idxK5<>+64(SB), Z21
	VMOVDQU32 idxK5<>+128(SB), Z22
	VMOVDQU32 idxK5<>+192(SB), Z23
	TESTQ CX, CX
	JZ q5kdone

q5kloop:
	K5SCALES
	KMINS512

	K5HIGH
	K5GROUPS(Z24, Z25, Z26, Z27)
	VPXORD Z2, Z2, Z2
	VPDPBUSD 4(DI), Z24, Z2
	VPERMD Z5, Z20, Z3
	VPMULLD Z3, Z2, Z2
	VPXORD Z4, Z4, Z4
	VPDPBUSD 68(DI), Z25, Z4
	VPERMD Z5, Z21, Z3
	VPMULLD Z3, Z4, Z4
	VPADDD Z4, Z2, Z2
	VPXORD Z4, Z4, Z4
	VPDPBUSD 132(DI), Z26, Z4
	VPERMD Z5, Z22, Z3
	VPMULLD Z3, Z4, Z4
	VPADDD Z4, Z2, Z2
	VPXORD Z4, Z4, Z4
	VPDPBUSD 196(DI), Z27, Z4
	VPERMD Z5, Z23, Z3
	VPMULLD Z3, Z4, Z4
	VPADDD Z4, Z2, Z2

	VCVTDQ2PS Z2, Z2
	VFMADD231PS Z9, Z2, Z0
	ADDQ $176, SI
	ADDQ $292, DI
	DECQ CX
	JNZ q5kloop

q5kdone:
	VSUBPS Z11, Z0, Z0
	HSUM512
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func q5KDotX4AVX512(w *byte, x *byte, nb int, xStride int, out *[4]float32)
// One Q5_K row against four Q8_K tokens at x + t*xStride bytes: each block
// is unpacked once and multiplied with all four.
TEXT ·q5KDotX4AVX512(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	MOVQ xStride+24(FP), R8
	LEAQ (R8)(R8*2), R9
	ZEROX4
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z13
	MOVL $0x10101010, AX
	VPBROADCASTD AX, Z18
	VMOVDQU32 idxK5<>+0(SB), Z20
	VMOVDQU32 idxK5<>+64(SB), Z21
	VMOVDQU32 idxK5<>+128(SB), Z22
	VMOVDQU32 idxK5<>+192(SB), Z23
	TESTQ CX, CX
	JZ q5kx4done

q5kx4loop:
	KX4SCALES
	K5HIGH
	K5GROUPS(Z28, Z29, Z30, Z31)
	Q4KTOK((DI), Z0)
	Q4KTOK((DI)(R8*1), Z10)
	Q4KTOK((DI)(R8*2), Z16)
	Q4KTOK((DI)(R9*1), Z17)
	ADDQ $176, SI
	ADDQ $292, DI
	DECQ CX
	JNZ q5kx4loop

q5kx4done:
	MOVQ out+32(FP), AX
	HSUMX4
	VZEROUPPER
	RET

// Kernels for the 32-value formats Q4_1, Q5_0 and Q5_1 take two blocks per
// step: one 512-bit vector holds the 64 unpacked weights of blocks i and
// i+1 in element order, matching the quants of two activation blocks.

// Lane-to-block map for VPERMPS: lanes 0..7 take element 0 of the scale
// vector, lanes 8..15 element sel (1 or 2).
DATA idxBlk1<>+0(SB)/8, $0x0000000000000000
DATA idxBlk1<>+8(SB)/8, $0x0000000000000000
DATA idxBlk1<>+16(SB)/8, $0x0000000000000000
DATA idxBlk1<>+24(SB)/8, $0x0000000000000000
DATA idxBlk1<>+32(SB)/8, $0x0000000100000001
DATA idxBlk1<>+40(SB)/8, $0x0000000100000001
DATA idxBlk1<>+48(SB)/8, $0x0000000100000001
DATA idxBlk1<>+56(SB)/8, $0x0000000100000001
GLOBL idxBlk1<>(SB), RODATA|NOPTR, $64

DATA idxBlk2<>+0(SB)/8, $0x0000000000000000
DATA idxBlk2<>+8(SB)/8, $0x0000000000000000
DATA idxBlk2<>+16(SB)/8, $0x0000000000000000
DATA idxBlk2<>+24(SB)/8, $0x0000000000000000
DATA idxBlk2<>+32(SB)/8, $0x0000000200000002
DATA idxBlk2<>+40(SB)/8, $0x0000000200000002
DATA idxBlk2<>+48(SB)/8, $0x0000000200000002
DATA idxBlk2<>+56(SB)/8, $0x0000000200000002
GLOBL idxBlk2<>(SB), RODATA|NOPTR, $64

// XPAIR loads the quants of two activation blocks (at o0(DI), o1(DI)).
#define XPAIR(o0, o1) \
	VMOVDQU o0(DI), Y4 \
	VINSERTI64X4 $1, o1(DI), Z4, Z4

// DMPAIR scales the int32 lanes of Z2 for the formats with a min (weights
// d, m at 0(SI) and ws(SI); activations d, s at 0(DI) and 36(DI)):
// Z0 += d·dx per block, X15 gathers m·s in lanes 1 and 3.
#define DMPAIR(ws) \
	VMOVD (SI), X8 \
	VPINSRD $1, ws(SI), X8, X8 \
	VMOVD (DI), X9 \
	VPINSRD $1, 36(DI), X9, X9 \
	VCVTPH2PS X8, X8 \
	VCVTPH2PS X9, X9 \
	VMULPS X9, X8, X8 \
	VADDPS X8, X15, X15 \
	VPERMPS Z8, Z14, Z8 \
	VCVTDQ2PS Z2, Z2 \
	VFMADD231PS Z8, Z2, Z0

#define PAIRSETUP \
	MOVQ w+0(FP), SI \
	MOVQ x+8(FP), DI \
	MOVQ npairs+16(FP), CX \
	VPXORD Z0, Z0, Z0 \
	VXORPS X15, X15, X15 \
	PAIRCONSTS

// PAIREND reduces Z0 plus lanes 1 and 3 of X15 into the result.
#define PAIREND \
	PAIRSUM(ret+24(FP)) \
	VZEROUPPER \
	RET

// func q4_1PairsAVX512(w *byte, x *byte, npairs int) float32
// w: 2·npairs Q4_1 blocks (20 bytes: d, m, qs[16]); x: Q8_1 blocks
// (36 bytes: d, s = d·Σq, qs[32]).
TEXT ·q4_1PairsAVX512(SB), NOSPLIT, $0-28
	PAIRSETUP
	VMOVDQU32 idxBlk2<>(SB), Z14
	TESTQ CX, CX
	JZ q41done

q41loop:
	NIBPAIR(4, 24)
	XPAIR(4, 40)
	VPXORD Z2, Z2, Z2
	VPDPBUSD Z4, Z3, Z2
	DMPAIR(20)
	ADDQ $40, SI
	ADDQ $72, DI
	DECQ CX
	JNZ q41loop

q41done:
	PAIREND

// func q5_1PairsAVX512(w *byte, x *byte, npairs int) float32
// w: 2·npairs Q5_1 blocks (24 bytes: d, m, qh, qs[16]); x: Q8_1 blocks.
TEXT ·q5_1PairsAVX512(SB), NOSPLIT, $0-28
	PAIRSETUP
	VMOVDQU32 idxBlk2<>(SB), Z14
	TESTQ CX, CX
	JZ q51done

q51loop:
	NIBPAIR(8, 32)
	HIGHPAIR(4, 28)
	XPAIR(4, 40)
	VPXORD Z2, Z2, Z2
	VPDPBUSD Z4, Z3, Z2
	DMPAIR(24)
	ADDQ $48, SI
	ADDQ $72, DI
	DECQ CX
	JNZ q51loop

q51done:
	PAIREND

// func q5_0PairsAVX512(w *byte, x *byte, npairs int) float32
// w: 2·npairs Q5_0 blocks (22 bytes: d, qh, qs[16]); x: Q8_0 blocks
// (34 bytes: d, qs[32]). The values are used unsigned (q+16) and 16·Σx is
// subtracted per lane.
TEXT ·q5_0PairsAVX512(SB), NOSPLIT, $0-28
	PAIRSETUP
	VMOVDQU32 idxBlk1<>(SB), Z14
	TESTQ CX, CX
	JZ q50done

q50loop:
	NIBPAIR(6, 28)
	HIGHPAIR(2, 24)
	XPAIR(2, 36)
	VPXORD Z2, Z2, Z2
	VPDPBUSD Z4, Z3, Z2
	VPXORD Z5, Z5, Z5
	VPDPBUSD Z4, Z12, Z5
	VPSUBD Z5, Z2, Z2
	MOVWLZX (SI), AX
	MOVWLZX 22(SI), BX
	SHLL $16, BX
	ORL BX, AX
	VMOVD AX, X8
	MOVWLZX (DI), AX
	MOVWLZX 34(DI), BX
	SHLL $16, BX
	ORL BX, AX
	VMOVD AX, X9
	VCVTPH2PS X8, X8
	VCVTPH2PS X9, X9
	VMULPS X9, X8, X8
	VPERMPS Z8, Z14, Z8
	VCVTDQ2PS Z2, Z2
	VFMADD231PS Z8, Z2, Z0
	ADDQ $44, SI
	ADDQ $68, DI
	DECQ CX
	JNZ q50loop

q50done:
	PAIREND

// AVX2 kernels for the K-quants (VPMADDUBSW: unsigned weights times signed
// activations into int16 pairs, then VPMADDWD by the sub-block scale into
// int32 lanes; the integer block sums are exact).

// VPSHUFB masks: entry s repeats int16 word s in every word of both lanes.
DATA shufW<>+0(SB)/8, $0x0100010001000100
DATA shufW<>+8(SB)/8, $0x0100010001000100
DATA shufW<>+16(SB)/8, $0x0100010001000100
DATA shufW<>+24(SB)/8, $0x0100010001000100
DATA shufW<>+32(SB)/8, $0x0302030203020302
DATA shufW<>+40(SB)/8, $0x0302030203020302
DATA shufW<>+48(SB)/8, $0x0302030203020302
DATA shufW<>+56(SB)/8, $0x0302030203020302
DATA shufW<>+64(SB)/8, $0x0504050405040504
DATA shufW<>+72(SB)/8, $0x0504050405040504
DATA shufW<>+80(SB)/8, $0x0504050405040504
DATA shufW<>+88(SB)/8, $0x0504050405040504
DATA shufW<>+96(SB)/8, $0x0706070607060706
DATA shufW<>+104(SB)/8, $0x0706070607060706
DATA shufW<>+112(SB)/8, $0x0706070607060706
DATA shufW<>+120(SB)/8, $0x0706070607060706
DATA shufW<>+128(SB)/8, $0x0908090809080908
DATA shufW<>+136(SB)/8, $0x0908090809080908
DATA shufW<>+144(SB)/8, $0x0908090809080908
DATA shufW<>+152(SB)/8, $0x0908090809080908
DATA shufW<>+160(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA shufW<>+168(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA shufW<>+176(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA shufW<>+184(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA shufW<>+192(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA shufW<>+200(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA shufW<>+208(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA shufW<>+216(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA shufW<>+224(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA shufW<>+232(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA shufW<>+240(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA shufW<>+248(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL shufW<>(SB), RODATA|NOPTR, $256

// Entry k takes word 2k in the low lane and word 2k+1 in the high lane.
DATA shufQ6<>+0(SB)/8, $0x0100010001000100
DATA shufQ6<>+8(SB)/8, $0x0100010001000100
DATA shufQ6<>+16(SB)/8, $0x0302030203020302
DATA shufQ6<>+24(SB)/8, $0x0302030203020302
DATA shufQ6<>+32(SB)/8, $0x0504050405040504
DATA shufQ6<>+40(SB)/8, $0x0504050405040504
DATA shufQ6<>+48(SB)/8, $0x0706070607060706
DATA shufQ6<>+56(SB)/8, $0x0706070607060706
DATA shufQ6<>+64(SB)/8, $0x0908090809080908
DATA shufQ6<>+72(SB)/8, $0x0908090809080908
DATA shufQ6<>+80(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA shufQ6<>+88(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA shufQ6<>+96(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA shufQ6<>+104(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA shufQ6<>+112(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA shufQ6<>+120(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL shufQ6<>(SB), RODATA|NOPTR, $128

// K2SCALES decodes the scales and mins of a Q4_K/Q5_K block for the AVX2
// kernels: Y5 = the 8 scales as int16 in both lanes, Y6 = each min as an
// int16 pair; then Y11 += dmin·dx·(mins·block sums) and Y9 = d·dx.
#define K2SCALES \
	KSCALEREGS \
	VMOVD R10, X5 \
	VPINSRD $1, R12, X5, X5 \
	VPMOVZXBW X5, X5 \
	VINSERTI128 $1, X5, Y5, Y5 \
	VMOVD R11, X6 \
	VPINSRD $1, R13, X6, X6 \
	VPMOVZXBD X6, Y6 \
	VPSLLD $16, Y6, Y7 \
	VPOR Y7, Y6, Y6 \
	VPMADDWD 260(DI), Y6, Y7 \
	VCVTDQ2PS Y7, Y7 \
	VMOVD (SI), X8 \
	VCVTPH2PS X8, X8 \
	VBROADCASTSS (DI), X9 \
	VMULPS X9, X8, X8 \
	VBROADCASTSS X8, Y9 \
	VMOVSHDUP X8, X8 \
	VBROADCASTSS X8, Y8 \
	VFMADD231PS Y8, Y7, Y11

// K2NIB splits the 32 bytes at off(SI) into low nibbles (Y2, the first
// sub-block of the group) and high nibbles (Y3, the second).
#define K2NIB(off) \
	VMOVDQU off(SI), Y1 \
	VPAND Y13, Y1, Y2 \
	VPSRLW $4, Y1, Y3 \
	VPAND Y13, Y3, Y3

// K2HI ORs the fifth bits of a Q5_K group into Y2 and Y3: qh (Y14) shifted
// by opA/opB so that the group's bit lands on bit 4 (Y12 = 0x10 bytes).
#define K2HI(opA, nA, opB, nB) \
	opA $nA, Y14, Y15 \
	VPAND Y12, Y15, Y15 \
	VPOR Y15, Y2, Y2 \
	opB $nB, Y14, Y15 \
	VPAND Y12, Y15, Y15 \
	VPOR Y15, Y3, Y3

// K2DOT adds the scale-weighted products of the 32 weights in q and the
// activations at xo(DI) into the int32 lanes of Y10; mask picks the scale
// word(s) of sc.
#define K2DOT(q, xo, mask, sc) \
	VPMADDUBSW xo(DI), q, q \
	VPSHUFB mask, sc, Y4 \
	VPMADDWD Y4, q, q \
	VPADDD q, Y10, Y10

#define K2HSUM \
	HSUM256 \
	VMOVSS X0, ret+24(FP) \
	VZEROUPPER \
	RET

#define K2SETUP \
	MOVQ w+0(FP), SI \
	MOVQ x+8(FP), DI \
	MOVQ nb+16(FP), CX \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y11, Y11, Y11 \
	MOVL $0x0f0f0f0f, AX \
	VMOVD AX, X13 \
	VPBROADCASTD X13, Y13

// func q4KDotAVX2(w *byte, x *byte, nb int) float32
// Q4_K row (144-byte blocks) against Q8_K activations.
TEXT ·q4KDotAVX2(SB), NOSPLIT, $0-28
	K2SETUP
	TESTQ CX, CX
	JZ q4k2done

q4k2loop:
	K2SCALES
	VPXOR Y10, Y10, Y10
	K2NIB(16)
	K2DOT(Y2, 4, shufW<>+0(SB), Y5)
	K2DOT(Y3, 36, shufW<>+32(SB), Y5)
	K2NIB(48)
	K2DOT(Y2, 68, shufW<>+64(SB), Y5)
	K2DOT(Y3, 100, shufW<>+96(SB), Y5)
	K2NIB(80)
	K2DOT(Y2, 132, shufW<>+128(SB), Y5)
	K2DOT(Y3, 164, shufW<>+160(SB), Y5)
	K2NIB(112)
	K2DOT(Y2, 196, shufW<>+192(SB), Y5)
	K2DOT(Y3, 228, shufW<>+224(SB), Y5)
	VCVTDQ2PS Y10, Y10
	VFMADD231PS Y9, Y10, Y0
	ADDQ $144, SI
	ADDQ $292, DI
	DECQ CX
	JNZ q4k2loop

q4k2done:
	VSUBPS Y11, Y0, Y0
	K2HSUM

// func q5KDotAVX2(w *byte, x *byte, nb int) float32
// Q5_K row (176-byte blocks) against Q8_K activations.
TEXT ·q5KDotAVX2(SB), NOSPLIT, $0-28
	K2SETUP
	MOVL $0x10101010, AX
	VMOVD AX, X12
	VPBROADCASTD X12, Y12
	TESTQ CX, CX
	JZ q5k2done

q5k2loop:
	K2SCALES
	VMOVDQU 16(SI), Y14
	VPXOR Y10, Y10, Y10
	K2NIB(48)
	K2HI(VPSLLW, 4, VPSLLW, 3)
	K2DOT(Y2, 4, shufW<>+0(SB), Y5)
	K2DOT(Y3, 36, shufW<>+32(SB), Y5)
	K2NIB(80)
	K2HI(VPSLLW, 2, VPSLLW, 1)
	K2DOT(Y2, 68, shufW<>+64(SB), Y5)
	K2DOT(Y3, 100, shufW<>+96(SB), Y5)
	K2NIB(112)
	K2HI(VPSRLW, 0, VPSRLW, 1)
	K2DOT(Y2, 132, shufW<>+128(SB), Y5)
	K2DOT(Y3, 164, shufW<>+160(SB), Y5)
	K2NIB(144)
	K2HI(VPSRLW, 2, VPSRLW, 3)
	K2DOT(Y2, 196, shufW<>+192(SB), Y5)
	K2DOT(Y3, 228, shufW<>+224(SB), Y5)
	VCVTDQ2PS Y10, Y10
	VFMADD231PS Y9, Y10, Y0
	ADDQ $176, SI
	ADDQ $292, DI
	DECQ CX
	JNZ q5k2loop

q5k2done:
	VSUBPS Y11, Y0, Y0
	K2HSUM

// Q6H2 runs one half (128 values) of a Q6_K block: ql at lo(SI), qh at
// hi(SI), activations at xo(DI), scales of the half in sc (Y12 = 0x30).
#define Q6H2(lo, hi, xo, sc) \
	VMOVDQU lo(SI), Y1 \
	VMOVDQU lo+32(SI), Y2 \
	VMOVDQU hi(SI), Y3 \
	VPAND Y13, Y1, Y14 \
	VPSLLW $4, Y3, Y15 \
	VPAND Y12, Y15, Y15 \
	VPOR Y15, Y14, Y14 \
	K2DOT(Y14, xo, shufQ6<>+0(SB), sc) \
	VPAND Y13, Y2, Y14 \
	VPSLLW $2, Y3, Y15 \
	VPAND Y12, Y15, Y15 \
	VPOR Y15, Y14, Y14 \
	K2DOT(Y14, xo+32, shufQ6<>+32(SB), sc) \
	VPSRLW $4, Y1, Y14 \
	VPAND Y13, Y14, Y14 \
	VPAND Y12, Y3, Y15 \
	VPOR Y15, Y14, Y14 \
	K2DOT(Y14, xo+64, shufQ6<>+64(SB), sc) \
	VPSRLW $4, Y2, Y14 \
	VPAND Y13, Y14, Y14 \
	VPSRLW $2, Y3, Y15 \
	VPAND Y12, Y15, Y15 \
	VPOR Y15, Y14, Y14 \
	K2DOT(Y14, xo+96, shufQ6<>+96(SB), sc)

// func q6KDotAVX2(w *byte, x *byte, nb int) float32
// Q6_K row (210-byte blocks) against Q8_K activations. The six-bit values
// are used unsigned (q+32); 32·Σ scale·block sum is subtracted per block.
TEXT ·q6KDotAVX2(SB), NOSPLIT, $0-28
	K2SETUP
	MOVL $0x30303030, AX
	VMOVD AX, X12
	VPBROADCASTD X12, Y12
	TESTQ CX, CX
	JZ q6k2done

q6k2loop:
	VPMOVSXBW 192(SI), Y6
	VPMADDWD 260(DI), Y6, Y7
	VPSLLD $5, Y7, Y7
	VPXOR Y10, Y10, Y10
	VPSUBD Y7, Y10, Y10
	VPERMQ $0x44, Y6, Y5
	VPERMQ $0xee, Y6, Y6
	Q6H2(0, 128, 4, Y5)
	Q6H2(64, 160, 132, Y6)
	VCVTDQ2PS Y10, Y10
	MOVWLZX 208(SI), AX
	VMOVD AX, X8
	VCVTPH2PS X8, X8
	VMULSS (DI), X8, X8
	VBROADCASTSS X8, Y9
	VFMADD231PS Y9, Y10, Y0
	ADDQ $210, SI
	ADDQ $292, DI
	DECQ CX
	JNZ q6k2loop

q6k2done:
	K2HSUM
