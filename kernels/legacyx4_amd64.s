#include "textflag.h"
#include "macros_amd64.h"

// Four-token kernels for Q4_1, Q5_0 and Q5_1: one weight row against four
// activation rows xStride bytes apart. Each pair of weight blocks is
// unpacked once into one 512-bit vector and multiplied with the matching
// two activation blocks of every token. Per token, the float steps are the
// ones of the single-row kernels in kquant_amd64.s, in the same order, so
// the results agree with them bit for bit.

// Lane-to-block map for VPERMPS: lanes 0..7 take element 0 of the scale
// vector, lanes 8..15 element 1 (x4Blk1) or 2 (x4Blk2).
DATA x4Blk1<>+0(SB)/8, $0x0000000000000000
DATA x4Blk1<>+8(SB)/8, $0x0000000000000000
DATA x4Blk1<>+16(SB)/8, $0x0000000000000000
DATA x4Blk1<>+24(SB)/8, $0x0000000000000000
DATA x4Blk1<>+32(SB)/8, $0x0000000100000001
DATA x4Blk1<>+40(SB)/8, $0x0000000100000001
DATA x4Blk1<>+48(SB)/8, $0x0000000100000001
DATA x4Blk1<>+56(SB)/8, $0x0000000100000001
GLOBL x4Blk1<>(SB), RODATA|NOPTR, $64

DATA x4Blk2<>+0(SB)/8, $0x0000000000000000
DATA x4Blk2<>+8(SB)/8, $0x0000000000000000
DATA x4Blk2<>+16(SB)/8, $0x0000000000000000
DATA x4Blk2<>+24(SB)/8, $0x0000000000000000
DATA x4Blk2<>+32(SB)/8, $0x0000000200000002
DATA x4Blk2<>+40(SB)/8, $0x0000000200000002
DATA x4Blk2<>+48(SB)/8, $0x0000000200000002
DATA x4Blk2<>+56(SB)/8, $0x0000000200000002
GLOBL x4Blk2<>(SB), RODATA|NOPTR, $64

// X4XQ loads the quants of two activation blocks of one token (at
// o0 base and o1 base) into Z4 and their dot with the weights into Z2.
#define X4XQ(base, o0, o1) \
	VMOVDQU o0 base, Y4 \
	VINSERTI64X4 $1, o1 base, Z4, Z4 \
	VPXORD Z2, Z2, Z2 \
	VPDPBUSD Z4, Z3, Z2

// X4MIN finishes one token for the formats with a min: X8 holds the
// weights' [d, m, d', m'] as floats; the token's Q8_1 blocks give
// [dx, s, dx', s'] at base and 36 base. acc += d·dx per lane, ms gathers
// m·s in lanes 1 and 3.
#define X4MIN(base, acc, ms) \
	VMOVD base, X9 \
	VPINSRD $1, 36 base, X9, X9 \
	VCVTPH2PS X9, X9 \
	VMULPS X9, X8, X9 \
	VADDPS X9, ms, ms \
	VPERMPS Z9, Z14, Z9 \
	VCVTDQ2PS Z2, Z2 \
	VFMADD231PS Z9, Z2, acc

// X4Q50 finishes one Q5_0 token: the unsigned values (q+16) overcount by
// 16·Σx, taken off per lane; X8 holds the weights' [d, d'] as floats and
// the token's Q8_0 scales are at base and 34 base.
#define X4Q50(base, acc) \
	VPXORD Z5, Z5, Z5 \
	VPDPBUSD Z4, Z12, Z5 \
	VPSUBD Z5, Z2, Z2 \
	VMOVD base, X9 \
	VPINSRW $1, 34 base, X9, X9 \
	VCVTPH2PS X9, X9 \
	VMULPS X9, X8, X9 \
	VPERMPS Z9, Z14, Z9 \
	VCVTDQ2PS Z2, Z2 \
	VFMADD231PS Z9, Z2, acc

// X4SETUP loads the arguments (R9 = 3·xStride) and clears the
// accumulators: Z0, Z10, Z16, Z17 per token, and X15, X6, X7, X11 for
// the m·s terms.
#define X4SETUP \
	MOVQ w+0(FP), SI \
	MOVQ x+8(FP), DI \
	MOVQ npairs+16(FP), CX \
	MOVQ xStride+24(FP), R8 \
	LEAQ (R8)(R8*2), R9 \
	ZEROX4 \
	VXORPS X15, X15, X15 \
	VXORPS X6, X6, X6 \
	VXORPS X7, X7, X7 \
	VXORPS X11, X11, X11 \
	PAIRCONSTS

// X4END stores the four sums in out.
#define X4END \
	MOVQ out+32(FP), AX \
	PAIRSUM((AX)) \
	VMOVAPS Z10, Z0 \
	VMOVAPS X6, X15 \
	PAIRSUM(4(AX)) \
	VMOVAPS Z16, Z0 \
	VMOVAPS X7, X15 \
	PAIRSUM(8(AX)) \
	VMOVAPS Z17, Z0 \
	VMOVAPS X11, X15 \
	PAIRSUM(12(AX)) \
	VZEROUPPER \
	RET

// X4DM loads the weights' d, m of blocks i and i+1 (at 0(SI) and ws(SI))
// into X8 as floats.
#define X4DM(ws) \
	VMOVD (SI), X8 \
	VPINSRD $1, ws(SI), X8, X8 \
	VCVTPH2PS X8, X8

// func q4_1PairsX4AVX512(w *byte, x *byte, npairs int, xStride int, out *[4]float32)
// w: 2·npairs Q4_1 blocks (20 bytes: d, m, qs[16]); x: four tokens of
// Q8_1 blocks (36 bytes: d, s = d·Σq, qs[32]) at x + t·xStride.
TEXT ·q4_1PairsX4AVX512(SB), NOSPLIT, $0-40
	X4SETUP
	VMOVDQU32 x4Blk2<>(SB), Z14
	TESTQ CX, CX
	JZ q41x4done

q41x4loop:
	NIBPAIR(4, 24)
	X4DM(20)
	X4XQ((DI), 4, 40)
	X4MIN((DI), Z0, X15)
	X4XQ((DI)(R8*1), 4, 40)
	X4MIN((DI)(R8*1), Z10, X6)
	X4XQ((DI)(R8*2), 4, 40)
	X4MIN((DI)(R8*2), Z16, X7)
	X4XQ((DI)(R9*1), 4, 40)
	X4MIN((DI)(R9*1), Z17, X11)
	ADDQ $40, SI
	ADDQ $72, DI
	DECQ CX
	JNZ q41x4loop

q41x4done:
	X4END

// func q5_1PairsX4AVX512(w *byte, x *byte, npairs int, xStride int, out *[4]float32)
// w: 2·npairs Q5_1 blocks (24 bytes: d, m, qh, qs[16]); x: four tokens of
// Q8_1 blocks.
TEXT ·q5_1PairsX4AVX512(SB), NOSPLIT, $0-40
	X4SETUP
	VMOVDQU32 x4Blk2<>(SB), Z14
	TESTQ CX, CX
	JZ q51x4done

q51x4loop:
	NIBPAIR(8, 32)
	HIGHPAIR(4, 28)
	X4DM(24)
	X4XQ((DI), 4, 40)
	X4MIN((DI), Z0, X15)
	X4XQ((DI)(R8*1), 4, 40)
	X4MIN((DI)(R8*1), Z10, X6)
	X4XQ((DI)(R8*2), 4, 40)
	X4MIN((DI)(R8*2), Z16, X7)
	X4XQ((DI)(R9*1), 4, 40)
	X4MIN((DI)(R9*1), Z17, X11)
	ADDQ $48, SI
	ADDQ $72, DI
	DECQ CX
	JNZ q51x4loop

q51x4done:
	X4END

// func q5_0PairsX4AVX512(w *byte, x *byte, npairs int, xStride int, out *[4]float32)
// w: 2·npairs Q5_0 blocks (22 bytes: d, qh, qs[16]); x: four tokens of
// Q8_0 blocks (34 bytes: d, qs[32]).
TEXT ·q5_0PairsX4AVX512(SB), NOSPLIT, $0-40
	X4SETUP
	VMOVDQU32 x4Blk1<>(SB), Z14
	TESTQ CX, CX
	JZ q50x4done

q50x4loop:
	NIBPAIR(6, 28)
	HIGHPAIR(2, 24)
	VMOVD (SI), X8
	VPINSRW $1, 22(SI), X8, X8
	VCVTPH2PS X8, X8
	X4XQ((DI), 2, 36)
	X4Q50((DI), Z0)
	X4XQ((DI)(R8*1), 2, 36)
	X4Q50((DI)(R8*1), Z10)
	X4XQ((DI)(R8*2), 2, 36)
	X4Q50((DI)(R8*2), Z16)
	X4XQ((DI)(R9*1), 2, 36)
	X4Q50((DI)(R9*1), Z17)
	ADDQ $44, SI
	ADDQ $68, DI
	DECQ CX
	JNZ q50x4loop

q50x4done:
	X4END
