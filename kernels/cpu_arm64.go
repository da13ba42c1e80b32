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
