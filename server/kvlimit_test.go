package server

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
)

// TestKVPoolLimit: a request that could never fit the KV cache, however
// empty, is a 400 with the numbers (the engine caps the context at the
// cache's size), not a wait in the queue.
func TestKVPoolLimit(t *testing.T) {
	// The tiny model's f16 cache takes 128 bytes per position: 8 KiB hold
	// four blocks of 16 positions.
	_, hs := testServer(t, func(c *Config) { c.KVMemory = 8 << 10 })
	c := openaiClient(hs.URL)
	ctx := context.Background()
	_, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "tiny",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}, MaxCompletionTokens: openai.Int(100)})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.Message, "context is 64 tokens") ||
		!strings.Contains(apiErr.Message, "100 new tokens") {
		t.Fatalf("request over the KV cache: %v", err)
	}
	resp, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "tiny",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}, MaxCompletionTokens: openai.Int(8)})
	if err != nil || len(resp.Choices) != 1 {
		t.Fatalf("request that fits: %+v, %v", resp, err)
	}
}
