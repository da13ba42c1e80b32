package server

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/nuri-ai/nuri/engine"
)

func anthropicClient(url string) anthropic.Client {
	return anthropic.NewClient(option.WithBaseURL(url), option.WithAPIKey("unused"), option.WithMaxRetries(0))
}

// TestAnthropicMessages drives the real engine through the official client.
func TestAnthropicMessages(t *testing.T) {
	_, hs := testServer(t, nil)
	c := anthropicClient(hs.URL)
	ctx := context.Background()
	params := anthropic.MessageNewParams{
		Model:         "tiny",
		MaxTokens:     5,
		System:        []anthropic.TextBlockParam{{Text: "You are terse."}},
		Messages:      []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Hello, 세계"))},
		StopSequences: []string{"\n\n\n\n\n"},
	}
	greedy := option.WithJSONSet("temperature", 0)
	msg, err := c.Messages.New(ctx, params, greedy)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Role != "assistant" || len(msg.Content) != 1 || msg.Content[0].Type != "text" {
		t.Fatalf("message %+v", msg)
	}
	if msg.Usage.InputTokens < 5 || msg.Usage.OutputTokens < 1 || (msg.StopReason != "max_tokens" && msg.StopReason != "end_turn") {
		t.Fatalf("usage %+v, stop %q", msg.Usage, msg.StopReason)
	}

	stream := c.Messages.NewStreaming(ctx, params, greedy)
	var acc anthropic.Message
	for stream.Next() {
		if err := acc.Accumulate(stream.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(acc.Content) != 1 || acc.Content[0].Text != msg.Content[0].Text || acc.StopReason != msg.StopReason {
		t.Fatalf("streamed %+v, whole %+v", acc.Content, msg.Content)
	}

	count, err := c.Messages.CountTokens(ctx, anthropic.MessageCountTokensParams{Model: "tiny",
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Hello, 세계"))},
		System:   anthropic.MessageCountTokensParamsSystemUnion{OfTextBlockArray: []anthropic.TextBlockParam{{Text: "You are terse."}}}})
	if err != nil {
		t.Fatal(err)
	}
	if count.InputTokens != msg.Usage.InputTokens {
		t.Fatalf("count_tokens %d, messages used %d", count.InputTokens, msg.Usage.InputTokens)
	}

	// Structured output: the reply follows the schema; a schema that
	// cannot be enforced fails closed.
	structured := params
	structured.MaxTokens = 200
	structured.OutputConfig = anthropic.OutputConfigParam{Format: anthropic.JSONOutputFormatParam{Schema: map[string]any{
		"type": "object", "properties": map[string]any{"answer": map[string]any{"enum": []string{"yes", "no"}}},
		"required": []string{"answer"}, "additionalProperties": false}}}
	sm, err := c.Messages.New(ctx, structured)
	if err != nil {
		t.Fatalf("output_config json_schema: %v", err)
	}
	var answer struct {
		Answer string `json:"answer"`
	}
	if len(sm.Content) != 1 || json.Unmarshal([]byte(sm.Content[0].Text), &answer) != nil || (answer.Answer != "yes" && answer.Answer != "no") {
		t.Fatalf("structured reply %+v", sm.Content)
	}
	structured.OutputConfig = anthropic.OutputConfigParam{Format: anthropic.JSONOutputFormatParam{Schema: map[string]any{
		"type": "object", "patternProperties": map[string]any{"^a": map[string]any{}}}}}
	_, err = c.Messages.New(ctx, structured)
	var apiErr *anthropic.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
		t.Fatalf("output_config with an unsupported schema: %v", err)
	}

	// Errors come back in Anthropic's shape.
	params.MaxTokens = 0
	_, err = c.Messages.New(ctx, params)
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.Error(), "max_tokens") {
		t.Fatalf("max_tokens 0: %v", err)
	}
}

// TestAnthropicTools: tool_use blocks out, tool_result blocks back in.
func TestAnthropicTools(t *testing.T) {
	reply := func(r *engine.Request) string {
		return "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Busan\"}}\n</tool_call>"
	}
	_, hs := testServer(t, func(c *Config) { c.NewEngine = fakeFactory(reply, 0, 0, nil) })
	c := anthropicClient(hs.URL)
	ctx := context.Background()
	params := anthropic.MessageNewParams{
		Model:     "tiny",
		MaxTokens: 200,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Weather in Busan?"))},
		Tools: []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{Name: "get_weather", Description: anthropic.String("weather"),
			InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"city": map[string]any{"type": "string"}}, Required: []string{"city"}}}}},
	}
	msg, err := c.Messages.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if msg.StopReason != "tool_use" || len(msg.Content) != 2 || msg.Content[1].Type != "tool_use" {
		t.Fatalf("message %+v", msg)
	}
	use := msg.Content[1].AsToolUse()
	if use.Name != "get_weather" || !strings.Contains(string(use.Input), "Busan") || !strings.HasPrefix(use.ID, "toolu_") {
		t.Fatalf("tool use %+v", use)
	}
	if msg.Content[0].Text != "Let me check." {
		t.Fatalf("text before the call: %q", msg.Content[0].Text)
	}

	stream := c.Messages.NewStreaming(ctx, params)
	var acc anthropic.Message
	for stream.Next() {
		if err := acc.Accumulate(stream.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if acc.StopReason != "tool_use" || len(acc.Content) != 2 || !strings.Contains(string(acc.Content[1].AsToolUse().Input), "Busan") {
		t.Fatalf("streamed %+v", acc)
	}

	params.Messages = append(params.Messages, msg.ToParam(),
		anthropic.NewUserMessage(anthropic.NewToolResultBlock(use.ID, "sunny, 21°C", false)))
	if _, err := c.Messages.New(ctx, params); err != nil {
		t.Fatal(err)
	}
}
