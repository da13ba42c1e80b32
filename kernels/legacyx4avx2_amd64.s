#include "textflag.h"

// AVX2 four-token kernels for Q4_1, Q5_0 and Q5_1: one weight row against
// four activation rows (Q8_1 for Q4_1 and Q5_1, Q8_0 for Q5_0) at
// x + t·xStride bytes. Each weight block is unpacked once and multiplied
// with the four tokens' quants. Every token takes the float steps of the
// AVX2 row kernel (q4_1DotAVX2 and friends): eight int32 lane sums of four
// products per block, converted and fused-multiply-added with the block
// scale d·dx, the min term m·s summed apart, and the same final reduction,
// so the results match the row kernel bit for bit.
//
// Registers in the loops:
//   Y0..Y3   per-token accumulators (eight lanes each)
//   Y4       the block's unsigned weight values
//   Y5, Y6   per-token scratch
//   Y7       scratch for the fifth bits and the weight scales, then
//            the zero VPERMPS index picking token 0's scale
//   Y8       the four tokens' block scales (and, for Q4_1/Q5_1, m·s)
//   Y9..Y11  VPERMPS indexes picking token 1, 2 and 3's scale
//   Y12      0x10 bytes; Y13 0x0f bytes; Y14 0x0001 words
//   Y15      min terms: lane 2t+1 sums m·s of token t (Q4_1/Q5_1)

DATA lx4BitShuf<>+0(SB)/8, $0x0000000000000000
DATA lx4BitShuf<>+8(SB)/8, $0x0101010101010101
DATA lx4BitShuf<>+16(SB)/8, $0x0202020202020202
DATA lx4BitShuf<>+24(SB)/8, $0x0303030303030303
GLOBL lx4BitShuf<>(SB), RODATA|NOPTR, $32

DATA lx4BitSel<>+0(SB)/8, $0x8040201008040201
DATA lx4BitSel<>+8(SB)/8, $0x8040201008040201
DATA lx4BitSel<>+16(SB)/8, $0x8040201008040201
DATA lx4BitSel<>+24(SB)/8, $0x8040201008040201
GLOBL lx4BitSel<>(SB), RODATA|NOPTR, $32

// lx4Idx holds the VPERMPS indexes that broadcast one float of Y8: for
// the Q8_1 kernels token t's scale sits in lane 2t (rows 2, 4, 6 for
// tokens 1..3), for Q5_0 in lane t (rows 1, 2, 3).
DATA lx4Idx<>+0(SB)/8, $0x0000000200000002
DATA lx4Idx<>+8(SB)/8, $0x0000000200000002
DATA lx4Idx<>+16(SB)/8, $0x0000000200000002
DATA lx4Idx<>+24(SB)/8, $0x0000000200000002
DATA lx4Idx<>+32(SB)/8, $0x0000000400000004
DATA lx4Idx<>+40(SB)/8, $0x0000000400000004
DATA lx4Idx<>+48(SB)/8, $0x0000000400000004
DATA lx4Idx<>+56(SB)/8, $0x0000000400000004
DATA lx4Idx<>+64(SB)/8, $0x0000000600000006
DATA lx4Idx<>+72(SB)/8, $0x0000000600000006
DATA lx4Idx<>+80(SB)/8, $0x0000000600000006
DATA lx4Idx<>+88(SB)/8, $0x0000000600000006
DATA lx4Idx<>+96(SB)/8, $0x0000000100000001
DATA lx4Idx<>+104(SB)/8, $0x0000000100000001
DATA lx4Idx<>+112(SB)/8, $0x0000000100000001
DATA lx4Idx<>+120(SB)/8, $0x0000000100000001
DATA lx4Idx<>+128(SB)/8, $0x0000000200000002
DATA lx4Idx<>+136(SB)/8, $0x0000000200000002
DATA lx4Idx<>+144(SB)/8, $0x0000000200000002
DATA lx4Idx<>+152(SB)/8, $0x0000000200000002
DATA lx4Idx<>+160(SB)/8, $0x0000000300000003
DATA lx4Idx<>+168(SB)/8, $0x0000000300000003
DATA lx4Idx<>+176(SB)/8, $0x0000000300000003
DATA lx4Idx<>+184(SB)/8, $0x0000000300000003
GLOBL lx4Idx<>(SB), RODATA|NOPTR, $192

// LX4SETUP loads the arguments (SI weights, DI token 0, R8 the stride,
// R9 three strides, CX blocks), clears the accumulators and loads the
// constants; idx is 0 (Q8_1 scale lanes) or 96 (Q8_0 scale lanes).
#define LX4SETUP(idx) \
	MOVQ w+0(FP), SI \
	MOVQ x+8(FP), DI \
	MOVQ nb+16(FP), CX \
	MOVQ xStride+24(FP), R8 \
	LEAQ (R8)(R8*2), R9 \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	VXORPS Y2, Y2, Y2 \
	VXORPS Y3, Y3, Y3 \
	VXORPS Y15, Y15, Y15 \
	VMOVDQU lx4Idx<>+idx(SB), Y9 \
	VMOVDQU lx4Idx<>+32+idx(SB), Y10 \
	VMOVDQU lx4Idx<>+64+idx(SB), Y11 \
	MOVL $0x10101010, AX \
	VMOVD AX, X12 \
	VPBROADCASTD X12, Y12 \
	MOVL $0x0f0f0f0f, AX \
	VMOVD AX, X13 \
	VPBROADCASTD X13, Y13 \
	MOVL $0x00010001, AX \
	VMOVD AX, X14 \
	VPBROADCASTD X14, Y14

// LX4NIB unpacks the 16 nibble bytes at off(SI) into Y4: low nibbles
// (values 0..15) in the low lane, high nibbles (16..31) in the high lane.
#define LX4NIB(off) \
	VMOVDQU off(SI), X4 \
	VPSRLW $4, X4, X5 \
	VINSERTI128 $1, X5, Y4, Y4 \
	VPAND Y13, Y4, Y4

// LX4HIGH ORs 16 into the values of Y4 whose bit is set in the 32-bit qh
// at off(SI) (bit j belongs to value j).
#define LX4HIGH(off) \
	VPBROADCASTD off(SI), Y7 \
	VPSHUFB lx4BitShuf<>(SB), Y7, Y7 \
	VPAND lx4BitSel<>(SB), Y7, Y7 \
	VPCMPEQB lx4BitSel<>(SB), Y7, Y7 \
	VPAND Y12, Y7, Y7 \
	VPOR Y7, Y4, Y4

// LX4SCALES1 puts [d·d0, m·s0, d·d1, m·s1, ..., m·s3] in Y8 (the weight's
// d and m at (SI), each Q8_1 token's d and s in its first four bytes) and
// adds it to Y15, whose odd lanes so sum the min terms.
#define LX4SCALES1 \
	VMOVD (DI), X8 \
	VPINSRD $1, (DI)(R8*1), X8, X8 \
	VPINSRD $2, (DI)(R8*2), X8, X8 \
	VPINSRD $3, (DI)(R9*1), X8, X8 \
	VCVTPH2PS X8, Y8 \
	VPBROADCASTD (SI), X7 \
	VCVTPH2PS X7, Y7 \
	VMULPS Y7, Y8, Y8 \
	VADDPS Y8, Y15, Y15 \
	VPXOR Y7, Y7, Y7

// LX4SCALES0 puts [d·d0, d·d1, d·d2, d·d3] in the low lanes of Y8 (the
// weight's d at (SI), each Q8_0 token's d in its first two bytes).
#define LX4SCALES0 \
	MOVWLZX (DI), AX \
	VMOVD AX, X8 \
	VPINSRW $1, (DI)(R8*1), X8, X8 \
	VPINSRW $2, (DI)(R8*2), X8, X8 \
	VPINSRW $3, (DI)(R9*1), X8, X8 \
	VCVTPH2PS X8, Y8 \
	VPBROADCASTW (SI), X7 \
	VCVTPH2PS X7, Y7 \
	VMULPS Y7, Y8, Y8 \
	VPXOR Y7, Y7, Y7

// LX4TOK1 adds one token's Q8_1 block (quants at 4+base) times Y4,
// scaled by the token's float of Y8 (the VPERMPS index idx picks it), into acc.
#define LX4TOK1(base, idx, acc) \
	VPMADDUBSW 4 base, Y4, Y5 \
	VPMADDWD Y14, Y5, Y5 \
	VCVTDQ2PS Y5, Y5 \
	VPERMPS Y8, idx, Y6 \
	VFMADD231PS Y6, Y5, acc

// LX4TOK0 adds one token's Q8_0 block (quants at 2+base) times Y4 - 16,
// scaled by the token's float of Y8 (the VPERMPS index idx picks it), into acc.
#define LX4TOK0(base, idx, acc) \
	VPMADDUBSW 2 base, Y4, Y5 \
	VPMADDUBSW 2 base, Y12, Y6 \
	VPSUBW Y6, Y5, Y5 \
	VPMADDWD Y14, Y5, Y5 \
	VCVTDQ2PS Y5, Y5 \
	VPERMPS Y8, idx, Y6 \
	VFMADD231PS Y6, Y5, acc

// LX4FOUR1 and LX4FOUR0 run LX4TOK1 or LX4TOK0 for the four tokens
// (Y7, zeroed by the scales macros, indexes token 0's lane).
#define LX4FOUR1 \
	LX4TOK1((DI), Y7, Y0) \
	LX4TOK1((DI)(R8*1), Y9, Y1) \
	LX4TOK1((DI)(R8*2), Y10, Y2) \
	LX4TOK1((DI)(R9*1), Y11, Y3)

#define LX4FOUR0 \
	LX4TOK0((DI), Y7, Y0) \
	LX4TOK0((DI)(R8*1), Y9, Y1) \
	LX4TOK0((DI)(R8*2), Y10, Y2) \
	LX4TOK0((DI)(R9*1), Y11, Y3)

// LX4END reduces each accumulator as the row kernel does (halves added,
// then two pairwise steps), adds the min terms (the odd lanes of Y15;
// zero for Q5_0) and stores the four results.
#define LX4END \
	VEXTRACTF128 $1, Y0, X4 \
	VADDPS X4, X0, X0 \
	VEXTRACTF128 $1, Y1, X4 \
	VADDPS X4, X1, X1 \
	VEXTRACTF128 $1, Y2, X4 \
	VADDPS X4, X2, X2 \
	VEXTRACTF128 $1, Y3, X4 \
	VADDPS X4, X3, X3 \
	VHADDPS X1, X0, X0 \
	VHADDPS X3, X2, X2 \
	VHADDPS X2, X0, X0 \
	VEXTRACTF128 $1, Y15, X5 \
	VSHUFPS $0xdd, X5, X15, X6 \
	VADDPS X6, X0, X0 \
	MOVQ out+32(FP), AX \
	VMOVUPS X0, (AX) \
	VZEROUPPER \
	RET

// func q4_1X4AVX2(w *byte, x *byte, nb int, xStride int, out *[4]float32)
// w: nb Q4_1 blocks (20 bytes: d, m, qs[16]); x: four rows of Q8_1 blocks
// (36 bytes: d, s = d·Σq, qs[32]).
TEXT ·q4_1X4AVX2(SB), NOSPLIT, $0-40
	LX4SETUP(0)
	TESTQ CX, CX
	JZ q41x4done

q41x4loop:
	LX4NIB(4)
	LX4SCALES1
	LX4FOUR1
	ADDQ $20, SI
	ADDQ $36, DI
	DECQ CX
	JNZ q41x4loop

q41x4done:
	LX4END

// func q5_1X4AVX2(w *byte, x *byte, nb int, xStride int, out *[4]float32)
// w: nb Q5_1 blocks (24 bytes: d, m, qh, qs[16]); x: four rows of Q8_1
// blocks.
TEXT ·q5_1X4AVX2(SB), NOSPLIT, $0-40
	LX4SETUP(0)
	TESTQ CX, CX
	JZ q51x4done

q51x4loop:
	LX4NIB(8)
	LX4HIGH(4)
	LX4SCALES1
	LX4FOUR1
	ADDQ $24, SI
	ADDQ $36, DI
	DECQ CX
	JNZ q51x4loop

q51x4done:
	LX4END

// func q5_0X4AVX2(w *byte, x *byte, nb int, xStride int, out *[4]float32)
// w: nb Q5_0 blocks (22 bytes: d, qh, qs[16]); x: four rows of Q8_0
// blocks (34 bytes: d, qs[32]). The values are used unsigned (q+16) and
// 16·x is subtracted in the int16 pair sums, as in the row kernel; Y15
// stays zero.
TEXT ·q5_0X4AVX2(SB), NOSPLIT, $0-40
	LX4SETUP(96)
	TESTQ CX, CX
	JZ q50x4done

q50x4loop:
	LX4NIB(6)
	LX4HIGH(2)
	LX4SCALES0
	LX4FOUR0
	ADDQ $22, SI
	ADDQ $34, DI
	DECQ CX
	JNZ q50x4loop

q50x4done:
	LX4END
