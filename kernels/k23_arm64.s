#include "textflag.h"
#include "neon_arm64.h"

// Q2_K and Q3_K row kernels (see k23_arm64.h) and four-token kernels (see
// k23x4_arm64.h) against Q8_K activations, with SDOT and without.

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
// FSUB Vd.4S, Vn.4S, Vm.4S
#define FSUB32(d, n, m) ENC3(0x4EA0D400, d, n, m)

// Q2_K block: scales (low nibble scale, high nibble min) at 0, quants at
// 16, d at 80, dmin at 82. Its dot is d·dy·Σ scale·q·y − dmin·dy·Σ min·bsum,
// each product rounded as tensor.DotQ8Ref does.
#define BLKSZ 84
#define QOFF 16
#define K23INIT VMOVI $15, V27.B16
// Q2SCALES: the scales as int32 in V20..V23, the mins as int16 in V15
// (sub-blocks 0..7) and V14 (8..15).
#define Q2SCALES \
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
	UXTL2_8(14, 14)
// Q2MINS(xp, v): the lanes of Vv sum to Σ min·bsum for the activation
// block at Rxp (mins widened by Q2SCALES in V15 and V14).
#define Q2MINS(xp, v) \
	ADD $260, xp, R4; \
	VLD1 (R4), [V8.H8, V9.H8]; \
	SMULL16(v, 8, 15); \
	SMLAL2_16(v, 8, 15); \
	SMLAL16(v, 9, 14); \
	SMLAL2_16(v, 9, 14)
#define K23SCALES Q2SCALES; Q2MINS(R1, 29)
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

#define X4SCALES Q2SCALES
#define X4MINS \
	Q2MINS(R1, 16); \
	Q2MINS(R7, 17); \
	Q2MINS(R8, 18); \
	Q2MINS(R9, 19); \
	ADDP32(16, 16, 17); \
	ADDP32(18, 18, 19); \
	ADDP32(29, 16, 18)
#define DOFF 80
#define X4MINTERM \
	SCVTF32(29, 29); \
	MOVHU 82(R0), R4; FMOVS R4, F11; FCVTHS F11, F11; \
	VDUP V11.S[0], V11.S4; \
	FMUL32(11, 11, 8); \
	FMUL32(11, 11, 29); \
	FSUB32(10, 10, 11)
#define DOT DOT_SDOT
#define K23X4FN ·q2KDotX4SDOT(SB)
#include "k23x4_arm64.h"
#undef DOT
#undef K23X4FN
#define DOT DOT_NEON
#define K23X4FN ·q2KDotX4NEON(SB)
#include "k23x4_arm64.h"
#undef DOT
#undef K23X4FN
#undef X4SCALES
#undef X4MINS
#undef DOFF
#undef X4MINTERM
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
#undef DOT
#undef K23FN

#define X4SCALES K23SCALES
#define X4MINS
#define DOFF 108
#define X4MINTERM
#define DOT DOT_SDOT
#define K23X4FN ·q3KDotX4SDOT(SB)
#include "k23x4_arm64.h"
#undef DOT
#undef K23X4FN
#define DOT DOT_NEON
#define K23X4FN ·q3KDotX4NEON(SB)
#include "k23x4_arm64.h"
