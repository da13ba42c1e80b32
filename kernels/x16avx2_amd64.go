package kernels

// AVX2 kernels for x16 Q4_0 weights (x16avx2_amd64.s): the same arguments
// and results as their AVX-512 counterparts in x16_amd64.go.

//go:noescape
func q4x16RowsAVX2(w *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, out *float32)

//go:noescape
func q4x16Rows2AVX2(wA, wB *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, outA, outB *float32)

//go:noescape
func q4x16RowsX4AVX2(w *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, qsStride, aStride int, out *float32, ostride int)

//go:noescape
func quantX16AVX2(x *float32, nb int, qs *byte, d *float32, corr *int32, negOff int32)
