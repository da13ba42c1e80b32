// Package engine decides what the model computes: it turns requests into
// forward steps, owns the KV cache, and streams tokens back.
package engine

import (
	"context"
	"fmt"

	"github.com/nuri-ai/nuri/model"
	"github.com/nuri-ai/nuri/sample"
)

// GenerateOptions control a single-sequence generation.
type GenerateOptions struct {
	MaxTokens int           // stop after this many new tokens (0 = until the context is full)
	Sampling  sample.Params // zero = greedy
	Stop      []int32       // token ids that end generation (not emitted)
	Context   int           // KV positions to reserve; 0 = the model's context length
	Batch     int           // prompt tokens per forward step; 0 = 512
}

// DefaultContext is the context Generate reserves when neither the options
// nor a smaller model limit say otherwise.
const DefaultContext = 8192

// FinishReason says why generation ended.
type FinishReason string

// Reasons generation ends.
const (
	FinishStop   FinishReason = "stop"
	FinishLength FinishReason = "length"
)

// Generate runs one sequence: the prompt in chunks, then one token per step,
// calling emit for every new token. It stops on a stop token, at MaxTokens,
// when the context is full, or when ctx is cancelled (returning ctx.Err()).
func Generate(ctx context.Context, m *model.Model, prompt []int32, opt GenerateOptions, emit func(id int32) error) (FinishReason, error) {
	if len(prompt) == 0 {
		return "", fmt.Errorf("engine: empty prompt")
	}
	n := opt.Context
	if n <= 0 {
		// A dense cache is reserved up front, so default to a modest window.
		n = min(m.Config.ContextLen, DefaultContext)
	}
	if n <= 0 {
		n = DefaultContext
	}
	if len(prompt) >= n {
		return "", fmt.Errorf("engine: prompt of %d tokens does not fit the context of %d tokens", len(prompt), n)
	}
	chunk := opt.Batch
	if chunk <= 0 {
		chunk = 512
	}
	// Steps add at most chunk positions, so sliding-window layers keep a
	// ring of window+chunk positions rather than the whole context.
	kv, err := model.NewDenseCacheStep(&m.Config, model.KVF32, 1, n, chunk)
	if err != nil {
		return "", err
	}
	v := m.Config.VocabSize
	logits := make([]float32, v)
	b := &model.Batch{}
	history := append([]int32(nil), prompt...)
	for start := 0; start < len(prompt); start += chunk {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		end := min(start+chunk, len(prompt))
		b.Tokens = prompt[start:end]
		b.Pos = b.Pos[:0]
		b.Seq = b.Seq[:0]
		b.Logits = b.Logits[:0]
		for i := start; i < end; i++ {
			b.Pos = append(b.Pos, int32(i))
			b.Seq = append(b.Seq, 0)
			b.Logits = append(b.Logits, i == len(prompt)-1)
		}
		if err := m.Forward(b, kv, logits); err != nil {
			return "", err
		}
	}
	s := sample.New(opt.Sampling)
	step := &model.Batch{Tokens: make([]int32, 1), Pos: make([]int32, 1), Seq: make([]int32, 1)}
	for produced := 0; ; produced++ {
		if opt.MaxTokens > 0 && produced >= opt.MaxTokens {
			return FinishLength, nil
		}
		id := s.Sample(logits, history)
		for _, st := range opt.Stop {
			if id == st {
				return FinishStop, nil
			}
		}
		if err := emit(id); err != nil {
			return "", err
		}
		history = append(history, id)
		if len(history) >= n {
			return FinishLength, nil
		}
		if err := ctx.Err(); err != nil {
			return "", err
		}
		step.Tokens[0], step.Pos[0] = id, int32(len(history)-1)
		if err := m.Forward(step, kv, logits); err != nil {
			return "", err
		}
	}
}
