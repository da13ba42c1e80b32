package tensor

import (
	"strings"
	"testing"
)

func TestDTypeNames(t *testing.T) {
	known := []DType{F32, F16, BF16, F64, I8, I16, I32, I64, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K}
	for _, dt := range known {
		if !dt.Known() || dt.BlockSize() == 0 || dt.TypeSize() == 0 {
			t.Fatalf("%v: not known", dt)
		}
		got, err := ParseDType(strings.ToLower(dt.String()))
		if err != nil || got != dt {
			t.Fatalf("ParseDType(%q) = %v, %v", dt.String(), got, err)
		}
		if _, err := RowBytes(dt, 256); err != nil {
			t.Fatalf("%v: %v", dt, err)
		}
	}
	for _, dt := range []DType{4, 5, 16, 23, 29, 31, 1 << 31} {
		if dt.Known() || dt.BlockSize() != 0 || dt.Quantized() {
			t.Fatalf("%d: known", uint32(dt))
		}
		if _, err := RowBytes(dt, 256); err == nil {
			t.Fatalf("%d: RowBytes without an error", uint32(dt))
		}
		if s := dt.String(); !strings.HasPrefix(s, "DType(") {
			t.Fatalf("%d: named %q", uint32(dt), s)
		}
	}
	if _, err := ParseDType(""); err == nil {
		t.Fatal(`ParseDType("") found a type`)
	}
	if !Q4_K.Quantized() || F16.Quantized() {
		t.Fatal("Quantized is wrong")
	}
}
