package testmodel

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	"github.com/nuri-ai/nuri/tensor"
)

// FileType is the weight type of a whole model, as on the command line.
type FileType string

// Model weight types.
const (
	TypeF32   FileType = "f32"
	TypeF16   FileType = "f16"
	TypeBF16  FileType = "bf16"
	TypeQ8_0  FileType = "q8_0"
	TypeQ4_0  FileType = "q4_0"
	TypeQ4_KM FileType = "q4_k_m"
	TypeQ4_1  FileType = "q4_1"
	TypeQ5_0  FileType = "q5_0"
	TypeQ5_1  FileType = "q5_1"
	TypeQ5_KM FileType = "q5_k_m"
	TypeQ6_K  FileType = "q6_k"
	TypeQ3_KM FileType = "q3_k_m"
	TypeQ2_K  FileType = "q2_k"
)

// Types lists the weight types Write accepts.
var Types = []FileType{TypeQ4_0, TypeQ8_0, TypeQ4_KM, TypeF16, TypeBF16, TypeF32,
	TypeQ4_1, TypeQ5_0, TypeQ5_1, TypeQ5_KM, TypeQ6_K, TypeQ3_KM, TypeQ2_K}

// ParseType reads a type name (case-insensitive).
func ParseType(s string) (FileType, error) {
	t := FileType(strings.ToLower(s))
	for _, k := range Types {
		if k == t {
			return t, nil
		}
	}
	return "", fmt.Errorf("testmodel: weight type %q is not one of %v", s, Types)
}

// ggufFileType is general.file_type (llama.cpp's llama_ftype).
func (t FileType) ggufFileType() uint32 {
	switch t {
	case TypeF16:
		return 1
	case TypeQ4_0:
		return 2
	case TypeQ8_0:
		return 7
	case TypeQ4_KM:
		return 15
	case TypeBF16:
		return 32
	case TypeQ4_1:
		return 3
	case TypeQ5_0:
		return 8
	case TypeQ5_1:
		return 9
	case TypeQ2_K:
		return 10
	case TypeQ3_KM:
		return 12
	case TypeQ5_KM:
		return 17
	case TypeQ6_K:
		return 18
	}
	return 0
}

// useMoreBits is llama.cpp's rule for the layers of a Q4_K_M model that get
// Q6_K attn_v / ffn_down: the first and last eighth, and every third layer in
// between.
func useMoreBits(layer, layers int) bool {
	return layer < layers/8 || layer >= 7*layers/8 || (layer-layers/8)%3 == 2
}

// tensorType picks the GGUF type of a tensor: norms, biases and the MoE
// router stay F32; matrices follow the file type. The K-quant mixes follow
// llama.cpp's choices in spirit (the output matrix, attn_v and ffn_down get
// more bits), and a type whose blocks do not fit the row length falls back
// as llama.cpp does.
func tensorType(t FileType, d *tensorDef, s *Spec) tensor.DType {
	if d.vector() || d.role == "ffn_gate_inp" {
		return tensor.F32
	}
	// output is the output matrix, or the embedding table that doubles as it.
	output := d.role == "output" || d.role == "token_embd" && s.Tied
	var dt tensor.DType
	switch t {
	case TypeF32:
		return tensor.F32
	case TypeF16:
		return tensor.F16
	case TypeBF16:
		return tensor.BF16
	case TypeQ8_0:
		dt = tensor.Q8_0
	case TypeQ4_0:
		dt = tensor.Q4_0
	case TypeQ4_1:
		dt = tensor.Q4_1
	case TypeQ5_0:
		dt = tensor.Q5_0
	case TypeQ5_1:
		dt = tensor.Q5_1
	case TypeQ6_K:
		dt = tensor.Q6_K
	case TypeQ4_KM, TypeQ5_KM:
		base := tensor.Q4_K
		if t == TypeQ5_KM {
			base = tensor.Q5_K
		}
		dt = base
		switch {
		case output:
			dt = tensor.Q6_K
		case d.role == "attn_v" || d.role == "ffn_down":
			if useMoreBits(d.layer, s.Layers) {
				dt = tensor.Q6_K
			}
		case d.role == "attn_qkv":
			dt = tensor.Q5_K
		}
	case TypeQ3_KM:
		dt = tensor.Q3_K
		switch {
		case output:
			dt = tensor.Q6_K
		case d.role == "attn_v":
			dt = tensor.Q4_K
			if d.layer < 2 {
				dt = tensor.Q5_K
			}
		case d.role == "ffn_down" || d.role == "attn_output":
			dt = tensor.Q4_K
		}
	case TypeQ2_K:
		dt = tensor.Q2_K
		switch {
		case output:
			dt = tensor.Q6_K
		case d.role == "attn_v" || d.role == "ffn_down":
			dt = tensor.Q3_K
		}
	}
	if d.cols%dt.BlockSize() != 0 {
		switch dt {
		case tensor.Q2_K, tensor.Q3_K, tensor.Q4_K:
			dt = tensor.Q5_0
		case tensor.Q5_K:
			dt = tensor.Q5_1
		case tensor.Q6_K:
			dt = tensor.Q8_0
		}
	}
	if d.cols%dt.BlockSize() != 0 {
		dt = tensor.F16
	}
	return dt
}

// encodeRow writes x as type t into dst. Q4_K and Q6_K use fast single-pass
// quantizers (random weights need no careful scale search); every other type
// uses the reference encoders.
func encodeRow(t tensor.DType, x []float32, dst []byte) error {
	switch t {
	case tensor.Q4_K:
		for b := 0; b < len(x)/tensor.QK_K; b++ {
			quantQ4KFast(x[b*256:b*256+256], dst[b*144:b*144+144])
		}
		return nil
	case tensor.Q6_K:
		for b := 0; b < len(x)/tensor.QK_K; b++ {
			quantQ6KFast(x[b*256:b*256+256], dst[b*210:b*210+210])
		}
		return nil
	}
	return tensor.Quantize(t, x, dst)
}

// quantQ6KFast encodes one 256-value Q6_K super-block: per 16-value
// sub-block a signed 8-bit scale (a multiple of the super-block's d) that
// maps the largest magnitude to ±31, and 6-bit values stored offset by 32.
func quantQ6KFast(x []float32, y []byte) {
	var scales [16]float32
	var maxScale float32
	for j := 0; j < 16; j++ {
		var amax float32
		for _, v := range x[16*j : 16*j+16] {
			amax = max(amax, float32(math.Abs(float64(v))))
		}
		scales[j] = amax / 31
		maxScale = max(maxScale, scales[j])
	}
	clear(y)
	d := tensor.F16ToF32(tensor.F32ToF16(maxScale / 127))
	binary.LittleEndian.PutUint16(y[208:], tensor.F32ToF16(d))
	var L [256]uint8
	for i := range L {
		L[i] = 32
	}
	for j := 0; j < 16; j++ {
		var sc int8
		if d > 0 {
			sc = int8(min(127, math.Round(float64(scales[j]/d))))
		}
		y[192+j] = uint8(sc)
		s := d * float32(sc)
		if s == 0 {
			continue
		}
		for i := 16 * j; i < 16*j+16; i++ {
			L[i] = uint8(min(31, max(-32, math.Round(float64(x[i]/s)))) + 32)
		}
	}
	ql, qh := y[0:128], y[128:192]
	for n := 0; n < 2; n++ {
		Ln := L[128*n : 128*n+128]
		for l := 0; l < 32; l++ {
			ql[64*n+l] = Ln[l]&0xf | (Ln[l+64]&0xf)<<4
			ql[64*n+l+32] = Ln[l+32]&0xf | (Ln[l+96]&0xf)<<4
			qh[32*n+l] = Ln[l]>>4 | (Ln[l+32]>>4)<<2 | (Ln[l+64]>>4)<<4 | (Ln[l+96]>>4)<<6
		}
	}
}

// quantQ4KFast encodes one 256-value Q4_K super-block: per 32-value
// sub-block, scale = (max - min)/15 and offset = -min (min clamped to ≤ 0),
// both stored as 6-bit multiples of the super-block's d and dmin.
func quantQ4KFast(x []float32, y []byte) {
	var scales, mins [8]float32
	var maxScale, maxMin float32
	for j := 0; j < 8; j++ {
		lo, hi := float32(0), float32(math.Inf(-1))
		for _, v := range x[32*j : 32*j+32] {
			lo = min(lo, v)
			hi = max(hi, v)
		}
		scales[j] = (hi - lo) / 15
		mins[j] = -lo
		maxScale = max(maxScale, scales[j])
		maxMin = max(maxMin, mins[j])
	}
	clear(y)
	d := tensor.F16ToF32(tensor.F32ToF16(maxScale / 63))
	dmin := tensor.F16ToF32(tensor.F32ToF16(maxMin / 63))
	binary.LittleEndian.PutUint16(y[0:], tensor.F32ToF16(d))
	binary.LittleEndian.PutUint16(y[2:], tensor.F32ToF16(dmin))
	var ls, lm [8]uint8
	for j := 0; j < 8; j++ {
		if d > 0 {
			ls[j] = uint8(min(63, max(0, math.Round(float64(scales[j]/d)))))
		}
		if dmin > 0 {
			lm[j] = uint8(min(63, max(0, math.Round(float64(mins[j]/dmin)))))
		}
	}
	sc := y[4:16]
	for j := 0; j < 8; j++ {
		if j < 4 {
			sc[j] = ls[j]
			sc[j+4] = lm[j]
		} else {
			sc[j+4] = ls[j]&0xf | (lm[j]&0xf)<<4
			sc[j-4] |= (ls[j] >> 4) << 6
			sc[j] |= (lm[j] >> 4) << 6
		}
	}
	var L [256]uint8
	for j := 0; j < 8; j++ {
		s, m := d*float32(ls[j]), dmin*float32(lm[j])
		if s == 0 {
			continue
		}
		for i := 32 * j; i < 32*j+32; i++ {
			L[i] = uint8(min(15, max(0, math.Round(float64((x[i]+m)/s)))))
		}
	}
	q := y[16:144]
	for j := 0; j < 4; j++ {
		for l := 0; l < 32; l++ {
			q[32*j+l] = L[64*j+l] | L[64*j+l+32]<<4
		}
	}
}
