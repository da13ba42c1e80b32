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
		swap  int64
		swaps string // "all", "none" or "any" of the preemptions swapped
	}{
		{"swap everything", 64 << 20, "all"},
		{"area too small: recompute", perBlock - 1, "none"},
		// Some fit, some fall back to recompute (which depends on timing).
		{"area for a few sequences", 12 * perBlock, "any"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEngine(t, Config{MaxBatchTokens: 64, BlockSize: 8, KVMemory: 40 * perBlock, SwapSpace: tc.swap})
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
