package kernels

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
)

// writeTopology makes a fake sysfs cpu directory: cpu i belongs to package
// pkg[i] and core core[i].
func writeTopology(t *testing.T, pkg, core []int) string {
	dir := t.TempDir()
	for i := range pkg {
		d := filepath.Join(dir, "cpu"+strconv.Itoa(i), "topology")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, v := range map[string]int{"physical_package_id": pkg[i], "core_id": core[i]} {
			if err := os.WriteFile(filepath.Join(d, name), []byte(strconv.Itoa(v)+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func TestPhysicalCores(t *testing.T) {
	n := runtime.NumCPU()
	smt := writeTopology(t, []int{0, 0, 0, 0}, []int{0, 1, 0, 1}) // 2 cores × 2 threads
	twoPkg := writeTopology(t, []int{0, 0, 1, 1}, []int{0, 1, 0, 1})
	cases := []struct {
		name    string
		dir     string
		allowed []int
		want    int
	}{
		{"smt siblings count once", smt, []int{0, 1, 2, 3}, min(2, n)},
		{"affinity to one thread per core", smt, []int{0, 1}, min(2, n)},
		{"affinity to two siblings", smt, []int{0, 2}, 1},
		{"same core id in two packages", twoPkg, []int{0, 1, 2, 3}, min(4, n)},
		{"missing topology", smt, []int{0, 7}, n},
		{"unknown affinity", smt, nil, n},
	}
	for _, c := range cases {
		if got := physicalCores(c.dir, c.allowed); got != c.want {
			t.Errorf("%s: %d cores, want %d", c.name, got, c.want)
		}
	}
	if got := PhysicalCores(); got < 1 || got > n {
		t.Errorf("PhysicalCores() = %d on a machine with %d CPUs", got, n)
	}
}
