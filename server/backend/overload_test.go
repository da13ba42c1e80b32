package backend

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/nuri-ai/nuri/engine"
	"github.com/nuri-ai/nuri/model"
	"github.com/nuri-ai/nuri/tokenizer"
)

// statsEngine is an Engine that only reports stats.
type statsEngine struct{ st engine.Stats }

func (s *statsEngine) Submit(context.Context, *engine.Request) (<-chan engine.Event, error) {
	return nil, errors.New("not used")
}
func (s *statsEngine) Embed(context.Context, []int32) ([]float32, error) {
	return nil, errors.New("not used")
}
func (s *statsEngine) Stats() engine.Stats             { return s.st }
func (s *statsEngine) Context() int                    { return 4096 }
func (s *statsEngine) Tokenizer() *tokenizer.Tokenizer { return nil }
func (s *statsEngine) Model() *model.Model             { return nil }
func (s *statsEngine) Close(ctx context.Context) error { return nil }

func TestOverloaded(t *testing.T) {
	cases := []struct {
		name           string
		waiting, used  int
		tokens         int
		wantOverloaded bool
	}{
		{"short queue, full cache", OverloadQueue - 1, 100, 64, false},
		{"long queue, room in the cache", OverloadQueue, 90, 160, false},
		{"long queue, no room", OverloadQueue, 90, 161, true},
		{"long queue, full cache", OverloadQueue + 10, 100, 1, true},
	}
	for _, tc := range cases {
		m := &Model{Name: "m", Engine: &statsEngine{st: engine.Stats{Waiting: tc.waiting, KVBlocksTotal: 100, KVBlocksUsed: tc.used, KVBlockSize: 16}}}
		err := m.overloaded(tc.tokens)
		if got := errors.Is(err, engine.ErrOverloaded); got != tc.wantOverloaded {
			t.Errorf("%s: error %v, want overloaded %v", tc.name, err, tc.wantOverloaded)
			continue
		}
		if err == nil {
			continue
		}
		e := AsError(err)
		if e.Status != http.StatusServiceUnavailable || e.RetryAfter <= 0 || !strings.Contains(e.Message, "blocks of 16 tokens") {
			t.Errorf("%s: API error %+v", tc.name, e)
		}
		// Submit refuses it before the engine sees it.
		if _, err := m.Submit(context.Background(), &engine.Request{Prompt: make([]int32, tc.tokens), MaxTokens: 1}); !errors.Is(err, engine.ErrOverloaded) {
			t.Errorf("%s: Submit error %v", tc.name, err)
		}
	}
}
