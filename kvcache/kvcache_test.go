package kvcache

import (
	"errors"
	"math"
	"testing"

	"github.com/nuri-ai/nuri/model"
	"github.com/nuri-ai/nuri/tensor"
)

func testConfig() *model.Config {
	return &model.Config{Layers: 2, KVHeads: 2, HeadDim: 4, ValueDim: 3}
}

func hashes(salt string, tokens []int32, bs int) []Hash {
	var out []Hash
	var parent Hash
	for i := 0; (i+1)*bs <= len(tokens); i++ {
		parent = BlockHash(salt, parent, tokens[i*bs:(i+1)*bs])
		out = append(out, parent)
	}
	return out
}

// fill reserves and commits the full blocks of tokens for seq.
func fill(t *testing.T, p *Pool, seq int, salt string, tokens []int32) {
	t.Helper()
	if err := p.Reserve(seq, len(tokens)); err != nil {
		t.Fatal(err)
	}
	var parent Hash
	for i, h := range hashes(salt, tokens, p.BlockSize()) {
		p.Commit(seq, i, parent, h, tokens[i*p.BlockSize():(i+1)*p.BlockSize()])
		parent = h
	}
}

func TestNewErrors(t *testing.T) {
	c := testConfig()
	for _, tc := range []struct{ bs, blocks, seqs int }{{0, 4, 1}, {4, 0, 1}, {4, 4, 0}, {-1, 4, 1}} {
		if _, err := New(c, model.KVF32, tc.bs, tc.blocks, tc.seqs); err == nil {
			t.Errorf("New(%d, %d, %d): no error", tc.bs, tc.blocks, tc.seqs)
		}
	}
}

func TestKVSlotsAreDistinct(t *testing.T) {
	for _, kt := range []model.KVType{model.KVF32, model.KVF16} {
		c := testConfig()
		p, err := New(c, kt, 4, 8, 2)
		if err != nil {
			t.Fatal(err)
		}
		for seq := 0; seq < 2; seq++ {
			if err := p.Reserve(seq, 10); err != nil {
				t.Fatal(err)
			}
		}
		// Store a distinct value everywhere, then read it back.
		val := func(l, s, pos int) float32 { return float32(l*1000 + s*100 + pos) }
		k, v := make([]float32, c.KVDim()), make([]float32, c.KVHeads*c.ValueDim)
		for l := 0; l < c.Layers; l++ {
			for s := 0; s < 2; s++ {
				for pos := 0; pos < 10; pos++ {
					for i := range k {
						k[i] = val(l, s, pos)
					}
					for i := range v {
						v[i] = -val(l, s, pos)
					}
					p.Store(l, s, pos, k, v)
				}
			}
		}
		kr, vr := kt.RowBytes(c.KVDim()), kt.RowBytes(c.KVHeads*c.ValueDim)
		for l := 0; l < c.Layers; l++ {
			for s := 0; s < 2; s++ {
				for pos := 0; pos < 10; {
					kb, vb, n := p.Span(l, s, pos, 10)
					if want := min(10-pos, 4-pos%4); n != want || len(kb) != n*kr || len(vb) != n*vr {
						t.Fatalf("%s: span from %d: %d rows, %d and %d bytes", kt, pos, n, len(kb), len(vb))
					}
					for j := 0; j < n; j++ {
						got, gotV := make([]float32, c.KVDim()), make([]float32, c.KVHeads*c.ValueDim)
						decode(kt, got, kb[j*kr:])
						decode(kt, gotV, vb[j*vr:])
						if got[0] != val(l, s, pos+j) || got[len(got)-1] != val(l, s, pos+j) || gotV[len(gotV)-1] != -val(l, s, pos+j) {
							t.Fatalf("%s: layer %d seq %d pos %d overwritten: %v %v", kt, l, s, pos+j, got, gotV)
						}
					}
					pos += n
				}
			}
		}
		if st := p.Stats(); st.Used != 6 || st.Total != 8 {
			t.Errorf("stats %+v, want 6 used of 8", st)
		}
	}
}

// decode widens a row of small integers stored as f32 or f16.
func decode(kt model.KVType, dst []float32, src []byte) {
	for i := range dst {
		if kt == model.KVF16 {
			dst[i] = tensor.F16ToF32(uint16(src[2*i]) | uint16(src[2*i+1])<<8)
		} else {
			dst[i] = math.Float32frombits(uint32(src[4*i]) | uint32(src[4*i+1])<<8 | uint32(src[4*i+2])<<16 | uint32(src[4*i+3])<<24)
		}
	}
}

func TestNewTypes(t *testing.T) {
	c := testConfig()
	if _, err := New(c, model.KVQ8, 4, 4, 1); err == nil {
		t.Error("q8_0 with head size 4: no error")
	}
	if _, err := New(c, "", 4, 4, 1); err == nil {
		t.Error("no type: no error")
	}
	c = &model.Config{Layers: 1, KVHeads: 2, HeadDim: 64, ValueDim: 64}
	p, err := New(c, model.KVQ8, 4, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	if p.KVType() != model.KVQ8 {
		t.Errorf("type %s", p.KVType())
	}
}

func TestPrefixMatch(t *testing.T) {
	c := testConfig()
	a := []int32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	tests := []struct {
		name   string
		salt   string
		tokens []int32
		want   int
	}{
		{"same", "", a, 2},
		{"shorter", "", a[:5], 1},
		{"diverges in block 2", "", []int32{1, 2, 3, 4, 5, 6, 0, 8}, 1},
		{"diverges in block 1", "", []int32{0, 2, 3, 4, 5, 6, 7, 8}, 0},
		{"other salt", "tenant", a, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(c, model.KVF32, 4, 8, 2)
			if err != nil {
				t.Fatal(err)
			}
			fill(t, p, 0, "", a)
			got := p.Match(1, hashes(tc.salt, tc.tokens, 4), tc.tokens)
			if got != tc.want {
				t.Fatalf("matched %d blocks, want %d", got, tc.want)
			}
			for i := 0; i < got; i++ {
				if p.Table(1)[i] != p.Table(0)[i] {
					t.Errorf("block %d not shared", i)
				}
			}
			// Shared blocks are counted once.
			if st := p.Stats(); st.Used != 3 {
				t.Errorf("used %d, want 3", st.Used)
			}
		})
	}
}

func TestLRUEviction(t *testing.T) {
	c := testConfig()
	p, err := New(c, model.KVF32, 2, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	old := []int32{1, 2, 3, 4}
	fill(t, p, 0, "", old)
	p.Release(0)
	if st := p.Stats(); st.Used != 0 || st.Cached != 2 || p.Available() != 4 {
		t.Fatalf("after release: %+v, available %d", st, p.Available())
	}
	// Three new blocks: the two free ones, then the LRU cached one (the
	// chain's tail, released first).
	if err := p.Reserve(0, 6); err != nil {
		t.Fatal(err)
	}
	if st := p.Stats(); st.Used != 3 || st.Cached != 1 {
		t.Fatalf("after reuse: %+v", st)
	}
	p.Release(0)
	if got := p.Match(0, hashes("", old, 2), old); got != 1 {
		t.Errorf("matched %d blocks after eviction, want the chain head only", got)
	}
	p.Release(0)
	if err := p.Reserve(0, 9); !errors.Is(err, ErrNoBlocks) {
		t.Errorf("reserving past the pool: %v", err)
	}
	p.Release(0)
	if st := p.Stats(); st.Used != 0 {
		t.Errorf("leaked blocks: %+v", st)
	}
}

func TestTruncateAndDuplicateCommit(t *testing.T) {
	c := testConfig()
	p, err := New(c, model.KVF32, 2, 8, 2)
	if err != nil {
		t.Fatal(err)
	}
	toks := []int32{5, 6, 7, 8}
	fill(t, p, 0, "", toks)
	fill(t, p, 1, "", toks) // same content computed twice: stays private
	p.Release(1)
	if st := p.Stats(); st.Cached != 0 || st.Used != 2 {
		t.Errorf("duplicate blocks cached: %+v", st)
	}
	p.Truncate(0, 1)
	if len(p.Table(0)) != 1 {
		t.Errorf("table length %d after truncate", len(p.Table(0)))
	}
	if st := p.Stats(); st.Used != 1 || st.Cached != 1 {
		t.Errorf("after truncate: %+v", st)
	}
}

func TestBytesPerBlock(t *testing.T) {
	c := testConfig()
	// 2 layers × 16 tokens × (8 key + 6 value floats) × 4 or 2 bytes.
	if got := BytesPerBlock(c, model.KVF32, 16); got != 2*16*14*4 {
		t.Errorf("BytesPerBlock f32 = %d", got)
	}
	if got := BytesPerBlock(c, model.KVF16, 16); got != 2*16*14*2 {
		t.Errorf("BytesPerBlock f16 = %d", got)
	}
	// Head sizes of 64: 2 heads × 2 blocks of 34 bytes per row.
	c = &model.Config{Layers: 1, KVHeads: 2, HeadDim: 64, ValueDim: 64}
	if got := BytesPerBlock(c, model.KVQ8, 16); got != 16*2*(2*2*34) {
		t.Errorf("BytesPerBlock q8_0 = %d", got)
	}
}
