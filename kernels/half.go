package kernels

import (
	"encoding/binary"
	"fmt"

	"github.com/nuri-ai/nuri/tensor"
)

func le16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }

// EncodeF16 writes src as little-endian IEEE binary16 values into the first
// 2·len(src) bytes of dst, rounding to nearest even as tensor.F32ToF16 does
// (with the hardware conversion where the level has one: the same result for
// every input but a NaN, which stays a quiet NaN of the same sign). The KV
// cache stores every new key and value row this way.
func EncodeF16(dst []byte, src []float32) {
	if len(dst) < 2*len(src) {
		panic(fmt.Sprintf("kernels: EncodeF16: %d bytes for %d values", len(dst), len(src)))
	}
	i := encodeF16Fast(dst, src)
	for ; i < len(src); i++ {
		binary.LittleEndian.PutUint16(dst[2*i:], tensor.F32ToF16(src[i]))
	}
}
