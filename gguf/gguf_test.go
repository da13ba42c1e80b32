package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// goldenDir holds the tiny reference models shared by the repository's tests.
const goldenDir = "../testdata/golden"

var fixtures = []struct {
	dir, arch, name string
	tied            bool
}{
	{"llama", "llama", "golden-public-llama", false},
	{"llama3_rope", "llama", "golden-public-llama3_rope", true},
	{"qwen2", "qwen2", "golden-public-qwen2", true},
	{"gemma2", "gemma2", "golden-public-gemma2", true},
	{"exaone", "exaone", "golden-public-exaone", false},
	{"phi3", "phi3", "golden-public-phi_3", false},
	{"granite", "granite", "golden-public-granite", false},
	{"mixtral", "llama", "golden-public-mixtral", false},
}

func TestFixtures(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.dir, func(t *testing.T) {
			path := filepath.Join(goldenDir, fx.dir, "model.gguf")
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Version != 3 || f.Alignment() != 32 || f.Path() != path {
				t.Errorf("version %d alignment %d path %q", f.Version, f.Alignment(), f.Path())
			}
			if arch, _ := f.String("general.architecture"); arch != fx.arch {
				t.Errorf("architecture %q, want %q", arch, fx.arch)
			}
			if name, _ := f.String("general.name"); name != fx.name {
				t.Errorf("name %q, want %q", name, fx.name)
			}
			for key, want := range map[string]uint64{
				fx.arch + ".block_count":             2,
				fx.arch + ".embedding_length":        64,
				fx.arch + ".attention.head_count":    4,
				fx.arch + ".attention.head_count_kv": 2,
				"tokenizer.ggml.bos_token_id":        1,
				"tokenizer.ggml.eos_token_id":        2,
			} {
				if got, ok := f.Uint(key); !ok || got != want {
					t.Errorf("%s = %d, %v; want %d", key, got, ok, want)
				}
			}
			if eps, ok := f.Float(fx.arch + ".attention.layer_norm_rms_epsilon"); !ok || eps <= 0 || eps > 1e-4 {
				t.Errorf("rms epsilon %v, %v", eps, ok)
			}
			if add, ok := f.Bool("tokenizer.ggml.add_bos_token"); !ok || !add {
				t.Errorf("add_bos_token %v, %v", add, ok)
			}
			toks, ok := f.Strings("tokenizer.ggml.tokens")
			if !ok || len(toks) != 512 || toks[1] != "<s>" || toks[3] != "<0x00>" {
				t.Errorf("tokens: %d entries, ok %v", len(toks), ok)
			}
			if scores, ok := f.Floats("tokenizer.ggml.scores"); !ok || len(scores) != 512 {
				t.Errorf("scores: %d, %v", len(scores), ok)
			}
			if types, ok := f.Ints("tokenizer.ggml.token_type"); !ok || len(types) != 512 || types[1] != 3 {
				t.Errorf("token types: %d, %v", len(types), ok)
			}
			emb, err := f.Tensor("token_embd.weight")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(emb.Shape, []int{512, 64}) || emb.Type != tensor.F32 || len(emb.Data) != 512*64*4 {
				t.Errorf("token_embd: shape %v type %v %d bytes", emb.Shape, emb.Type, len(emb.Data))
			}
			ti, _ := f.TensorInfo("token_embd.weight")
			if !reflect.DeepEqual(ti.Dims, []uint64{64, 512}) || ti.Elements() != 512*64 {
				t.Errorf("token_embd dims %v", ti.Dims)
			}
			o, err := f.Tensor("blk.0.attn_output.weight")
			if err != nil || !reflect.DeepEqual(o.Shape, []int{64, 64}) {
				t.Errorf("attn_output: %v %v", o, err)
			}
			k, err := f.Tensor("blk.1.attn_k.weight")
			if err == nil && !reflect.DeepEqual(k.Shape, []int{32, 64}) {
				t.Errorf("attn_k shape %v", k.Shape)
			}
			if _, err := f.Tensor("output.weight"); (err == nil) == fx.tied {
				t.Errorf("output.weight present = %v, tied = %v", err == nil, fx.tied)
			}
			if _, err := f.Tensor("nope"); err == nil || !strings.Contains(err.Error(), path) {
				t.Errorf("missing tensor: %v", err)
			}
			// Rewriting every key and tensor reproduces the file byte for byte.
			w := NewWriter()
			for _, kv := range f.KV {
				w.SetKV(kv.Key, kv.Value)
			}
			for _, name := range f.TensorNames() {
				tt, err := f.Tensor(name)
				if err != nil {
					t.Fatal(err)
				}
				if err := w.AddTensor(name, tt.Type, tt.Shape, tt.Data); err != nil {
					t.Fatal(err)
				}
			}
			var buf bytes.Buffer
			n, err := w.WriteTo(&buf)
			if err != nil {
				t.Fatal(err)
			}
			orig, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(buf.Len()) || !bytes.Equal(buf.Bytes(), orig) {
				t.Errorf("rewritten file differs (%d bytes, original %d)", buf.Len(), len(orig))
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := f.Tensor("token_embd.weight"); err == nil {
				t.Error("Tensor after Close succeeded")
			}
			if err := f.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

// allValues holds one metadata value of every kind the reader produces.
var allValues = []KV{
	{"u8", uint8(200)},
	{"i8", int8(-100)},
	{"u16", uint16(60000)},
	{"i16", int16(-30000)},
	{"u32", uint32(4000000000)},
	{"i32", int32(-2000000000)},
	{"u64", uint64(math.MaxUint64)},
	{"i64", int64(math.MinInt64)},
	{"f32", float32(1.5)},
	{"f64", math.Pi},
	{"true", true},
	{"false", false},
	{"str", "héllo"},
	{"empty", ""},
	{"au8", []uint8{1, 2, 255}},
	{"ai8", []int8{-1, 0, 1}},
	{"au16", []uint16{1, 65535}},
	{"ai16", []int16{-32768, 32767}},
	{"au32", []uint32{0, 1 << 31}},
	{"ai32", []int32{-5, 5}},
	{"au64", []uint64{1 << 63}},
	{"ai64", []int64{-1 << 62}},
	{"af32", []float32{0.25, -1}},
	{"af64", []float64{1e300}},
	{"abool", []bool{true, false, true}},
	{"astr", []string{"a", "", "ccc"}},
	{"aempty", []string{}},
	{"nested", []any{[]int32{1, 2}, []string{"x"}, []any{[]bool{true}, []any{}}}},
}

func TestRoundTrip(t *testing.T) {
	w := NewWriter()
	for _, kv := range allValues {
		w.SetKV(kv.Key, kv.Value)
	}
	w.SetKV(AlignmentKey, uint32(64))
	w.SetKV("str", "replaced") // keeps its position
	// Conveniences.
	w.SetKV("int", 7)
	w.SetKV("negint", -7)
	w.SetKV("bigint", 1<<40)
	w.SetKV("uint", uint(9))
	w.SetKV("ints", []int{1, -2, 3})
	w.SetKV("bigints", []int{1, 1 << 40})
	w.SetKV("uints", []uint{1, 2})

	f32 := make([]byte, 3*5*4)
	for i := range f32 {
		f32[i] = byte(i)
	}
	q40 := make([]byte, 2*18) // two rows of one Q4_0 block
	mustAdd(t, w.AddTensor("f32", tensor.F32, []int{3, 5}, f32))
	mustAdd(t, w.AddTensor("q4_0", tensor.Q4_0, []int{2, 32}, q40))
	mustAdd(t, w.AddTensor("scalar", tensor.F16, nil, []byte{1, 2}))
	mustAdd(t, w.AddTensor("empty", tensor.I32, []int{0, 4}, nil))
	mustAdd(t, w.AddTensorFunc("streamed", tensor.I8, []int{2, 3, 4, 5}, 120, func(out io.Writer) error {
		_, err := out.Write(bytes.Repeat([]byte{7}, 120))
		return err
	}))

	path := filepath.Join(t.TempDir(), "rt.gguf")
	if err := w.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Alignment() != 64 || f.DataOffset()%64 != 0 {
		t.Errorf("alignment %d, data offset %d", f.Alignment(), f.DataOffset())
	}
	want := map[string]any{}
	for _, kv := range allValues {
		want[kv.Key] = kv.Value
	}
	want["str"] = "replaced"
	want[AlignmentKey] = uint32(64)
	want["int"] = uint32(7)
	want["negint"] = int32(-7)
	want["bigint"] = int64(1 << 40)
	want["uint"] = uint32(9)
	want["ints"] = []int32{1, -2, 3}
	want["bigints"] = []int64{1, 1 << 40}
	want["uints"] = []uint32{1, 2}
	if len(f.KV) != len(want) {
		t.Errorf("%d keys, want %d", len(f.KV), len(want))
	}
	for i, kv := range f.KV {
		if !reflect.DeepEqual(kv.Value, want[kv.Key]) {
			t.Errorf("%s = %#v, want %#v", kv.Key, kv.Value, want[kv.Key])
		}
		if i < len(allValues) && kv.Key != allValues[i].Key {
			t.Errorf("key %d is %q, want %q (insertion order)", i, kv.Key, allValues[i].Key)
		}
	}
	tests := []struct {
		name  string
		typ   tensor.DType
		shape []int
		data  []byte
	}{
		{"f32", tensor.F32, []int{3, 5}, f32},
		{"q4_0", tensor.Q4_0, []int{2, 32}, q40},
		{"scalar", tensor.F16, []int{}, []byte{1, 2}},
		{"empty", tensor.I32, []int{0, 4}, []byte{}},
		{"streamed", tensor.I8, []int{2, 3, 4, 5}, bytes.Repeat([]byte{7}, 120)},
	}
	if got := f.TensorNames(); len(got) != len(tests) {
		t.Fatalf("tensor names %v", got)
	}
	for _, tc := range tests {
		tt, err := f.Tensor(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if tt.Type != tc.typ || !reflect.DeepEqual(tt.Shape, tc.shape) || !bytes.Equal(tt.Data, tc.data) {
			t.Errorf("%s: %v %v %d bytes", tc.name, tt.Type, tt.Shape, len(tt.Data))
		}
		ti, _ := f.TensorInfo(tc.name)
		if ti.Offset%64 != 0 {
			t.Errorf("%s: offset %d not aligned", tc.name, ti.Offset)
		}
	}
}

func mustAdd(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestGetters(t *testing.T) {
	w := NewWriter()
	for _, kv := range allValues {
		w.SetKV(kv.Key, kv.Value)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := Parse("mem.gguf", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	type res struct {
		v  any
		ok bool
	}
	r := func(v any, ok bool) res { return res{v, ok} }
	tests := []struct {
		name      string
		got, want res
	}{
		{"Uint u8", r(f.Uint("u8")), res{uint64(200), true}},
		{"Uint u64", r(f.Uint("u64")), res{uint64(math.MaxUint64), true}},
		{"Uint i8 negative", r(f.Uint("i8")), res{uint64(0), false}},
		{"Uint string", r(f.Uint("str")), res{uint64(0), false}},
		{"Uint missing", r(f.Uint("nope")), res{uint64(0), false}},
		{"Int i64", r(f.Int("i64")), res{int64(math.MinInt64), true}},
		{"Int u32", r(f.Int("u32")), res{int64(4000000000), true}},
		{"Int u64 too big", r(f.Int("u64")), res{int64(-1), false}},
		{"Int float", r(f.Int("f32")), res{int64(0), false}},
		{"Float f32", r(f.Float("f32")), res{1.5, true}},
		{"Float f64", r(f.Float("f64")), res{math.Pi, true}},
		{"Float int", r(f.Float("i16")), res{-30000.0, true}},
		{"Float u64", r(f.Float("u64")), res{float64(math.MaxUint64), true}},
		{"Float bool", r(f.Float("true")), res{0.0, false}},
		{"Bool", r(f.Bool("true")), res{true, true}},
		{"Bool wrong type", r(f.Bool("u8")), res{false, false}},
		{"String", r(f.String("str")), res{"héllo", true}},
		{"String wrong type", r(f.String("astr")), res{"", false}},
		{"Strings", r(f.Strings("astr")), res{[]string{"a", "", "ccc"}, true}},
		{"Strings wrong type", r(f.Strings("str")), res{[]string(nil), false}},
		{"Ints i8", r(f.Ints("ai8")), res{[]int64{-1, 0, 1}, true}},
		{"Ints u32", r(f.Ints("au32")), res{[]int64{0, 1 << 31}, true}},
		{"Ints u64 too big", r(f.Ints("au64")), res{[]int64(nil), false}},
		{"Ints float", r(f.Ints("af32")), res{[]int64(nil), false}},
		{"Floats f32", r(f.Floats("af32")), res{[]float64{0.25, -1}, true}},
		{"Floats f64", r(f.Floats("af64")), res{[]float64{1e300}, true}},
		{"Floats ints", r(f.Floats("ai16")), res{[]float64{-32768, 32767}, true}},
		{"Floats strings", r(f.Floats("astr")), res{[]float64(nil), false}},
		{"Get nested", r(f.Get("nested")), res{allValues[len(allValues)-1].Value, true}},
	}
	for _, tc := range tests {
		if tc.got.ok != tc.want.ok || (tc.want.ok && !reflect.DeepEqual(tc.got.v, tc.want.v)) {
			t.Errorf("%s: got %#v, want %#v", tc.name, tc.got, tc.want)
		}
	}
}

func TestWriterErrors(t *testing.T) {
	tests := []struct {
		name string
		run  func(w *Writer) error
		want string
	}{
		{"bad value type", func(w *Writer) error { w.SetKV("k", struct{}{}); return nil }, `metadata "k": unsupported value type`},
		{"nil value", func(w *Writer) error { w.SetKV("k", nil); return nil }, `metadata "k": nil value`},
		{"scalar in nested", func(w *Writer) error { w.SetKV("k", []any{1}); return nil }, "element 0: unsupported value type int"},
		{"self nesting", func(w *Writer) error { a := []any{nil}; a[0] = a; w.SetKV("k", a); return nil }, "nested deeper"},
		{"bad alignment", func(w *Writer) error { w.SetKV(AlignmentKey, uint32(48)); return nil }, "not a power of two"},
		{"duplicate tensor", func(w *Writer) error {
			_ = w.AddTensor("t", tensor.F32, []int{1}, make([]byte, 4))
			return w.AddTensor("t", tensor.F32, []int{1}, make([]byte, 4))
		}, `duplicate tensor "t"`},
		{"wrong size", func(w *Writer) error { return w.AddTensor("t", tensor.F32, []int{2}, make([]byte, 4)) }, "4 bytes of data, want 8"},
		{"bad block", func(w *Writer) error { return w.AddTensor("t", tensor.Q8_0, []int{2, 16}, make([]byte, 34)) }, "block size"},
		{"unknown type", func(w *Writer) error { return w.AddTensor("t", tensor.DType(99), []int{1}, nil) }, "not supported"},
		{"too many dims", func(w *Writer) error { return w.AddTensor("t", tensor.F32, []int{1, 1, 1, 1, 1}, make([]byte, 4)) }, "5 dimensions"},
		{"negative dim", func(w *Writer) error { return w.AddTensor("t", tensor.F32, []int{-1}, nil) }, "negative dimension"},
		{"overflow", func(w *Writer) error { return w.AddTensor("t", tensor.F32, []int{1 << 31, 1 << 31}, nil) }, "overflows"},
		{"func wrong size", func(w *Writer) error {
			return w.AddTensorFunc("t", tensor.F32, []int{2}, 4, func(io.Writer) error { return nil })
		}, "size 4, want 8"},
		{"func short", func(w *Writer) error {
			return w.AddTensorFunc("t", tensor.F32, []int{2}, 8, func(io.Writer) error { return nil })
		}, "wrote 0 bytes, want 8"},
		{"func long", func(w *Writer) error {
			return w.AddTensorFunc("t", tensor.F32, []int{1}, 4, func(o io.Writer) error { _, err := o.Write(make([]byte, 5)); return err })
		}, "longer than its declared size"},
		{"func fails", func(w *Writer) error {
			return w.AddTensorFunc("t", tensor.F32, []int{1}, 4, func(io.Writer) error { return errors.New("boom") })
		}, `writing tensor "t": boom`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := NewWriter()
			err := tc.run(w)
			if err == nil {
				_, err = w.WriteTo(io.Discard)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestWriteFileNoDir(t *testing.T) {
	err := NewWriter().WriteFile(filepath.Join(t.TempDir(), "missing", "x.gguf"))
	if err == nil {
		t.Fatal("WriteFile into a missing folder succeeded")
	}
}

// raw builds GGUF bytes by hand for the corruption tests.
type raw struct{ b []byte }

func (r *raw) u32(v uint32) *raw   { r.b = binary.LittleEndian.AppendUint32(r.b, v); return r }
func (r *raw) u64(v uint64) *raw   { r.b = binary.LittleEndian.AppendUint64(r.b, v); return r }
func (r *raw) str(s string) *raw   { return r.u64(uint64(len(s))).bytes([]byte(s)) }
func (r *raw) bytes(p []byte) *raw { r.b = append(r.b, p...); return r }
func (r *raw) pad(a int) *raw {
	for len(r.b)%a != 0 {
		r.b = append(r.b, 0)
	}
	return r
}

// header starts a v3 file with the given counts.
func header(nTensors, nKV uint64) *raw {
	r := &raw{}
	return r.bytes([]byte(Magic)).u32(3).u64(nTensors).u64(nKV)
}

// tinfo appends one tensor description.
func (r *raw) tinfo(name string, typ uint32, offset uint64, dims ...uint64) *raw {
	r.str(name).u32(uint32(len(dims)))
	for _, d := range dims {
		r.u64(d)
	}
	return r.u32(typ).u64(offset)
}

// validFile is a small, well-formed file: one string key and one F32 tensor.
func validFile() []byte {
	r := header(1, 1)
	r.str("general.architecture").u32(typeString).str("llama")
	r.tinfo("blk.0.attn_q.weight", 0, 0, 4).pad(32)
	r.bytes(make([]byte, 16))
	return r.b
}

func TestBadFiles(t *testing.T) {
	if _, err := Parse("ok.gguf", validFile()); err != nil {
		t.Fatalf("valid file rejected: %v", err)
	}
	kv := func(key string, typ uint32) *raw { return header(0, 1).str(key).u32(typ) }
	nest := func(depth int) []byte {
		r := kv("deep", typeArray)
		for i := 0; i < depth; i++ {
			r.u32(typeArray).u64(1)
		}
		return r.u32(typeUint8).u64(0).b
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"wrong magic", append([]byte("GGML"), validFile()[4:]...), "not a GGUF file"},
		{"version 1", (&raw{}).bytes([]byte(Magic)).u32(1).u32(0).u32(0).b, "version 1 is not supported"},
		{"version 9", (&raw{}).bytes([]byte(Magic)).u32(9).u64(0).u64(0).b, "version 9 is not supported"},
		{"big endian", (&raw{}).bytes([]byte(Magic)).u32(3 << 24).u64(0).u64(0).b, "big-endian"},
		{"truncated header", validFile()[:10], "unexpected end of file"},
		{"truncated in kv", validFile()[:40], "metadata key #0 at offset 24: length 20 extends past end of file (8 bytes left)"},
		{"truncated in tensor info", validFile()[:70], "unexpected end of file"},
		{"truncated data", validFile()[:len(validFile())-4], "extends past end of file"},
		{"tensor past end", header(1, 0).tinfo("t", 0, 1024, 4).pad(32).bytes(make([]byte, 16)).b, `tensor "t": data [1088, 1104) extends past end of file (80 bytes)`},
		{"offset wraps", header(1, 0).tinfo("t", 0, 1<<63, 4).pad(32).b, "extends past end of file"},
		{"misaligned offset", header(1, 0).tinfo("t", 0, 4, 4).pad(32).bytes(make([]byte, 32)).b, "offset 4 is not a multiple of the alignment 32"},
		{"overlap", header(2, 0).tinfo("a", 0, 0, 16).tinfo("b", 0, 32, 16).pad(32).bytes(make([]byte, 128)).b, `tensor "b": data [128, 192) overlaps tensor "a"`},
		{"absurd tensor count", header(1<<60, 0).b, "tensor count 1152921504606846976 at offset 8 is larger than the rest of the file"},
		{"absurd kv count", header(0, 1<<40).b, "metadata count"},
		{"2^62 elements", header(1, 0).tinfo("t", 0, 0, 1<<31, 1<<31).pad(32).b, "overflows"},
		{"2^62 bytes", header(1, 0).tinfo("t", 24, 0, 1<<62).pad(32).b, "extends past end of file"},
		{"2^64 elements", header(1, 0).tinfo("t", 24, 0, 1<<32, 1<<32).pad(32).b, "overflows"},
		{"n_dims 9", header(1, 0).tinfo("t", 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1).b, "9 dimensions"},
		{"unknown dtype", header(1, 0).tinfo("t", 99, 0, 4).pad(32).b, "tensor type id 99 is not supported"},
		{"bad block multiple", header(1, 0).tinfo("t", uint32(tensor.Q4_0), 0, 31).pad(32).b, "block size"},
		{"duplicate tensor", header(2, 0).tinfo("t", 0, 0, 4).tinfo("t", 0, 32, 4).pad(32).bytes(make([]byte, 64)).b, `duplicate tensor name "t"`},
		{"duplicate key", header(0, 2).str("k").u32(typeUint8).bytes([]byte{1}).str("k").u32(typeUint8).bytes([]byte{1}).b, `duplicate metadata key "k"`},
		{"key length past EOF", header(0, 1).u64(1 << 40).bytes(make([]byte, 13)).b, "metadata key #0 at offset 24: length 1099511627776 extends past end of file"},
		{"string length past EOF", kv("s", typeString).u64(1 << 40).bytes([]byte("abc")).b, `metadata "s" at offset 37: length 1099511627776 extends past end of file`},
		{"tensor name past EOF", header(1, 0).u64(100).bytes(make([]byte, 24)).b, "name of tensor #0"},
		{"unknown value type", kv("k", 13).u64(0).b, `metadata "k": unknown value type 13`},
		{"unknown array type", kv("k", typeArray).u32(77).u64(0).b, "unknown array element type 77"},
		{"absurd array length", kv("k", typeArray).u32(typeUint32).u64(1 << 50).b, `metadata "k" array length 1125899906842624`},
		{"absurd string array", kv("k", typeArray).u32(typeString).u64(1 << 20).bytes(make([]byte, 64)).b, "array length"},
		{"string in array past EOF", kv("k", typeArray).u32(typeString).u64(1).u64(1 << 30).b, "extends past end of file"},
		{"array of arrays bomb", kv("k", typeArray).u32(typeArray).u64(1 << 40).b, "array length"},
		{"nesting depth bomb", nest(100), "nested deeper than 16"},
		{"bool value 2", kv("b", typeBool).bytes([]byte{2}).b, "bool at offset 37 has value 2"},
		{"bool array value 7", kv("b", typeArray).u32(typeBool).u64(2).bytes([]byte{1, 7}).b, "bool array element 1 has value 7"},
		{"alignment not power of two", kv(AlignmentKey, typeUint32).u32(48).b, "not a power of two"},
		{"alignment zero", kv(AlignmentKey, typeUint32).u32(0).b, "not a power of two"},
		{"alignment string", kv(AlignmentKey, typeString).str("32").b, "not a power of two"},
		{"data start past EOF", header(1, 0).tinfo("t", 0, 0, 0).b, "starts past end of file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			f, err := Parse("bad.gguf", tc.data)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatalf("parsed without error: %d tensors", len(f.Tensors))
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "gguf: bad.gguf: ") || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q, want it to name the file and contain %q", msg, tc.want)
			}
			if grown := after.TotalAlloc - before.TotalAlloc; grown > 1<<20 {
				t.Errorf("allocated %d bytes parsing a %d-byte file", grown, len(tc.data))
			}
		})
	}
	// Nesting up to the limit is fine.
	if _, err := Parse("deep.gguf", nest(maxArrayDepth-1)); err != nil {
		t.Errorf("nesting depth %d: %v", maxArrayDepth, err)
	}
}

func TestUnsupportedIs(t *testing.T) {
	for _, data := range [][]byte{
		(&raw{}).bytes([]byte(Magic)).u32(1).u32(0).u32(0).b,
		header(1, 0).tinfo("t", 99, 0, 4).pad(32).b,
	} {
		if _, err := Parse("x.gguf", data); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%v does not wrap ErrUnsupported", err)
		}
	}
	if _, err := Parse("x.gguf", validFile()[:10]); errors.Is(err, ErrUnsupported) {
		t.Errorf("truncation reported as unsupported: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "missing.gguf")); err == nil || !strings.Contains(err.Error(), "missing.gguf") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
	empty := filepath.Join(dir, "empty.gguf")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(empty); err == nil || !strings.Contains(err.Error(), "empty.gguf: file too short") {
		t.Errorf("empty file: %v", err)
	}
	v2 := validFile()
	v2[4] = 2
	p := filepath.Join(dir, "v2.gguf")
	if err := os.WriteFile(p, v2, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Open(p)
	if err != nil {
		t.Fatalf("version 2: %v", err)
	}
	defer f.Close()
	if f.Version != 2 {
		t.Errorf("version %d", f.Version)
	}
}
