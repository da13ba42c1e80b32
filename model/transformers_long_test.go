package model

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nuri-ai/nuri/kernels"
	"github.com/nuri-ai/nuri/tensor"
)

// Long-context checks against transformers (testdata/transformers/long):
// small models with a 128K (Gemma 3: 32K) trained context and RoPE scaling
// (llama3, linear, YaRN, LongRoPE, Gemma 3's linear-on-global-layers), whose
// goldens hold the logits at a few positions of one causal pass over a long
// random sequence.
//
// The pass is a prefill in chunks of tfLongChunk tokens through a float32 KV
// cache, as the engine prefills and as the goldens were made. The chunk size
// matters for LongRoPE only: like transformers, the model picks the short or
// long factors per forward step from the largest position in the step (long
// once it exceeds original_max_position_embeddings, 4096 here), and keys
// already in the cache keep the rotation they were stored with. With 2048-token
// chunks positions 0..4095 are rotated with the short factors and every later
// chunk with the long ones, on both sides. The LongRoPE attention factor comes
// from the trained context (max_position_embeddings, 131072) over the original
// one, independent of the context a server is started with.
//
// By default the prefix up to the last checked position below
// tfLongDefaultLimit is run (16K tokens, a few seconds); with NURI_LONG_TESTS=1
// the whole sequence (64K) is. -short skips the test.

const (
	tfLongChunk        = 2048
	tfLongDefaultLimit = 16384
)

// tfLongTolerance bounds |logit difference| at position pos. Up to 16K it is
// the 1e-4 of the short fixtures. Beyond, both sides sum softmax weights and
// values over 32K–64K keys in float32, and the differences grow with it: the
// linear-scaled model, whose frequencies are bit-identical on both sides,
// differs by 1.0e-4 at position 65535 and LongRoPE (whose long frequencies
// transformers computes on the GPU) by 1.7e-4; see
// testdata/transformers/README.md for every measured difference.
func tfLongTolerance(pos int) float64 {
	if pos < 16384 {
		return 1e-4
	}
	return 3e-4
}

func TestTransformersLong(t *testing.T) {
	if testing.Short() {
		t.Skip("long-context prefill: skipped with -short")
	}
	limit := tfLongDefaultLimit
	if os.Getenv("NURI_LONG_TESTS") == "1" {
		limit = 1 << 30
	}
	pool := kernels.NewPool(2)
	defer pool.Close()
	for _, dir := range tfFixtures(t, "long") {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			gp := filepath.Join(dir, "golden.safetensors")
			ts := readSafetensors(t, gp)
			ids := goldenInts(t, ts, gp, "input_ids", tensor.I32)
			positions := goldenInts(t, ts, gp, "positions", tensor.I32)
			want := goldenFloats(t, ts, gp, "logits")

			m, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			m.SetPool(pool)
			v := m.Config.VocabSize
			if len(want) != len(positions)*v {
				t.Fatalf("golden logits have %d values, want %d×%d", len(want), len(positions), v)
			}

			// Run up to the last checked position within the limit.
			n := 0
			rows := map[int]int{} // position → golden row
			for i, p := range positions {
				if int(p) < limit && int(p) < len(ids) {
					rows[int(p)] = i
					n = max(n, int(p)+1)
				}
			}
			if n == 0 {
				t.Skipf("no checked position below %d", limit)
			}
			kv, err := NewDenseCacheType(&m.Config, KVF32, 1, n)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			got := map[int][]float32{}
			for s0 := 0; s0 < n; s0 += tfLongChunk {
				s1 := min(s0+tfLongChunk, n)
				b := &Batch{Tokens: ids[s0:s1], Pos: make([]int32, s1-s0), Seq: make([]int32, s1-s0), Logits: make([]bool, s1-s0)}
				var keep []int
				for i := range b.Pos {
					b.Pos[i] = int32(s0 + i)
					if _, ok := rows[s0+i]; ok {
						b.Logits[i] = true
						keep = append(keep, s0+i)
					}
				}
				out := make([]float32, len(keep)*v)
				if err := m.Forward(b, kv, out); err != nil {
					t.Fatalf("chunk at %d: %v", s0, err)
				}
				for k, p := range keep {
					got[p] = out[k*v : (k+1)*v]
				}
			}
			t.Logf("%s: %d-token prefill in %v", name, n, time.Since(start).Round(time.Millisecond))
			for _, p := range positions {
				i, ok := rows[int(p)]
				if !ok {
					continue
				}
				d, at := maxAbsDiff(got[int(p)], want[i*v:(i+1)*v])
				tol := tfLongTolerance(int(p))
				t.Logf("%s: position %d: max |logit diff| %.3g (tolerance %.g)", name, p, d, tol)
				if d > tol {
					t.Errorf("position %d: max |diff| %.3g at token %d (tolerance %.g)", p, d, at, tol)
				}
			}
		})
	}
}
