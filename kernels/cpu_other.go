//go:build !amd64

package kernels

func detectLevel() Level { return Generic }
