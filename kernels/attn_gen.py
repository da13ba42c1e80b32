#!/usr/bin/env python3
# Writes attn_amd64.s, the unrolled AVX-512 and AVX2 attention kernels:
#
#   python3 attn_gen.py > attn_amd64.s
import sys

out = []


def emit(s=""):
    out.append(s)


TYPES = ["F32", "F16", "Q8"]


def key_addr(ptr, c, disp=0):
    """Address of key c (0..3) relative to pointer ptr, BX = stride, R10 = 3*stride."""
    idx = ["", "(BX*1)", "(BX*2)", "(R10*1)"][c]
    d = str(disp) if disp else ""
    return f"{d}({ptr}){idx}"


def reduce16(final):
    """Sum each of Z0..Z15 across lanes into one vector: output float 4L+p
    is the total of Z(4p+L)."""
    # 16 -> 8: 256-bit halves.
    for p in range(8):
        a, b = 2 * p, 2 * p + 1
        emit(f"\tVSHUFF32X4 $0x44, Z{b}, Z{a}, Z16")
        emit(f"\tVSHUFF32X4 $0xEE, Z{b}, Z{a}, Z17")
        emit(f"\tVADDPS Z17, Z16, Z{p}")
    # 8 -> 4: 128-bit lanes.
    for p in range(4):
        a, b = 2 * p, 2 * p + 1
        emit(f"\tVSHUFF32X4 $0x88, Z{b}, Z{a}, Z16")
        emit(f"\tVSHUFF32X4 $0xDD, Z{b}, Z{a}, Z17")
        emit(f"\tVADDPS Z17, Z16, Z{p}")
    # 4 -> 2: pairs of floats.
    for p in range(2):
        a, b = 2 * p, 2 * p + 1
        emit(f"\tVUNPCKLPD Z{b}, Z{a}, Z16")
        emit(f"\tVUNPCKHPD Z{b}, Z{a}, Z17")
        emit(f"\tVADDPS Z17, Z16, Z{p}")
    # 2 -> 1: single floats.
    emit("\tVSHUFPS $0x88, Z1, Z0, Z16")
    emit("\tVSHUFPS $0xDD, Z1, Z0, Z17")
    emit(f"\tVADDPS Z17, Z16, {final}")


def acc_reg(r, c, C):
    p = r * C + c
    return f"Z{4 * (p % 4) + p // 4}"


PF4 = 16  # rows ahead that the widening kernels prefetch (the others are told)


def prefetch4():
    for idx in ["", "(BX*1)", "(BX*2)", "(R10*1)"]:
        emit(f"\tPREFETCHT0 (R13){idx}")


def scores(t, R):
    C = 16 // R
    name = f"attnSc{t}R{R}"
    lab = name
    emit(f"// func {name}(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32, ahead int)")
    emit(f"// {R} quer{'y' if R == 1 else 'ies'} × {C} keys per step.")
    emit(f"TEXT ·{name}(SB), NOSPLIT, $0-72")
    emit("\tMOVQ q+0(FP), SI")
    emit("\tMOVQ k+16(FP), DI")
    emit("\tMOVQ kStride+24(FP), BX")
    emit("\tLEAQ (BX)(BX*2), R10")
    emit("\tMOVQ groups+32(FP), CX")
    emit("\tMOVQ s+40(FP), DX")
    emit("\tVBROADCASTSS scale+56(FP), Z31")
    # bytes of one key row consumed by the inner loop: R13 (R=4) / via pointers (R=1)
    emit("\tMOVQ hd+8(FP), R9")
    if R == 4:
        emit("\tMOVQ R9, R11")
        emit("\tSHLQ $2, R11")  # query row stride in bytes
        emit("\tLEAQ (R11)(R11*2), R12")
        emit("\tMOVQ ahead+64(FP), R8")  # prefetch distance in bytes
    emit(f"{lab}_group:")
    for i in range(16):
        emit(f"\tVPXORD Z{i}, Z{i}, Z{i}")
    emit("\tMOVQ SI, AX")
    emit("\tMOVQ hd+8(FP), R9")
    emit("\tSHRQ $4, R9" if t != "Q8" else "\tSHRQ $5, R9")
    if R == 1:
        emit("\tLEAQ (DI)(BX*4), R11")
        emit("\tLEAQ (DI)(BX*8), R12")
        emit("\tLEAQ (R11)(BX*8), R13")
        # Prefetch the first two lines of the group's rows, ahead.
        emit("\tMOVQ ahead+64(FP), R8")
        emit("\tADDQ DI, R8")
        for b in range(4):
            for idx in ["", "(BX*1)", "(BX*2)", "(R10*1)"]:
                emit(f"\tPREFETCHT0 (R8){idx}")
                emit(f"\tPREFETCHT0 64(R8){idx}")
            if b < 3:
                emit("\tLEAQ (R8)(BX*4), R8")
    else:
        emit("\tLEAQ (DI)(R8*1), R13")
    emit(f"{lab}_inner:")
    ptrs = ["DI", "R11", "R12", "R13"]
    if t in ("F32", "F16"):
        if R == 4:
            emit("\tVMOVUPS (AX), Z16")
            emit("\tVMOVUPS (AX)(R11*1), Z17")
            emit("\tVMOVUPS (AX)(R11*2), Z18")
            emit("\tVMOVUPS (AX)(R12*1), Z19")
            prefetch4()
            for c in range(4):
                kr = f"Z{20 + c}"
                if t == "F32":
                    emit(f"\tVMOVUPS {key_addr('DI', c)}, {kr}")
                else:
                    emit(f"\tVCVTPH2PS {key_addr('DI', c)}, {kr}")
                for r in range(4):
                    emit(f"\tVFMADD231PS Z{16 + r}, {kr}, {acc_reg(r, c, C)}")
            emit("\tADDQ $64, AX")
            emit(f"\tADDQ ${64 if t == 'F32' else 32}, DI")
            emit(f"\tADDQ ${64 if t == 'F32' else 32}, R13")
        else:
            emit("\tVMOVUPS (AX), Z16")
            for c in range(16):
                addr = key_addr(ptrs[c // 4], c % 4)
                if t == "F32":
                    emit(f"\tVFMADD231PS {addr}, Z16, {acc_reg(0, c, C)}")
                else:
                    kr = f"Z{20 + c % 8}"
                    emit(f"\tVCVTPH2PS {addr}, {kr}")
                    emit(f"\tVFMADD231PS Z16, {kr}, {acc_reg(0, c, C)}")
            emit("\tADDQ $64, AX")
            step = 64 if t == "F32" else 32
            for p in ptrs:
                emit(f"\tADDQ ${step}, {p}")
    else:  # Q8: one block of 32 per iteration
        if R == 4:
            emit("\tVMOVUPS (AX), Z16")
            emit("\tVMOVUPS (AX)(R11*1), Z17")
            emit("\tVMOVUPS (AX)(R11*2), Z18")
            emit("\tVMOVUPS (AX)(R12*1), Z19")
            emit("\tVMOVUPS 64(AX), Z24")
            emit("\tVMOVUPS 64(AX)(R11*1), Z25")
            emit("\tVMOVUPS 64(AX)(R11*2), Z26")
            emit("\tVMOVUPS 64(AX)(R12*1), Z27")
            prefetch4()
            for c in range(4):
                emit(f"\tVPBROADCASTW {key_addr('DI', c)}, Y20")
                emit(f"\tVPMOVSXBD {key_addr('DI', c, 2)}, Z21")
                emit(f"\tVPMOVSXBD {key_addr('DI', c, 18)}, Z22")
                emit("\tVCVTPH2PS Y20, Z20")
                emit("\tVCVTDQ2PS Z21, Z21")
                emit("\tVCVTDQ2PS Z22, Z22")
                emit("\tVMULPS Z20, Z21, Z21")
                emit("\tVMULPS Z20, Z22, Z22")
                for r in range(4):
                    emit(f"\tVFMADD231PS Z{16 + r}, Z21, {acc_reg(r, c, C)}")
                    emit(f"\tVFMADD231PS Z{24 + r}, Z22, {acc_reg(r, c, C)}")
            emit("\tADDQ $128, AX")
            emit("\tADDQ $34, DI")
            emit("\tADDQ $34, R13")
        else:
            emit("\tVMOVUPS (AX), Z16")
            emit("\tVMOVUPS 64(AX), Z17")
            for c in range(16):
                base = 20 if c % 2 == 0 else 24
                d, k0, k1 = f"Z{base}", f"Z{base + 1}", f"Z{base + 2}"
                addr = lambda disp: key_addr(ptrs[c // 4], c % 4, disp)
                emit(f"\tVPBROADCASTW {addr(0)}, Y{base}")
                emit(f"\tVPMOVSXBD {addr(2)}, {k0}")
                emit(f"\tVPMOVSXBD {addr(18)}, {k1}")
                emit(f"\tVCVTPH2PS Y{base}, {d}")
                emit(f"\tVCVTDQ2PS {k0}, {k0}")
                emit(f"\tVCVTDQ2PS {k1}, {k1}")
                emit(f"\tVMULPS {d}, {k0}, {k0}")
                emit(f"\tVMULPS {d}, {k1}, {k1}")
                emit(f"\tVFMADD231PS Z16, {k0}, {acc_reg(0, c, C)}")
                emit(f"\tVFMADD231PS Z17, {k1}, {acc_reg(0, c, C)}")
            emit("\tADDQ $128, AX")
            for p in ptrs:
                emit(f"\tADDQ $34, {p}")
    emit("\tDECQ R9")
    emit(f"\tJNZ {lab}_inner")
    reduce16("Z18")
    emit("\tVMULPS Z31, Z18, Z18")
    kbreg = "R13" if R == 4 else "R8"
    if R == 4:
        emit("\tMOVQ ldS+48(FP), R9")
        emit("\tSHLQ $2, R9")
        emit("\tVMOVUPS X18, (DX)")
        emit("\tVEXTRACTF32X4 $1, Z18, X19")
        emit("\tVMOVUPS X19, (DX)(R9*1)")
        emit("\tVEXTRACTF32X4 $2, Z18, X19")
        emit("\tVMOVUPS X19, (DX)(R9*2)")
        emit("\tVEXTRACTF32X4 $3, Z18, X19")
        emit("\tLEAQ (DX)(R9*2), R13")
        emit("\tVMOVUPS X19, (R13)(R9*1)")
        emit("\tADDQ $16, DX")
    else:
        emit("\tVMOVUPS Z18, (DX)")
        emit("\tADDQ $64, DX")
    # DI advanced by the key row bytes in the loop: back to the group start,
    # then on by the group's keys.
    emit(f"\tMOVQ hd+8(FP), {kbreg}")
    if t == "F32":
        emit(f"\tSHLQ $2, {kbreg}")
    elif t == "F16":
        emit(f"\tSHLQ $1, {kbreg}")
    else:
        emit(f"\tSHRQ $5, {kbreg}")
        emit(f"\tIMUL3Q $34, {kbreg}, {kbreg}")
    emit(f"\tSUBQ {kbreg}, DI")
    if R == 4:
        emit("\tLEAQ (DI)(BX*4), DI")
    else:
        emit("\tLEAQ (DI)(BX*8), DI")
        emit("\tLEAQ (DI)(BX*8), DI")
    emit("\tDECQ CX")
    emit(f"\tJNZ {lab}_group")
    emit("\tVZEROUPPER")
    emit("\tRET")
    emit()


def accumulate(t, R, W):
    name = f"attnAc{t}R{R}W{W}"
    lab = name
    emit(f"// func {name}(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)")
    emit(f"// {R} row{'s' if R > 1 else ''} × {16 * W} values.")
    emit(f"TEXT ·{name}(SB), NOSPLIT, $0-64")
    emit("\tMOVQ out+0(FP), DI")
    emit("\tMOVQ ldO+8(FP), R8")
    emit("\tSHLQ $2, R8")
    emit("\tLEAQ (R8)(R8*2), R11")
    emit("\tMOVQ p+16(FP), SI")
    emit("\tMOVQ ldP+24(FP), R9")
    emit("\tSHLQ $2, R9")
    emit("\tLEAQ (R9)(R9*2), R10")
    emit("\tMOVQ v+32(FP), DX")
    emit("\tMOVQ vStride+40(FP), BX")
    emit("\tMOVQ nk+48(FP), CX")
    emit("\tMOVQ ahead+56(FP), R12")
    nbytes = {"F32": 64 * W, "F16": 32 * W, "Q8": 17 * W}[t]
    pf_offs = list(range(0, nbytes, 64))
    if (nbytes - 1) // 64 * 64 not in pf_offs:
        pf_offs.append(nbytes - 1)
    orow = ["(DI)", "(DI)(R8*1)", "(DI)(R8*2)", "(DI)(R11*1)"]
    prow = ["(SI)", "(SI)(R9*1)", "(SI)(R9*2)", "(SI)(R10*1)"]
    for r in range(R):
        for w in range(W):
            emit(f"\tVMOVUPS {w * 64 if w else ''}{orow[r]}, Z{r * W + w}")
    emit(f"{lab}_loop:")
    for off in pf_offs:
        emit(f"\tPREFETCHT0 {off if off else ''}(DX)(R12*1)")
    for r in range(R):
        emit(f"\tVBROADCASTSS {prow[r]}, Z{16 + r}")
    for w in range(W):
        vr = f"Z{24 + w}"
        if t == "F32":
            emit(f"\tVMOVUPS {w * 64 if w else ''}(DX), {vr}")
        elif t == "F16":
            emit(f"\tVCVTPH2PS {w * 32 if w else ''}(DX), {vr}")
        else:
            b, h = w // 2, w % 2
            if h == 0:
                emit(f"\tVPBROADCASTW {b * 34 if b else ''}(DX), Y22")
                emit("\tVCVTPH2PS Y22, Z22")
            emit(f"\tVPMOVSXBD {b * 34 + 2 + 16 * h}(DX), {vr}")
            emit(f"\tVCVTDQ2PS {vr}, {vr}")
            emit(f"\tVMULPS Z22, {vr}, {vr}")
    for r in range(R):
        for w in range(W):
            emit(f"\tVFMADD231PS Z{16 + r}, Z{24 + w}, Z{r * W + w}")
    emit("\tADDQ $4, SI")
    emit("\tADDQ BX, DX")
    emit("\tDECQ CX")
    emit(f"\tJNZ {lab}_loop")
    for r in range(R):
        for w in range(W):
            emit(f"\tVMOVUPS Z{r * W + w}, {w * 64 if w else ''}{orow[r]}")
    emit("\tVZEROUPPER")
    emit("\tRET")
    emit()


def scores2(t):
    R, C = 2, 8
    name = f"attnSc{t}R2"
    lab = name
    emit(f"// func {name}(q *float32, hd int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32, ahead int)")
    emit("// 2 queries × 8 keys per step.")
    emit(f"TEXT ·{name}(SB), NOSPLIT, $0-72")
    emit("\tMOVQ q+0(FP), SI")
    emit("\tMOVQ k+16(FP), DI")
    emit("\tMOVQ kStride+24(FP), BX")
    emit("\tLEAQ (BX)(BX*2), R10")
    emit("\tMOVQ groups+32(FP), CX")
    emit("\tMOVQ s+40(FP), DX")
    emit("\tVBROADCASTSS scale+56(FP), Z31")
    emit("\tMOVQ hd+8(FP), R12")
    emit("\tSHLQ $2, R12")  # query row stride in bytes
    emit(f"{lab}_group:")
    for i in range(16):
        emit(f"\tVPXORD Z{i}, Z{i}, Z{i}")
    emit("\tMOVQ SI, AX")
    emit("\tMOVQ hd+8(FP), R9")
    emit("\tSHRQ $4, R9" if t != "Q8" else "\tSHRQ $5, R9")
    emit("\tLEAQ (DI)(BX*4), R11")
    emit("\tMOVQ ahead+64(FP), R8")
    emit("\tADDQ DI, R8")
    for b in range(2):
        for idx in ["", "(BX*1)", "(BX*2)", "(R10*1)"]:
            emit(f"\tPREFETCHT0 (R8){idx}")
            emit(f"\tPREFETCHT0 64(R8){idx}")
        if b < 1:
            emit("\tLEAQ (R8)(BX*4), R8")
    emit(f"{lab}_inner:")
    ptrs = ["DI", "R11"]
    if t in ("F32", "F16"):
        emit("\tVMOVUPS (AX), Z16")
        emit("\tVMOVUPS (AX)(R12*1), Z17")
        for c in range(8):
            addr = key_addr(ptrs[c // 4], c % 4)
            kr = f"Z{20 + c}"
            if t == "F32":
                emit(f"\tVMOVUPS {addr}, {kr}")
            else:
                emit(f"\tVCVTPH2PS {addr}, {kr}")
            for r in range(2):
                emit(f"\tVFMADD231PS Z{16 + r}, {kr}, {acc_reg(r, c, C)}")
        emit("\tADDQ $64, AX")
        step = 64 if t == "F32" else 32
        for p in ptrs:
            emit(f"\tADDQ ${step}, {p}")
    else:
        emit("\tVMOVUPS (AX), Z16")
        emit("\tVMOVUPS (AX)(R12*1), Z17")
        emit("\tVMOVUPS 64(AX), Z18")
        emit("\tVMOVUPS 64(AX)(R12*1), Z19")
        for c in range(8):
            base = 20 if c % 2 == 0 else 24
            d, k0, k1 = f"Z{base}", f"Z{base + 1}", f"Z{base + 2}"
            addr = lambda disp: key_addr(ptrs[c // 4], c % 4, disp)
            emit(f"\tVPBROADCASTW {addr(0)}, Y{base}")
            emit(f"\tVPMOVSXBD {addr(2)}, {k0}")
            emit(f"\tVPMOVSXBD {addr(18)}, {k1}")
            emit(f"\tVCVTPH2PS Y{base}, {d}")
            emit(f"\tVCVTDQ2PS {k0}, {k0}")
            emit(f"\tVCVTDQ2PS {k1}, {k1}")
            emit(f"\tVMULPS {d}, {k0}, {k0}")
            emit(f"\tVMULPS {d}, {k1}, {k1}")
            for r in range(2):
                emit(f"\tVFMADD231PS Z{16 + r}, {k0}, {acc_reg(r, c, C)}")
                emit(f"\tVFMADD231PS Z{18 + r}, {k1}, {acc_reg(r, c, C)}")
        emit("\tADDQ $128, AX")
        for p in ptrs:
            emit(f"\tADDQ $34, {p}")
    emit("\tDECQ R9")
    emit(f"\tJNZ {lab}_inner")
    reduce16("Z18")
    emit("\tVMULPS Z31, Z18, Z18")
    emit("\tMOVQ ldS+48(FP), R9")
    emit("\tSHLQ $2, R9")
    emit("\tVMOVUPS Y18, (DX)")
    emit("\tVEXTRACTF64X4 $1, Z18, Y19")
    emit("\tVMOVUPS Y19, (DX)(R9*1)")
    emit("\tADDQ $32, DX")
    emit("\tMOVQ hd+8(FP), R8")
    if t == "F32":
        emit("\tSHLQ $2, R8")
    elif t == "F16":
        emit("\tSHLQ $1, R8")
    else:
        emit("\tSHRQ $5, R8")
        emit("\tIMUL3Q $34, R8, R8")
    emit("\tSUBQ R8, DI")
    emit("\tLEAQ (DI)(BX*8), DI")
    emit("\tDECQ CX")
    emit(f"\tJNZ {lab}_group")
    emit("\tVZEROUPPER")
    emit("\tRET")
    emit()


def vload(t, w, base, vr, dreg, ptr="DX"):
    if t == "F32":
        emit(f"\tVMOVUPS {w * 64 if w else ''}({ptr}), {vr}")
    elif t == "F16":
        emit(f"\tVCVTPH2PS {w * 32 if w else ''}({ptr}), {vr}")
    else:
        b, h = w // 2, w % 2
        if h == 0:
            emit(f"\tVPBROADCASTW {b * 34 if b else ''}({ptr}), Y{dreg}")
            emit(f"\tVCVTPH2PS Y{dreg}, Z{dreg}")
        emit(f"\tVPMOVSXBD {b * 34 + 2 + 16 * h}({ptr}), {vr}")
        emit(f"\tVCVTDQ2PS {vr}, {vr}")
        emit(f"\tVMULPS Z{dreg}, {vr}, {vr}")


def accumulate1(t, W):
    """One row, two keys per step into two sets of accumulators (the FMA
    latency would otherwise bound a single narrow row)."""
    name = f"attnAc{t}R1W{W}"
    lab = name
    emit(f"// func {name}(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)")
    emit(f"// 1 row × {16 * W} values, two keys per step.")
    emit(f"TEXT ·{name}(SB), NOSPLIT, $0-64")
    emit("\tMOVQ out+0(FP), DI")
    emit("\tMOVQ p+16(FP), SI")
    emit("\tMOVQ v+32(FP), DX")
    emit("\tMOVQ vStride+40(FP), BX")
    emit("\tMOVQ nk+48(FP), CX")
    emit("\tMOVQ ahead+56(FP), R12")
    nbytes = {"F32": 64 * W, "F16": 32 * W, "Q8": 17 * W}[t]
    pf_offs = list(range(0, nbytes, 64))
    if (nbytes - 1) // 64 * 64 not in pf_offs:
        pf_offs.append(nbytes - 1)
    for w in range(W):
        emit(f"\tVMOVUPS {w * 64 if w else ''}(DI), Z{w}")
        emit(f"\tVPXORD Z{8 + w}, Z{8 + w}, Z{8 + w}")
    emit(f"{lab}_pair:")
    emit("\tCMPQ CX, $2")
    emit(f"\tJLT {lab}_tail")
    emit("\tLEAQ (DX)(BX*1), R13")
    for off in pf_offs:
        emit(f"\tPREFETCHT0 {off if off else ''}(DX)(R12*1)")
        emit(f"\tPREFETCHT0 {off if off else ''}(R13)(R12*1)")
    emit("\tVBROADCASTSS (SI), Z16")
    emit("\tVBROADCASTSS 4(SI), Z17")
    for w in range(W):
        vload(t, w, 0, f"Z{24 + w}", 22, "DX")
        vload(t, w, 0, f"Z{28 + w}", 23, "R13")
    for w in range(W):
        emit(f"\tVFMADD231PS Z16, Z{24 + w}, Z{w}")
        emit(f"\tVFMADD231PS Z17, Z{28 + w}, Z{8 + w}")
    emit("\tADDQ $8, SI")
    emit("\tLEAQ (DX)(BX*2), DX")
    emit("\tSUBQ $2, CX")
    emit(f"\tJMP {lab}_pair")
    emit(f"{lab}_tail:")
    emit("\tTESTQ CX, CX")
    emit(f"\tJZ {lab}_done")
    emit("\tVBROADCASTSS (SI), Z16")
    for w in range(W):
        vload(t, w, 0, f"Z{24 + w}", 22, "DX")
        emit(f"\tVFMADD231PS Z16, Z{24 + w}, Z{w}")
    emit(f"{lab}_done:")
    for w in range(W):
        emit(f"\tVADDPS Z{8 + w}, Z{w}, Z{w}")
        emit(f"\tVMOVUPS Z{w}, {w * 64 if w else ''}(DI)")
    emit("\tVZEROUPPER")
    emit("\tRET")
    emit()


def reduce8(final):
    """AVX2: sum each of Y0..Y7 across lanes into one vector: output float
    4L+i is the total of Y(2i+L)."""
    for p in range(4):
        a, b = 2 * p, 2 * p + 1
        emit(f"\tVPERM2F128 $0x20, Y{b}, Y{a}, Y8")
        emit(f"\tVPERM2F128 $0x31, Y{b}, Y{a}, Y9")
        emit(f"\tVADDPS Y9, Y8, Y{p}")
    for p in range(2):
        a, b = 2 * p, 2 * p + 1
        emit(f"\tVUNPCKLPD Y{b}, Y{a}, Y8")
        emit(f"\tVUNPCKHPD Y{b}, Y{a}, Y9")
        emit(f"\tVADDPS Y9, Y8, Y{p}")
    emit("\tVSHUFPS $0x88, Y1, Y0, Y8")
    emit("\tVSHUFPS $0xDD, Y1, Y0, Y9")
    emit(f"\tVADDPS Y9, Y8, {final}")


def scores_avx2(t):
    name = f"attnSc{t}AVX2"
    lab = name
    emit(f"// func {name}(q *float32, hd int, qStride int, k *byte, kStride int, groups int, s *float32, ldS int, scale float32)")
    emit("// 2 queries (qStride bytes apart) × 4 keys per step, AVX2.")
    emit(f"TEXT ·{name}(SB), NOSPLIT, $0-68")
    emit("\tMOVQ q+0(FP), SI")
    emit("\tMOVQ qStride+16(FP), R12")
    emit("\tMOVQ k+24(FP), DI")
    emit("\tMOVQ kStride+32(FP), BX")
    emit("\tLEAQ (BX)(BX*2), R10")
    emit("\tMOVQ groups+40(FP), CX")
    emit("\tMOVQ s+48(FP), DX")
    emit(f"{lab}_group:")
    for i in range(8):
        emit(f"\tVXORPS Y{i}, Y{i}, Y{i}")
    emit("\tMOVQ SI, AX")
    emit("\tMOVQ hd+8(FP), R9")
    emit("\tSHRQ $3, R9" if t != "Q8" else "\tSHRQ $5, R9")
    emit("\tLEAQ (DI)(BX*8), R8")
    emit("\tLEAQ (R8)(BX*8), R8")
    for idx in ["", "(BX*1)", "(BX*2)", "(R10*1)"]:
        emit(f"\tPREFETCHT0 (R8){idx}")
        emit(f"\tPREFETCHT0 64(R8){idx}")
    emit(f"{lab}_inner:")
    if t in ("F32", "F16"):
        emit("\tVMOVUPS (AX), Y8")
        emit("\tVMOVUPS (AX)(R12*1), Y9")
        for c in range(4):
            kr = f"Y{10 + c % 2}"
            if t == "F32":
                emit(f"\tVMOVUPS {key_addr('DI', c)}, {kr}")
            else:
                emit(f"\tVCVTPH2PS {key_addr('DI', c)}, {kr}")
            emit(f"\tVFMADD231PS Y8, {kr}, Y{2 * c}")
            emit(f"\tVFMADD231PS Y9, {kr}, Y{2 * c + 1}")
        emit("\tADDQ $32, AX")
        emit(f"\tADDQ ${32 if t == 'F32' else 16}, DI")
    else:
        for c in range(4):
            emit(f"\tVPBROADCASTW {key_addr('DI', c)}, X{12 + c}")
            emit(f"\tVCVTPH2PS X{12 + c}, Y{12 + c}")
        for h in range(4):
            emit(f"\tVMOVUPS {32 * h if h else ''}(AX), Y8")
            emit(f"\tVMOVUPS {32 * h if h else ''}(AX)(R12*1), Y9")
            for c in range(4):
                kr = f"Y{10 + c % 2}"
                emit(f"\tVPMOVSXBD {key_addr('DI', c, 2 + 8 * h)}, {kr}")
                emit(f"\tVCVTDQ2PS {kr}, {kr}")
                emit(f"\tVMULPS Y{12 + c}, {kr}, {kr}")
                emit(f"\tVFMADD231PS Y8, {kr}, Y{2 * c}")
                emit(f"\tVFMADD231PS Y9, {kr}, Y{2 * c + 1}")
        emit("\tADDQ $128, AX")
        emit("\tADDQ $34, DI")
    emit("\tDECQ R9")
    emit(f"\tJNZ {lab}_inner")
    reduce8("Y10")
    emit("\tVBROADCASTSS scale+64(FP), Y11")
    emit("\tVMULPS Y11, Y10, Y10")
    emit("\tMOVQ ldS+56(FP), R9")
    emit("\tSHLQ $2, R9")
    emit("\tVMOVUPS X10, (DX)")
    emit("\tVEXTRACTF128 $1, Y10, X11")
    emit("\tVMOVUPS X11, (DX)(R9*1)")
    emit("\tADDQ $16, DX")
    emit("\tMOVQ hd+8(FP), R8")
    if t == "F32":
        emit("\tSHLQ $2, R8")
    elif t == "F16":
        emit("\tSHLQ $1, R8")
    else:
        emit("\tSHRQ $5, R8")
        emit("\tIMUL3Q $34, R8, R8")
    emit("\tSUBQ R8, DI")
    emit("\tLEAQ (DI)(BX*4), DI")
    emit("\tDECQ CX")
    emit(f"\tJNZ {lab}_group")
    emit("\tVZEROUPPER")
    emit("\tRET")
    emit()


def accumulate_avx2(t, R, W):
    name = f"attnAc{t}R{R}W{W}AVX2"
    lab = name
    emit(f"// func {name}(out *float32, ldO int, p *float32, ldP int, v *byte, vStride int, nk int, ahead int)")
    emit(f"// {R} row{'s' if R > 1 else ''} × {8 * W} values, AVX2.")
    emit(f"TEXT ·{name}(SB), NOSPLIT, $0-64")
    emit("\tMOVQ out+0(FP), DI")
    emit("\tMOVQ ldO+8(FP), R8")
    emit("\tSHLQ $2, R8")
    emit("\tMOVQ p+16(FP), SI")
    emit("\tMOVQ ldP+24(FP), R9")
    emit("\tSHLQ $2, R9")
    emit("\tMOVQ v+32(FP), DX")
    emit("\tMOVQ vStride+40(FP), BX")
    emit("\tMOVQ nk+48(FP), CX")
    emit("\tMOVQ ahead+56(FP), R12")
    nbytes = {"F32": 32 * W, "F16": 16 * W, "Q8": 17 * W // 2}[t]
    pf_offs = list(range(0, nbytes, 64))
    if (nbytes - 1) // 64 * 64 not in pf_offs:
        pf_offs.append(nbytes - 1)
    orow = ["(DI)", "(DI)(R8*1)"]
    prow = ["(SI)", "(SI)(R9*1)"]
    for r in range(R):
        for w in range(W):
            emit(f"\tVMOVUPS {w * 32 if w else ''}{orow[r]}, Y{r * W + w}")
    emit(f"{lab}_loop:")
    for off in pf_offs:
        emit(f"\tPREFETCHT0 {off if off else ''}(DX)(R12*1)")
    for r in range(R):
        emit(f"\tVBROADCASTSS {prow[r]}, Y{8 + r}")
    for w in range(W):
        vr = f"Y{10 + w % 2}"
        if t == "F32":
            emit(f"\tVMOVUPS {w * 32 if w else ''}(DX), {vr}")
        elif t == "F16":
            emit(f"\tVCVTPH2PS {w * 16 if w else ''}(DX), {vr}")
        else:
            b, h = w // 4, w % 4
            if h == 0:
                emit(f"\tVPBROADCASTW {b * 34 if b else ''}(DX), X12")
                emit("\tVCVTPH2PS X12, Y12")
            emit(f"\tVPMOVSXBD {b * 34 + 2 + 8 * h}(DX), {vr}")
            emit(f"\tVCVTDQ2PS {vr}, {vr}")
            emit(f"\tVMULPS Y12, {vr}, {vr}")
        for r in range(R):
            emit(f"\tVFMADD231PS Y{8 + r}, {vr}, Y{r * W + w}")
    emit("\tADDQ $4, SI")
    emit("\tADDQ BX, DX")
    emit("\tDECQ CX")
    emit(f"\tJNZ {lab}_loop")
    for r in range(R):
        for w in range(W):
            emit(f"\tVMOVUPS Y{r * W + w}, {w * 32 if w else ''}{orow[r]}")
    emit("\tVZEROUPPER")
    emit("\tRET")
    emit()


def widen(t):
    name = f"attnWiden{t}AVX512"
    lab = name
    emit(f"// func {name}(dst *float32, ldD int, src *byte, stride int, n int, hd int)")
    emit(f"TEXT ·{name}(SB), NOSPLIT, $0-48")
    emit("\tMOVQ dst+0(FP), DI")
    emit("\tMOVQ ldD+8(FP), R8")
    emit("\tSHLQ $2, R8")
    emit("\tMOVQ src+16(FP), SI")
    emit("\tMOVQ stride+24(FP), BX")
    emit("\tMOVQ n+32(FP), CX")
    emit("\tMOVQ BX, R12")
    emit(f"\tSHLQ ${PF4.bit_length() - 1}, R12")
    emit(f"{lab}_row:")
    emit("\tMOVQ SI, AX")
    emit("\tMOVQ DI, DX")
    emit("\tMOVQ hd+40(FP), R10")
    emit("\tSHRQ $4, R10" if t == "F16" else "\tSHRQ $5, R10")
    emit(f"{lab}_inner:")
    emit("\tPREFETCHT0 (AX)(R12*1)")
    if t == "F16":
        emit("\tVCVTPH2PS (AX), Z0")
        emit("\tVMOVUPS Z0, (DX)")
        emit("\tADDQ $32, AX")
        emit("\tADDQ $64, DX")
    else:
        emit("\tVPBROADCASTW (AX), Y1")
        emit("\tVPMOVSXBD 2(AX), Z2")
        emit("\tVPMOVSXBD 18(AX), Z3")
        emit("\tVCVTPH2PS Y1, Z1")
        emit("\tVCVTDQ2PS Z2, Z2")
        emit("\tVCVTDQ2PS Z3, Z3")
        emit("\tVMULPS Z1, Z2, Z2")
        emit("\tVMULPS Z1, Z3, Z3")
        emit("\tVMOVUPS Z2, (DX)")
        emit("\tVMOVUPS Z3, 64(DX)")
        emit("\tADDQ $34, AX")
        emit("\tADDQ $128, DX")
    emit("\tDECQ R10")
    emit(f"\tJNZ {lab}_inner")
    emit("\tADDQ BX, SI")
    emit("\tADDQ R8, DI")
    emit("\tDECQ CX")
    emit(f"\tJNZ {lab}_row")
    emit("\tVZEROUPPER")
    emit("\tRET")
    emit()


def softmax():
    # func attnMaxAVX512(x *float32, n int) float32
    emit("// func attnMaxAVX512(x *float32, n int) float32")
    emit("TEXT ·attnMaxAVX512(SB), NOSPLIT, $0-20")
    emit("\tMOVQ x+0(FP), SI")
    emit("\tMOVQ n+8(FP), CX")
    emit("\tMOVL $0xff800000, AX")
    emit("\tVPBROADCASTD AX, Z0")
    emit("\tVMOVAPS Z0, Z1")
    emit("attnMax_loop:")
    emit("\tCMPQ CX, $16")
    emit("\tJLT attnMax_tail")
    emit("\tVMAXPS (SI), Z0, Z0")
    emit("\tADDQ $64, SI")
    emit("\tSUBQ $16, CX")
    emit("\tJMP attnMax_loop")
    emit("attnMax_tail:")
    emit("\tTESTQ CX, CX")
    emit("\tJZ attnMax_done")
    emit("\tMOVL $1, AX")
    emit("\tSHLL CX, AX")
    emit("\tDECL AX")
    emit("\tKMOVW AX, K1")
    emit("\tVMOVUPS (SI), K1, Z1")
    emit("\tVMAXPS Z1, Z0, Z0")
    emit("attnMax_done:")
    emit("\tVEXTRACTF64X4 $1, Z0, Y1")
    emit("\tVMAXPS Y1, Y0, Y0")
    emit("\tVEXTRACTF128 $1, Y0, X1")
    emit("\tVMAXPS X1, X0, X0")
    emit("\tVPERMILPS $0x4E, X0, X1")
    emit("\tVMAXPS X1, X0, X0")
    emit("\tVPERMILPS $0xB1, X0, X1")
    emit("\tVMAXPS X1, X0, X0")
    emit("\tVMOVSS X0, ret+16(FP)")
    emit("\tVZEROUPPER")
    emit("\tRET")
    emit()

    # func attnExpSumAVX512(x *float32, n int, m float32) float32
    # x[i] = e^(x[i]-m); returns the sum. Arguments below -87 give 0.
    emit("// func attnExpSumAVX512(x *float32, n int, m float32) float32")
    emit("TEXT ·attnExpSumAVX512(SB), NOSPLIT, $0-28")
    emit("\tMOVQ x+0(FP), SI")
    emit("\tMOVQ n+8(FP), CX")
    emit("\tVBROADCASTSS m+16(FP), Z20")
    consts = [
        ("Z21", "0x3fb8aa3b"),  # log2e
        ("Z22", "0x3f317200"),  # ln2 hi 0.693145751953125
        ("Z23", "0x35bfbe8e"),  # ln2 lo 1.428606765330187045e-06
        ("Z24", "0xc2ae0000"),  # -87
        ("Z25", "0xc2b00000"),  # -88 clamp
        ("Z26", "0x39500d01"),  # 1/5040
        ("Z27", "0x3ab60b61"),  # 1/720
        ("Z28", "0x3c088889"),  # 1/120
        ("Z29", "0x3d2aaaab"),  # 1/24
        ("Z30", "0x3e2aaaab"),  # 1/6
        ("Z31", "0x3f000000"),  # 1/2
        ("Z19", "0x3f800000"),  # 1
    ]
    for reg, val in consts:
        emit(f"\tMOVL ${val}, AX")
        emit(f"\tVPBROADCASTD AX, {reg}")
    emit("\tVPXORD Z0, Z0, Z0")
    emit("\tMOVL $0xffff, AX")
    emit("\tKMOVW AX, K1")
    emit("attnExp_loop:")
    emit("\tCMPQ CX, $16")
    emit("\tJGE attnExp_body")
    emit("\tTESTQ CX, CX")
    emit("\tJZ attnExp_done")
    emit("\tMOVL $1, AX")
    emit("\tSHLL CX, AX")
    emit("\tDECL AX")
    emit("\tKMOVW AX, K1")
    emit("\tMOVQ $16, CX")
    emit("attnExp_body:")
    emit("\tVMOVUPS.Z (SI), K1, Z1")
    emit("\tVSUBPS Z20, Z1, Z1")        # t = x - m
    emit("\tVCMPPS $1, Z24, Z1, K2")     # K2: t < -87
    emit("\tVMAXPS Z25, Z1, Z1")         # clamp (also turns -Inf finite)
    emit("\tVMULPS Z21, Z1, Z2")
    emit("\tVRNDSCALEPS $0, Z2, Z2")     # k = round(t·log2e)
    emit("\tVFNMADD231PS Z22, Z2, Z1")   # r = t - k·ln2hi
    emit("\tVFNMADD231PS Z23, Z2, Z1")   # r -= k·ln2lo
    emit("\tVMOVAPS Z26, Z3")
    emit("\tVFMADD213PS Z27, Z1, Z3")
    emit("\tVFMADD213PS Z28, Z1, Z3")
    emit("\tVFMADD213PS Z29, Z1, Z3")
    emit("\tVFMADD213PS Z30, Z1, Z3")
    emit("\tVFMADD213PS Z31, Z1, Z3")
    emit("\tVFMADD213PS Z19, Z1, Z3")
    emit("\tVFMADD213PS Z19, Z1, Z3")
    emit("\tVSCALEFPS Z2, Z3, Z3")       # p·2^k
    emit("\tVPXORD Z4, Z4, Z4")
    emit("\tVMOVAPS Z4, K2, Z3")         # underflow → 0
    emit("\tVMOVUPS Z3, K1, (SI)")
    emit("\tVADDPS Z3, Z0, K1, Z0")
    emit("\tADDQ $64, SI")
    emit("\tSUBQ $16, CX")
    emit("\tJMP attnExp_loop")
    emit("attnExp_done:")
    emit("\tVEXTRACTF64X4 $1, Z0, Y1")
    emit("\tVADDPS Y1, Y0, Y0")
    emit("\tVEXTRACTF128 $1, Y0, X1")
    emit("\tVADDPS X1, X0, X0")
    emit("\tVPERMILPS $0x4E, X0, X1")
    emit("\tVADDPS X1, X0, X0")
    emit("\tVPERMILPS $0xB1, X0, X1")
    emit("\tVADDPS X1, X0, X0")
    emit("\tVMOVSS X0, ret+24(FP)")
    emit("\tVZEROUPPER")
    emit("\tRET")
    emit()


emit("// Code generated by attn_gen.py; DO NOT EDIT.")
emit()
emit("//go:build amd64")
emit()
emit('#include "textflag.h"')
emit()
emit("// Attention micro-kernels (see attn.go). Scores: queries are float32 rows")
emit("// of hd values, keys rows of hd values of the kernel's type kStride bytes")
emit("// apart; each step keeps 16 dot products (R queries × 16/R keys) in Z0..Z15")
emit("// (AVX2: 8 in Y0..Y7), sums them across lanes into one vector at the end")
emit("// and stores it scaled. Accumulation: R output rows × 16·W values (AVX2:")
emit("// 8·W) stay in registers while the keys stream past; each key's values are")
emit("// widened to float32 once and used by all R rows.")
emit()
for t in TYPES:
    scores(t, 4)
    scores2(t)
    scores(t, 1)
for t in TYPES:
    for R, Ws in ((4, (4, 2, 1)), (2, (8, 4, 2, 1)), (1, (8, 4, 2, 1))):
        for W in Ws:
            if t == "Q8" and W == 1:
                continue
            if R == 1 and W < 8:
                accumulate1(t, W)
            else:
                accumulate(t, R, W)
for t in TYPES:
    scores_avx2(t)
for t in TYPES:
    for R, Ws in ((2, (4, 2, 1)), (1, (8, 4, 2, 1))):
        for W in Ws:
            if t == "Q8" and W % 4 != 0:
                continue
            accumulate_avx2(t, R, W)
widen("F16")
widen("Q8")
softmax()
sys.stdout.write("\n".join(out))
