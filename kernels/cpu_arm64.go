package kernels

import "golang.org/x/sys/cpu"

func detectLevel() Level {
	a := cpu.ARM64
	switch {
	case a.HasASIMD && a.HasASIMDDP:
		return NEONDot
	case a.HasASIMD:
		return NEON
	}
	return Generic
}

// bf16Dot reports whether BF16 weights meet their bfloat16 activations in a
// bfloat16 dot-product instruction: none on this architecture yet.
func bf16Dot() bool { return false }

func setBF16(on bool) bool { return false }
