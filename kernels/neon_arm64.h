// Encodings of the Advanced SIMD instructions the Go arm64 assembler has no
// mnemonic for. Arguments are register numbers (d = destination, n and m
// = sources); each macro names the instruction it emits.

#define ENC3(op, d, n, m) WORD $((op) | ((m)<<16) | ((n)<<5) | (d))
#define ENC2(op, d, n) WORD $((op) | ((n)<<5) | (d))

// SDOT Vd.4S, Vn.16B, Vm.16B (dot-product extension)
#define SDOT(d, n, m) ENC3(0x4E809400, d, n, m)
// SMULL Vd.8H, Vn.8B, Vm.8B
#define SMULL8(d, n, m) ENC3(0x0E20C000, d, n, m)
// SMLAL2 Vd.8H, Vn.16B, Vm.16B
#define SMLAL2_8(d, n, m) ENC3(0x4E208000, d, n, m)
// SADALP Vd.4S, Vn.8H
#define SADALP16(d, n) ENC2(0x4E606800, d, n)
// SMULL Vd.4S, Vn.4H, Vm.4H
#define SMULL16(d, n, m) ENC3(0x0E60C000, d, n, m)
// SMLAL2 Vd.4S, Vn.8H, Vm.8H
#define SMLAL2_16(d, n, m) ENC3(0x4E608000, d, n, m)
// ADDP Vd.4S, Vn.4S, Vm.4S
#define ADDP32(d, n, m) ENC3(0x4EA0BC00, d, n, m)
// ADDP Vd.8H, Vn.8H, Vm.8H
#define ADDP16(d, n, m) ENC3(0x4E60BC00, d, n, m)
// MUL Vd.4S, Vn.4S, Vm.4S
#define MUL32(d, n, m) ENC3(0x4EA09C00, d, n, m)
// MLA Vd.4S, Vn.4S, Vm.4S
#define MLA32(d, n, m) ENC3(0x4EA09400, d, n, m)
// SSHLL Vd.8H, Vn.8B, #0 (SXTL)
#define SXTL8(d, n) ENC2(0x0F08A400, d, n)
// SSHLL Vd.4S, Vn.4H, #0 (SXTL)
#define SXTL16(d, n) ENC2(0x0F10A400, d, n)
// SSHLL2 Vd.4S, Vn.8H, #0 (SXTL2)
#define SXTL2_16(d, n) ENC2(0x4F10A400, d, n)
// USHLL Vd.8H, Vn.8B, #0 (UXTL)
#define UXTL8(d, n) ENC2(0x2F08A400, d, n)
// USHLL Vd.4S, Vn.4H, #0 (UXTL)
#define UXTL16(d, n) ENC2(0x2F10A400, d, n)
// USHLL2 Vd.4S, Vn.8H, #0 (UXTL2)
#define UXTL2_16(d, n) ENC2(0x6F10A400, d, n)
// SCVTF Vd.4S, Vn.4S
#define SCVTF32(d, n) ENC2(0x4E21D800, d, n)
// FCVTL Vd.4S, Vn.4H
#define FCVTL(d, n) ENC2(0x0E217800, d, n)
// FCVTL2 Vd.4S, Vn.8H
#define FCVTL2(d, n) ENC2(0x4E217800, d, n)
// SHLL Vd.4S, Vn.4H, #16
#define SHLL16(d, n) ENC2(0x2E613800, d, n)
// SHLL2 Vd.4S, Vn.8H, #16
#define SHLL2_16(d, n) ENC2(0x6E613800, d, n)
// FADD Vd.4S, Vn.4S, Vm.4S
#define FADD32(d, n, m) ENC3(0x4E20D400, d, n, m)
// FMUL Vd.4S, Vn.4S, Vm.4S
#define FMUL32(d, n, m) ENC3(0x6E20DC00, d, n, m)
// FMLA Vd.4S, Vn.4S, Vm.4S
#define FMLA32(d, n, m) ENC3(0x4E20CC00, d, n, m)
// FADDP Vd.4S, Vn.4S, Vm.4S
#define FADDP32(d, n, m) ENC3(0x6E20D400, d, n, m)
// FADDP Sd, Vn.2S
#define FADDPS(d, n) ENC2(0x7E30D800, d, n)

// FSUM4(v) leaves the sum of the four float lanes of Vv in Fv.
#define FSUM4(v) FADDP32(v, v, v); FADDPS(v, v)

// DOT(acc, a, b) adds the products of the signed bytes of Va and Vb to the
// four int32 lanes of Vacc; which products go to which lane depends on the
// variant, so callers only use the sum of the lanes, or lanes of one
// sub-block. The dot-product variant uses SDOT; the plain one multiplies
// into int16 pairs (|a·b| ≤ 128·127 twice fits) in V31 and adds them
// pairwise into the lanes.
#define DOT_SDOT(acc, a, b) SDOT(acc, a, b)
#define DOT_NEON(acc, a, b) SMULL8(31, a, b); SMLAL2_8(31, a, b); SADALP16(acc, 31)

// AND Vd.16B, Vn.16B, Vm.16B
#define AND16B(d, n, m) ENC3(0x4E201C00, d, n, m)
// ORR Vd.16B, Vn.16B, Vm.16B
#define ORR16B(d, n, m) ENC3(0x4EA01C00, d, n, m)
// SUB Vd.16B, Vn.16B, Vm.16B
#define SUB16B(d, n, m) ENC3(0x6E208400, d, n, m)
// USHR Vd.16B, Vn.16B, #s (1 ≤ s ≤ 8)
#define USHR16B(d, n, s) ENC2(0x6F000400 | ((16-(s))<<16), d, n)
// SHL Vd.16B, Vn.16B, #s (0 ≤ s ≤ 7)
#define SHL16B(d, n, s) ENC2(0x4F085400 | ((s)<<16), d, n)
