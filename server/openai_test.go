package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/nuri-ai/nuri/engine"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"
)

func openaiClient(url string, opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{option.WithBaseURL(url + "/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0)}, opts...)...)
}

// TestOpenAIChat drives the real engine on a tiny model through the
// official client: plain, streamed with usage, n choices with logprobs.
func TestOpenAIChat(t *testing.T) {
	_, hs := testServer(t, nil)
	c := openaiClient(hs.URL)
	ctx := context.Background()

	resp, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:               "tiny",
		Messages:            []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("안녕하세요! Hello")},
		MaxCompletionTokens: openai.Int(6),
		Seed:                openai.Int(7),
		Temperature:         openai.Float(0),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Choices) != 1 || resp.Choices[0].Message.Role != "assistant" {
		t.Fatalf("choices: %+v", resp.Choices)
	}
	if resp.Usage.PromptTokens < 10 || resp.Usage.CompletionTokens < 1 || resp.Usage.CompletionTokens > 6 {
		t.Fatalf("usage: %+v", resp.Usage)
	}
	if fr := resp.Choices[0].FinishReason; fr != "length" && fr != "stop" {
		t.Fatalf("finish reason %q", fr)
	}
	greedy := resp.Choices[0].Message.Content

	// Streaming with usage: the same greedy text arrives in pieces.
	stream := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:               "tiny",
		Messages:            []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("안녕하세요! Hello")},
		MaxCompletionTokens: openai.Int(6),
		Temperature:         openai.Float(0),
		StreamOptions:       openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	var text strings.Builder
	var usage openai.CompletionUsage
	chunks := 0
	for stream.Next() {
		ch := stream.Current()
		chunks++
		for _, choice := range ch.Choices {
			text.WriteString(choice.Delta.Content)
		}
		if ch.Usage.TotalTokens > 0 {
			usage = ch.Usage
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if text.String() != greedy {
		t.Fatalf("streamed %q, non-streamed %q", text.String(), greedy)
	}
	if usage.PromptTokens != resp.Usage.PromptTokens || chunks < 3 {
		t.Fatalf("stream usage %+v after %d chunks", usage, chunks)
	}

	// n choices with logprobs and stop sequences.
	resp, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:               "tiny",
		Messages:            []openai.ChatCompletionMessageParamUnion{openai.UserMessage("count")},
		MaxCompletionTokens: openai.Int(4),
		N:                   openai.Int(2),
		Logprobs:            openai.Bool(true),
		TopLogprobs:         openai.Int(3),
		Seed:                openai.Int(1),
		Stop:                openai.ChatCompletionNewParamsStopUnion{OfStringArray: []string{"\n\n\n\n"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Choices) != 2 {
		t.Fatalf("want 2 choices, got %d", len(resp.Choices))
	}
	for _, ch := range resp.Choices {
		if len(ch.Logprobs.Content) == 0 || len(ch.Logprobs.Content[0].TopLogprobs) != 3 {
			t.Fatalf("logprobs: %+v", ch.Logprobs)
		}
		if lp := ch.Logprobs.Content[0].Logprob; lp > 0 {
			t.Fatalf("logprob %g > 0", lp)
		}
	}
}

// TestOpenAITools: tool calls written in the model family's format come
// back as structured calls, whole and streamed.
func TestOpenAITools(t *testing.T) {
	reply := func(r *engine.Request) string {
		return `<tool_call>
{"name": "get_weather", "arguments": {"city": "Seoul", "unit": "c"}}
</tool_call>
<tool_call>
{"name": "get_time", "arguments": {"zone": "KST"}}
</tool_call>`
	}
	_, hs := testServer(t, func(c *Config) { c.NewEngine = fakeFactory(reply, 0, 0, nil) })
	c := openaiClient(hs.URL)
	ctx := context.Background()
	tools := []openai.ChatCompletionToolUnionParam{
		openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{Name: "get_weather", Description: openai.String("weather"),
			Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}}}),
		openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{Name: "get_time"}),
	}
	params := openai.ChatCompletionNewParams{
		Model:    "tiny",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather and time in Seoul?")},
		Tools:    tools,
	}
	resp, err := c.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	ch := resp.Choices[0]
	if ch.FinishReason != "tool_calls" || len(ch.Message.ToolCalls) != 2 {
		t.Fatalf("finish %q, calls %+v", ch.FinishReason, ch.Message.ToolCalls)
	}
	call := ch.Message.ToolCalls[0]
	if call.Function.Name != "get_weather" || call.ID == "" {
		t.Fatalf("call %+v", call)
	}
	var args map[string]string
	if err := json.Unmarshal([]byte(call.Function.Arguments), &args); err != nil || args["city"] != "Seoul" {
		t.Fatalf("arguments %q: %v", call.Function.Arguments, err)
	}

	// The conversation continues with the tool results.
	params.Messages = append(params.Messages, ch.Message.ToParam(),
		openai.ToolMessage(`{"temp": 3}`, call.ID), openai.ToolMessage(`{"time": "09:00"}`, ch.Message.ToolCalls[1].ID))
	if _, err := c.Chat.Completions.New(ctx, params); err != nil {
		t.Fatal(err)
	}

	// Streamed, accumulated by the client's own helper.
	params.ParallelToolCalls = openai.Bool(false)
	stream := c.Chat.Completions.NewStreaming(ctx, params)
	acc := openai.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(acc.Choices) != 1 || len(acc.Choices[0].Message.ToolCalls) != 1 || acc.Choices[0].FinishReason != "tool_calls" {
		t.Fatalf("accumulated %+v", acc.Choices)
	}
	if got := acc.Choices[0].Message.ToolCalls[0].Function.Arguments; !strings.Contains(got, "Seoul") {
		t.Fatalf("streamed arguments %q", got)
	}

	// tool_choice none: the text is returned as is.
	params.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("none")}
	resp, err = c.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Choices[0].Message.ToolCalls) != 0 || !strings.Contains(resp.Choices[0].Message.Content, "<tool_call>") {
		t.Fatalf("tool_choice none: %+v", resp.Choices[0].Message)
	}
}

// TestOpenAIStructuredFailsClosed: schemas that cannot be enforced are 400,
// never an unconstrained 200.
func TestOpenAIStructuredFailsClosed(t *testing.T) {
	_, hs := testServer(t, nil)
	c := openaiClient(hs.URL)
	ctx := context.Background()
	cases := map[string]openai.ChatCompletionNewParams{
		"json_schema": {
			ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
				JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "x", Schema: map[string]any{"type": "object", "patternProperties": map[string]any{"^a": map[string]any{}}}}}},
		},
		"tool_choice required": {
			Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{Name: "f",
				Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"a": map[string]any{"type": "string", "not": map[string]any{}}}}})},
			ToolChoice: openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")},
		},
	}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) {
			p.Model = "tiny"
			p.Messages = []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}
			p.MaxCompletionTokens = openai.Int(2)
			_, err := c.Chat.Completions.New(ctx, p)
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
				t.Fatalf("want a 400, got %v", err)
			}
		})
	}
}

// TestOpenAIErrors covers the error shape, prompts over the context (with
// the numbers), unknown models and bad JSON.
func TestOpenAIErrors(t *testing.T) {
	_, hs := testServer(t, func(c *Config) { c.Context = 64 })
	c := openaiClient(hs.URL)
	ctx := context.Background()
	_, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "tiny",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(strings.Repeat("word ", 200))}})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.Message, "context is 64 tokens") || apiErr.Code != "context_length_exceeded" {
		t.Fatalf("over-long prompt: %v", err)
	}
	_, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "tiny",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}, MaxCompletionTokens: openai.Int(100)})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.Message, "100 new tokens") {
		t.Fatalf("prompt plus max tokens over the context: %v", err)
	}
	_, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "no-such-model",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
		t.Fatalf("unknown model: %v", err)
	}
	for _, body := range []string{`{`, `{"model": "tiny", "messages": "x"}`, `{"model": "tiny", "messages": [{"role": "robot", "content": "x"}]}`, `{"model": "tiny", "messages": [], "n": 0}`} {
		resp, err := http.Post(hs.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e errorBody
		if resp.StatusCode != 400 || json.Unmarshal(b, &e) != nil || e.Error.Message == "" || e.Error.Type != "invalid_request_error" {
			t.Fatalf("%s: %d %s", body, resp.StatusCode, b)
		}
	}
}

type errorBody struct {
	Error struct {
		Message string `json:"message"`
		Type    string `json:"type"`
	} `json:"error"`
}

// TestOpenAICompletionsModelsResponses covers /v1/completions, /v1/models
// and the stateless /v1/responses, plain and streamed.
func TestOpenAICompletionsModelsResponses(t *testing.T) {
	_, hs := testServer(t, nil)
	c := openaiClient(hs.URL)
	ctx := context.Background()

	comp, err := c.Completions.New(ctx, openai.CompletionNewParams{Model: "tiny",
		Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Once upon a time")}, MaxTokens: openai.Int(5), Logprobs: openai.Int(2)})
	if err != nil {
		t.Fatal(err)
	}
	if len(comp.Choices) != 1 || comp.Usage.CompletionTokens < 1 || len(comp.Choices[0].Logprobs.Tokens) != int(comp.Usage.CompletionTokens) {
		t.Fatalf("completion %+v", comp)
	}
	cs := c.Completions.NewStreaming(ctx, openai.CompletionNewParams{Model: "tiny",
		Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Once upon a time")}, MaxTokens: openai.Int(5), Temperature: openai.Float(0)})
	n := 0
	for cs.Next() {
		n++
	}
	if cs.Err() != nil || n < 2 {
		t.Fatalf("streamed completion: %d chunks, %v", n, cs.Err())
	}

	page, err := c.Models.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range page.Data {
		ids = append(ids, m.ID)
	}
	if strings.Join(ids, ",") != "tiny,tiny2" {
		t.Fatalf("models %v", ids)
	}

	r, err := c.Responses.New(ctx, responses.ResponseNewParams{Model: "tiny",
		Input:           responses.ResponseNewParamsInputUnion{OfString: openai.String("Hi there")},
		Instructions:    openai.String("Answer briefly."),
		MaxOutputTokens: openai.Int(5)})
	if err != nil {
		t.Fatal(err)
	}
	if r.Usage.OutputTokens < 1 || r.Usage.InputTokens < 5 || len(r.Output) != 1 || r.Output[0].Type != "message" {
		t.Fatalf("response %+v", r)
	}
	rs := c.Responses.NewStreaming(ctx, responses.ResponseNewParams{Model: "tiny",
		Input:           responses.ResponseNewParamsInputUnion{OfString: openai.String("Hi there")},
		MaxOutputTokens: openai.Int(5), Temperature: openai.Float(0)})
	var deltas strings.Builder
	completed := false
	for rs.Next() {
		ev := rs.Current()
		switch ev.Type {
		case "response.output_text.delta":
			deltas.WriteString(ev.Delta)
		case "response.completed", "response.incomplete":
			completed = true
			if ev.Response.OutputText() != deltas.String() {
				t.Fatalf("final text %q, deltas %q", ev.Response.OutputText(), deltas.String())
			}
		}
	}
	if rs.Err() != nil || !completed {
		t.Fatalf("streamed response: completed=%v err=%v", completed, rs.Err())
	}
}
