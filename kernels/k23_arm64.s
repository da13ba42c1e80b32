#include "textflag.h"
#include "neon_arm64.h"

// Q2_K and Q3_K row kernels against Q8_K activations (see k23_arm64.h),
// with SDOT and without.

// USHLL2 Vd.8H, Vn.16B, #0 (UXTL2)
#define UXTL2_8(d, n) ENC2(0x6F08A400, d, n)
// SSHLL2 Vd.8H, Vn.16B, #0 (SXTL2)
#define SXTL2_8(d, n) ENC2(0x4F08A400, d, n)
// SMLAL Vd.4S, Vn.4H, Vm.4H
#define SMLAL16(d, n, m) ENC3(0x0E608000, d, n, m)
// SSHR Vd.16B, Vn.16B, #s (1 ≤ s ≤ 8)
#define SSHR16B(d, n, s) ENC2(0x4F000400 | ((16-(s))<<16), d, n)
// BIC Vd.16B, Vn.16B, Vm.16B
#define BIC16B(d, n, m) ENC3(0x4E601C00, d, n, m)

// Q2_K block: scales (low nibble scale, high nibble min) at 0, quants at
// 16, d at 80, dmin at 82. Its dot is d·dy·Σ scale·q·y − dmin·dy·Σ min·bsum,
// each product rounded as tensor.DotQ8Ref does.
#define BLKSZ 84
#define QOFF 16
#define K23INIT VMOVI $15, V27.B16
#define K23SCALES \
	VLD1 (R0), [V12.B16]; \
	AND16B(13, 12, 27); \
	USHR16B(14, 12, 4); \
	UXTL8(15, 13); \
	UXTL2_8(13, 13); \
	UXTL16(20, 15); \
	UXTL2_16(21, 15); \
	UXTL16(22, 13); \
	UXTL2_16(23, 13); \
	UXTL8(15, 14); \
	UXTL2_8(14, 14); \
	ADD $260, R1, R4; \
	VLD1 (R4), [V8.H8, V9.H8]; \
	SMULL16(29, 8, 15); \
	SMLAL2_16(29, 8, 15); \
	SMLAL16(29, 9, 14); \
	SMLAL2_16(29, 9, 14)
#define K23HB(d, h, b)
#define K23TAIL \
	ADDP32(28, 28, 29); \
	ADDP32(28, 28, 28); \
	SCVTF32(28, 28); \
	FMOVS (R1), F10; \
	MOVHU 80(R0), R6; FMOVS R6, F11; FCVTHS F11, F11; \
	MOVHU 82(R0), R6; FMOVS R6, F12; FCVTHS F12, F12; \
	FMULS F11, F10, F13; \
	FMULS F12, F10, F14; \
	VMOV V28.S[1], R6; FMOVS R6, F15; \
	FMULS F28, F13, F13; \
	FMULS F15, F14, F14; \
	FSUBS F14, F13, F13; \
	FADDS F13, F30, F30

#define DOT DOT_SDOT
#define K23FN ·q2KDotSDOT(SB)
#include "k23_arm64.h"
#undef DOT
#undef K23FN
#define DOT DOT_NEON
#define K23FN ·q2KDotNEON(SB)
#include "k23_arm64.h"
#undef DOT
#undef K23FN
#undef BLKSZ
#undef QOFF
#undef K23INIT
#undef K23SCALES
#undef K23HB
#undef K23TAIL

// Q3_K block: high bits at 0, quants at 32, twelve bytes of 6-bit scales
// (biased by 32) at 96, d at 108. A weight is its two bits minus 4 when
// its high bit is clear. Its dot is d·dy·Σ scale·q·y.
#define BLKSZ 110
#define QOFF 32
#define K23INIT \
	MOVD $0x0f0f0f0f0f0f0f0f, R24; \
	MOVW $0x03030303, R17; \
	VMOVI $32, V26.B16; \
	VMOVI $4, V25.B16
// The scales: low nibbles from bytes 0..7 (low halves for 0..7, high
// halves for 8..15), two high bits each from bytes 8..11.
#define K23SCALES \
	MOVD 96(R0), R4; \
	MOVWU 104(R0), R6; \
	AND R24, R4, R12; \
	LSR $4, R4, R13; \
	AND R24, R13, R13; \
	AND R17, R6, R14; \
	LSR $2, R6, R15; \
	AND R17, R15, R15; \
	ORR R15<<32, R14, R14; \
	ORR R14<<4, R12, R12; \
	LSR $4, R6, R14; \
	AND R17, R14, R14; \
	LSR $6, R6, R15; \
	AND R17, R15, R15; \
	ORR R15<<32, R14, R14; \
	ORR R14<<4, R13, R13; \
	VMOV R12, V12.D[0]; \
	VMOV R13, V12.D[1]; \
	SUB16B(12, 12, 26); \
	SXTL8(13, 12); \
	SXTL2_8(14, 12); \
	SXTL16(20, 13); \
	SXTL2_16(21, 13); \
	SXTL16(22, 14); \
	SXTL2_16(23, 14); \
	VLD1 (R0), [V4.B16, V5.B16]
// K23HB: 4 is subtracted where bit b of the high-bit byte is clear.
#define K23HB(d, h, b) \
	SHL16B(24, h, 7-(b)); \
	SSHR16B(24, 24, 7); \
	BIC16B(24, 25, 24); \
	SUB16B(d, d, 24)
#define K23TAIL \
	ADDP32(28, 28, 28); \
	ADDP32(28, 28, 28); \
	SCVTF32(28, 28); \
	FMOVS (R1), F10; \
	MOVHU 108(R0), R6; FMOVS R6, F11; FCVTHS F11, F11; \
	FMULS F10, F11, F13; \
	FMULS F28, F13, F13; \
	FADDS F13, F30, F30

#define DOT DOT_SDOT
#define K23FN ·q3KDotSDOT(SB)
#include "k23_arm64.h"
#undef DOT
#undef K23FN
#define DOT DOT_NEON
#define K23FN ·q3KDotNEON(SB)
#include "k23_arm64.h"
