//go:build !linux

package kernels

// allowedCPUs is unknown off Linux; PhysicalCores then uses runtime.NumCPU().
func allowedCPUs() []int { return nil }
