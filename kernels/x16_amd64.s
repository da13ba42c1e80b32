#include "textflag.h"
#include "macros_amd64.h"

// Kernels for the x16 layout (see x16.go). Registers shared by all:
//   SI  weight quants of the current row, AX its fp16 block scales (which
//       come first in the row, so that a row streams in order)
//   DI  activation quants, R8 corrections, R9 activation scales (token 0)
//   CX  super groups left in the row, BX rows left, DX output

// Unpack part m of a Q4_0 super group (64 bytes at off(SI)) into the low
// nibbles lo (vector 2m) and high nibbles hi (vector 2m+1). Z13 = 0x0f bytes.
#define Q4UNPACK(off, lo, hi) Q4UNPACKAT(off(SI), lo, hi)

// Q4UNPACKAT is Q4UNPACK for the 64 bytes at mem.
#define Q4UNPACKAT(mem, lo, hi) \
	VMOVDQU64 mem, lo \
	VPSRLW $4, lo, hi \
	VPANDD Z13, lo, lo \
	VPANDD Z13, hi, hi

// Unpack a Q4 super group's quants at SI part by part and add their dot
// products with token 0's activations at DI into Z20 (even vectors) and Z21
// (odd vectors); Z1..Z8 keep the unpacked quants.
#define Q4DOTS \
	Q4UNPACK(0, Z1, Z2) \
	VPDPBUSD (DI), Z1, Z20 \
	VPDPBUSD 64(DI), Z2, Z21 \
	Q4UNPACK(64, Z3, Z4) \
	VPDPBUSD 128(DI), Z3, Z20 \
	VPDPBUSD 192(DI), Z4, Z21 \
	Q4UNPACK(128, Z5, Z6) \
	VPDPBUSD 256(DI), Z5, Z20 \
	VPDPBUSD 320(DI), Z6, Z21 \
	Q4UNPACK(192, Z7, Z8) \
	VPDPBUSD 384(DI), Z7, Z20 \
	VPDPBUSD 448(DI), Z8, Z21

// Finish one token's super group: Z20/Z21 hold the two halves of the integer
// block sums, Z9 the 16 weight scales; acc += sums · scales · d.
#define X16FINISH(dmem, acc) X16FIN(Z20, Z21, dmem, Z9, Z22, acc)

// X16FIN is X16FINISH for sums in lo/hi, activation scales d, weight scales
// sc and scratch tmp.
#define X16FIN(lo, hi, d, sc, tmp, acc) \
	VPADDD hi, lo, lo \
	VCVTDQ2PS lo, lo \
	VMULPS d, sc, tmp \
	VFMADD231PS tmp, lo, acc

// One token of a super group against the eight unpacked weight vectors
// Z1..Z8, activations at base (quants), cbase (corrections), dbase (scales).
#define X16TOK(base, cbase, dbase, acc) \
	VMOVDQU32 cbase, Z20 \
	VPXORD Z21, Z21, Z21 \
	DOT8(0 base, 64 base, 128 base, 192 base, 256 base, 320 base, 384 base, 448 base) \
	X16FINISH(dbase, acc)

// DOT8 adds the dot products of the eight unpacked weight vectors Z1..Z8
// with the activation vectors a0..a7 (memory or registers) into Z20 (even
// vectors) and Z21 (odd).
#define DOT8(a0, a1, a2, a3, a4, a5, a6, a7) \
	VPDPBUSD a0, Z1, Z20 \
	VPDPBUSD a1, Z2, Z21 \
	VPDPBUSD a2, Z3, Z20 \
	VPDPBUSD a3, Z4, Z21 \
	VPDPBUSD a4, Z5, Z20 \
	VPDPBUSD a5, Z6, Z21 \
	VPDPBUSD a6, Z7, Z20 \
	VPDPBUSD a7, Z8, Z21

// Four-token kernels. Token t's activations are at DI + t·R11 (quants),
// R8 + t·R12 (corrections) and R9 + t·R12 (scales); R10 = 3·R11,
// R13 = 3·R12. Output for token t, row r is at out + t·ostride + 4r.
#define X4TOKENS \
	X16TOK((DI), (R8), (R9), Z24) \
	X16TOK((DI)(R11*1), (R8)(R12*1), (R9)(R12*1), Z25) \
	X16TOK((DI)(R11*2), (R8)(R12*2), (R9)(R12*2), Z26) \
	X16TOK((DI)(R10*1), (R8)(R13*1), (R9)(R13*1), Z27)

#define X4PROLOG \
	MOVQ w+0(FP), SI \
	MOVQ nrows+8(FP), BX \
	MOVQ qsStride+48(FP), R11 \
	MOVQ aStride+56(FP), R12 \
	LEAQ (R11)(R11*2), R10 \
	LEAQ (R12)(R12*2), R13 \
	MOVQ out+64(FP), DX

#define X4ROWSTART \
	MOVQ qs+24(FP), DI \
	MOVQ corr+32(FP), R8 \
	MOVQ d+40(FP), R9 \
	MOVQ nsg+16(FP), CX \
	VPXORD Z24, Z24, Z24 \
	VPXORD Z25, Z25, Z25 \
	VPXORD Z26, Z26, Z26 \
	VPXORD Z27, Z27, Z27

#define X4ROWEND \
	MOVQ ostride+72(FP), R14 \
	HSUMTO(Z24, Y24, X24, (DX)) \
	HSUMTO(Z25, Y25, X25, (DX)(R14*1)) \
	HSUMTO(Z26, Y26, X26, (DX)(R14*2)) \
	LEAQ (R14)(R14*2), R14 \
	HSUMTO(Z27, Y27, X27, (DX)(R14*1)) \
	ADDQ $4, DX

// Two-row kernels for decode. A thread that streams one run of rows keeps
// one memory stream going, and on a single token the hardware prefetcher
// does not run far enough ahead of it to fill the memory bandwidth. These
// kernels take two runs of nrows rows far apart (rows wA… and wB…) and
// alternate super groups between them, so each thread keeps two streams in
// flight; on the Llama-3.2-1B decode step that streams 5–16% more bytes per
// second than one run (Q4_0, Q8_0, Q4_K). Each row's sums are those of the
// one-row kernel, in the same order.
//
// PAIRROWS(PAIR, qb, hb, cstep) is the body of such a kernel for a type
// whose super group is hb header (or scale) bytes at the row's start and qb
// quant bytes after them, and whose activations advance by cstep bytes of R8
// per super group. PAIR is the pair's one-super-group macro: it adds row A's
// super group (quants at SI, header at AX) into Z0 and row B's (R10, R13)
// into Z31, against token 0's activations at DI, R8 and R9. Registers: DX
// is row A's output, R15 the distance to row B's; PAIR leaves R10, R11,
// R13, R14 and R15 as it found them. The arguments are (wA, wB *byte, nrows, nsg int, qs
// *byte, corr *int32, d *float32, outA, outB *float32), with Q6_K's offset
// terms in the place of corr.
//
// A pair macro that loads each activation vector once into Z23..Z30 and
// multiplies it with both rows streams faster than two one-row macros in
// turn: besides the arithmetic, every load instruction takes a slot that
// the weight stream's misses need, and with the activations read once per
// pair the Llama-3.2-1B decode step streamed 3–6% more bytes per second
// for Q4_0 and Q4_K (Q8_0, with half the loads per weight byte to begin
// with, streamed about the same). Q4_0, Q8_0 and Q4_K have such macros;
// Q5_K and Q6_K run their one-row macros in turn (XCHGPAIR), since the
// same sharing measured no faster for them.
#define PAIRROWS(PAIR, qb, hb, cstep) \
	MOVQ wA+0(FP), SI \
	MOVQ wB+8(FP), R10 \
	MOVQ nrows+16(FP), BX \
	MOVQ nsg+24(FP), R12 \
	MOVQ outA+56(FP), DX \
	MOVQ outB+64(FP), R15 \
	SUBQ DX, R15 \
	IMUL3Q $hb, R12, R14 \
	TESTQ BX, BX \
	JZ pair_done \
pair_row: \
	MOVQ qs+32(FP), DI \
	MOVQ corr+40(FP), R8 \
	MOVQ d+48(FP), R9 \
	MOVQ SI, AX \
	ADDQ R14, SI \
	MOVQ R10, R13 \
	ADDQ R14, R10 \
	XORQ R11, R11 \
pair_pf: \
	PREFETCHT0 (AX)(R11*1) \
	PREFETCHT0 (R13)(R11*1) \
	ADDQ $64, R11 \
	CMPQ R11, R14 \
	JLT pair_pf \
	MOVQ R12, CX \
	VPXORD Z0, Z0, Z0 \
	VPXORD Z31, Z31, Z31 \
pair_sg: \
	PAIR \
	ADDQ $qb, SI \
	ADDQ $qb, R10 \
	ADDQ $hb, AX \
	ADDQ $hb, R13 \
	ADDQ $512, DI \
	ADDQ $cstep, R8 \
	ADDQ $64, R9 \
	DECQ CX \
	JNZ pair_sg \
	HSUMTO(Z0, Y0, X0, (DX)) \
	HSUMTO(Z31, Y31, X31, (DX)(R15*1)) \
	ADDQ $4, DX \
	DECQ BX \
	JNZ pair_row \
pair_done: \
	VZEROUPPER \
	RET

// XCHGPAIR(SG) is the pair macro of a type whose one-row macro SG keeps
// its activations in memory: row A's super group, then row B's.
#define XCHGPAIR(SG) \
	SG(Z0) \
	XCHGQ SI, R10 \
	XCHGQ AX, R13 \
	SG(Z31) \
	XCHGQ SI, R10 \
	XCHGQ AX, R13

// PAIRACT loads token 0's 512 activation quants of a super group (at DI)
// into Z23..Z30, for a pair macro to use with both rows.
#define PAIRACT \
	VMOVDQU64 (DI), Z23 \
	VMOVDQU64 64(DI), Z24 \
	VMOVDQU64 128(DI), Z25 \
	VMOVDQU64 192(DI), Z26 \
	VMOVDQU64 256(DI), Z27 \
	VMOVDQU64 320(DI), Z28 \
	VMOVDQU64 384(DI), Z29 \
	VMOVDQU64 448(DI), Z30

// Part m of a Q4 super group (64 quant bytes at off) of rows A (SI) and B
// (R10) against activation vectors a0 (low nibbles) and a1 (high), into
// row A's sums sa0/sa1 and row B's sb0/sb1. Z13 = 0x0f bytes; Z1..Z4 are
// clobbered.
#define Q4PAIRPART(off, a0, a1, sa0, sa1, sb0, sb1) \
	Q4UNPACKAT(off(SI), Z1, Z2) \
	VPDPBUSD a0, Z1, sa0 \
	VPDPBUSD a1, Z2, sa1 \
	Q4UNPACKAT(off(R10), Z3, Z4) \
	VPDPBUSD a0, Z3, sb0 \
	VPDPBUSD a1, Z4, sb1

// Q4PAIRDOTS adds a Q4 super group's dot products of rows A and B with the
// activations in Z23..Z30 into sa0/sa1 and sb0/sb1.
#define Q4PAIRDOTS(sa0, sa1, sb0, sb1) \
	Q4PAIRPART(0, Z23, Z24, sa0, sa1, sb0, sb1) \
	Q4PAIRPART(64, Z25, Z26, sa0, sa1, sb0, sb1) \
	Q4PAIRPART(128, Z27, Z28, sa0, sa1, sb0, sb1) \
	Q4PAIRPART(192, Z29, Z30, sa0, sa1, sb0, sb1)

// Q8PAIRPART is Q4PAIRPART for Q8_0's 128 quant bytes at off, into Z20/Z21
// (row A) and Z10/Z11 (row B).
#define Q8PAIRPART(off, a0, a1) \
	VMOVDQU64 off(SI), Z1 \
	VMOVDQU64 off+64(SI), Z2 \
	VPDPBUSD a0, Z1, Z20 \
	VPDPBUSD a1, Z2, Z21 \
	VMOVDQU64 off(R10), Z3 \
	VMOVDQU64 off+64(R10), Z4 \
	VPDPBUSD a0, Z3, Z10 \
	VPDPBUSD a1, Z4, Z11

// Start the integer sums of a Q4_0 or Q8_0 pair from the block corrections
// and load both rows' 16 block scales: row A's in Z20/Z21 and Z9, row B's in
// Z10/Z11 and Z12.
#define X16PAIRSTART \
	VMOVDQU32 (R8), Z20 \
	VMOVDQA32 Z20, Z10 \
	VPXORD Z21, Z21, Z21 \
	VPXORD Z11, Z11, Z11 \
	VCVTPH2PS (AX), Z9 \
	VCVTPH2PS (R13), Z12

// Finish a Q4_0 or Q8_0 pair as X16FINISH finishes each row (Z15, Z22 and
// Z14 clobbered).
#define X16PAIRFINISH \
	VMOVUPS (R9), Z15 \
	X16FIN(Z20, Z21, Z15, Z9, Z22, Z0) \
	X16FIN(Z10, Z11, Z15, Z12, Z14, Z31)

#define Q4PAIR \
	PAIRACT \
	X16PAIRSTART \
	Q4PAIRDOTS(Z20, Z21, Z10, Z11) \
	X16PAIRFINISH

#define Q8PAIR \
	PAIRACT \
	X16PAIRSTART \
	Q8PAIRPART(0, Z23, Z24) \
	Q8PAIRPART(128, Z25, Z26) \
	Q8PAIRPART(256, Z27, Z28) \
	Q8PAIRPART(384, Z29, Z30) \
	X16PAIRFINISH

// Two-row, four-token kernels for prefill. The four-token kernels above
// unpack a row's super group once for four tokens but load every activation
// vector once per row, so they issue more loads than multiply-adds. These
// take two adjacent rows (row B is R15 bytes after row A) against the same
// four tokens: each activation vector is loaded once into Z5/Z6 and
// multiplied with both rows' weights, so there are half as many activation
// loads per multiply-add. Registers: Z1/Z2 row A's low and high quants,
// Z3/Z4 row B's; Z16..Z19 row A's integer sums for tokens 0..3, Z20..Z23
// row B's (Q4_0 and Q8_0 keep the high-nibble or second-half sums apart,
// in Z0, Z7..Z9 and Z10..Z12, Z14, for shorter dependency chains);
// Z24..Z27 and Z28..Z31 the rows' float sums. Each row gets the integer
// sums of the one-row kernels and then the same float operations in the
// same order, so the outputs are the same bit for bit.

// P2INIT starts the integer sums of both rows: the low-nibble (or first
// half) sums from the four tokens' corrections, the others from zero.
#define P2INIT \
	VMOVDQU32 (R8), Z16 \
	VMOVDQA32 Z16, Z20 \
	VMOVDQU32 (R8)(R12*1), Z17 \
	VMOVDQA32 Z17, Z21 \
	VMOVDQU32 (R8)(R12*2), Z18 \
	VMOVDQA32 Z18, Z22 \
	VMOVDQU32 (R8)(R13*1), Z19 \
	VMOVDQA32 Z19, Z23 \
	VPXORD Z0, Z0, Z0 \
	VPXORD Z7, Z7, Z7 \
	VPXORD Z8, Z8, Z8 \
	VPXORD Z9, Z9, Z9 \
	VPXORD Z10, Z10, Z10 \
	VPXORD Z11, Z11, Z11 \
	VPXORD Z12, Z12, Z12 \
	VPXORD Z14, Z14, Z14

// P2DOT multiplies one token's activation vectors alo and ahi with both
// rows' weights (Z1/Z2 and Z3/Z4) into the rows' sums: alo into loA and
// loB, ahi into hiA and hiB.
#define P2DOT(alo, ahi, loA, loB, hiA, hiB) \
	VMOVDQU64 alo, Z5 \
	VPDPBUSD Z5, Z1, loA \
	VPDPBUSD Z5, Z3, loB \
	VMOVDQU64 ahi, Z6 \
	VPDPBUSD Z6, Z2, hiA \
	VPDPBUSD Z6, Z4, hiB

// P2TOKENS is P2DOT for the four tokens' activations at lo and lo+64
// bytes into their super group.
#define P2TOKENS(lo) \
	P2DOT(lo(DI), lo+64(DI), Z16, Z20, Z0, Z10) \
	P2DOT(lo(DI)(R11*1), lo+64(DI)(R11*1), Z17, Z21, Z7, Z11) \
	P2DOT(lo(DI)(R11*2), lo+64(DI)(R11*2), Z18, Z22, Z8, Z12) \
	P2DOT(lo(DI)(R10*1), lo+64(DI)(R10*1), Z19, Z23, Z9, Z14)

// P2FIN finishes one token's super group for both rows as X16FIN does,
// with the token's activation scales at dmem and the rows' weight scales
// in Z1 and Z2.
#define P2FIN(dmem, loA, hiA, loB, hiB, facA, facB) \
	VPADDD hiA, loA, loA \
	VPADDD hiB, loB, loB \
	VMOVUPS dmem, Z3 \
	VCVTDQ2PS loA, loA \
	VMULPS Z3, Z1, Z4 \
	VFMADD231PS Z4, loA, facA \
	VCVTDQ2PS loB, loB \
	VMULPS Z3, Z2, Z5 \
	VFMADD231PS Z5, loB, facB

#define P2FINISH \
	VCVTPH2PS (AX), Z1 \
	VCVTPH2PS (AX)(R15*1), Z2 \
	P2FIN((R9), Z16, Z0, Z20, Z10, Z24, Z28) \
	P2FIN((R9)(R12*1), Z17, Z7, Z21, Z11, Z25, Z29) \
	P2FIN((R9)(R12*2), Z18, Z8, Z22, Z12, Z26, Z30) \
	P2FIN((R9)(R13*1), Z19, Z9, Z23, Z14, Z27, Z31)

// P2Q4PART unpacks part m of both rows' Q4_0 super group (64 quant bytes at
// off) and adds its products with the four tokens.
#define P2Q4PART(off, lo) \
	Q4UNPACKAT(off(SI), Z1, Z2) \
	Q4UNPACKAT(off(SI)(R15*1), Z3, Z4) \
	P2TOKENS(lo)

// P2Q8PART is P2Q4PART for Q8_0's 128 quant bytes at off.
#define P2Q8PART(off) \
	VMOVDQU64 off(SI), Z1 \
	VMOVDQU64 off+64(SI), Z2 \
	VMOVDQU64 off(SI)(R15*1), Z3 \
	VMOVDQU64 off+64(SI)(R15*1), Z4 \
	P2TOKENS(off)

// The Q4_K pair keeps both rows' lane scales (see KSCALES) in Z9/Z10 (row
// A's d·sc and dmin·m) and Z11/Z12 (row B's), and one integer sum per token
// and row in Z16..Z23, started from zero.

// KSC is the body of KSCALES and P2KSC: the lane scales of the header whose
// bytes 8, 24 and 0 are at o8, o24 and o0, into dsc (d·sc) and dm (dmin·m),
// with the constants in shifts, three, twelve and the lane permutations p0
// and p1 (Z13 = 0x0f bytes); t, u and h (xh its low quarter) are clobbered,
// and h may be u.
#define KSC(o8, o24, o0, dsc, dm, t, u, h, xh, shifts, three, twelve, p0, p1) \
	VPMOVZXBD o8, dm \
	VPBROADCASTQ o24, t \
	VPSRLVD shifts, t, t \
	VPANDD Z13, dm, dsc \
	VPANDD three, t, u \
	VPSLLD $4, u, u \
	VPORD u, dsc, dsc \
	VPSRLD $4, dm, dm \
	VPANDD twelve, t, t \
	VPSLLD $2, t, t \
	VPORD t, dm, dm \
	VCVTDQ2PS dsc, dsc \
	VCVTDQ2PS dm, dm \
	VCVTPH2PS o0, xh \
	VPERMPS h, p0, t \
	VMULPS t, dsc, dsc \
	VPERMPS h, p1, t \
	VMULPS t, dm, dm

// P2KSC is KSCALES for the header whose bytes 8, 24 and 0 are at o8, o24
// and o0, into dsc and dm; the constants are in Z1..Z5 (shifts, 3, 12 and
// the two lane permutations), Z6..Z8 are clobbered.
#define P2KSC(o8, o24, o0, dsc, dm) KSC(o8, o24, o0, dsc, dm, Z6, Z7, Z8, X8, Z1, Z2, Z3, Z4, Z5)

// P2KINIT loads the constants of P2KSC (R14 is free inside a row), takes
// both rows' lane scales and zeroes the integer sums.
#define P2KINIT \
	VMOVDQU32 x16kShift<>(SB), Z1 \
	MOVL $3, R14 \
	VPBROADCASTD R14, Z2 \
	MOVL $12, R14 \
	VPBROADCASTD R14, Z3 \
	VMOVDQU32 x16kPerm<>(SB), Z4 \
	VMOVDQU32 x16kPerm<>+64(SB), Z5 \
	P2KSC(8(AX), 24(AX), (AX), Z9, Z10) \
	P2KSC(8(AX)(R15*1), 24(AX)(R15*1), (AX)(R15*1), Z11, Z12) \
	VPXORD Z16, Z16, Z16 \
	VPXORD Z17, Z17, Z17 \
	VPXORD Z18, Z18, Z18 \
	VPXORD Z19, Z19, Z19 \
	VPXORD Z20, Z20, Z20 \
	VPXORD Z21, Z21, Z21 \
	VPXORD Z22, Z22, Z22 \
	VPXORD Z23, Z23, Z23

// P2KPART is P2Q4PART with one integer sum per token and row.
#define P2KPART(off, lo) \
	Q4UNPACKAT(off(SI), Z1, Z2) \
	Q4UNPACKAT(off(SI)(R15*1), Z3, Z4) \
	P2DOT(lo(DI), lo+64(DI), Z16, Z20, Z16, Z20) \
	P2DOT(lo(DI)(R11*1), lo+64(DI)(R11*1), Z17, Z21, Z17, Z21) \
	P2DOT(lo(DI)(R11*2), lo+64(DI)(R11*2), Z18, Z22, Z18, Z22) \
	P2DOT(lo(DI)(R10*1), lo+64(DI)(R10*1), Z19, Z23, Z19, Z23)

// P2KFIN finishes one token's super group for both rows as KFINISH does,
// with the token's activation sums at cmem and scales at dmem.
#define P2KFIN(cmem, dmem, accA, accB, facA, facB) \
	VCVTDQ2PS cmem, Z0 \
	VCVTDQ2PS accA, accA \
	VMULPS Z9, accA, accA \
	VFNMADD231PS Z10, Z0, accA \
	VFMADD231PS dmem, accA, facA \
	VCVTDQ2PS accB, accB \
	VMULPS Z11, accB, accB \
	VFNMADD231PS Z12, Z0, accB \
	VFMADD231PS dmem, accB, facB

#define Q4KP2SG \
	P2KINIT \
	P2KPART(0, 0) \
	P2KPART(64, 128) \
	P2KPART(128, 256) \
	P2KPART(192, 384) \
	P2KFIN((R8), (R9), Z16, Z20, Z24, Z28) \
	P2KFIN((R8)(R12*1), (R9)(R12*1), Z17, Z21, Z25, Z29) \
	P2KFIN((R8)(R12*2), (R9)(R12*2), Z18, Z22, Z26, Z30) \
	P2KFIN((R8)(R13*1), (R9)(R13*1), Z19, Z23, Z27, Z31)

// P2PF256 asks for the bytes 16 KB further on in both rows that match this
// super group: a header line and 256 quant bytes in each (R14 = R15 + 16
// KB). A batch of a few tokens (a server decoding several sequences at
// once) reads the weights from memory in these kernels, and their
// arithmetic leaves too few loads in flight for the hardware prefetcher
// alone to keep up: the matrix products of a 4-token Llama-3.2-1B Q4_0
// step took about 40 ms without this and 17–19 ms with it (one token:
// 13–14 ms), in alternating runs (BenchmarkBatchStep); of 4, 8, 16 and 32
// KB ahead, 16 did best. Over weights already in cache (prefill tiles) it
// costs 1–3% (BenchmarkGEMMHot). P2PF512 is P2PF256 for 512 quant bytes.
#define P2PF256 \
	PREFETCHT0 16384(AX) \
	PREFETCHT0 (AX)(R14*1) \
	PF4LINES(16384(SI), 0(SI)(R14*1))

#define P2PF512 \
	P2PF256 \
	PF4LINES(16640(SI), 256(SI)(R14*1))

// PF6LINES prefetches the six lines from a (for the one-row Q5_K and Q6_K
// four-token kernels, as P2PF256 does for the pair kernels).
#define PF6LINES(a) \
	PREFETCHT0 a \
	PREFETCHT0 64+a \
	PREFETCHT0 128+a \
	PREFETCHT0 192+a \
	PREFETCHT0 256+a \
	PREFETCHT0 320+a

// PF4LINES prefetches the four lines from a and from b.
#define PF4LINES(a, b) \
	PREFETCHT0 a \
	PREFETCHT0 64+a \
	PREFETCHT0 128+a \
	PREFETCHT0 192+a \
	PREFETCHT0 b \
	PREFETCHT0 64+b \
	PREFETCHT0 128+b \
	PREFETCHT0 192+b

// P2ROWS(SG, qb, PF) is the body of a two-row, four-token kernel whose
// super group SG (starting and finishing the sums) reads qb quant bytes
// after a 32-byte header, and PF prefetches as much further on; the rows
// are 32+qb bytes per super group long. The arguments are x4's, with nrows
// the number of row pairs: pair p's rows 2p and 2p+1 go to out + 8p and
// 8p+4.
#define P2ROWS(SG, qb, PF) \
	X4PROLOG \
	MOVQ nsg+16(FP), R15 \
	IMUL3Q $(32+qb), R15, R15 \
	TESTQ BX, BX \
	JZ p2_done \
p2_row: \
	MOVQ nsg+16(FP), R14 \
	SHLQ $5, R14 \
	MOVQ SI, AX \
	ADDQ R14, SI \
	MOVQ qs+24(FP), DI \
	MOVQ corr+32(FP), R8 \
	MOVQ d+40(FP), R9 \
	MOVQ nsg+16(FP), CX \
	LEAQ 16384(R15), R14 \
	VPXORD Z24, Z24, Z24 \
	VPXORD Z25, Z25, Z25 \
	VPXORD Z26, Z26, Z26 \
	VPXORD Z27, Z27, Z27 \
	VPXORD Z28, Z28, Z28 \
	VPXORD Z29, Z29, Z29 \
	VPXORD Z30, Z30, Z30 \
	VPXORD Z31, Z31, Z31 \
p2_sg: \
	PF \
	SG \
	ADDQ $qb, SI \
	ADDQ $32, AX \
	ADDQ $512, DI \
	ADDQ $64, R8 \
	ADDQ $64, R9 \
	DECQ CX \
	JNZ p2_sg \
	MOVQ ostride+72(FP), R14 \
	HSUMTO(Z24, Y24, X24, (DX)) \
	HSUMTO(Z28, Y28, X28, 4(DX)) \
	HSUMTO(Z25, Y25, X25, (DX)(R14*1)) \
	HSUMTO(Z29, Y29, X29, 4(DX)(R14*1)) \
	HSUMTO(Z26, Y26, X26, (DX)(R14*2)) \
	HSUMTO(Z30, Y30, X30, 4(DX)(R14*2)) \
	LEAQ (R14)(R14*2), R14 \
	HSUMTO(Z27, Y27, X27, (DX)(R14*1)) \
	HSUMTO(Z31, Y31, X31, 4(DX)(R14*1)) \
	ADDQ $8, DX \
	ADDQ R15, SI \
	DECQ BX \
	JNZ p2_row \
p2_done: \
	VZEROUPPER \
	RET

#define Q4P2SG \
	P2INIT \
	P2Q4PART(0, 0) \
	P2Q4PART(64, 128) \
	P2Q4PART(128, 256) \
	P2Q4PART(192, 384) \
	P2FINISH

#define Q8P2SG \
	P2INIT \
	P2Q8PART(0) \
	P2Q8PART(128) \
	P2Q8PART(256) \
	P2Q8PART(384) \
	P2FINISH

// One super group of the row at SI (quants) and AX (scales or header)
// against token 0's activations, summed into acc.
#define Q4SG(acc) \
	VCVTPH2PS (AX), Z9 \
	VMOVDQU32 (R8), Z20 \
	VPXORD Z21, Z21, Z21 \
	Q4DOTS \
	X16FINISH((R9), acc)

// func q4x16RowsAVX512(w *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, out *float32)
// out[r] = row r · token, for nrows consecutive x16 Q4_0 rows of nsg super
// groups each (a row is 288·nsg bytes: scales, then quants).
TEXT ·q4x16RowsAVX512(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), SI
	MOVQ nrows+8(FP), BX
	MOVQ nsg+16(FP), R12
	MOVQ out+48(FP), DX
	MOVL $0x0f0f0f0f, R10
	VPBROADCASTD R10, Z13
	MOVQ R12, R14
	SHLQ $5, R14
	TESTQ BX, BX
	JZ q4rdone
q4rrow:
	MOVQ qs+24(FP), DI
	MOVQ corr+32(FP), R8
	MOVQ d+40(FP), R9
	MOVQ SI, AX
	ADDQ R14, SI
	LEAQ (SI)(R14*8), R15
	PREFSCALES
	MOVQ R12, CX
	VPXORD Z0, Z0, Z0
q4rsg:
	Q4SG(Z0)
	ADDQ $256, SI
	ADDQ $32, AX
	ADDQ $512, DI
	ADDQ $64, R8
	ADDQ $64, R9
	DECQ CX
	JNZ q4rsg
	HSUMTO(Z0, Y0, X0, (DX))
	ADDQ $4, DX
	DECQ BX
	JNZ q4rrow
q4rdone:
	VZEROUPPER
	RET

// One super group of the row at SI (quants) and AX (scales or header)
// against token 0's activations, summed into acc.
#define Q8SG(acc) \
	VCVTPH2PS (AX), Z9 \
	VMOVDQU32 (R8), Z20 \
	VPXORD Z21, Z21, Z21 \
	VMOVDQU64 (SI), Z1 \
	VMOVDQU64 64(SI), Z2 \
	VMOVDQU64 128(SI), Z3 \
	VMOVDQU64 192(SI), Z4 \
	VPDPBUSD (DI), Z1, Z20 \
	VPDPBUSD 64(DI), Z2, Z21 \
	VPDPBUSD 128(DI), Z3, Z20 \
	VPDPBUSD 192(DI), Z4, Z21 \
	VMOVDQU64 256(SI), Z5 \
	VMOVDQU64 320(SI), Z6 \
	VMOVDQU64 384(SI), Z7 \
	VMOVDQU64 448(SI), Z8 \
	VPDPBUSD 256(DI), Z5, Z20 \
	VPDPBUSD 320(DI), Z6, Z21 \
	VPDPBUSD 384(DI), Z7, Z20 \
	VPDPBUSD 448(DI), Z8, Z21 \
	X16FINISH((R9), acc)

// func q8x16RowsAVX512(w *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, out *float32)
// As q4x16RowsAVX512 for x16 Q8_0 rows (544·nsg bytes each).
TEXT ·q8x16RowsAVX512(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), SI
	MOVQ nrows+8(FP), BX
	MOVQ nsg+16(FP), R12
	MOVQ out+48(FP), DX
	MOVQ R12, R14
	SHLQ $5, R14
	TESTQ BX, BX
	JZ q8rdone
q8rrow:
	MOVQ qs+24(FP), DI
	MOVQ corr+32(FP), R8
	MOVQ d+40(FP), R9
	MOVQ SI, AX
	ADDQ R14, SI
	MOVQ R14, R15
	SHLQ $4, R15
	ADDQ SI, R15
	PREFSCALES
	MOVQ R12, CX
	VPXORD Z0, Z0, Z0
q8rsg:
	Q8SG(Z0)
	ADDQ $512, SI
	ADDQ $32, AX
	ADDQ $512, DI
	ADDQ $64, R8
	ADDQ $64, R9
	DECQ CX
	JNZ q8rsg
	HSUMTO(Z0, Y0, X0, (DX))
	ADDQ $4, DX
	DECQ BX
	JNZ q8rrow
q8rdone:
	VZEROUPPER
	RET

// func q4x16RowsX4AVX512(w *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, qsStride, aStride int, out *float32, ostride int)
TEXT ·q4x16RowsX4AVX512(SB), NOSPLIT, $0-80
	X4PROLOG
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z13
	TESTQ BX, BX
	JZ q4x4done
q4x4row:
	MOVQ nsg+16(FP), R14
	SHLQ $5, R14
	MOVQ SI, AX
	ADDQ R14, SI
	X4ROWSTART
q4x4sg:
	VCVTPH2PS (AX), Z9
	Q4UNPACK(0, Z1, Z2)
	Q4UNPACK(64, Z3, Z4)
	Q4UNPACK(128, Z5, Z6)
	Q4UNPACK(192, Z7, Z8)
	X4TOKENS
	ADDQ $256, SI
	ADDQ $32, AX
	ADDQ $512, DI
	ADDQ $64, R8
	ADDQ $64, R9
	DECQ CX
	JNZ q4x4sg
	X4ROWEND
	DECQ BX
	JNZ q4x4row
q4x4done:
	VZEROUPPER
	RET

// func q8x16RowsX4AVX512(w *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, qsStride, aStride int, out *float32, ostride int)
TEXT ·q8x16RowsX4AVX512(SB), NOSPLIT, $0-80
	X4PROLOG
	TESTQ BX, BX
	JZ q8x4done
q8x4row:
	MOVQ nsg+16(FP), R14
	SHLQ $5, R14
	MOVQ SI, AX
	ADDQ R14, SI
	X4ROWSTART
q8x4sg:
	VCVTPH2PS (AX), Z9
	VMOVDQU64 (SI), Z1
	VMOVDQU64 64(SI), Z2
	VMOVDQU64 128(SI), Z3
	VMOVDQU64 192(SI), Z4
	VMOVDQU64 256(SI), Z5
	VMOVDQU64 320(SI), Z6
	VMOVDQU64 384(SI), Z7
	VMOVDQU64 448(SI), Z8
	X4TOKENS
	ADDQ $512, SI
	ADDQ $32, AX
	ADDQ $512, DI
	ADDQ $64, R8
	ADDQ $64, R9
	DECQ CX
	JNZ q8x4sg
	X4ROWEND
	DECQ BX
	JNZ q8x4row
q8x4done:
	VZEROUPPER
	RET

// func quantX16AVX512(x *float32, nb int, qs *byte, d *float32, corr *int32, negOff int32)
// Quantizes nb (a multiple of 16) blocks of 32 floats like quantQ8_0AVX512
// (GGML's Q8_0 rounding, bit for bit) and stores the quants in the x16 order,
// then the corrections negOff·Σq of each block.
TEXT ·quantX16AVX512(SB), NOSPLIT, $0-44
	MOVQ x+0(FP), SI
	MOVQ nb+8(FP), CX
	MOVQ qs+16(FP), DI
	MOVQ d+24(FP), R9
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
	JZ qx_corr

qx_loop:
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
	VMAXPS X4, X3, X3
	VDIVSS X11, X3, X3
	VCVTPS2PH $0, X3, X4
	VCVTPH2PS X4, X4
	VMOVSS X4, (R9)(R10*4)
	VXORPS X5, X5, X5
	VUCOMISS X5, X3
	JEQ qx_zero
	VDIVSS X3, X13, X3
	VBROADCASTSS X3, Z3
	JMP qx_scaled
qx_zero:
	VXORPS Z3, Z3, Z3
qx_scaled:
	VMULPS Z3, Z1, Z1
	VMULPS Z3, Z2, Z2
	VRNDSCALEPS $3, Z1, Z4
	VSUBPS Z4, Z1, Z5
	VPANDD Z15, Z5, Z5
	VCMPPS $0x1d, Z12, Z5, K1
	VPANDD Z14, Z1, Z6
	VPORD Z13, Z6, Z6
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
	// lane of block R10: (R10/16)·512 + 4·(R10%16)
	MOVQ R10, AX
	SHRQ $4, AX
	SHLQ $9, AX
	MOVQ R10, BX
	ANDQ $15, BX
	LEAQ (AX)(BX*4), AX
	ADDQ DI, AX
	VMOVD X4, (AX)
	VPEXTRD $1, X4, 128(AX)
	VPEXTRD $2, X4, 256(AX)
	VPEXTRD $3, X4, 384(AX)
	VMOVD X7, 64(AX)
	VPEXTRD $1, X7, 192(AX)
	VPEXTRD $2, X7, 320(AX)
	VPEXTRD $3, X7, 448(AX)
	ADDQ $128, SI
	INCQ R10
	CMPQ R10, CX
	JLT qx_loop

qx_corr:
	MOVQ qs+16(FP), DI
	MOVQ corr+32(FP), R11
	SHRQ $4, CX
	MOVL negOff+40(FP), AX
	VPBROADCASTD AX, Z10
	MOVL $0x01010101, AX
	VPBROADCASTD AX, Z9
	TESTQ CX, CX
	JZ qx_done
qx_corrloop:
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPDPBUSD (DI), Z9, Z1
	VPDPBUSD 64(DI), Z9, Z2
	VPDPBUSD 128(DI), Z9, Z1
	VPDPBUSD 192(DI), Z9, Z2
	VPDPBUSD 256(DI), Z9, Z1
	VPDPBUSD 320(DI), Z9, Z2
	VPDPBUSD 384(DI), Z9, Z1
	VPDPBUSD 448(DI), Z9, Z2
	VPADDD Z2, Z1, Z1
	VPMULLD Z10, Z1, Z1
	VMOVDQU32 Z1, (R11)
	ADDQ $512, DI
	ADDQ $64, R11
	DECQ CX
	JNZ qx_corrloop
qx_done:
	VZEROUPPER
	RET

// Q4_K kernels for the x16 layout (see x16k.go): as the Q4_0 ones, with a
// 32-byte header per super group at AX instead of fp16 block scales and no
// offset correction (the quants are unsigned; the min term uses the
// activation sums). Constants: Z13 = 0x0f bytes, Z14 = the lane shifts
// 4·(i/2) (x16kShift), Z16 = 3, Z17 = 12 (dwords), Z18/Z19 = the lane
// indices of d and dmin among the header's four widened fp16 values.

DATA x16kShift<>+0(SB)/4, $0
DATA x16kShift<>+4(SB)/4, $0
DATA x16kShift<>+8(SB)/4, $4
DATA x16kShift<>+12(SB)/4, $4
DATA x16kShift<>+16(SB)/4, $8
DATA x16kShift<>+20(SB)/4, $8
DATA x16kShift<>+24(SB)/4, $12
DATA x16kShift<>+28(SB)/4, $12
DATA x16kShift<>+32(SB)/4, $16
DATA x16kShift<>+36(SB)/4, $16
DATA x16kShift<>+40(SB)/4, $20
DATA x16kShift<>+44(SB)/4, $20
DATA x16kShift<>+48(SB)/4, $24
DATA x16kShift<>+52(SB)/4, $24
DATA x16kShift<>+56(SB)/4, $28
DATA x16kShift<>+60(SB)/4, $28
GLOBL x16kShift<>(SB), RODATA, $64
DATA x16kPerm<>+0(SB)/4, $0
DATA x16kPerm<>+4(SB)/4, $0
DATA x16kPerm<>+8(SB)/4, $0
DATA x16kPerm<>+12(SB)/4, $0
DATA x16kPerm<>+16(SB)/4, $0
DATA x16kPerm<>+20(SB)/4, $0
DATA x16kPerm<>+24(SB)/4, $0
DATA x16kPerm<>+28(SB)/4, $0
DATA x16kPerm<>+32(SB)/4, $2
DATA x16kPerm<>+36(SB)/4, $2
DATA x16kPerm<>+40(SB)/4, $2
DATA x16kPerm<>+44(SB)/4, $2
DATA x16kPerm<>+48(SB)/4, $2
DATA x16kPerm<>+52(SB)/4, $2
DATA x16kPerm<>+56(SB)/4, $2
DATA x16kPerm<>+60(SB)/4, $2
DATA x16kPerm<>+64(SB)/4, $1
DATA x16kPerm<>+68(SB)/4, $1
DATA x16kPerm<>+72(SB)/4, $1
DATA x16kPerm<>+76(SB)/4, $1
DATA x16kPerm<>+80(SB)/4, $1
DATA x16kPerm<>+84(SB)/4, $1
DATA x16kPerm<>+88(SB)/4, $1
DATA x16kPerm<>+92(SB)/4, $1
DATA x16kPerm<>+96(SB)/4, $3
DATA x16kPerm<>+100(SB)/4, $3
DATA x16kPerm<>+104(SB)/4, $3
DATA x16kPerm<>+108(SB)/4, $3
DATA x16kPerm<>+112(SB)/4, $3
DATA x16kPerm<>+116(SB)/4, $3
DATA x16kPerm<>+120(SB)/4, $3
DATA x16kPerm<>+124(SB)/4, $3
GLOBL x16kPerm<>(SB), RODATA, $128

#define KCONSTS \
	MOVL $0x0f0f0f0f, R10 \
	VPBROADCASTD R10, Z13 \
	VMOVDQU32 x16kShift<>(SB), Z14 \
	MOVL $3, R10 \
	VPBROADCASTD R10, Z16 \
	MOVL $12, R10 \
	VPBROADCASTD R10, Z17 \
	VMOVDQU32 x16kPerm<>(SB), Z18 \
	VMOVDQU32 x16kPerm<>+64(SB), Z19

// Lane scales of the super group whose header is at AX: Z12 = d·sc and
// Z10 = dmin·m as floats, lane i for sub-block i. Uses Z9 and Z11.
#define KSCALES KSC(8(AX), 24(AX), (AX), Z12, Z10, Z11, Z9, Z9, X9, Z14, Z16, Z17, Z18, Z19)

// Finish one token's super group: Z20/Z21 hold the two halves of the
// integer sums; acc += (sums·d·sc − activation sums·dmin·m)·dx.
#define KFINISH(cbase, dbase, acc) \
	VPADDD Z21, Z20, Z20 \
	VCVTDQ2PS Z20, Z20 \
	VMULPS Z12, Z20, Z20 \
	VCVTDQ2PS cbase, Z21 \
	VFNMADD231PS Z10, Z21, Z20 \
	VFMADD231PS dbase, Z20, acc

#define KTOK(base, cbase, dbase, acc) \
	VPXORD Z20, Z20, Z20 \
	VPXORD Z21, Z21, Z21 \
	DOT8(0 base, 64 base, 128 base, 192 base, 256 base, 320 base, 384 base, 448 base) \
	KFINISH(cbase, dbase, acc)

// One super group of the row at SI (quants) and AX (scales or header)
// against token 0's activations, summed into acc.
#define Q4KSG(acc) \
	KSCALES \
	VPXORD Z20, Z20, Z20 \
	VPXORD Z21, Z21, Z21 \
	Q4DOTS \
	KFINISH((R8), (R9), acc)

// Finish one row of a K-quant pair as KFINISH does: lo/hi hold the two
// halves of its integer sums, dsc and dm its lane scales (d·sc, dmin·m);
// Z15 holds the activation sums and Z22 the activation scales as floats.
#define KPAIRFINISH(lo, hi, dsc, dm, acc) \
	VPADDD hi, lo, lo \
	VCVTDQ2PS lo, lo \
	VMULPS dsc, lo, lo \
	VFNMADD231PS dm, Z15, lo \
	VFMADD231PS Z22, lo, acc

// The Q4_K pair: row B's lane scales go to Z7/Z8 and its sums to Z5/Z6,
// row A's stay where Q4KSG keeps them.
#define Q4KPAIR \
	XCHGQ AX, R13 \
	KSCALES \
	VMOVAPS Z12, Z7 \
	VMOVAPS Z10, Z8 \
	XCHGQ AX, R13 \
	KSCALES \
	PAIRACT \
	VPXORD Z20, Z20, Z20 \
	VPXORD Z21, Z21, Z21 \
	VPXORD Z5, Z5, Z5 \
	VPXORD Z6, Z6, Z6 \
	Q4PAIRDOTS(Z20, Z21, Z5, Z6) \
	VCVTDQ2PS (R8), Z15 \
	VMOVUPS (R9), Z22 \
	KPAIRFINISH(Z20, Z21, Z12, Z10, Z0) \
	KPAIRFINISH(Z5, Z6, Z7, Z8, Z31)

// func q4kx16RowsAVX512(w *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, out *float32)
// out[r] = row r · token for nrows consecutive x16 Q4_K rows of nsg super
// groups (288·nsg bytes each: headers, then quants).
TEXT ·q4kx16RowsAVX512(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), SI
	MOVQ nrows+8(FP), BX
	MOVQ nsg+16(FP), R12
	MOVQ out+48(FP), DX
	KCONSTS
	MOVQ R12, R14
	SHLQ $5, R14
	TESTQ BX, BX
	JZ q4krdone
q4krrow:
	MOVQ qs+24(FP), DI
	MOVQ corr+32(FP), R8
	MOVQ d+40(FP), R9
	MOVQ SI, AX
	ADDQ R14, SI
	LEAQ (SI)(R14*8), R15
	PREFSCALES
	MOVQ R12, CX
	VPXORD Z0, Z0, Z0
q4krsg:
	Q4KSG(Z0)
	ADDQ $256, SI
	ADDQ $32, AX
	ADDQ $512, DI
	ADDQ $64, R8
	ADDQ $64, R9
	DECQ CX
	JNZ q4krsg
	HSUMTO(Z0, Y0, X0, (DX))
	ADDQ $4, DX
	DECQ BX
	JNZ q4krrow
q4krdone:
	VZEROUPPER
	RET

// func q4kx16RowsX4AVX512(w *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, qsStride, aStride int, out *float32, ostride int)
TEXT ·q4kx16RowsX4AVX512(SB), NOSPLIT, $0-80
	KCONSTS
	X4PROLOG
	TESTQ BX, BX
	JZ q4kx4done
q4kx4row:
	MOVQ nsg+16(FP), R14
	SHLQ $5, R14
	MOVQ SI, AX
	ADDQ R14, SI
	X4ROWSTART
q4kx4sg:
	KSCALES
	Q4UNPACK(0, Z1, Z2)
	Q4UNPACK(64, Z3, Z4)
	Q4UNPACK(128, Z5, Z6)
	Q4UNPACK(192, Z7, Z8)
	KTOK((DI), (R8), (R9), Z24)
	KTOK((DI)(R11*1), (R8)(R12*1), (R9)(R12*1), Z25)
	KTOK((DI)(R11*2), (R8)(R12*2), (R9)(R12*2), Z26)
	KTOK((DI)(R10*1), (R8)(R13*1), (R9)(R13*1), Z27)
	ADDQ $256, SI
	ADDQ $32, AX
	ADDQ $512, DI
	ADDQ $64, R8
	ADDQ $64, R9
	DECQ CX
	JNZ q4kx4sg
	X4ROWEND
	DECQ BX
	JNZ q4kx4row
q4kx4done:
	VZEROUPPER
	RET

// Q6_K kernels for the x16 layout (see x16k.go). Per super group: 36 header
// bytes at AX (two fp16 d, then the 16 first-half and 16 last-half int8
// scales), 384 quant bytes at SI (four parts of low nibbles as for Q4_0,
// then two 64-byte parts of top bits). R8 points at the activations' −32·Σ
// of each half (16 first halves, then 16 last halves per super group).
// Constants: Z13 = 0x0f bytes, Z15 = 0x30 bytes, Z18 = lane indices of the
// two d among the widened header.

DATA x16k6Perm<>+0(SB)/8, $0
DATA x16k6Perm<>+8(SB)/8, $0
DATA x16k6Perm<>+16(SB)/8, $0
DATA x16k6Perm<>+24(SB)/8, $0
DATA x16k6Perm<>+32(SB)/8, $0x0000000100000001
DATA x16k6Perm<>+40(SB)/8, $0x0000000100000001
DATA x16k6Perm<>+48(SB)/8, $0x0000000100000001
DATA x16k6Perm<>+56(SB)/8, $0x0000000100000001
GLOBL x16k6Perm<>(SB), RODATA, $64

#define K6CONSTS \
	MOVL $0x0f0f0f0f, R10 \
	VPBROADCASTD R10, Z13 \
	MOVL $0x30303030, R10 \
	VPBROADCASTD R10, Z15 \
	VMOVDQU32 x16k6Perm<>(SB), Z18

// Scales of the super group at AX: Z16/Z17 = first/last-half scales
// (int32), Z12 = d per lane (float). Uses Z9.
#define K6SCALES \
	VPMOVSXBD 4(AX), Z16 \
	VPMOVSXBD 20(AX), Z17 \
	VCVTPH2PS (AX), X9 \
	VPERMPS Z9, Z18, Z12

// Add the top bits of vectors 4p..4p+3 from H (part p of the top bits) to
// the low nibbles in a, b, c, e: lane bytes hold them at bits 0-1, 2-3,
// 4-5 and 6-7; each is moved to bits 4-5 and merged (A | B&0x30).
#define K6HIGH(H, a, b, c, e) \
	VPSLLW $4, H, Z22 \
	VPTERNLOGD $0xF8, Z15, Z22, a \
	VPSLLW $2, H, Z22 \
	VPTERNLOGD $0xF8, Z15, Z22, b \
	VPTERNLOGD $0xF8, Z15, H, c \
	VPSRLW $2, H, Z22 \
	VPTERNLOGD $0xF8, Z15, Z22, e

#define K6UNPACK \
	Q4UNPACK(0, Z1, Z2) \
	Q4UNPACK(64, Z3, Z4) \
	VMOVDQU64 256(SI), Z10 \
	K6HIGH(Z10, Z1, Z2, Z3, Z4) \
	Q4UNPACK(128, Z5, Z6) \
	Q4UNPACK(192, Z7, Z8) \
	VMOVDQU64 320(SI), Z11 \
	K6HIGH(Z11, Z5, Z6, Z7, Z8)

// One token: halves summed apart from the activations' offset terms h0 and
// h1, scaled by their int8 scales, then acc += sum·d·dx.
#define K6TOK(base, h0, h1, dbase, acc) \
	VMOVDQU32 h0, Z20 \
	VMOVDQU32 h1, Z21 \
	DOT8(0 base, 64 base, 128 base, 192 base, 256 base, 320 base, 384 base, 448 base) \
	VPMULLD Z16, Z20, Z20 \
	VPMULLD Z17, Z21, Z21 \
	VPADDD Z21, Z20, Z20 \
	VCVTDQ2PS Z20, Z20 \
	VMULPS dbase, Z12, Z22 \
	VFMADD231PS Z22, Z20, acc

// One super group of the row at SI (quants) and AX (scales or header)
// against token 0's activations, summed into acc.
#define Q6KSG(acc) \
	PREFETCHT0 2048(SI) \
	PREFETCHT0 2112(SI) \
	PREFETCHT0 2176(SI) \
	PREFETCHT0 2240(SI) \
	PREFETCHT0 2304(SI) \
	PREFETCHT0 2368(SI) \
	K6SCALES \
	K6UNPACK \
	K6TOK((DI), (R8), 64(R8), (R9), acc)

// func q6kx16RowsAVX512(w *byte, nrows, nsg int, qs *byte, half *int32, d *float32, out *float32)
// out[r] = row r · token for nrows consecutive x16 Q6_K rows of nsg super
// groups (420·nsg bytes each: headers, then quants). Unlike the lighter
// Q4_K and Q4_0 loops, this one streams faster with software prefetch 2 KB
// ahead (one thread: about +7%; the same prefetch slows Q4_K by 5%).
TEXT ·q6kx16RowsAVX512(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), SI
	MOVQ nrows+8(FP), BX
	MOVQ nsg+16(FP), R12
	MOVQ out+48(FP), DX
	K6CONSTS
	IMUL3Q $36, R12, R14
	IMUL3Q $384, R12, R13
	TESTQ BX, BX
	JZ q6krdone
q6krrow:
	MOVQ qs+24(FP), DI
	MOVQ half+32(FP), R8
	MOVQ d+40(FP), R9
	MOVQ SI, AX
	ADDQ R14, SI
	LEAQ (SI)(R13*1), R15
	PREFSCALES
	MOVQ R12, CX
	VPXORD Z0, Z0, Z0
q6krsg:
	Q6KSG(Z0)
	ADDQ $384, SI
	ADDQ $36, AX
	ADDQ $512, DI
	ADDQ $128, R8
	ADDQ $64, R9
	DECQ CX
	JNZ q6krsg
	HSUMTO(Z0, Y0, X0, (DX))
	ADDQ $4, DX
	DECQ BX
	JNZ q6krrow
q6krdone:
	VZEROUPPER
	RET

// func q6kx16RowsX4AVX512(w *byte, nrows, nsg int, qs *byte, half *int32, d *float32, qsStride, aStride int, out *float32, ostride int)
// Token t's offset terms are at half + 2·t·aStride.
TEXT ·q6kx16RowsX4AVX512(SB), NOSPLIT, $0-80
	K6CONSTS
	X4PROLOG
	TESTQ BX, BX
	JZ q6kx4done
q6kx4row:
	MOVQ nsg+16(FP), R14
	IMUL3Q $36, R14, R14
	MOVQ SI, AX
	ADDQ R14, SI
	X4ROWSTART
q6kx4sg:
	PREFETCHT0 16384(AX)
	PF6LINES(16384(SI))
	K6SCALES
	K6UNPACK
	K6TOK((DI), (R8), 64(R8), (R9), Z24)
	K6TOK((DI)(R11*1), (R8)(R12*2), 64(R8)(R12*2), (R9)(R12*1), Z25)
	K6TOK((DI)(R11*2), (R8)(R12*4), 64(R8)(R12*4), (R9)(R12*2), Z26)
	K6TOK((DI)(R10*1), (R8)(R13*2), 64(R8)(R13*2), (R9)(R13*1), Z27)
	ADDQ $384, SI
	ADDQ $36, AX
	ADDQ $512, DI
	ADDQ $128, R8
	ADDQ $64, R9
	DECQ CX
	JNZ q6kx4sg
	X4ROWEND
	DECQ BX
	JNZ q6kx4row
q6kx4done:
	VZEROUPPER
	RET

// Gather indices of the x16 order in two Q8_K blocks (292 bytes each): for
// vector u, lane i reads the four quants at e(u) of sub-block i.
DATA x16kGather<>+0(SB)/4, $4
DATA x16kGather<>+4(SB)/4, $36
DATA x16kGather<>+8(SB)/4, $68
DATA x16kGather<>+12(SB)/4, $100
DATA x16kGather<>+16(SB)/4, $132
DATA x16kGather<>+20(SB)/4, $164
DATA x16kGather<>+24(SB)/4, $196
DATA x16kGather<>+28(SB)/4, $228
DATA x16kGather<>+32(SB)/4, $296
DATA x16kGather<>+36(SB)/4, $328
DATA x16kGather<>+40(SB)/4, $360
DATA x16kGather<>+44(SB)/4, $392
DATA x16kGather<>+48(SB)/4, $424
DATA x16kGather<>+52(SB)/4, $456
DATA x16kGather<>+56(SB)/4, $488
DATA x16kGather<>+60(SB)/4, $520
DATA x16kGather<>+64(SB)/4, $20
DATA x16kGather<>+68(SB)/4, $52
DATA x16kGather<>+72(SB)/4, $84
DATA x16kGather<>+76(SB)/4, $116
DATA x16kGather<>+80(SB)/4, $148
DATA x16kGather<>+84(SB)/4, $180
DATA x16kGather<>+88(SB)/4, $212
DATA x16kGather<>+92(SB)/4, $244
DATA x16kGather<>+96(SB)/4, $312
DATA x16kGather<>+100(SB)/4, $344
DATA x16kGather<>+104(SB)/4, $376
DATA x16kGather<>+108(SB)/4, $408
DATA x16kGather<>+112(SB)/4, $440
DATA x16kGather<>+116(SB)/4, $472
DATA x16kGather<>+120(SB)/4, $504
DATA x16kGather<>+124(SB)/4, $536
DATA x16kGather<>+128(SB)/4, $8
DATA x16kGather<>+132(SB)/4, $40
DATA x16kGather<>+136(SB)/4, $72
DATA x16kGather<>+140(SB)/4, $104
DATA x16kGather<>+144(SB)/4, $136
DATA x16kGather<>+148(SB)/4, $168
DATA x16kGather<>+152(SB)/4, $200
DATA x16kGather<>+156(SB)/4, $232
DATA x16kGather<>+160(SB)/4, $300
DATA x16kGather<>+164(SB)/4, $332
DATA x16kGather<>+168(SB)/4, $364
DATA x16kGather<>+172(SB)/4, $396
DATA x16kGather<>+176(SB)/4, $428
DATA x16kGather<>+180(SB)/4, $460
DATA x16kGather<>+184(SB)/4, $492
DATA x16kGather<>+188(SB)/4, $524
DATA x16kGather<>+192(SB)/4, $24
DATA x16kGather<>+196(SB)/4, $56
DATA x16kGather<>+200(SB)/4, $88
DATA x16kGather<>+204(SB)/4, $120
DATA x16kGather<>+208(SB)/4, $152
DATA x16kGather<>+212(SB)/4, $184
DATA x16kGather<>+216(SB)/4, $216
DATA x16kGather<>+220(SB)/4, $248
DATA x16kGather<>+224(SB)/4, $316
DATA x16kGather<>+228(SB)/4, $348
DATA x16kGather<>+232(SB)/4, $380
DATA x16kGather<>+236(SB)/4, $412
DATA x16kGather<>+240(SB)/4, $444
DATA x16kGather<>+244(SB)/4, $476
DATA x16kGather<>+248(SB)/4, $508
DATA x16kGather<>+252(SB)/4, $540
DATA x16kGather<>+256(SB)/4, $12
DATA x16kGather<>+260(SB)/4, $44
DATA x16kGather<>+264(SB)/4, $76
DATA x16kGather<>+268(SB)/4, $108
DATA x16kGather<>+272(SB)/4, $140
DATA x16kGather<>+276(SB)/4, $172
DATA x16kGather<>+280(SB)/4, $204
DATA x16kGather<>+284(SB)/4, $236
DATA x16kGather<>+288(SB)/4, $304
DATA x16kGather<>+292(SB)/4, $336
DATA x16kGather<>+296(SB)/4, $368
DATA x16kGather<>+300(SB)/4, $400
DATA x16kGather<>+304(SB)/4, $432
DATA x16kGather<>+308(SB)/4, $464
DATA x16kGather<>+312(SB)/4, $496
DATA x16kGather<>+316(SB)/4, $528
DATA x16kGather<>+320(SB)/4, $28
DATA x16kGather<>+324(SB)/4, $60
DATA x16kGather<>+328(SB)/4, $92
DATA x16kGather<>+332(SB)/4, $124
DATA x16kGather<>+336(SB)/4, $156
DATA x16kGather<>+340(SB)/4, $188
DATA x16kGather<>+344(SB)/4, $220
DATA x16kGather<>+348(SB)/4, $252
DATA x16kGather<>+352(SB)/4, $320
DATA x16kGather<>+356(SB)/4, $352
DATA x16kGather<>+360(SB)/4, $384
DATA x16kGather<>+364(SB)/4, $416
DATA x16kGather<>+368(SB)/4, $448
DATA x16kGather<>+372(SB)/4, $480
DATA x16kGather<>+376(SB)/4, $512
DATA x16kGather<>+380(SB)/4, $544
DATA x16kGather<>+384(SB)/4, $16
DATA x16kGather<>+388(SB)/4, $48
DATA x16kGather<>+392(SB)/4, $80
DATA x16kGather<>+396(SB)/4, $112
DATA x16kGather<>+400(SB)/4, $144
DATA x16kGather<>+404(SB)/4, $176
DATA x16kGather<>+408(SB)/4, $208
DATA x16kGather<>+412(SB)/4, $240
DATA x16kGather<>+416(SB)/4, $308
DATA x16kGather<>+420(SB)/4, $340
DATA x16kGather<>+424(SB)/4, $372
DATA x16kGather<>+428(SB)/4, $404
DATA x16kGather<>+432(SB)/4, $436
DATA x16kGather<>+436(SB)/4, $468
DATA x16kGather<>+440(SB)/4, $500
DATA x16kGather<>+444(SB)/4, $532
DATA x16kGather<>+448(SB)/4, $32
DATA x16kGather<>+452(SB)/4, $64
DATA x16kGather<>+456(SB)/4, $96
DATA x16kGather<>+460(SB)/4, $128
DATA x16kGather<>+464(SB)/4, $160
DATA x16kGather<>+468(SB)/4, $192
DATA x16kGather<>+472(SB)/4, $224
DATA x16kGather<>+476(SB)/4, $256
DATA x16kGather<>+480(SB)/4, $324
DATA x16kGather<>+484(SB)/4, $356
DATA x16kGather<>+488(SB)/4, $388
DATA x16kGather<>+492(SB)/4, $420
DATA x16kGather<>+496(SB)/4, $452
DATA x16kGather<>+500(SB)/4, $484
DATA x16kGather<>+504(SB)/4, $516
DATA x16kGather<>+508(SB)/4, $548
GLOBL x16kGather<>(SB), RODATA, $512

// KGATHER gathers vector u (off = 64·u) of a super group's x16 quants from
// the two Q8_K blocks at SI into z and stores it at off(DI).
#define KGATHER(off, z) \
	KXNORW K1, K1, K1 \
	VMOVDQU32 x16kGather<>+off(SB), Z12 \
	VPGATHERDD (SI)(Z12*1), K1, z \
	VMOVDQU32 z, off(DI)

// func x16FromQ8KAVX512(y *byte, nsg int, qs *byte, corr *int32, d *float32, half *int32)
// Rearranges 2·nsg Q8_K blocks at y (quants and scales; their block sums
// are not read) into x16 K-quant activations: the quants in the x16 order,
// each sub-block's scale and quant sum, and −32 times the sums of its
// halves (16 first halves, then 16 last halves, per super group).
TEXT ·x16FromQ8KAVX512(SB), NOSPLIT, $0-48
	MOVQ y+0(FP), SI
	MOVQ nsg+8(FP), CX
	MOVQ qs+16(FP), DI
	MOVQ corr+24(FP), R8
	MOVQ d+32(FP), R9
	MOVQ half+40(FP), R10
	MOVL $0x01010101, AX
	VPBROADCASTD AX, Z9
	MOVL $-32, AX
	VPBROADCASTD AX, Z10
	TESTQ CX, CX
	JZ xk_done
xk_loop:
	KGATHER(0, Z1)
	KGATHER(64, Z2)
	KGATHER(128, Z3)
	KGATHER(192, Z4)
	KGATHER(256, Z5)
	KGATHER(320, Z6)
	KGATHER(384, Z7)
	KGATHER(448, Z8)
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPDPBUSD Z1, Z9, Z20
	VPDPBUSD Z2, Z9, Z21
	VPDPBUSD Z3, Z9, Z20
	VPDPBUSD Z4, Z9, Z21
	VPDPBUSD Z5, Z9, Z20
	VPDPBUSD Z6, Z9, Z21
	VPDPBUSD Z7, Z9, Z20
	VPDPBUSD Z8, Z9, Z21
	VPADDD Z21, Z20, Z22
	VMOVDQU32 Z22, (R8)
	VPMULLD Z10, Z20, Z20
	VPMULLD Z10, Z21, Z21
	VMOVDQU32 Z20, (R10)
	VMOVDQU32 Z21, 64(R10)
	VPBROADCASTD (SI), Y13
	VPBROADCASTD 292(SI), Y14
	VINSERTI64X4 $1, Y14, Z13, Z13
	VMOVDQU32 Z13, (R9)
	ADDQ $584, SI
	ADDQ $512, DI
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $128, R10
	DECQ CX
	JNZ xk_loop
xk_done:
	VZEROUPPER
	RET

// Q5_K kernels for the x16 layout: the Q4_K kernels with each super
// group's 64 bytes of fifth bits (after its 256 quant bytes) merged into
// the unpacked quants: bit u of a lane byte goes to bit 4 of vector u.
// Z15 = 0x10 bytes; Z11 and Z22 are scratch.

#define K5HIGHBITS \
	VMOVDQU64 256(SI), Z11 \
	VPSLLW $4, Z11, Z22 \
	VPTERNLOGD $0xF8, Z15, Z22, Z1 \
	VPSLLW $3, Z11, Z22 \
	VPTERNLOGD $0xF8, Z15, Z22, Z2 \
	VPSLLW $2, Z11, Z22 \
	VPTERNLOGD $0xF8, Z15, Z22, Z3 \
	VPSLLW $1, Z11, Z22 \
	VPTERNLOGD $0xF8, Z15, Z22, Z4 \
	VPTERNLOGD $0xF8, Z15, Z11, Z5 \
	VPSRLW $1, Z11, Z22 \
	VPTERNLOGD $0xF8, Z15, Z22, Z6 \
	VPSRLW $2, Z11, Z22 \
	VPTERNLOGD $0xF8, Z15, Z22, Z7 \
	VPSRLW $3, Z11, Z22 \
	VPTERNLOGD $0xF8, Z15, Z22, Z8

#define K5UNPACK \
	Q4UNPACK(0, Z1, Z2) \
	Q4UNPACK(64, Z3, Z4) \
	Q4UNPACK(128, Z5, Z6) \
	Q4UNPACK(192, Z7, Z8) \
	K5HIGHBITS

// One super group of the row at SI (quants) and AX (scales or header)
// against token 0's activations, summed into acc.
#define Q5KSG(acc) \
	KSCALES \
	K5UNPACK \
	KTOK((DI), (R8), (R9), acc)

// func q5kx16RowsAVX512(w *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, out *float32)
// As q4kx16RowsAVX512 for x16 Q5_K rows (352·nsg bytes each).
TEXT ·q5kx16RowsAVX512(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), SI
	MOVQ nrows+8(FP), BX
	MOVQ nsg+16(FP), R12
	MOVQ out+48(FP), DX
	KCONSTS
	MOVL $0x10101010, R10
	VPBROADCASTD R10, Z15
	MOVQ R12, R14
	SHLQ $5, R14
	IMUL3Q $320, R12, R13
	TESTQ BX, BX
	JZ q5krdone
q5krrow:
	MOVQ qs+24(FP), DI
	MOVQ corr+32(FP), R8
	MOVQ d+40(FP), R9
	MOVQ SI, AX
	ADDQ R14, SI
	LEAQ (SI)(R13*1), R15
	PREFSCALES
	MOVQ R12, CX
	VPXORD Z0, Z0, Z0
q5krsg:
	Q5KSG(Z0)
	ADDQ $320, SI
	ADDQ $32, AX
	ADDQ $512, DI
	ADDQ $64, R8
	ADDQ $64, R9
	DECQ CX
	JNZ q5krsg
	HSUMTO(Z0, Y0, X0, (DX))
	ADDQ $4, DX
	DECQ BX
	JNZ q5krrow
q5krdone:
	VZEROUPPER
	RET

// func q5kx16RowsX4AVX512(w *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, qsStride, aStride int, out *float32, ostride int)
TEXT ·q5kx16RowsX4AVX512(SB), NOSPLIT, $0-80
	KCONSTS
	MOVL $0x10101010, R10
	VPBROADCASTD R10, Z15
	X4PROLOG
	TESTQ BX, BX
	JZ q5kx4done
q5kx4row:
	MOVQ nsg+16(FP), R14
	SHLQ $5, R14
	MOVQ SI, AX
	ADDQ R14, SI
	X4ROWSTART
q5kx4sg:
	PREFETCHT0 16384(AX)
	PF6LINES(16384(SI))
	KSCALES
	K5UNPACK
	KTOK((DI), (R8), (R9), Z24)
	KTOK((DI)(R11*1), (R8)(R12*1), (R9)(R12*1), Z25)
	KTOK((DI)(R11*2), (R8)(R12*2), (R9)(R12*2), Z26)
	KTOK((DI)(R10*1), (R8)(R13*1), (R9)(R13*1), Z27)
	ADDQ $320, SI
	ADDQ $32, AX
	ADDQ $512, DI
	ADDQ $64, R8
	ADDQ $64, R9
	DECQ CX
	JNZ q5kx4sg
	X4ROWEND
	DECQ BX
	JNZ q5kx4row
q5kx4done:
	VZEROUPPER
	RET


// func q4x16Rows2AVX512(wA, wB *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, outA, outB *float32)
TEXT ·q4x16Rows2AVX512(SB), NOSPLIT, $0-72
	MOVL $0x0f0f0f0f, R10
	VPBROADCASTD R10, Z13
	PAIRROWS(Q4PAIR, 256, 32, 64)

// func q8x16Rows2AVX512(wA, wB *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, outA, outB *float32)
TEXT ·q8x16Rows2AVX512(SB), NOSPLIT, $0-72
	PAIRROWS(Q8PAIR, 512, 32, 64)

// func q4kx16Rows2AVX512(wA, wB *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, outA, outB *float32)
TEXT ·q4kx16Rows2AVX512(SB), NOSPLIT, $0-72
	KCONSTS
	PAIRROWS(Q4KPAIR, 256, 32, 64)

// func q5kx16Rows2AVX512(wA, wB *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, outA, outB *float32)
TEXT ·q5kx16Rows2AVX512(SB), NOSPLIT, $0-72
	KCONSTS
	MOVL $0x10101010, R10
	VPBROADCASTD R10, Z15
	PAIRROWS(XCHGPAIR(Q5KSG), 320, 32, 64)

// func q6kx16Rows2AVX512(wA, wB *byte, nrows, nsg int, qs *byte, half *int32, d *float32, outA, outB *float32)
TEXT ·q6kx16Rows2AVX512(SB), NOSPLIT, $0-72
	K6CONSTS
	PAIRROWS(XCHGPAIR(Q6KSG), 384, 36, 128)

// func q4x16Pairs4AVX512(w *byte, npairs, nsg int, qs *byte, corr *int32, d *float32, qsStride, aStride int, out *float32, ostride int)
TEXT ·q4x16Pairs4AVX512(SB), NOSPLIT, $0-80
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z13
	P2ROWS(Q4P2SG, 256, P2PF256)

// func q4kx16Pairs4AVX512(w *byte, npairs, nsg int, qs *byte, corr *int32, d *float32, qsStride, aStride int, out *float32, ostride int)
TEXT ·q4kx16Pairs4AVX512(SB), NOSPLIT, $0-80
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z13
	P2ROWS(Q4KP2SG, 256, P2PF256)

// func q8x16Pairs4AVX512(w *byte, npairs, nsg int, qs *byte, corr *int32, d *float32, qsStride, aStride int, out *float32, ostride int)
TEXT ·q8x16Pairs4AVX512(SB), NOSPLIT, $0-80
	P2ROWS(Q8P2SG, 512, P2PF512)
