package kernels

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// PhysicalCores is the number of physical cores this process may run on:
// hyper-threads (SMT siblings) of one core count once, because two threads
// on one core share its vector units and its cache, and a matrix product
// gains little or loses from the second. Where the topology cannot be read
// (non-Linux systems, restricted /sys) it is runtime.NumCPU(). NewPool(0)
// uses it.
func PhysicalCores() int {
	coresOnce.Do(func() { cores = physicalCores("/sys/devices/system/cpu", allowedCPUs()) })
	return cores
}

var (
	coresOnce sync.Once
	cores     int
)

// physicalCores counts the distinct (package, core) pairs of the CPUs in
// allowed, reading the topology under sysDir; it falls back to
// runtime.NumCPU() when any of it is missing.
func physicalCores(sysDir string, allowed []int) int {
	n := runtime.NumCPU()
	if len(allowed) == 0 {
		return n
	}
	seen := map[[2]string]bool{}
	for _, c := range allowed {
		dir := filepath.Join(sysDir, "cpu"+strconv.Itoa(c), "topology")
		pkg, err1 := os.ReadFile(filepath.Join(dir, "physical_package_id"))
		core, err2 := os.ReadFile(filepath.Join(dir, "core_id"))
		if err1 != nil || err2 != nil {
			return n
		}
		seen[[2]string{strings.TrimSpace(string(pkg)), strings.TrimSpace(string(core))}] = true
	}
	return max(1, min(len(seen), n))
}
