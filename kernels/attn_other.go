//go:build !amd64 && !arm64

package kernels

func attnScores(s []float32, ldS int, q []float32, nq, hd int, k []byte, kStride int, kt KVType, nk int, scale float32, _ int) {
	attnScoresGo(s, ldS, q, 0, nq, hd, k, kStride, kt, 0, nk, scale)
}

func attnAccumulate(out []float32, ldO int, p []float32, ldP, nq int, v []byte, vStride int, vt KVType, nk, hd int, _ int) {
	attnAccumulateGo(out, ldO, p, ldP, nq, v, vStride, vt, nk, hd)
}

func attnMax(x []float32) float32 { return attnMaxGo(x) }

func attnExpSum(x []float32, m float32) float32 { return attnExpSumGo(x, m) }

func attnWiden(dst []float32, ldD int, src []byte, stride int, t KVType, n, hd int) {
	attnWidenGo(dst, ldD, src, stride, t, n, hd)
}
