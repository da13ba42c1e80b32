#include "textflag.h"
#include "macros_amd64.h"

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

DATA k20<>+0(SB)/8, $0x2020202020202020
DATA k20<>+8(SB)/8, $0x2020202020202020
GLOBL k20<>(SB), RODATA|NOPTR, $16

// Q2KSCALES reads a Q2_K block's 16 scale bytes: Y6 = the scales (low
// nibbles) as int16, Y7 = the mins (high nibbles) as int16; X13 holds
// 0x0f bytes. Then X8 = [d·dx, dmin·dx] (d, dmin at 80(SI), dx at (DI)).
#define Q2KSCALES \
	VMOVDQU (SI), X1 \
	VPAND X13, X1, X2 \
	VPMOVZXBW X2, Y6 \
	VPSRLW $4, X1, X1 \
	VPAND X13, X1, X1 \
	VPMOVZXBW X1, Y7 \
	VMOVD 80(SI), X8 \
	VCVTPH2PS X8, X8 \
	VBROADCASTSS (DI), X9 \
	VMULPS X9, X8, X8

// Q2KMINS adds dmin·dx·Σ min·block sum into Y11.
#define Q2KMINS \
	VPMADDWD 260(DI), Y7, Y7 \
	VCVTDQ2PS Y7, Y7 \
	VMOVSHDUP X8, X9 \
	VBROADCASTSS X9, Y9 \
	VFMADD231PS Y9, Y7, Y11

// Q3KSCALES decodes a Q3_K block's twelve bytes of six-bit scales (at
// 96(SI)) into Y6 as signed int16 (s-32); AX, BX, DX, R10..R12 clobbered.
#define Q3KSCALES \
	MOVL 96(SI), AX \
	MOVL 100(SI), BX \
	MOVL 104(SI), DX \
	MOVL AX, R10 \
	ANDL $0x0f0f0f0f, R10 \
	MOVL DX, R12 \
	ANDL $0x03030303, R12 \
	SHLL $4, R12 \
	ORL R12, R10 \
	MOVL BX, R11 \
	ANDL $0x0f0f0f0f, R11 \
	MOVL DX, R12 \
	SHRL $2, R12 \
	ANDL $0x03030303, R12 \
	SHLL $4, R12 \
	ORL R12, R11 \
	SHRL $4, AX \
	ANDL $0x0f0f0f0f, AX \
	MOVL DX, R12 \
	SHRL $4, R12 \
	ANDL $0x03030303, R12 \
	SHLL $4, R12 \
	ORL R12, AX \
	SHRL $4, BX \
	ANDL $0x0f0f0f0f, BX \
	SHRL $6, DX \
	ANDL $0x03030303, DX \
	SHLL $4, DX \
	ORL DX, BX \
	VMOVD R10, X6 \
	VPINSRD $1, R11, X6, X6 \
	VPINSRD $2, AX, X6, X6 \
	VPINSRD $3, BX, X6, X6 \
	VPSUBB k20<>(SB), X6, X6 \
	VPMOVSXBW X6, Y6

// K23DOT adds the products of the 32 unsigned values in q with the
// activations at xo(DI), weighted by the scale words that selector sel
// picks from the half's scales (Y5), into the int32 lanes of Y10.
#define K23DOT(q, xo, sel) \
	VPMADDUBSW xo(DI), q, q \
	VPSHUFB sel, Y5, Y4 \
	VPMADDWD Y4, q, q \
	VPADDD q, Y10, Y10

// Q2HALF2 runs one half (128 values, 32 bytes of quants at qo(SI)) of a
// Q2_K block against the activations from xo(DI); Y12 = 0x03 bytes.
#define Q2HALF2(qo, xo) \
	VMOVDQU qo(SI), Y1 \
	VPAND Y12, Y1, Y2 \
	K23DOT(Y2, xo, selH<>+0(SB)) \
	VPSRLW $2, Y1, Y2 \
	VPAND Y12, Y2, Y2 \
	K23DOT(Y2, xo+32, selH<>+32(SB)) \
	VPSRLW $4, Y1, Y2 \
	VPAND Y12, Y2, Y2 \
	K23DOT(Y2, xo+64, selH<>+64(SB)) \
	VPSRLW $6, Y1, Y2 \
	VPAND Y12, Y2, Y2 \
	K23DOT(Y2, xo+96, selH<>+96(SB))

// Q3VEC2 builds 32 Q3_K values q+4 from the two-bit field at bit qs of Y1
// and the hmask bit brought to bit 2 by hop $hn (hmask in Y14, Y15 = 0x04
// bytes), then adds their products (K23DOT).
#define Q3VEC2(qs, hop, hn, xo, sel) \
	VPSRLW $qs, Y1, Y2 \
	VPAND Y12, Y2, Y2 \
	hop $hn, Y14, Y3 \
	VPAND Y15, Y3, Y3 \
	VPOR Y3, Y2, Y2 \
	K23DOT(Y2, xo, sel)

// Q2UNPACK512 unpacks the 32 quant bytes at off(SI) into 128 two-bit
// values in element order: dA = fields 0, 1 and dB = fields 2, 3 (32 values
// each per field); mask holds 0x03 bytes.
#define Q2UNPACK512(off, mask, dA, dB) \
	VMOVDQU off(SI), Y1 \
	VPSRLW $2, Y1, Y2 \
	VINSERTI64X4 $1, Y2, Z1, dA \
	VPANDD mask, dA, dA \
	VPSRLW $4, Y1, Y2 \
	VPSRLW $6, Y1, Y3 \
	VINSERTI64X4 $1, Y3, Z2, dB \
	VPANDD mask, dB, dB

// Q3HIGH512 ORs the hmask bits (Z14 = [hmask, hmask>>1]) of fields 0, 1
// into dA and of fields 2, 3 into dB, shifted to bit 2 by opA $nA and
// opB $nB (Z18 = 0x04 bytes).
#define Q3HIGH512(opA, nA, dA, opB, nB, dB) \
	opA $nA, Z14, Z15 \
	VPTERNLOGD $0xf8, Z18, Z15, dA \
	opB $nB, Z14, Z15 \
	VPTERNLOGD $0xf8, Z18, Z15, dB

// K23SCALES512 spreads the 16 scale words of Y6 over Z24..Z27: word i of
// Zk is the scale of sub-block 4k + i/8 (Z20..Z23 hold the indices).
#define K23SCALES512 \
	VPERMW Z6, Z20, Z24 \
	VPERMW Z6, Z21, Z25 \
	VPERMW Z6, Z22, Z26 \
	VPERMW Z6, Z23, Z27

// K23DOTS512 adds the scale-weighted products of the 256 values in
// Z28..Z31 with the Q8_K block at base into the int32 lanes of Z2.
#define K23DOTS512(base) \
	VPMADDUBSW 4 base, Z28, Z3 \
	VPDPWSSD Z24, Z3, Z2 \
	VPMADDUBSW 68 base, Z29, Z3 \
	VPDPWSSD Z25, Z3, Z2 \
	VPMADDUBSW 132 base, Z30, Z3 \
	VPDPWSSD Z26, Z3, Z2 \
	VPMADDUBSW 196 base, Z31, Z3 \
	VPDPWSSD Z27, Z3, Z2

#define K23IDX512 \
	VMOVDQU64 idxW<>+0(SB), Z20 \
	VMOVDQU64 idxW<>+64(SB), Z21 \
	VMOVDQU64 idxW<>+128(SB), Z22 \
	VMOVDQU64 idxW<>+192(SB), Z23

// Q2TOK512 is one token of the four-token Q2_K kernel: scales in Z24..Z27,
// mins words in Y7, d in Z11 and dmin in Y12 (broadcast).
#define Q2TOK512(base, acc) \
	VPXORD Z2, Z2, Z2 \
	K23DOTS512(base) \
	VCVTDQ2PS Z2, Z2 \
	VBROADCASTSS base, Z9 \
	VMULPS Z11, Z9, Z9 \
	VFMADD231PS Z9, Z2, acc \
	VPMADDWD 260 base, Y7, Y8 \
	VCVTDQ2PS Y8, Y8 \
	VBROADCASTSS base, Y9 \
	VMULPS Y12, Y9, Y9 \
	VFNMADD231PS Z9, Z8, acc

// Q3TOK512 is one token of the four-token Q3_K kernel: the lanes start at
// -4·Σ scale·block sum (the values are used as q+4); d in Z11.
#define Q3TOK512(base, acc) \
	VPMADDWD 260 base, Y6, Y7 \
	VPSLLD $2, Y7, Y7 \
	VPXORD Z2, Z2, Z2 \
	VPSUBD Z7, Z2, Z2 \
	K23DOTS512(base) \
	VCVTDQ2PS Z2, Z2 \
	VBROADCASTSS base, Z9 \
	VMULPS Z11, Z9, Z9 \
	VFMADD231PS Z9, Z2, acc

// NIB32 unpacks the 16 nibble bytes at off(SI) into Y1: low nibbles
// (values 0..15) in the low lane, high nibbles (16..31) in the high lane
// (Y13 = 0x0f bytes).
#define NIB32(off) \
	VMOVDQU off(SI), X1 \
	VPSRLW $4, X1, X2 \
	VINSERTI128 $1, X2, Y1, Y1 \
	VPAND Y13, Y1, Y1

// HIGH32 ORs 16 into the values of Y1 whose bit is set in the 32-bit qh
// at off(SI) (bit j belongs to value j; Y12 = 0x10 bytes).
#define HIGH32(off) \
	VPBROADCASTD off(SI), Y2 \
	VPSHUFB bitShuf<>(SB), Y2, Y2 \
	VPAND bitSel<>(SB), Y2, Y2 \
	VPCMPEQB bitSel<>(SB), Y2, Y2 \
	VPAND Y12, Y2, Y2 \
	VPOR Y2, Y1, Y1

// MINBLK finishes a Q4_1/Q5_1 block: Y1 (values) times the Q8_1 quants,
// scaled by d·dx into Y0, and m·s gathered in lane 1 of X15 (Y14 = 0x0001
// words).
#define MINBLK \
	VPMADDUBSW 4(DI), Y1, Y1 \
	VPMADDWD Y14, Y1, Y1 \
	VCVTDQ2PS Y1, Y1 \
	VMOVD (SI), X8 \
	VMOVD (DI), X9 \
	VCVTPH2PS X8, X8 \
	VCVTPH2PS X9, X9 \
	VMULPS X9, X8, X8 \
	VADDPS X8, X15, X15 \
	VBROADCASTSS X8, Y8 \
	VFMADD231PS Y8, Y1, Y0

#define MIN32SETUP \
	MOVQ w+0(FP), SI \
	MOVQ x+8(FP), DI \
	MOVQ nb+16(FP), CX \
	VXORPS Y0, Y0, Y0 \
	VXORPS X15, X15, X15 \
	MOVL $0x0f0f0f0f, AX \
	VMOVD AX, X13 \
	VPBROADCASTD X13, Y13 \
	MOVL $0x10101010, AX \
	VMOVD AX, X12 \
	VPBROADCASTD X12, Y12 \
	MOVL $0x00010001, AX \
	VMOVD AX, X14 \
	VPBROADCASTD X14, Y14

// MIN32END reduces Y0 plus lane 1 of X15 into the result.
#define MIN32END \
	HSUM256 \
	VMOVSHDUP X15, X1 \
	VADDSS X1, X0, X0 \
	VMOVSS X0, ret+24(FP) \
	VZEROUPPER \
	RET

// Q2VEC4 takes the two-bit field at bit qs of the 32 bytes at qo(SI)
// (Y14 = 0x03 bytes) and multiplies it with every token (selector sel of
// the half's scales in Y5).
#define Q2VEC4(qo, qs, xo, sel) \
	VMOVDQU qo(SI), Y4 \
	VPSRLW $qs, Y4, Y4 \
	VPAND Y14, Y4, Y4 \
	VPSHUFB sel, Y5, Y7 \
	KTOK4(Y4, xo)

#define Q2HALF4(qo, xo) \
	Q2VEC4(qo, 0, xo, selH<>+0(SB)) \
	Q2VEC4(qo, 2, xo+32, selH<>+32(SB)) \
	Q2VEC4(qo, 4, xo+64, selH<>+64(SB)) \
	Q2VEC4(qo, 6, xo+96, selH<>+96(SB))

// Q3VEC4 builds 32 Q3_K values q+4 (two-bit field at bit qs of the bytes
// at qo(SI), Y13 = 0x03; hmask bit brought to bit 2 by hop $hn, Y14 =
// 0x04) and multiplies them with every token.
#define Q3VEC4(qo, qs, hop, hn, xo, sel) \
	VMOVDQU qo(SI), Y4 \
	VPSRLW $qs, Y4, Y4 \
	VPAND Y13, Y4, Y4 \
	VMOVDQU (SI), Y15 \
	hop $hn, Y15, Y15 \
	VPAND Y14, Y15, Y15 \
	VPOR Y15, Y4, Y4 \
	VPSHUFB sel, Y5, Y7 \
	KTOK4(Y4, xo)

// Q3START4 sets token lanes to -4·Σ scale·block sum (Y12 = 0).
#define Q3START4(base, lanes) \
	VPMADDWD 260 base, Y6, Y7 \
	VPSLLD $2, Y7, Y7 \
	VPSUBD Y7, Y12, lanes

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
	Q40PAIR
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

// ---------------------------------------------------------------------
// Q2_K and Q3_K × Q8_K. Both have 16 sub-blocks of 16 values, so one
// 128-bit lane of quants belongs to one sub-block. The two-bit (Q2_K) or
// three-bit (Q3_K, used unsigned as q+4) values go through VPMADDUBSW;
// VPMADDWD (VPDPWSSD on AVX-512) weights the int16 pair sums by the
// sub-block's scale word.

// func q2KDotAVX2(w *byte, x *byte, nb int) float32
// w: nb Q2_K blocks (84 bytes: scales[16], qs[64], d, dmin); x: Q8_K.
TEXT ·q2KDotAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y11, Y11, Y11
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13
	MOVL $0x03030303, AX
	VMOVD AX, X12
	VPBROADCASTD X12, Y12
	TESTQ CX, CX
	JZ q2k2done

q2k2loop:
	Q2KSCALES
	Q2KMINS
	VBROADCASTSS X8, Y8
	VPXOR Y10, Y10, Y10
	VPERMQ $0x44, Y6, Y5
	Q2HALF2(16, 4)
	VPERMQ $0xee, Y6, Y5
	Q2HALF2(48, 132)
	VCVTDQ2PS Y10, Y10
	VFMADD231PS Y8, Y10, Y0
	ADDQ $84, SI
	ADDQ $292, DI
	DECQ CX
	JNZ q2k2loop

q2k2done:
	VSUBPS Y11, Y0, Y0
	HSUM8(Y0, X0, ret+24(FP))
	VZEROUPPER
	RET

// func q3KDotAVX2(w *byte, x *byte, nb int) float32
// w: nb Q3_K blocks (110 bytes: hmask[32], qs[64], scales[12], d); x: Q8_K.
TEXT ·q3KDotAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	MOVL $0x03030303, AX
	VMOVD AX, X12
	VPBROADCASTD X12, Y12
	MOVL $0x04040404, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	TESTQ CX, CX
	JZ q3k2done

q3k2loop:
	Q3KSCALES
	VPMADDWD 260(DI), Y6, Y7
	VPSLLD $2, Y7, Y7
	VPXOR Y10, Y10, Y10
	VPSUBD Y7, Y10, Y10
	VMOVDQU (SI), Y14
	VPERMQ $0x44, Y6, Y5
	VMOVDQU 32(SI), Y1
	Q3VEC2(0, VPSLLW, 2, 4, selH<>+0(SB))
	Q3VEC2(2, VPSLLW, 1, 36, selH<>+32(SB))
	Q3VEC2(4, VPSRLW, 0, 68, selH<>+64(SB))
	Q3VEC2(6, VPSRLW, 1, 100, selH<>+96(SB))
	VPERMQ $0xee, Y6, Y5
	VMOVDQU 64(SI), Y1
	Q3VEC2(0, VPSRLW, 2, 132, selH<>+0(SB))
	Q3VEC2(2, VPSRLW, 3, 164, selH<>+32(SB))
	Q3VEC2(4, VPSRLW, 4, 196, selH<>+64(SB))
	Q3VEC2(6, VPSRLW, 5, 228, selH<>+96(SB))
	MOVWLZX 108(SI), AX
	VMOVD AX, X8
	VCVTPH2PS X8, X8
	VMULSS (DI), X8, X8
	VBROADCASTSS X8, Y8
	VCVTDQ2PS Y10, Y10
	VFMADD231PS Y8, Y10, Y0
	ADDQ $110, SI
	ADDQ $292, DI
	DECQ CX
	JNZ q3k2loop

q3k2done:
	HSUM8(Y0, X0, ret+24(FP))
	VZEROUPPER
	RET

// func q2KDotAVX512(w *byte, x *byte, nb int) float32
TEXT ·q2KDotAVX512(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VPXORD Z0, Z0, Z0
	VXORPS Y11, Y11, Y11
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z13
	MOVL $0x03030303, AX
	VPBROADCASTD AX, Z12
	K23IDX512
	TESTQ CX, CX
	JZ q2k5done

q2k5loop:
	Q2KSCALES
	Q2KMINS
	VBROADCASTSS X8, Z9
	K23SCALES512
	Q2UNPACK512(16, Z12, Z28, Z29)
	Q2UNPACK512(48, Z12, Z30, Z31)
	VPXORD Z2, Z2, Z2
	K23DOTS512((DI))
	VCVTDQ2PS Z2, Z2
	VFMADD231PS Z9, Z2, Z0
	ADDQ $84, SI
	ADDQ $292, DI
	DECQ CX
	JNZ q2k5loop

q2k5done:
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS Y1, Y0, Y0
	VSUBPS Y11, Y0, Y0
	HSUM8(Y0, X0, ret+24(FP))
	VZEROUPPER
	RET

// func q3KDotAVX512(w *byte, x *byte, nb int) float32
TEXT ·q3KDotAVX512(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VPXORD Z0, Z0, Z0
	MOVL $0x03030303, AX
	VPBROADCASTD AX, Z12
	MOVL $0x04040404, AX
	VPBROADCASTD AX, Z18
	K23IDX512
	TESTQ CX, CX
	JZ q3k5done

q3k5loop:
	Q3KSCALES
	K23SCALES512
	VMOVDQU (SI), Y14
	VPSRLW $1, Y14, Y15
	VINSERTI64X4 $1, Y15, Z14, Z14
	Q2UNPACK512(32, Z12, Z28, Z29)
	Q3HIGH512(VPSLLW, 2, Z28, VPSRLW, 0, Z29)
	Q2UNPACK512(64, Z12, Z30, Z31)
	Q3HIGH512(VPSRLW, 2, Z30, VPSRLW, 4, Z31)
	VPMADDWD 260(DI), Y6, Y7
	VPSLLD $2, Y7, Y7
	VPXORD Z2, Z2, Z2
	VPSUBD Z7, Z2, Z2
	K23DOTS512((DI))
	MOVWLZX 108(SI), AX
	VMOVD AX, X8
	VCVTPH2PS X8, X8
	VMULSS (DI), X8, X8
	VBROADCASTSS X8, Z9
	VCVTDQ2PS Z2, Z2
	VFMADD231PS Z9, Z2, Z0
	ADDQ $110, SI
	ADDQ $292, DI
	DECQ CX
	JNZ q3k5loop

q3k5done:
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS Y1, Y0, Y0
	HSUM8(Y0, X0, ret+24(FP))
	VZEROUPPER
	RET

// func q2KDotX4AVX512(w *byte, x *byte, nb int, xStride int, out *[4]float32)
// One Q2_K row against four Q8_K tokens at x + t·xStride bytes.
TEXT ·q2KDotX4AVX512(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	MOVQ xStride+24(FP), R8
	LEAQ (R8)(R8*2), R9
	ZEROX4
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z19
	MOVL $0x03030303, AX
	VPBROADCASTD AX, Z18
	K23IDX512
	TESTQ CX, CX
	JZ q2kx4done

q2kx4loop:
	VMOVDQU (SI), X1
	VPANDD X19, X1, X2
	VPMOVZXBW X2, Y6
	VPSRLW $4, X1, X1
	VPANDD X19, X1, X1
	VPMOVZXBW X1, Y7
	VMOVD 80(SI), X8
	VCVTPH2PS X8, X8
	VBROADCASTSS X8, Z11
	VMOVSHDUP X8, X12
	VBROADCASTSS X12, Y12
	K23SCALES512
	Q2UNPACK512(16, Z18, Z28, Z29)
	Q2UNPACK512(48, Z18, Z30, Z31)
	Q2TOK512((DI), Z0)
	Q2TOK512((DI)(R8*1), Z10)
	Q2TOK512((DI)(R8*2), Z16)
	Q2TOK512((DI)(R9*1), Z17)
	ADDQ $84, SI
	ADDQ $292, DI
	DECQ CX
	JNZ q2kx4loop

q2kx4done:
	MOVQ out+32(FP), AX
	HSUMX4
	VZEROUPPER
	RET

// func q3KDotX4AVX512(w *byte, x *byte, nb int, xStride int, out *[4]float32)
// One Q3_K row against four Q8_K tokens at x + t·xStride bytes.
TEXT ·q3KDotX4AVX512(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	MOVQ xStride+24(FP), R8
	LEAQ (R8)(R8*2), R9
	ZEROX4
	MOVL $0x03030303, AX
	VPBROADCASTD AX, Z12
	MOVL $0x04040404, AX
	VPBROADCASTD AX, Z18
	K23IDX512
	TESTQ CX, CX
	JZ q3kx4done

q3kx4loop:
	Q3KSCALES
	K23SCALES512
	VMOVDQU (SI), Y14
	VPSRLW $1, Y14, Y15
	VINSERTI64X4 $1, Y15, Z14, Z14
	Q2UNPACK512(32, Z12, Z28, Z29)
	Q3HIGH512(VPSLLW, 2, Z28, VPSRLW, 0, Z29)
	Q2UNPACK512(64, Z12, Z30, Z31)
	Q3HIGH512(VPSRLW, 2, Z30, VPSRLW, 4, Z31)
	MOVWLZX 108(SI), AX
	VMOVD AX, X8
	VCVTPH2PS X8, X8
	VBROADCASTSS X8, Z11
	Q3TOK512((DI), Z0)
	Q3TOK512((DI)(R8*1), Z10)
	Q3TOK512((DI)(R8*2), Z16)
	Q3TOK512((DI)(R9*1), Z17)
	ADDQ $110, SI
	ADDQ $292, DI
	DECQ CX
	JNZ q3kx4loop

q3kx4done:
	MOVQ out+32(FP), AX
	HSUMX4
	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// AVX2 row kernels for the 32-value formats with a min or a fifth bit,
// one block per step.

// func q4_1DotAVX2(w *byte, x *byte, nb int) float32
// w: nb Q4_1 blocks (20 bytes: d, m, qs[16]); x: Q8_1 blocks (36 bytes:
// d, s = d·Σq, qs[32]).
TEXT ·q4_1DotAVX2(SB), NOSPLIT, $0-28
	MIN32SETUP
	TESTQ CX, CX
	JZ q41a2done

q41a2loop:
	NIB32(4)
	MINBLK
	ADDQ $20, SI
	ADDQ $36, DI
	DECQ CX
	JNZ q41a2loop

q41a2done:
	MIN32END

// func q5_1DotAVX2(w *byte, x *byte, nb int) float32
// w: nb Q5_1 blocks (24 bytes: d, m, qh, qs[16]); x: Q8_1 blocks.
TEXT ·q5_1DotAVX2(SB), NOSPLIT, $0-28
	MIN32SETUP
	TESTQ CX, CX
	JZ q51a2done

q51a2loop:
	NIB32(8)
	HIGH32(4)
	MINBLK
	ADDQ $24, SI
	ADDQ $36, DI
	DECQ CX
	JNZ q51a2loop

q51a2done:
	MIN32END

// func q5_0DotAVX2(w *byte, x *byte, nb int) float32
// w: nb Q5_0 blocks (22 bytes: d, qh, qs[16]); x: Q8_0 blocks (34 bytes:
// d, qs[32]). The values are used unsigned (q+16); 16·x is subtracted in
// the int16 pair sums, which cannot overflow.
TEXT ·q5_0DotAVX2(SB), NOSPLIT, $0-28
	MIN32SETUP
	TESTQ CX, CX
	JZ q50a2done

q50a2loop:
	NIB32(6)
	HIGH32(2)
	VMOVDQU 2(DI), Y4
	VPMADDUBSW Y4, Y1, Y1
	VPMADDUBSW Y4, Y12, Y5
	VPSUBW Y5, Y1, Y1
	VPMADDWD Y14, Y1, Y1
	VCVTDQ2PS Y1, Y1
	MOVWLZX (SI), AX
	VMOVD AX, X8
	VPINSRW $1, (DI), X8, X8
	VCVTPH2PS X8, X8
	VMOVSHDUP X8, X9
	VMULSS X9, X8, X8
	VBROADCASTSS X8, Y8
	VFMADD231PS Y8, Y1, Y0
	ADDQ $22, SI
	ADDQ $34, DI
	DECQ CX
	JNZ q50a2loop

q50a2done:
	MIN32END

// func q2KDotX4AVX2(w *byte, x *byte, nb int, xStride int, out *[4]float32)
TEXT ·q2KDotX4AVX2(SB), NOSPLIT, $0-40
	KX4SETUP
	MOVL $0x03030303, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	TESTQ CX, CX
	JZ q2kx42done

q2kx42loop:
	VMOVDQU (SI), X4
	VPAND X13, X4, X5
	VPMOVZXBW X5, Y6
	VPXOR Y8, Y8, Y8
	VPXOR Y9, Y9, Y9
	VPXOR Y10, Y10, Y10
	VPXOR Y11, Y11, Y11
	VPERMQ $0x44, Y6, Y5
	Q2HALF4(16, 4)
	VPERMQ $0xee, Y6, Y5
	Q2HALF4(48, 132)
	VMOVDQU (SI), X6
	VPSRLW $4, X6, X6
	VPAND X13, X6, X6
	VPMOVZXBW X6, Y6
	VMOVD 80(SI), X4
	VCVTPH2PS X4, X4
	VBROADCASTSS X4, Y5
	VMOVSHDUP X4, X4
	VBROADCASTSS X4, Y4
	KMINTOK((DI), Y8, Y0)
	KMINTOK((DI)(R8*1), Y9, Y1)
	KMINTOK((DI)(R8*2), Y10, Y2)
	KMINTOK((DI)(R9*1), Y11, Y3)
	ADDQ $84, SI
	ADDQ $292, DI
	DECQ CX
	JNZ q2kx42loop

q2kx42done:
	KX4END

// func q3KDotX4AVX2(w *byte, x *byte, nb int, xStride int, out *[4]float32)
TEXT ·q3KDotX4AVX2(SB), NOSPLIT, $0-40
	KX4SETUP
	MOVL $0x03030303, AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13
	MOVL $0x04040404, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	TESTQ CX, CX
	JZ q3kx42done

q3kx42loop:
	Q3KSCALES
	VPXOR Y12, Y12, Y12
	Q3START4((DI), Y8)
	Q3START4((DI)(R8*1), Y9)
	Q3START4((DI)(R8*2), Y10)
	Q3START4((DI)(R9*1), Y11)
	VPERMQ $0x44, Y6, Y5
	Q3VEC4(32, 0, VPSLLW, 2, 4, selH<>+0(SB))
	Q3VEC4(32, 2, VPSLLW, 1, 36, selH<>+32(SB))
	Q3VEC4(32, 4, VPSRLW, 0, 68, selH<>+64(SB))
	Q3VEC4(32, 6, VPSRLW, 1, 100, selH<>+96(SB))
	VPERMQ $0xee, Y6, Y5
	Q3VEC4(64, 0, VPSRLW, 2, 132, selH<>+0(SB))
	Q3VEC4(64, 2, VPSRLW, 3, 164, selH<>+32(SB))
	Q3VEC4(64, 4, VPSRLW, 4, 196, selH<>+64(SB))
	Q3VEC4(64, 6, VPSRLW, 5, 228, selH<>+96(SB))
	MOVWLZX 108(SI), AX
	VMOVD AX, X5
	VCVTPH2PS X5, X5
	VBROADCASTSS X5, Y5
	Q6FIN((DI), Y8, Y0)
	Q6FIN((DI)(R8*1), Y9, Y1)
	Q6FIN((DI)(R8*2), Y10, Y2)
	Q6FIN((DI)(R9*1), Y11, Y3)
	ADDQ $110, SI
	ADDQ $292, DI
	DECQ CX
	JNZ q3kx42loop

q3kx42done:
	KX4END
