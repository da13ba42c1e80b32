package kernels

//go:noescape
func f32ToF16AVX2(dst *byte, src *float32, n int)

// encodeF16Fast converts the longest prefix of src that is a multiple of 8
// values with F16C (VCVTPS2PH) when the level has it, and returns its length.
func encodeF16Fast(dst []byte, src []float32) int {
	n := len(src) &^ 7
	if level < AVX2 || n == 0 {
		return 0
	}
	_ = dst[2*n-1]
	f32ToF16AVX2(&dst[0], &src[0], n)
	return n
}
