package kernels

import (
	"fmt"
	"os"
	"strings"
)

// Level is a CPU feature level the kernels are written for.
type Level int

// Feature levels, lowest first.
const (
	Generic Level = iota // plain Go
	AVX2                 // AVX2 + FMA + F16C
	AVX512               // AVX-512 F/BW/VL + VNNI
)

func (l Level) String() string {
	switch l {
	case Generic:
		return "generic"
	case AVX2:
		return "avx2"
	case AVX512:
		return "avx512"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// level is the level the kernels run at: the best the CPU supports, lowered
// by the environment variable NURI_CPU=generic|avx2|avx512 (a level above
// what the CPU has is ignored).
var level = initLevel()

func initLevel() Level {
	l := detectLevel()
	switch strings.ToLower(os.Getenv("NURI_CPU")) {
	case "generic":
		l = Generic
	case "avx2":
		l = min(l, AVX2)
	}
	return l
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
