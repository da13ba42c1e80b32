//go:build !amd64 && !arm64

package kernels

func detectLevel() Level { return Generic }

// bf16Dot reports whether BF16 weights meet their bfloat16 activations in a
// bfloat16 dot-product instruction: none on this architecture yet.
func bf16Dot() bool { return false }

func setBF16(on bool) bool { return false }
