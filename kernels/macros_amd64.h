// Macros shared by the amd64 assembly kernels. Go assembly macros belong to
// the file that defines them, so each kernel file includes this header
// instead of keeping its own copy.

// HSUMTO sums the 16 floats of zr (whose low halves are yr and xr) into
// dst; Y1 and X5 are clobbered.
#define HSUMTO(zr, yr, xr, dst) \
	VEXTRACTF64X4 $1, zr, Y1 \
	VADDPS Y1, yr, Y1 \
	VEXTRACTF128 $1, Y1, X5 \
	VADDPS X5, X1, X1 \
	VHADDPS X1, X1, X1 \
	VHADDPS X1, X1, X1 \
	VMOVSS X1, dst

// KGROUPDOTS is the integer part of one token of the four-token Q4_K, Q5_K
// and Q6_K kernels: the four unsigned weight groups in Z28..Z31 times the
// Q8_K quants at 4 base (64 bytes each), each group's lanes scaled by
// Z24..Z27, summed into Z2 (Z4 clobbered).
#define KGROUPDOTS(base) \
	VPXORD Z2, Z2, Z2 \
	VPDPBUSD 4 base, Z28, Z2 \
	VPMULLD Z24, Z2, Z2 \
	VPXORD Z4, Z4, Z4 \
	VPDPBUSD 68 base, Z29, Z4 \
	VPMULLD Z25, Z4, Z4 \
	VPADDD Z4, Z2, Z2 \
	VPXORD Z4, Z4, Z4 \
	VPDPBUSD 132 base, Z30, Z4 \
	VPMULLD Z26, Z4, Z4 \
	VPADDD Z4, Z2, Z2 \
	VPXORD Z4, Z4, Z4 \
	VPDPBUSD 196 base, Z31, Z4 \
	VPMULLD Z27, Z4, Z4 \
	VPADDD Z4, Z2, Z2

// Q4KTOK is one token of the four-token Q4_K and Q5_K kernels: x block at
// base, weight groups unpacked in Z28..Z31, per-group scale vectors in
// Z24..Z27, mins pairs in Y6, d broadcast in Z11, dmin broadcast in Y12.
#define Q4KTOK(base, acc) \
	KGROUPDOTS(base) \
	VCVTDQ2PS Z2, Z2 \
	VBROADCASTSS base, Z9 \
	VMULPS Z11, Z9, Z9 \
	VFMADD231PS Z9, Z2, acc \
	VMOVDQU 260 base, Y7 \
	VPMADDWD Y7, Y6, Y7 \
	VCVTDQ2PS Y7, Y7 \
	VBROADCASTSS base, Y9 \
	VMULPS Y12, Y9, Y9 \
	VFNMADD231PS Z9, Z7, acc

// NIBPAIR unpacks the 16 nibble bytes at o0(SI) and o1(SI) (blocks i and
// i+1) into Z3 = [lo_i, hi_i, lo_i+1, hi_i+1]: each 16 bytes fill two
// 128-bit lanes, and the second of each is shifted (K1 selects its words;
// Z13 = 0x0f bytes).
#define NIBPAIR(o0, o1) \
	VBROADCASTI32X4 o0(SI), Z1 \
	VBROADCASTI32X4 o1(SI), Z2 \
	VSHUFI64X2 $0, Z2, Z1, Z3 \
	VPSRLW $4, Z3, K1, Z3 \
	VPANDD Z13, Z3, Z3

// HIGHPAIR adds 16 (Z12) to the values of Z3 whose bit is set in the two
// 32-bit qh fields at o0(SI) and o1(SI) (bit j belongs to value j of the
// block).
#define HIGHPAIR(o0, o1) \
	MOVL o0(SI), AX \
	MOVL o1(SI), BX \
	SHLQ $32, BX \
	ORQ BX, AX \
	KMOVQ AX, K2 \
	VPADDB Z12, Z3, K2, Z3

// PAIRCONSTS sets the constants of the block-pair kernels: Z13 = 0x0f
// bytes, Z12 = 0x10 bytes and K1 = the high byte of every word.
#define PAIRCONSTS \
	MOVL $0x0f0f0f0f, AX \
	VPBROADCASTD AX, Z13 \
	MOVL $0x10101010, AX \
	VPBROADCASTD AX, Z12 \
	MOVL $0xff00ff00, AX \
	KMOVD AX, K1

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

// K5SCALES decodes the 8 scales and 8 mins of a Q4_K/Q5_K block (see
// KSCALEREGS) into vectors: Y5 = scales as int32, Y6 = each min as an
// int16 pair (for VPMADDWD with pairs of activation block sums).
#define K5SCALES \
	KSCALEREGS \
	VMOVD R10, X5 \
	VPINSRD $1, R12, X5, X5 \
	VPMOVZXBD X5, Y5 \
	VMOVD R11, X6 \
	VPINSRD $1, R13, X6, X6 \
	VPMOVZXBD X6, Y6 \
	VPSLLD $16, Y6, Y7 \
	VPOR Y7, Y6, Y6

// HSUM512 reduces the 16 floats of Z0 to a scalar in X0 (Y1 clobbered).
#define HSUM512 \
	VEXTRACTF64X4 $1, Z0, Y1 \
	VADDPS Y1, Y0, Y0 \
	HSUM256

// HSUM256 reduces the 8 floats of Y0 to a scalar in X0 (X1 clobbered).
#define HSUM256 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS X1, X0, X0 \
	VHADDPS X0, X0, X0 \
	VHADDPS X0, X0, X0

// PAIRSUM reduces Z0 plus lanes 1 and 3 of X15 (the m·s terms of the
// formats with a min) into dst.
#define PAIRSUM(dst) \
	HSUM512 \
	VMOVSHDUP X15, X1 \
	VMOVHLPS X1, X1, X2 \
	VADDSS X2, X1, X1 \
	VADDSS X1, X0, X0 \
	VMOVSS X0, dst

// HSUMX4 stores the sums of the four-token AVX-512 accumulators Z0, Z10,
// Z16 and Z17 at 0, 4, 8 and 12(AX).
#define HSUMX4 \
	HSUMTO(Z0, Y0, X0, (AX)) \
	HSUMTO(Z10, Y10, X10, 4(AX)) \
	HSUMTO(Z16, Y16, X16, 8(AX)) \
	HSUMTO(Z17, Y17, X17, 12(AX))

// ZEROX4 clears the four-token AVX-512 accumulators that HSUMX4 stores.
#define ZEROX4 \
	VPXORD Z0, Z0, Z0 \
	VPXORD Z10, Z10, Z10 \
	VPXORD Z16, Z16, Z16 \
	VPXORD Z17, Z17, Z17

// KMINS512 is the block start of the single-row AVX-512 Q4_K and Q5_K
// kernels after K5SCALES: Y11 += dmin·dx·(mins·block sums of the Q8_K
// activations at DI), Z9 = d·dx broadcast (X8..X10, Y7 clobbered).
#define KMINS512 \
	VMOVDQU 260(DI), Y7 \
	VPMADDWD Y7, Y6, Y7 \
	VCVTDQ2PS Y7, Y7 \
	VMOVD (SI), X8 \
	VCVTPH2PS X8, X8 \
	VBROADCASTSS (DI), X9 \
	VMULPS X9, X8, X8 \
	VBROADCASTSS X8, Z9 \
	VMOVSHDUP X8, X10 \
	VBROADCASTSS X10, Y10 \
	VFMADD231PS Y10, Y7, Y11

// KX4SCALES is the block start of the four-token AVX-512 Q4_K and Q5_K
// kernels: K5SCALES, then the scales spread to the lanes of the four
// groups (Z24..Z27, by the index vectors in Z20..Z23), d broadcast in Z11
// and dmin broadcast in Y12.
#define KX4SCALES \
	K5SCALES \
	VPERMD Z5, Z20, Z24 \
	VPERMD Z5, Z21, Z25 \
	VPERMD Z5, Z22, Z26 \
	VPERMD Z5, Z23, Z27 \
	VMOVD (SI), X8 \
	VCVTPH2PS X8, X8 \
	VBROADCASTSS X8, Z11 \
	VMOVSHDUP X8, X12 \
	VBROADCASTSS X12, Y12

// Q40PAIR loads a pair of Q4_0 blocks (18 bytes each at SI): X3 = their two
// scales as floats, the 32 quant bytes in both lanes of Y1 and shifted
// right by four in Y2 (the nibbles still to be masked).
#define Q40PAIR \
	MOVWLZX (SI), AX \
	VMOVD AX, X3 \
	VPINSRW $1, 18(SI), X3, X3 \
	VCVTPH2PS X3, X3 \
	VMOVDQU 2(SI), X1 \
	VINSERTI128 $1, 20(SI), Y1, Y1 \
	VPSRLW $4, Y1, Y2

// PREFSCALES prefetches the fp16 scales (or headers) of the x16 row at AX
// and of the next row at R15 (R14 bytes each, at the rows' start; R11
// clobbered): the quants stream from after them, so the hardware
// prefetcher, which runs ahead of that stream, never fetches them.
#define PREFSCALES \
	XORQ R11, R11 \
pfs_loop: \
	PREFETCHT0 (AX)(R11*1) \
	PREFETCHT0 (R15)(R11*1) \
	ADDQ $64, R11 \
	CMPQ R11, R14 \
	JLT pfs_loop

// F16DOT512 leaves in X0 the dot product of the CX F16 values (CX % 16 ==
// 0) at ptr with the floats at DI: 64 values a step into four accumulators
// (Z0, Z5, Z6, Z7), then 16 at a time, then added pairwise and reduced.
// ptr, DI and CX advance; Z1..Z7 are clobbered.
#define F16DOT512(ptr) \
	VPXORD Z0, Z0, Z0 \
	VPXORD Z5, Z5, Z5 \
	VPXORD Z6, Z6, Z6 \
	VPXORD Z7, Z7, Z7 \
	CMPQ CX, $64 \
	JLT f16d_tail \
f16d_loop: \
	PREFETCHT0 2048(ptr) \
	VCVTPH2PS (ptr), Z1 \
	VCVTPH2PS 32(ptr), Z2 \
	VCVTPH2PS 64(ptr), Z3 \
	VCVTPH2PS 96(ptr), Z4 \
	VFMADD231PS (DI), Z1, Z0 \
	VFMADD231PS 64(DI), Z2, Z5 \
	VFMADD231PS 128(DI), Z3, Z6 \
	VFMADD231PS 192(DI), Z4, Z7 \
	ADDQ $128, ptr \
	ADDQ $256, DI \
	SUBQ $64, CX \
	CMPQ CX, $64 \
	JGE f16d_loop \
f16d_tail: \
	TESTQ CX, CX \
	JZ f16d_sum \
	VCVTPH2PS (ptr), Z1 \
	VFMADD231PS (DI), Z1, Z0 \
	ADDQ $32, ptr \
	ADDQ $64, DI \
	SUBQ $16, CX \
	JMP f16d_tail \
f16d_sum: \
	VADDPS Z5, Z0, Z0 \
	VADDPS Z7, Z6, Z6 \
	VADDPS Z6, Z0, Z0 \
	HSUM512

// DPBF16(v, r, d) is VDPBF16PS Zr, Zv, Zd (AVX512_BF16), spelled out in
// bytes for registers only since the Go assembler lacks it: each float32
// lane of Zd adds the products of the lane's two bfloat16 values in Zv
// with those in Zr. v, r and d are register numbers (0–31).
#define DPBF16(v, r, d) \
	BYTE $0x62; \
	BYTE $((((d^31)&8)<<4) | (((r^31)&16)<<2) | (((r^31)&8)<<2) | ((d^31)&16) | 2); \
	BYTE $((((v^31)&15)<<3) | 6); \
	BYTE $(0x40 | (((v^31)&16)>>1)); \
	BYTE $0x52; \
	BYTE $(0xC0 | ((d&7)<<3) | (r&7))
