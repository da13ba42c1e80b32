#include "textflag.h"
#include "neon_arm64.h"

// Four-token Q4_K, Q5_K and Q6_K kernels (see kquantx4_arm64.h and
// q6kx4_arm64.h), with SDOT and without.

// MLA Vd.4S, Vn.4S, Vm.S[i]
#define MLAE32(d, n, m, i) ENC3(0x6F800000 | (((i)&1)<<21) | (((i)>>1)<<11), d, n, m)

#define LOADQH
#define HIGHBITS
#define BLKSZ 144
#define QSOFF 16

#define DOT DOT_SDOT
#define Q45X4FN ·q4KDotX4SDOT(SB)
#include "kquantx4_arm64.h"
#define Q6X4FN ·q6KDotX4SDOT(SB)
#include "q6kx4_arm64.h"
#undef DOT
#undef Q45X4FN
#undef Q6X4FN

#define DOT DOT_NEON
#define Q45X4FN ·q4KDotX4NEON(SB)
#include "kquantx4_arm64.h"
#define Q6X4FN ·q6KDotX4NEON(SB)
#include "q6kx4_arm64.h"
#undef DOT
#undef Q45X4FN
#undef Q6X4FN

#undef LOADQH
#undef HIGHBITS
#undef BLKSZ
#undef QSOFF

// Q5_K: fifth bits as in the row kernel (kquant_arm64.s): qh in V24 and
// V25 moves down two bits per chunk; each bit goes to bit 4 of its nibble.
#define LOADQH ADD $16, R0, R4; VLD1 (R4), [V24.B16, V25.B16]
#define HIGHBITS \
	SHL16B(26, 24, 7); USHR16B(26, 26, 3); ORR16B(12, 12, 26); \
	SHL16B(26, 25, 7); USHR16B(26, 26, 3); ORR16B(13, 13, 26); \
	USHR16B(26, 24, 1); SHL16B(26, 26, 7); USHR16B(26, 26, 3); ORR16B(14, 14, 26); \
	USHR16B(26, 25, 1); SHL16B(26, 26, 7); USHR16B(26, 26, 3); ORR16B(15, 15, 26); \
	USHR16B(24, 24, 2); USHR16B(25, 25, 2)
#define BLKSZ 176
#define QSOFF 48

#define DOT DOT_SDOT
#define Q45X4FN ·q5KDotX4SDOT(SB)
#include "kquantx4_arm64.h"
#undef DOT
#undef Q45X4FN

#define DOT DOT_NEON
#define Q45X4FN ·q5KDotX4NEON(SB)
#include "kquantx4_arm64.h"
