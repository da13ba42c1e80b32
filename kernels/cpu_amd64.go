package kernels

import "golang.org/x/sys/cpu"

func detectLevel() Level {
	x := cpu.X86
	switch {
	case x.HasAVX512F && x.HasAVX512BW && x.HasAVX512VL && x.HasAVX512VNNI && x.HasAVX2 && x.HasFMA && x.HasF16C:
		return AVX512
	case x.HasAVX2 && x.HasFMA && x.HasF16C:
		return AVX2
	}
	return Generic
}

// hasBF16 reports AVX512_BF16 (VDPBF16PS), which the AVX512 level uses for
// BF16 weights where the CPU has it; tests clear it to cover the level
// without it.
var hasBF16 = cpu.X86.HasAVX512BF16

// bf16Dot reports whether BF16 weights meet their bfloat16 activations in
// VDPBF16PS at the current level.
func bf16Dot() bool { return level == AVX512 && hasBF16 }

// setBF16 turns the use of AVX512_BF16 on or off (never on where the CPU
// lacks it) and returns the previous setting; for tests.
func setBF16(on bool) bool {
	old := hasBF16
	hasBF16 = on && cpu.X86.HasAVX512BF16
	return old
}
