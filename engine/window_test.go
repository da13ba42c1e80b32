package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestWindowedAdmission: on a model with sliding-window layers the KV
// budget is split (kvcache.Plan), the context cap counts only what the full
// layers need, requests up to it run and match the dense generator (also
// after a prefix-cache hit), and longer ones are refused with the numbers.
func TestWindowedAdmission(t *testing.T) {
	// The golden Gemma 2 model: layer 0 has window 8, layer 1 is full; f32
	// rows of 64 values, so a block of 4 positions takes 1 KiB per layer.
	// 40 KiB buy 20 unsplit blocks. Two sequences of window 8 and steps of
	// 8 need 5 windowed blocks each, plus a quarter: 12; the full layer gets
	// the other 28 KiB, 28 blocks, 112 positions (80 without the split).
	e := newEngineFor(t, goldenGemma2, Config{MaxBatchTokens: 8, BlockSize: 4, MaxRunning: 2, Context: 256, KVMemory: 40 << 10})
	if g := e.pool.Groups(); g != 2 {
		t.Fatalf("%d pool groups, want 2", g)
	}
	if full, win := e.pool.GroupStats(0).Total, e.pool.GroupStats(1).Total; full != 28 || win != 12 {
		t.Errorf("blocks: %d full, %d windowed; want 28 and 12", full, win)
	}
	if e.Context() != 112 {
		t.Errorf("context %d, want 112", e.Context())
	}
	r := rand.New(rand.NewPCG(3, 4))
	long := randomPrompt(r, nil, 80)
	if _, err := e.Submit(context.Background(), &Request{Prompt: long, MaxTokens: 40}); !errors.As(err, new(*PromptTooLongError)) {
		t.Errorf("80+40 tokens over a context of 112: %v", err)
	}
	// The first request runs far past the window; the second shares its
	// first 60 tokens, whose last window is still in the windowed group's
	// prefix cache (a longer first request would have evicted it: the
	// windowed group is small).
	for i, tc := range []struct {
		prompt []int32
		n      int
	}{{long[:60], 8}, {randomPrompt(r, long[:60], 75), 30}} {
		prompt, n := tc.prompt, tc.n
		ch, err := e.Submit(context.Background(), &Request{Prompt: prompt, MaxTokens: n})
		if err != nil {
			t.Fatal(err)
		}
		got, _, fin := collect(ch)
		if fin.Err != nil || fin.Finish != FinishLength {
			t.Fatalf("request %d: finish %q, err %v", i, fin.Finish, fin.Err)
		}
		if want := reference(t, e.Model(), prompt, n); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("request %d:\n got %v\nwant %v", i, got, want)
		}
		if i == 1 && fin.Usage.CachedTokens != 60 {
			t.Errorf("second request: %d cached tokens, want 60", fin.Usage.CachedTokens)
		}
	}
	st := e.Stats()
	if st.KVBlocksUsed != 0 || st.KVBlocksTotal != 40 {
		t.Errorf("stats after the requests: %+v", st)
	}
}
