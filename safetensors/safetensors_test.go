package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

const goldenDir = "../testdata/golden"

var fixtureDirs = []string{"llama", "llama3_rope", "qwen2", "gemma2", "exaone", "phi3", "granite", "mixtral"}

var publicPrompt = []int64{1, 17, 300, 42, 99, 5, 123, 77, 256, 400, 33, 12, 8, 501, 64, 3, 250, 19, 88, 140, 7, 311, 45, 200}

func TestFixtureModels(t *testing.T) {
	for _, name := range fixtureDirs {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(goldenDir, name)
			m, err := OpenDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			// model.safetensors is chosen over the other *.safetensors.
			if len(m.Files()) != 1 || filepath.Base(m.Files()[0].Path()) != SingleFile {
				t.Fatalf("opened %d files", len(m.Files()))
			}
			f := m.Files()[0]
			if !reflect.DeepEqual(f.Metadata, map[string]string{"format": "pt"}) {
				t.Errorf("metadata %v", f.Metadata)
			}
			if f.DataOffset()%8 != 0 {
				t.Errorf("data offset %d", f.DataOffset())
			}
			embName := "model.embed_tokens.weight"
			if name == "exaone" {
				embName = "transformer.wte.weight"
			}
			emb, err := m.Tensor(embName)
			if err != nil {
				t.Fatal(err)
			}
			if emb.Type != tensor.F32 || !reflect.DeepEqual(emb.Shape, []int{512, 64}) || len(emb.Data) != 512*64*4 {
				t.Errorf("%s: %v %v %d bytes", embName, emb.Type, emb.Shape, len(emb.Data))
			}
			names := m.Names()
			if len(names) < 10 || !m.Has(embName) || m.Has("nope") {
				t.Errorf("%d names", len(names))
			}
			for _, n := range names {
				ti, ok := m.Info(n)
				if !ok || ti.DType != F32 {
					t.Errorf("%s: %v", n, ti.DType)
				}
			}
			if _, err := m.Tensor("nope"); err == nil {
				t.Error("missing tensor found")
			}
			// Writing the tensors back in file order with the same metadata
			// reproduces the file.
			var ts []Tensor
			for _, n := range f.Names() {
				tt, err := f.Tensor(n)
				if err != nil {
					t.Fatal(err)
				}
				st, err := FromTensor(tt)
				if err != nil {
					t.Fatal(err)
				}
				ts = append(ts, st)
			}
			var buf bytes.Buffer
			if _, err := WriteTo(&buf, ts, f.Metadata); err != nil {
				t.Fatal(err)
			}
			orig, err := os.ReadFile(filepath.Join(dir, SingleFile))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), orig) {
				t.Errorf("rewritten file differs (%d bytes, original %d)", buf.Len(), len(orig))
			}
		})
	}
}

func TestGoldenFile(t *testing.T) {
	f, err := Open(filepath.Join(goldenDir, "llama", "golden.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]struct {
		dt    DType
		shape []int
	}{
		"input_ids":     {I64, []int{24}},
		"logits":        {F32, []int{24, 512}},
		"greedy_ids":    {I64, []int{16}},
		"greedy_logits": {F32, []int{16, 512}},
	}
	if len(f.Tensors) != len(want) {
		t.Errorf("%d tensors: %v", len(f.Tensors), f.Names())
	}
	for name, w := range want {
		ti, ok := f.Info(name)
		if !ok || ti.DType != w.dt || !reflect.DeepEqual(ti.Shape, w.shape) {
			t.Errorf("%s: %+v", name, ti)
		}
	}
	ids, err := f.Tensor("input_ids")
	if err != nil {
		t.Fatal(err)
	}
	if ids.Type != tensor.I64 {
		t.Fatalf("input_ids type %v", ids.Type)
	}
	for i, want := range publicPrompt {
		if got := int64(binary.LittleEndian.Uint64(ids.Data[8*i:])); got != want {
			t.Errorf("input_ids[%d] = %d, want %d", i, got, want)
		}
	}
	greedy, _ := f.Tensor("greedy_ids")
	if got := binary.LittleEndian.Uint64(greedy.Data); got != 406 {
		t.Errorf("greedy_ids[0] = %d, want 406", got)
	}
}

// sample returns a tensor of the given dtype and shape with patterned bytes.
func sample(name string, dt DType, shape ...int) Tensor {
	n := dt.Size()
	for _, d := range shape {
		n *= d
	}
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i*7 + len(name))
	}
	return Tensor{Name: name, DType: dt, Shape: shape, Data: data}
}

var allDTypes = []Tensor{
	sample("f64", F64, 3),
	sample("f32", F32, 2, 3),
	sample("f16", F16, 4, 1, 2),
	sample("bf16", BF16, 5),
	sample("i64", I64, 2),
	sample("i32", I32, 1),
	sample("i16", I16, 3),
	sample("i8", I8, 2, 2),
	sample("u8", U8, 7),
	sample("u16", U16, 2),
	sample("u32", U32, 2),
	sample("u64", U64, 2),
	sample("bool", BOOL, 3),
	sample("f8a", F8_E4M3, 4, 4),
	sample("f8b", F8_E5M2, 4),
	sample("scalar", F32),
	sample("empty", F32, 0, 5),
}

func checkTensors(t *testing.T, get func(string) (*tensor.Tensor, error), info func(string) (TensorInfo, bool), raw func(string) ([]byte, error)) {
	t.Helper()
	for _, want := range allDTypes {
		ti, ok := info(want.Name)
		shape := want.Shape
		if shape == nil {
			shape = []int{}
		}
		if !ok || ti.DType != want.DType || !reflect.DeepEqual(ti.Shape, shape) {
			t.Errorf("%s: info %+v", want.Name, ti)
		}
		b, err := raw(want.Name)
		if err != nil || !bytes.Equal(b, want.Data) {
			t.Errorf("%s: raw bytes differ (%v)", want.Name, err)
		}
		tt, err := get(want.Name)
		if tt2, ok := want.DType.TensorType(); ok {
			if err != nil || tt.Type != tt2 || !reflect.DeepEqual(tt.Shape, shape) || !bytes.Equal(tt.Data, want.Data) {
				t.Errorf("%s: tensor %v, %v", want.Name, tt, err)
			}
		} else if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), want.Name) {
			t.Errorf("%s: error %v, want unsupported naming the tensor", want.Name, err)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "all.safetensors")
	meta := map[string]string{"format": "pt", "b": "2"}
	if err := Write(path, allDTypes, meta); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !reflect.DeepEqual(f.Metadata, meta) || f.DataOffset()%8 != 0 {
		t.Errorf("metadata %v, data offset %d", f.Metadata, f.DataOffset())
	}
	for i, n := range f.Names() {
		if n != allDTypes[i].Name {
			t.Errorf("name %d = %q, want given order", i, n)
		}
	}
	checkTensors(t, f.Tensor, f.Info, f.Bytes)
}

func TestSharded(t *testing.T) {
	dir := t.TempDir()
	shards, err := WriteSharded(dir, allDTypes, map[string]string{"format": "pt"}, 40)
	if err != nil {
		t.Fatal(err)
	}
	if len(shards) < 3 {
		t.Fatalf("only %d shards", len(shards))
	}
	m, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if len(m.Files()) != len(shards) {
		t.Errorf("opened %d files for %d shards", len(m.Files()), len(shards))
	}
	if len(m.Names()) != len(allDTypes) {
		t.Errorf("%d names", len(m.Names()))
	}
	checkTensors(t, m.Tensor, m.Info, m.Bytes)
	idx, err := ReadIndex(filepath.Join(dir, IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	if idx.WeightMap["f64"] != shards[0] {
		t.Errorf("index: %v", idx.WeightMap)
	}
	// A single file may be opened as a model too.
	one, err := OpenDir(filepath.Join(dir, shards[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	if !one.Has("f64") || one.Dir() != dir {
		t.Errorf("single-file model: %v in %s", one.Names(), one.Dir())
	}
}

func TestDirWithoutIndex(t *testing.T) {
	dir := t.TempDir()
	if err := Write(filepath.Join(dir, "a.safetensors"), allDTypes[:3], nil); err != nil {
		t.Fatal(err)
	}
	if err := Write(filepath.Join(dir, "b.safetensors"), allDTypes[3:], nil); err != nil {
		t.Fatal(err)
	}
	m, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkTensors(t, m.Tensor, m.Info, m.Bytes)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Tensor("f32"); err == nil {
		t.Error("Tensor after Close succeeded")
	}
	if err := Write(filepath.Join(dir, "c.safetensors"), allDTypes[:1], nil); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenDir(dir); err == nil || !strings.Contains(err.Error(), `tensor "f64" is in both`) {
		t.Errorf("duplicate across files: %v", err)
	}
}

func TestBadDirs(t *testing.T) {
	one := []Tensor{sample("w", F32, 2)}
	tests := []struct {
		name  string
		index string
		want  string
	}{
		{"parent", `{"weight_map":{"w":"../x.safetensors"}}`, `shard "../x.safetensors" is not a .safetensors file inside the model folder`},
		{"absolute", `{"weight_map":{"w":"/tmp/x.safetensors"}}`, "inside the model folder"},
		{"sneaky", `{"weight_map":{"w":"sub/../../x.safetensors"}}`, "inside the model folder"},
		{"not safetensors", `{"weight_map":{"w":"config.json"}}`, "inside the model folder"},
		{"missing shard", `{"weight_map":{"w":"gone.safetensors"}}`, "gone.safetensors: "}, // the rest is the system's wording
		{"tensor not in shard", `{"weight_map":{"w":"s.safetensors","v":"s.safetensors"}}`, `tensor "v" is mapped to s.safetensors, which does not contain it`},
		{"broken json", `{"weight_map":`, "unexpected end of JSON"},
		{"empty map", `{"weight_map":{}}`, "empty or missing weight_map"},
		{"wrong types", `{"weight_map":{"w":3}}`, "cannot unmarshal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := Write(filepath.Join(dir, "s.safetensors"), one, nil); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, IndexFile), []byte(tc.index), 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := OpenDir(dir)
			if err == nil {
				m.Close()
				t.Fatal("opened without error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want %q", err, tc.want)
			}
		})
	}
	if _, err := OpenDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no model.safetensors.index.json") {
		t.Errorf("empty folder: %v", err)
	}
	if _, err := OpenDir(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing folder opened")
	}
}

// rawFile builds a file from a header string and n data bytes.
func rawFile(header string, n int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, n)...)
}

func TestBadFiles(t *testing.T) {
	huge := binary.LittleEndian.AppendUint64(nil, 200_000_000)
	past := binary.LittleEndian.AppendUint64(nil, 64)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "file too short"},
		{"header length huge", append(huge, "{}"...), "header length 200000000 exceeds the 100000000-byte limit"},
		{"header length past EOF", append(past, "{}"...), "header length 64 extends past end of file (10 bytes)"},
		{"header length tiny", rawFile("{", 0), "too small"},
		{"json broken", rawFile(`{"a":{"dtype":"F32",`, 0), `tensor "a": bad header entry: unexpected EOF`},
		{"json broken key", rawFile(`{"a" "b"}`, 0), "expected colon"},
		{"json broken start", rawFile(`{]`, 0), "not valid JSON"},
		{"not an object", rawFile(`[1,2,3]`, 0), "not a JSON object"},
		{"trailing data", rawFile(`{} {}`, 0), "unexpected data after"},
		{"entry not object", rawFile(`{"a":5}`, 0), `tensor "a": bad header entry`},
		{"missing field", rawFile(`{"a":{"dtype":"F32","shape":[1]}}`, 4), `tensor "a": header entry needs`},
		{"unknown dtype", rawFile(`{"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}`, 1), `tensor "a": unknown dtype "Q4"`},
		{"offsets out of bounds", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 4), `tensor "a": data_offsets [0, 8] extend past the 4-byte data section`},
		{"offsets reversed", rawFile(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}`, 4), "end before they begin"},
		{"three offsets", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, 8), "has 3 entries"},
		{"negative offset", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, 8), "bad header entry"},
		{"size mismatch", rawFile(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8), `tensor "a": shape [3] of F32 needs 3×4 bytes, but data_offsets [0, 8] hold 8`},
		{"overlap", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, 12), `tensor "b": data [120, 128) overlaps tensor "a" [116, 124)`},
		{"shape overflow", rawFile(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}`, 0), "overflows"},
		{"shape 2^62", rawFile(`{"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,4]}}`, 4), "needs"},
		{"negative shape", rawFile(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4), "bad header entry"},
		{"fractional shape", rawFile(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, 4), "bad header entry"},
		{"duplicate tensor", rawFile(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, 2), `duplicate tensor "a"`},
		{"metadata not strings", rawFile(`{"__metadata__":{"n":1}}`, 0), "__metadata__ must map strings to strings"},
		{"duplicate metadata", rawFile(`{"__metadata__":{},"__metadata__":{}}`, 0), "duplicate __metadata__"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("bad.safetensors", tc.data)
			if err == nil {
				t.Fatalf("parsed without error: %v", f.Names())
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "safetensors: bad.safetensors: ") || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q, want it to name the file and contain %q", msg, tc.want)
			}
		})
	}
	// Zero-size tensors may share an offset; padding spaces are fine.
	ok := rawFile(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[1,0],"data_offsets":[0,0]}}    `, 0)
	if _, err := Parse("ok.safetensors", ok); err != nil {
		t.Errorf("valid file rejected: %v", err)
	}
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name    string
		tensors []Tensor
		want    string
	}{
		{"empty name", []Tensor{{DType: F32}}, "invalid tensor name"},
		{"metadata name", []Tensor{{Name: metadataKey, DType: F32}}, "invalid tensor name"},
		{"duplicate", []Tensor{sample("a", U8, 1), sample("a", U8, 1)}, `duplicate tensor "a"`},
		{"unknown dtype", []Tensor{{Name: "a", DType: "Q4"}}, "unknown dtype"},
		{"size", []Tensor{{Name: "a", DType: F32, Shape: []int{2}, Data: make([]byte, 4)}}, "4 bytes of data, want 8"},
		{"negative", []Tensor{{Name: "a", DType: F32, Shape: []int{-2}}}, "negative dimension"},
		{"overflow", []Tensor{{Name: "a", DType: F32, Shape: []int{math.MaxInt, 4}}}, "overflows"},
	}
	for _, tc := range tests {
		if err := Write(filepath.Join(t.TempDir(), "x.safetensors"), tc.tensors, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := WriteSharded(t.TempDir(), []Tensor{sample("a", U8, 1), sample("a", U8, 1)}, nil, 1); err == nil {
		t.Error("WriteSharded accepted duplicate names")
	}
	if _, err := FromTensor(&tensor.Tensor{Name: "q", Type: tensor.Q4_0}); err == nil {
		t.Error("FromTensor accepted Q4_0")
	}
}
