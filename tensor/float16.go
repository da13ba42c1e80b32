package tensor

import (
	"fmt"
	"math"
)

// F16ToF32 widens an IEEE 754 binary16 value to float32. Every finite value,
// subnormals included, converts exactly; infinities keep their sign; a NaN
// keeps its sign and payload and comes back quiet (as F16C and GGML do).
// It reads a 256 KiB table built at package initialisation.
func F16ToF32(h uint16) float32 { return f16Table[h] }

var f16Table = func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = f16ToF32Compute(uint16(i))
	}
	return &t
}()

// f16ToF32Compute is the arithmetic conversion behind f16Table.
func f16ToF32Compute(h uint16) float32 {
	if (h&0x7c00)-0x400 < 0x7400 {
		// Normal number: widen the mantissa and rebias the exponent by 127-15.
		b := uint32(h)
		return math.Float32frombits(b&0x8000<<16 | (b&0x7fff<<13 + (127-15)<<23))
	}
	return f16ToF32Special(h)
}

// f16ToF32Special handles zeros, subnormals, infinities and NaNs.
func f16ToF32Special(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch exp {
	case 0:
		if man == 0 {
			return math.Float32frombits(sign)
		}
		// Subnormal: renormalize so the leading one becomes implicit.
		e := uint32(127 - 15 + 1)
		for man&0x400 == 0 {
			man <<= 1
			e--
		}
		return math.Float32frombits(sign | e<<23 | (man&0x3ff)<<13)
	case 0x1f:
		if man == 0 {
			return math.Float32frombits(sign | 0x7f800000)
		}
		return math.Float32frombits(sign | 0x7fc00000 | man<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | man<<13)
}

// F32ToF16 narrows a float32 to IEEE 754 binary16 with round-to-nearest-even,
// producing subnormals and infinities exactly as the hardware conversion does.
// A NaN becomes the canonical quiet NaN 0x7e00 with the input's sign, which is
// what GGML's portable conversion (used by its reference quantizers) returns.
func F32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	man := b & 0x7fffff
	if exp == 0xff {
		if man != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	if exp == 0 {
		// float32 zero or subnormal: far below half the smallest binary16
		// subnormal, so it rounds to a signed zero.
		return sign
	}
	if e := exp - 127 + 15; e >= 1 {
		h := uint32(e)<<10 | man>>13
		rem := man & 0x1fff
		if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
			h++ // a carry out of the mantissa correctly bumps the exponent
		}
		if h >= 0x7c00 {
			return sign | 0x7c00
		}
		return sign | uint16(h)
	}
	// Result is a binary16 subnormal (or rounds up to the smallest normal).
	// The value is m·2^(exp-150) and the subnormal unit is 2^-24.
	m := man | 0x800000
	shift := uint(126 - exp)
	if shift > 24 {
		return sign
	}
	h := m >> shift
	rem := m & (1<<shift - 1)
	half := uint32(1) << (shift - 1)
	if rem > half || (rem == half && h&1 == 1) {
		h++
	}
	return sign | uint16(h)
}

// BF16ToF32 widens a bfloat16 value to float32 (exact, NaN payload kept).
func BF16ToF32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// F32ToBF16 narrows a float32 to bfloat16 with round-to-nearest-even. Like
// GGML, subnormals are kept and a NaN keeps its top bits with the quiet bit
// forced on.
func F32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40
	}
	return uint16((b + 0x7fff + (b>>16)&1) >> 16)
}

// F16ToF32Slice converts src into dst; the slices must have equal lengths.
func F16ToF32Slice(dst []float32, src []uint16) error {
	if len(dst) != len(src) {
		return fmt.Errorf("tensor: F16ToF32Slice: %d outputs for %d inputs", len(dst), len(src))
	}
	for i, h := range src {
		dst[i] = F16ToF32(h)
	}
	return nil
}

// F32ToF16Slice converts src into dst; the slices must have equal lengths.
func F32ToF16Slice(dst []uint16, src []float32) error {
	if len(dst) != len(src) {
		return fmt.Errorf("tensor: F32ToF16Slice: %d outputs for %d inputs", len(dst), len(src))
	}
	for i, f := range src {
		dst[i] = F32ToF16(f)
	}
	return nil
}

// BF16ToF32Slice converts src into dst; the slices must have equal lengths.
func BF16ToF32Slice(dst []float32, src []uint16) error {
	if len(dst) != len(src) {
		return fmt.Errorf("tensor: BF16ToF32Slice: %d outputs for %d inputs", len(dst), len(src))
	}
	for i, h := range src {
		dst[i] = BF16ToF32(h)
	}
	return nil
}

// F32ToBF16Slice converts src into dst; the slices must have equal lengths.
func F32ToBF16Slice(dst []uint16, src []float32) error {
	if len(dst) != len(src) {
		return fmt.Errorf("tensor: F32ToBF16Slice: %d outputs for %d inputs", len(dst), len(src))
	}
	for i, f := range src {
		dst[i] = F32ToBF16(f)
	}
	return nil
}
