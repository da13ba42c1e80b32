package engine

import (
	"testing"
)

// TestSwapPreemption runs sixteen streams through a cache that holds about
// three of them (as the preemption case of TestConcurrentMatchesSequential
// does) with swap areas of several sizes: every stream must produce the
// tokens it produces alone, and the swap area must be empty afterwards.
func TestSwapPreemption(t *testing.T) {
	const perBlock = 4096 // golden llama, f32, blocks of 8
	tests := []struct {
		name  string
		path  string
		cfg   Config
		swaps string // "all", "none" or "any" of the preemptions swapped
	}{
		{"swap everything", goldenLlama, Config{MaxBatchTokens: 64, BlockSize: 8, KVMemory: 40 * perBlock, SwapSpace: 64 << 20}, "all"},
		{"area too small: recompute", goldenLlama, Config{MaxBatchTokens: 64, BlockSize: 8, KVMemory: 40 * perBlock, SwapSpace: perBlock - 1}, "none"},
		// Some fit, some fall back to recompute (which depends on timing).
		{"area for a few sequences", goldenLlama, Config{MaxBatchTokens: 64, BlockSize: 8, KVMemory: 40 * perBlock, SwapSpace: 12 * perBlock}, "any"},
		// The golden Gemma 2 model (layer 0 has window 8, layer 1 is full):
		// 80 KiB split into 45 full and 35 windowed blocks of 4 positions,
		// which hold about two of the streams. A preempted stream has
		// computed at least one chunk of 16 positions, so its windowed
		// group has given blocks back: they stay given back through the
		// swap.
		{"sliding window", goldenGemma2, Config{MaxBatchTokens: 16, BlockSize: 4, MaxRunning: 4, KVMemory: 80 << 10, SwapSpace: 64 << 20}, "all"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngineFor(t, tc.path, tc.cfg)
			if tc.path == goldenGemma2 && e.pool.Groups() != 2 {
				t.Fatalf("%d pool groups, want a split pool", e.pool.Groups())
			}
			if e.Config().SwapSpace != tc.cfg.SwapSpace {
				t.Fatalf("swap space %d, want %d", e.Config().SwapSpace, tc.cfg.SwapSpace)
			}
			runConcurrent(t, e, true)
			st := e.Stats()
			if (tc.swaps == "all" && st.Swaps != st.Preemptions) || (tc.swaps == "none" && st.Swaps != 0) || st.Swaps > st.Preemptions {
				t.Errorf("%d of %d preemptions swapped, want %s", st.Swaps, st.Preemptions, tc.swaps)
			}
			if st.SwapBytesUsed != 0 {
				t.Errorf("%d bytes of the swap area still in use", st.SwapBytesUsed)
			}
		})
	}
}
