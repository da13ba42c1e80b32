#!/usr/bin/env python3
# Writes attn_arm64.s, the NEON attention kernels:
#
#   python3 attn_arm64_gen.py > attn_arm64.s
#
# Register use in the score kernels: accumulators V0..V15 (query r, key c
# in V(r*C+c)), queries V16..V19, keys V20..V27, the scale in V31. In the
# value kernels: accumulators V0..V15 (row r, vector w in V(r*W+w)), values
# V16..V23 (F16 halves loaded into V16 or V20..V23 first), probabilities
# V24..V27.

out = []


def emit(s=""):
    out.append(s)


QPTR = ["R10", "R11", "R12", "R13"]
KPTR = ["R14", "R15", "R16", "R17", "R19", "R20", "R21", "R22"]


def vlist(first, n, arr="S4"):
    return "[" + ", ".join(f"V{first + i}.{arr}" for i in range(n)) + "]"


def scores(t, R, C):
    """R queries × C keys per step, 4 elements of the head per iteration."""
    name = f"attnSc{t}R{R}NEON"
    emit(f"// func {name}(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32)")
    emit(f"// {R} quer{'y' if R == 1 else 'ies'} × {C} keys per step; hd is a positive multiple of 4.")
    emit(f"TEXT ·{name}(SB), NOSPLIT, $0-60")
    emit("\tMOVD q+0(FP), R0")
    emit("\tMOVD hd+8(FP), R1")
    emit("\tMOVD k+16(FP), R2")
    emit("\tMOVD kStride+24(FP), R3")
    emit("\tMOVD groups+32(FP), R4")
    emit("\tMOVD s+40(FP), R5")
    emit("\tMOVD ldS+48(FP), R6")
    emit("\tLSL $2, R6, R6")
    emit("\tLSL $2, R1, R8")  # bytes of one query row
    emit("\tMOVWU scale+56(FP), R7")
    emit("\tVDUP R7, V31.S4")
    lab = name
    emit(f"{lab}_group:")
    for a in range(R * C):
        emit(f"\tVEOR V{a}.B16, V{a}.B16, V{a}.B16")
    emit(f"\tMOVD R0, {QPTR[0]}")
    for r in range(1, R):
        emit(f"\tADD R8, {QPTR[r - 1]}, {QPTR[r]}")
    emit(f"\tMOVD R2, {KPTR[0]}")
    for c in range(1, C):
        emit(f"\tADD R3, {KPTR[c - 1]}, {KPTR[c]}")
    emit("\tLSR $2, R1, R9")
    emit(f"{lab}_inner:")
    for r in range(R):
        emit(f"\tVLD1.P 16({QPTR[r]}), [V{16 + r}.S4]")
    for c in range(C):
        kr = 20 + c
        if t == "F32":
            emit(f"\tVLD1.P 16({KPTR[c]}), [V{kr}.S4]")
        else:
            emit(f"\tVLD1.P 8({KPTR[c]}), [V{kr}.H4]")
            emit(f"\tFCVTL({kr}, {kr})")
        for r in range(R):
            emit(f"\tFMLA32({r * C + c}, {16 + r}, {kr})")
    emit("\tSUBS $1, R9, R9")
    emit(f"\tBNE {lab}_inner")
    # Fold: lanes of four accumulators into one vector of four sums.
    for r in range(R):
        emit(f"\tMOVD R5, R7" if r == 0 else f"\tADD R6, R23, R7")
        emit("\tMOVD R7, R23")
        for g in range(C // 4):
            a = r * C + 4 * g
            emit(f"\tFADDP32({a}, {a}, {a + 1})")
            emit(f"\tFADDP32({a + 2}, {a + 2}, {a + 3})")
            emit(f"\tFADDP32({a}, {a}, {a + 2})")
            emit(f"\tFMUL32({a}, {a}, 31)")
            emit(f"\tVST1.P [V{a}.S4], 16(R7)")
    emit(f"\tADD ${4 * C}, R5, R5")
    emit(f"\tADD R3<<{C.bit_length() - 1}, R2, R2")
    emit("\tSUBS $1, R4, R4")
    emit(f"\tBNE {lab}_group")
    emit("\tRET")
    emit()


def load_values(t, W):
    """Loads W vectors of 4 values from R4 into V16..V16+W-1."""
    if t == "F32":
        if W <= 4:
            emit(f"\tVLD1 (R4), {vlist(16, W)}")
        else:
            emit("\tMOVD R4, R7")
            emit(f"\tVLD1.P 64(R7), {vlist(16, 4)}")
            emit(f"\tVLD1 (R7), {vlist(20, W - 4)}")
        return
    if W == 1:
        emit("\tVLD1 (R4), [V16.H4]")
        emit("\tFCVTL(16, 16)")
    elif W == 2:
        emit("\tVLD1 (R4), [V16.H8]")
        emit("\tFCVTL2(17, 16)")
        emit("\tFCVTL(16, 16)")
    else:
        n = W // 2
        emit(f"\tVLD1 (R4), {vlist(20, n, 'H8')}")
        for i in range(n):
            emit(f"\tFCVTL({16 + 2 * i}, {20 + i})")
            emit(f"\tFCVTL2({17 + 2 * i}, {20 + i})")


def accumulate(t, R, W):
    """R output rows × W vectors of 4 values, over nk ≥ 1 keys."""
    name = f"attnAc{t}R{R}W{W}NEON"
    emit(f"// func {name}(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int)")
    emit(f"// {R} row{'s' if R > 1 else ''} × {4 * W} values of out.")
    emit(f"TEXT ·{name}(SB), NOSPLIT, $0-56")
    emit("\tMOVD out+0(FP), R0")
    emit("\tMOVD ldO+8(FP), R1")
    emit("\tLSL $2, R1, R1")
    emit("\tMOVD p+16(FP), R2")
    emit("\tMOVD ldP+24(FP), R3")
    emit("\tLSL $2, R3, R3")
    emit("\tMOVD v+32(FP), R4")
    emit("\tMOVD vStride+40(FP), R5")
    emit("\tMOVD nk+48(FP), R6")
    emit(f"\tMOVD R0, {QPTR[0]}")
    emit(f"\tMOVD R2, {KPTR[0]}")
    for r in range(1, R):
        emit(f"\tADD R1, {QPTR[r - 1]}, {QPTR[r]}")
        emit(f"\tADD R3, {KPTR[r - 1]}, {KPTR[r]}")

    def rows(op):
        for r in range(R):
            a = r * W
            if W <= 4:
                if op == "load":
                    emit(f"\tVLD1 ({QPTR[r]}), {vlist(a, W)}")
                else:
                    emit(f"\tVST1 {vlist(a, W)}, ({QPTR[r]})")
            else:
                emit(f"\tMOVD {QPTR[r]}, R7")
                if op == "load":
                    emit(f"\tVLD1.P 64(R7), {vlist(a, 4)}")
                    emit(f"\tVLD1 (R7), {vlist(a + 4, W - 4)}")
                else:
                    emit(f"\tVST1.P {vlist(a, 4)}, 64(R7)")
                    emit(f"\tVST1 {vlist(a + 4, W - 4)}, (R7)")

    rows("load")
    lab = name
    emit(f"{lab}_key:")
    for r in range(R):
        emit(f"\tVLD1R.P 4({KPTR[r]}), [V{24 + r}.S4]")
    load_values(t, W)
    emit("\tADD R5, R4, R4")
    for w in range(W):
        for r in range(R):
            emit(f"\tFMLA32({r * W + w}, {16 + w}, {24 + r})")
    emit("\tSUBS $1, R6, R6")
    emit(f"\tBNE {lab}_key")
    rows("store")
    emit("\tRET")
    emit()


def widen():
    for t in ["F32", "F16", "Q8"]:
        name = f"attnWiden{t}NEON"
        emit(f"// func {name}(dst *float32, ldD int, src *byte, stride int, n int, hd int)")
        if t == "Q8":
            emit("// n ≥ 1 rows of hd (a positive multiple of 32) Q8_0 values.")
        else:
            emit(f"// n ≥ 1 rows of hd (a positive multiple of 4) {t} values.")
        emit(f"TEXT ·{name}(SB), NOSPLIT, $0-48")
        emit("\tMOVD dst+0(FP), R0")
        emit("\tMOVD ldD+8(FP), R1")
        emit("\tLSL $2, R1, R1")
        emit("\tMOVD src+16(FP), R2")
        emit("\tMOVD stride+24(FP), R3")
        emit("\tMOVD n+32(FP), R4")
        emit("\tMOVD hd+40(FP), R5")
        lab = name
        emit(f"{lab}_row:")
        emit("\tMOVD R0, R6")
        emit("\tMOVD R2, R7")
        emit("\tMOVD R5, R8")
        if t == "Q8":
            emit(f"{lab}_block:")
            emit("\tMOVHU.P 2(R7), R9")
            emit("\tVDUP R9, V0.H8")
            emit("\tFCVTL(0, 0)")
            emit("\tVLD1.P 32(R7), [V1.B16, V2.B16]")
            emit("\tSXTL8(3, 1)")
            emit("\tSXTL2_8(4, 1)")
            emit("\tSXTL8(5, 2)")
            emit("\tSXTL2_8(6, 2)")
            for h in range(4):
                emit(f"\tSXTL16({16 + 2 * h}, {3 + h})")
                emit(f"\tSXTL2_16({17 + 2 * h}, {3 + h})")
            for i in range(8):
                emit(f"\tSCVTF32({16 + i}, {16 + i})")
                emit(f"\tFMUL32({16 + i}, {16 + i}, 0)")
            emit(f"\tVST1.P {vlist(16, 4)}, 64(R6)")
            emit(f"\tVST1.P {vlist(20, 4)}, 64(R6)")
            emit("\tSUBS $32, R8, R8")
            emit(f"\tBNE {lab}_block")
        else:
            emit(f"{lab}_16:")
            emit("\tCMP $16, R8")
            emit(f"\tBLT {lab}_4")
            if t == "F32":
                emit(f"\tVLD1.P 64(R7), {vlist(16, 4)}")
            else:
                emit("\tVLD1.P 32(R7), [V20.H8, V21.H8]")
                emit("\tFCVTL(16, 20)")
                emit("\tFCVTL2(17, 20)")
                emit("\tFCVTL(18, 21)")
                emit("\tFCVTL2(19, 21)")
            emit(f"\tVST1.P {vlist(16, 4)}, 64(R6)")
            emit("\tSUB $16, R8, R8")
            emit(f"\tB {lab}_16")
            emit(f"{lab}_4:")
            emit(f"\tCBZ R8, {lab}_next")
            if t == "F32":
                emit("\tVLD1.P 16(R7), [V16.S4]")
            else:
                emit("\tVLD1.P 8(R7), [V16.H4]")
                emit("\tFCVTL(16, 16)")
            emit("\tVST1.P [V16.S4], 16(R6)")
            emit("\tSUB $4, R8, R8")
            emit(f"\tB {lab}_4")
            emit(f"{lab}_next:")
        emit("\tADD R1, R0, R0")
        emit("\tADD R3, R2, R2")
        emit("\tSUBS $1, R4, R4")
        emit(f"\tBNE {lab}_row")
        emit("\tRET")
        emit()


def softmax():
    emit("// func attnMaxNEON(x *float32, n int) float32")
    emit("// n is a positive multiple of 4.")
    emit("TEXT ·attnMaxNEON(SB), NOSPLIT, $0-20")
    emit("\tMOVD x+0(FP), R0")
    emit("\tMOVD n+8(FP), R1")
    emit("\tCONST(0xff800000, V0)")
    emit("\tVMOV V0.B16, V1.B16")
    emit("\tVMOV V0.B16, V2.B16")
    emit("\tVMOV V0.B16, V3.B16")
    emit("attnMax_16:")
    emit("\tCMP $16, R1")
    emit("\tBLT attnMax_4")
    emit(f"\tVLD1.P 64(R0), {vlist(4, 4)}")
    for i in range(4):
        emit(f"\tFMAX32({i}, {i}, {4 + i})")
    emit("\tSUB $16, R1, R1")
    emit("\tB attnMax_16")
    emit("attnMax_4:")
    emit("\tCBZ R1, attnMax_done")
    emit("\tVLD1.P 16(R0), [V4.S4]")
    emit("\tFMAX32(0, 0, 4)")
    emit("\tSUB $4, R1, R1")
    emit("\tB attnMax_4")
    emit("attnMax_done:")
    emit("\tFMAX32(0, 0, 1)")
    emit("\tFMAX32(2, 2, 3)")
    emit("\tFMAX32(0, 0, 2)")
    emit("\tFMAXP32(0, 0, 0)")
    emit("\tFMAXPS(0, 0)")
    emit("\tFMOVS F0, ret+16(FP)")
    emit("\tRET")
    emit()

    emit("// func attnExpSumNEON(x *float32, n int, m float32) float32")
    emit("// x[i] = e^(x[i]-m) for i < n (a positive multiple of 4); returns their")
    emit("// sum. Arguments below -87 (and -Inf, NaN) give 0. e^t = 2^k · e^r with")
    emit("// k = round(t·log2 e), r = t - k·ln2 (in two parts) and e^r by its")
    emit("// degree-7 Taylor polynomial, as expNeg.")
    emit("TEXT ·attnExpSumNEON(SB), NOSPLIT, $0-28")
    emit("\tMOVD x+0(FP), R0")
    emit("\tMOVD n+8(FP), R1")
    emit("\tMOVWU m+16(FP), R2")
    emit("\tVDUP R2, V20.S4")
    consts = [
        (21, "0x3fb8aa3b"),  # log2 e
        (22, "0x3f317200"),  # ln2, high part 0.693145751953125
        (23, "0x35bfbe8e"),  # ln2, low part 1.428606765330187e-06
        (24, "0xc2ae0000"),  # -87
        (25, "0xc2b00000"),  # -88: clamp (also makes -Inf finite)
        (26, "0x39500d01"),  # 1/5040
        (27, "0x3ab60b61"),  # 1/720
        (28, "0x3c088889"),  # 1/120
        (29, "0x3d2aaaab"),  # 1/24
        (30, "0x3e2aaaab"),  # 1/6
        (31, "0x3f000000"),  # 1/2
        (19, "0x3f800000"),  # 1
        (18, "0x7f"),  # exponent bias 127
    ]
    for reg, val in consts:
        emit(f"\tCONST({val}, V{reg})")
    emit("\tVEOR V16.B16, V16.B16, V16.B16")
    emit("\tVEOR V17.B16, V17.B16, V17.B16")
    emit("attnExp_loop:")
    emit("\tCMP $8, R1")
    emit("\tBLT attnExp_one")
    emit("\tMOVD R0, R3")
    emit("\tVLD1.P 16(R3), [V0.S4]")
    emit("\tVLD1 (R3), [V8.S4]")
    emit("\tEXPV(0, 16)")
    emit("\tEXPV(8, 17)")
    emit("\tVST1.P [V0.S4], 16(R0)")
    emit("\tVST1.P [V8.S4], 16(R0)")
    emit("\tSUBS $8, R1, R1")
    emit("\tBNE attnExp_loop")
    emit("\tB attnExp_done")
    emit("attnExp_one:")
    emit("\tVLD1 (R0), [V0.S4]")
    emit("\tEXPV(0, 16)")
    emit("\tVST1 [V0.S4], (R0)")
    emit("attnExp_done:")
    emit("\tFADD32(16, 16, 17)")
    emit("\tFSUM4(16)")
    emit("\tFMOVS F16, ret+24(FP)")
    emit("\tRET")
    emit()


HEADER = r"""// Code generated by attn_arm64_gen.py; DO NOT EDIT.

#include "textflag.h"
#include "neon_arm64.h"

// NEON attention kernels (see attn.go and attn_arm64.go). Scores: float32
// queries against F32 or F16 key rows (F16 widened with FCVTL as loaded),
// R queries × C keys of dot products at a time, folded and scaled at the
// end of a group. Value sums: R output rows × W vectors of four values,
// one multiply-add per row and vector for each key.

// FSUB, FMAX, FMAXP, FCMGE, FMLS Vd.4S, Vn.4S, Vm.4S
#define FSUB32(d, n, m) ENC3(0x4EA0D400, d, n, m)
#define FMAX32(d, n, m) ENC3(0x4E20F400, d, n, m)
#define FMAXP32(d, n, m) ENC3(0x6E20F400, d, n, m)
#define FCMGE32(d, n, m) ENC3(0x6E20E400, d, n, m)
#define FMLS32(d, n, m) ENC3(0x4EA0CC00, d, n, m)
// FMAXP Sd, Vn.2S
#define FMAXPS(d, n) ENC2(0x7E30F800, d, n)
// FRINTN (to nearest even), FCVTZS Vd.4S, Vn.4S
#define FRINTN32(d, n) ENC2(0x4E218800, d, n)
#define FCVTZS32(d, n) ENC2(0x4EA1B800, d, n)
// ADD Vd.4S, Vn.4S, Vm.4S; SHL Vd.4S, Vn.4S, #23
#define ADD32(d, n, m) ENC3(0x4EA08400, d, n, m)
#define SHL32_23(d, n) ENC2(0x4F375400, d, n)
// SSHLL2 Vd.8H, Vn.16B, #0 (SXTL2)
#define SXTL2_8(d, n) ENC2(0x4F08A400, d, n)
// MOVV(d, n) copies Vn to Vd.
#define MOVV(d, n) ORR16B(d, n, n)

#define CONST(c, v) MOVW $c, R4; VDUP R4, v.S4

// EXPV(x, acc): Vx = e^(Vx - V20) lane by lane, added to Vacc; scratch
// Vx+1..Vx+4 (constants in V18, V19, V21..V31, see attnExpSumNEON).
#define EXPV(x, acc) \
	FSUB32(x, x, 20); \
	FCMGE32(x+4, x, 24); \
	FMAX32(x, x, 25); \
	FMUL32(x+1, x, 21); \
	FRINTN32(x+1, x+1); \
	FMLS32(x, x+1, 22); \
	FMLS32(x, x+1, 23); \
	MOVV(x+2, 27); \
	FMLA32(x+2, 26, x); \
	MOVV(x+3, 28); \
	FMLA32(x+3, x+2, x); \
	MOVV(x+2, 29); \
	FMLA32(x+2, x+3, x); \
	MOVV(x+3, 30); \
	FMLA32(x+3, x+2, x); \
	MOVV(x+2, 31); \
	FMLA32(x+2, x+3, x); \
	MOVV(x+3, 19); \
	FMLA32(x+3, x+2, x); \
	MOVV(x+2, 19); \
	FMLA32(x+2, x+3, x); \
	FCVTZS32(x+1, x+1); \
	ADD32(x+1, x+1, 18); \
	SHL32_23(x+1, x+1); \
	FMUL32(x, x+2, x+1); \
	AND16B(x, x, x+4); \
	FADD32(acc, acc, x)
"""

emit(HEADER)
SC = [(4, 4), (2, 8), (1, 8)]
AC = [(4, 4), (4, 2), (4, 1), (2, 8), (2, 4), (2, 2), (2, 1), (1, 8), (1, 4), (1, 2), (1, 1)]
for t in ["F32", "F16"]:
    for R, C in SC:
        scores(t, R, C)
for t in ["F32", "F16"]:
    for R, W in AC:
        accumulate(t, R, W)
widen()
softmax()
print("\n".join(out).rstrip("\n"))
