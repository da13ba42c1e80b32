#include "textflag.h"
#include "macros_amd64.h"

// Register-tiled float kernels for prefill: four weight rows times four
// tokens, so that each weight and activation vector loaded serves sixteen
// multiply-adds (the one-row kernels get four). Z8 + 4r + t accumulates row
// r · token t. Registers: SI weights (rows R8 bytes apart, R10 = 3·R8), DI
// tokens (R9 bytes apart, R11 = 3·R9), CX columns left.

// Load the arguments and clear the sixteen accumulators.
#define TILEPROLOG \
	MOVQ w+0(FP), SI \
	MOVQ wStride+8(FP), R8 \
	MOVQ x+16(FP), DI \
	MOVQ xStride+24(FP), R9 \
	MOVQ n+32(FP), CX \
	LEAQ (R8)(R8*2), R10 \
	LEAQ (R9)(R9*2), R11 \
	VPXORD Z8, Z8, Z8 \
	VPXORD Z9, Z9, Z9 \
	VPXORD Z10, Z10, Z10 \
	VPXORD Z11, Z11, Z11 \
	VPXORD Z12, Z12, Z12 \
	VPXORD Z13, Z13, Z13 \
	VPXORD Z14, Z14, Z14 \
	VPXORD Z15, Z15, Z15 \
	VPXORD Z16, Z16, Z16 \
	VPXORD Z17, Z17, Z17 \
	VPXORD Z18, Z18, Z18 \
	VPXORD Z19, Z19, Z19 \
	VPXORD Z20, Z20, Z20 \
	VPXORD Z21, Z21, Z21 \
	VPXORD Z22, Z22, Z22 \
	VPXORD Z23, Z23, Z23

// With the four weight rows widened into Z0..Z3: load 16 columns of each
// token into Z4..Z7 and add the sixteen products.
#define TILEFMA \
	VMOVUPS (DI), Z4 \
	VMOVUPS (DI)(R9*1), Z5 \
	VMOVUPS (DI)(R9*2), Z6 \
	VMOVUPS (DI)(R11*1), Z7 \
	VFMADD231PS Z4, Z0, Z8 \
	VFMADD231PS Z5, Z0, Z9 \
	VFMADD231PS Z6, Z0, Z10 \
	VFMADD231PS Z7, Z0, Z11 \
	VFMADD231PS Z4, Z1, Z12 \
	VFMADD231PS Z5, Z1, Z13 \
	VFMADD231PS Z6, Z1, Z14 \
	VFMADD231PS Z7, Z1, Z15 \
	VFMADD231PS Z4, Z2, Z16 \
	VFMADD231PS Z5, Z2, Z17 \
	VFMADD231PS Z6, Z2, Z18 \
	VFMADD231PS Z7, Z2, Z19 \
	VFMADD231PS Z4, Z3, Z20 \
	VFMADD231PS Z5, Z3, Z21 \
	VFMADD231PS Z6, Z3, Z22 \
	VFMADD231PS Z7, Z3, Z23 \
	ADDQ $64, DI

// TILEPF asks for the same columns of the next four rows (the next tile's,
// where the rows lie together). The kernels run a loop with it when their pf
// argument is not zero, which the caller sets for a tile's first group of
// four tokens: that pass reads the rows from memory, and four streams of
// arithmetic-heavy loads leave the hardware prefetcher behind. A 4-token F16
// Llama-3.2-1B step (a server decoding four sequences) took 86-134 ms
// without it and 63-75 with it in alternating runs (BF16: 64-69 and 55-64).
// Later groups meet the rows in cache, and prefetching there made prefill
// 15-18% slower.
#define TILEPF \
	LEAQ (SI)(R8*4), R12 \
	PREFETCHT0 (R12) \
	PREFETCHT0 (R12)(R8*1) \
	PREFETCHT0 (R12)(R8*2) \
	PREFETCHT0 (R12)(R10*1)

// TILESUM reduces the 16 floats of zr (low half yr) into dst.
#define TILESUM(zr, yr, dst) \
	VEXTRACTF64X4 $1, zr, Y0 \
	VADDPS Y0, yr, Y0 \
	HSUM256 \
	VMOVSS X0, dst

// Store the 16 sums: out[t·oStride + 4r] for row r, token t.
#define TILESTORE \
	MOVQ out+40(FP), AX \
	MOVQ oStride+48(FP), DX \
	TILESUM(Z8, Y8, 0(AX)) \
	TILESUM(Z12, Y12, 4(AX)) \
	TILESUM(Z16, Y16, 8(AX)) \
	TILESUM(Z20, Y20, 12(AX)) \
	ADDQ DX, AX \
	TILESUM(Z9, Y9, 0(AX)) \
	TILESUM(Z13, Y13, 4(AX)) \
	TILESUM(Z17, Y17, 8(AX)) \
	TILESUM(Z21, Y21, 12(AX)) \
	ADDQ DX, AX \
	TILESUM(Z10, Y10, 0(AX)) \
	TILESUM(Z14, Y14, 4(AX)) \
	TILESUM(Z18, Y18, 8(AX)) \
	TILESUM(Z22, Y22, 12(AX)) \
	ADDQ DX, AX \
	TILESUM(Z11, Y11, 0(AX)) \
	TILESUM(Z15, Y15, 4(AX)) \
	TILESUM(Z19, Y19, 8(AX)) \
	TILESUM(Z23, Y23, 12(AX)) \
	ADDQ DX, AX

// TILELOOPS(STEP) runs STEP (16 or 32 columns of the four rows, setting the
// flags from the columns left) until the columns are done, with TILEPF
// before each step when the pf argument is not zero, then stores the sums.
#define TILELOOPS(STEP) \
	TESTQ CX, CX \
	JZ tl_done \
	CMPQ pf+56(FP), $0 \
	JNE tl_pfloop \
tl_loop: \
	STEP \
	JNZ tl_loop \
	JMP tl_done \
tl_pfloop: \
	TILEPF \
	STEP \
	JNZ tl_pfloop \
tl_done: \
	TILESTORE \
	VZEROUPPER \
	RET

// The steps of the four kernels: widen (or load) 16 columns of the four
// rows into Z0..Z3 and multiply them with the tokens (TILEFMA); the
// VDPBF16PS kernel takes 32 columns of BF16 rows and tokens at once.
#define F16STEP \
	VCVTPH2PS (SI), Z0 \
	VCVTPH2PS (SI)(R8*1), Z1 \
	VCVTPH2PS (SI)(R8*2), Z2 \
	VCVTPH2PS (SI)(R10*1), Z3 \
	TILEFMA \
	ADDQ $32, SI \
	SUBQ $16, CX

#define BF16STEP \
	VPMOVZXWD (SI), Z0 \
	VPSLLD $16, Z0, Z0 \
	VPMOVZXWD (SI)(R8*1), Z1 \
	VPSLLD $16, Z1, Z1 \
	VPMOVZXWD (SI)(R8*2), Z2 \
	VPSLLD $16, Z2, Z2 \
	VPMOVZXWD (SI)(R10*1), Z3 \
	VPSLLD $16, Z3, Z3 \
	TILEFMA \
	ADDQ $32, SI \
	SUBQ $16, CX

#define BF16DPSTEP \
	VMOVDQU64 (SI), Z0 \
	VMOVDQU64 (SI)(R8*1), Z1 \
	VMOVDQU64 (SI)(R8*2), Z2 \
	VMOVDQU64 (SI)(R10*1), Z3 \
	VMOVDQU64 (DI), Z4 \
	VMOVDQU64 (DI)(R9*1), Z5 \
	VMOVDQU64 (DI)(R9*2), Z6 \
	VMOVDQU64 (DI)(R11*1), Z7 \
	DPBF16(4, 0, 8) \
	DPBF16(5, 0, 9) \
	DPBF16(6, 0, 10) \
	DPBF16(7, 0, 11) \
	DPBF16(4, 1, 12) \
	DPBF16(5, 1, 13) \
	DPBF16(6, 1, 14) \
	DPBF16(7, 1, 15) \
	DPBF16(4, 2, 16) \
	DPBF16(5, 2, 17) \
	DPBF16(6, 2, 18) \
	DPBF16(7, 2, 19) \
	DPBF16(4, 3, 20) \
	DPBF16(5, 3, 21) \
	DPBF16(6, 3, 22) \
	DPBF16(7, 3, 23) \
	ADDQ $64, SI \
	ADDQ $64, DI \
	SUBQ $32, CX

#define F32STEP \
	VMOVUPS (SI), Z0 \
	VMOVUPS (SI)(R8*1), Z1 \
	VMOVUPS (SI)(R8*2), Z2 \
	VMOVUPS (SI)(R10*1), Z3 \
	TILEFMA \
	ADDQ $64, SI \
	SUBQ $16, CX

// func f16Tile4x4AVX512(w *byte, wStride int, x *float32, xStride int, n int, out *float32, oStride int, pf int)
// Four F16 weight rows (wStride bytes apart) times four float32 tokens
// (xStride bytes apart) over n columns, a multiple of 16.
TEXT ·f16Tile4x4AVX512(SB), NOSPLIT, $0-64
	TILEPROLOG
	TILELOOPS(F16STEP)

// func bf16Tile4x4AVX512(w *byte, wStride int, x *float32, xStride int, n int, out *float32, oStride int, pf int)
// As f16Tile4x4AVX512 for BF16 rows: a BF16 value is the top half of its
// float32, so widening is a zero extension and a shift.
TEXT ·bf16Tile4x4AVX512(SB), NOSPLIT, $0-64
	TILEPROLOG
	TILELOOPS(BF16STEP)

// func bf16Tile4x4BF16AVX512(w *byte, wStride int, x *uint16, xStride int, n int, out *float32, oStride int, pf int)
// Four BF16 weight rows times four tokens of bfloat16 activations over n
// columns (a multiple of 32) by VDPBF16PS, each instruction 32
// multiply-adds: Z0..Z3 hold 32 values of each row, Z4..Z7 of each token.
TEXT ·bf16Tile4x4BF16AVX512(SB), NOSPLIT, $0-64
	TILEPROLOG
	TILELOOPS(BF16DPSTEP)

// func f32Tile4x4AVX512(w *byte, wStride int, x *float32, xStride int, n int, out *float32, oStride int, pf int)
// As f16Tile4x4AVX512 for F32 rows.
TEXT ·f32Tile4x4AVX512(SB), NOSPLIT, $0-64
	TILEPROLOG
	TILELOOPS(F32STEP)
