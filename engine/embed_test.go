package engine

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
)

// TestEmbed checks that embeddings computed between steps, while other
// requests generate, equal the model's own (computed alone), and that bad
// input is refused.
func TestEmbed(t *testing.T) {
	e := newTestEngine(t, Config{})
	inputs := [][]int32{{1, 2, 3}, {40, 41, 42, 43, 44, 45}, {7}}
	want := make([][]float32, len(inputs))
	for i, ids := range inputs {
		v, err := e.Embed(context.Background(), ids)
		if err != nil {
			t.Fatal(err)
		}
		var ss float64
		for _, x := range v {
			ss += float64(x) * float64(x)
		}
		if len(v) != e.Model().Config.Hidden || math.Abs(ss-1) > 1e-4 {
			t.Fatalf("embedding %d: %d values, squared norm %v", i, len(v), ss)
		}
		want[i] = v
	}

	// The same inputs again, concurrently with generation.
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch, err := e.Submit(context.Background(), &Request{Prompt: []int32{5, 6, 7, 8}, MaxTokens: 12})
			if err != nil {
				t.Error(err)
				return
			}
			collect(ch)
		}()
	}
	errs := make([]error, len(inputs))
	got := make([][]float32, len(inputs))
	for i, ids := range inputs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = e.Embed(context.Background(), ids)
		}()
	}
	wg.Wait()
	for i := range inputs {
		if errs[i] != nil {
			t.Fatalf("embed %d during generation: %v", i, errs[i])
		}
		for j := range got[i] {
			if d := math.Abs(float64(got[i][j] - want[i][j])); d > 1e-5 {
				t.Fatalf("embedding %d differs at %d during generation: %v vs %v", i, j, got[i][j], want[i][j])
			}
		}
	}

	var tooLong *PromptTooLongError
	for _, tc := range []struct {
		name string
		ids  []int32
		ok   func(error) bool
	}{
		{"empty", nil, func(err error) bool { return err != nil }},
		{"outside the vocabulary", []int32{1, -3}, func(err error) bool { return err != nil }},
		{"longer than the context", make([]int32, e.Context()+1), func(err error) bool { return errors.As(err, &tooLong) }},
	} {
		if _, err := e.Embed(context.Background(), tc.ids); !tc.ok(err) {
			t.Errorf("%s: error %v", tc.name, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Embed(ctx, []int32{1}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: error %v", err)
	}
	if err := e.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Embed(context.Background(), []int32{1}); !errors.Is(err, ErrClosed) {
		t.Errorf("after close: error %v", err)
	}
}
