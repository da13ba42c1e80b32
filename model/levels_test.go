package model

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/nuri-ai/nuri/kernels"
)

// levelTests are the tests TestReferenceLevels repeats at every CPU level
// below the best one: they compare the whole forward pass with the float64
// reference, so they see any level whose kernels compute differently.
const levelTests = "^TestReferenceQuantized$"

// TestReferenceLevels runs levelTests again in a child test process at each
// lower CPU level this machine has (the level is fixed at start-up through
// NURI_CPU, so a level needs its own process); the plain run covers the
// best level. Children inherit NURI_CPU and so do not recurse.
func TestReferenceLevels(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the reference tests again at each lower CPU level")
	}
	if os.Getenv("NURI_CPU") != "" {
		t.Skip("NURI_CPU is set: this process runs at one chosen level")
	}
	var all []kernels.Level
	switch runtime.GOARCH {
	case "amd64":
		all = []kernels.Level{kernels.Generic, kernels.AVX2, kernels.AVX512}
	case "arm64":
		all = []kernels.Level{kernels.Generic, kernels.NEON, kernels.NEONDot}
	default:
		t.Skip("one level only on " + runtime.GOARCH)
	}
	bin, err := os.Executable()
	if err != nil {
		t.Skipf("cannot find the test binary: %v", err)
	}
	for _, l := range all {
		if l >= kernels.CPULevel() {
			continue
		}
		t.Run(l.String(), func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(bin, "-test.run", levelTests, "-test.count", "1", "-test.v")
			cmd.Env = append(os.Environ(), "NURI_CPU="+l.String())
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s at NURI_CPU=%v: %v\n%s", levelTests, l, err, out)
			}
			if !strings.Contains(string(out), "kernels at "+l.String()) {
				t.Fatalf("%s at NURI_CPU=%v did not run at that level:\n%s", levelTests, l, out)
			}
			t.Logf("%s passes at %v", levelTests, l)
		})
	}
}
