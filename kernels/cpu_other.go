//go:build !amd64 && !arm64

package kernels

func detectLevel() Level { return Generic }
