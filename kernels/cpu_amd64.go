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
