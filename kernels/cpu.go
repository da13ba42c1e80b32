package kernels

import (
	"fmt"
	"os"
	"runtime"
	"strings"
)

// Level is a CPU feature level the kernels are written for.
type Level int

// Feature levels, lowest first.
const (
	Generic Level = iota // plain Go
	AVX2                 // AVX2 + FMA + F16C
	AVX512               // AVX-512 F/BW/VL + VNNI
	NEON                 // arm64 Advanced SIMD
	NEONDot              // arm64 Advanced SIMD + dot product (SDOT/UDOT)
)

func (l Level) String() string {
	switch l {
	case Generic:
		return "generic"
	case AVX2:
		return "avx2"
	case AVX512:
		return "avx512"
	case NEON:
		return "neon"
	case NEONDot:
		return "neondot"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// level is the level the kernels run at: the best the CPU supports, lowered
// by the environment variable NURI_CPU, which names a level of this
// architecture (generic, avx2 or avx512 on amd64; generic, neon or neondot
// on arm64). A level above what the CPU has, or an unknown name, is ignored.
var level = initLevel()

func initLevel() Level {
	l := detectLevel()
	name := strings.ToLower(os.Getenv("NURI_CPU"))
	for _, k := range levels() {
		if k.String() == name {
			return min(l, k)
		}
	}
	return l
}

// levels lists the levels of the architecture the program runs on, lowest
// first: Generic, then those with kernels in assembly.
func levels() []Level {
	switch runtime.GOARCH {
	case "amd64":
		return []Level{Generic, AVX2, AVX512}
	case "arm64":
		return []Level{Generic, NEON, NEONDot}
	}
	return []Level{Generic}
}

// CPULevel reports the feature level the kernels use.
func CPULevel() Level { return level }

// MaxCPULevel reports the best feature level this CPU supports.
func MaxCPULevel() Level { return detectLevel() }

// setLevel switches the level (tests use it to cover every path) and returns
// the previous one. Levels above what the CPU supports are clamped.
func setLevel(l Level) Level {
	old := level
	level = min(l, detectLevel())
	return old
}
