package server

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// validate checks the JSON text doc against schema.
func validate(t *testing.T, schema map[string]any, doc string) {
	t.Helper()
	raw, _ := json.Marshal(schema)
	sd, err := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", sd); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("reply %q is not JSON: %v", doc, err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("reply %q does not follow the schema: %v", doc, err)
	}
}

// weatherSchema keeps every value short, so that even a random-weight
// model finishes well within max_tokens.
var weatherSchema = map[string]any{
	"type": "object",
	"properties": map[string]any{
		"city":  map[string]any{"type": "string", "minLength": 1, "maxLength": 12},
		"temp":  map[string]any{"type": "integer", "minimum": -50, "maximum": 50},
		"sunny": map[string]any{"type": "boolean"},
		"kind":  map[string]any{"enum": []string{"rain", "snow", "sun"}},
		"days":  map[string]any{"type": "array", "items": map[string]any{"type": "integer", "minimum": 0, "maximum": 9}, "maxItems": 3},
	},
	"required":             []string{"city", "temp", "sunny", "kind", "days"},
	"additionalProperties": false,
}

// TestOpenAIStructuredOutput: json_schema replies of a random-weight model
// validate against their schema, with several seeds and streamed;
// json_object replies are objects; tool_choice required and a named
// function give tool calls whose arguments validate.
func TestOpenAIStructuredOutput(t *testing.T) {
	_, hs := testServer(t, nil)
	c := openaiClient(hs.URL)
	ctx := context.Background()
	msgs := []openai.ChatCompletionMessageParamUnion{openai.UserMessage("What is the weather in Seoul? Answer in JSON.")}
	format := openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
		JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "weather", Schema: weatherSchema, Strict: openai.Bool(true)}}}

	for seed := range int64(3) {
		resp, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "tiny", Messages: msgs,
			ResponseFormat: format, MaxCompletionTokens: openai.Int(200), Seed: openai.Int(seed), Temperature: openai.Float(1)})
		if err != nil {
			t.Fatal(err)
		}
		if fr := resp.Choices[0].FinishReason; fr != "stop" {
			t.Fatalf("seed %d: finish reason %q, text %q", seed, fr, resp.Choices[0].Message.Content)
		}
		validate(t, weatherSchema, resp.Choices[0].Message.Content)
	}

	stream := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: "tiny", Messages: msgs,
		ResponseFormat: format, MaxCompletionTokens: openai.Int(200), Seed: openai.Int(11)})
	var text strings.Builder
	for stream.Next() {
		if ch := stream.Current().Choices; len(ch) > 0 {
			text.WriteString(ch[0].Delta.Content)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	validate(t, weatherSchema, text.String())

	// json_object: any object. A free-form object may run long; a finished
	// one must parse.
	resp, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "tiny", Messages: msgs,
		ResponseFormat:      openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONObject: &shared.ResponseFormatJSONObjectParam{}},
		MaxCompletionTokens: openai.Int(300), Seed: openai.Int(1)})
	if err != nil {
		t.Fatal(err)
	}
	got := resp.Choices[0].Message.Content
	if !strings.HasPrefix(got, "{") {
		t.Fatalf("json_object reply %q", got)
	}
	if resp.Choices[0].FinishReason == "stop" {
		var obj map[string]any
		if err := json.Unmarshal([]byte(got), &obj); err != nil {
			t.Fatalf("json_object reply %q: %v", got, err)
		}
	}

	// Forced tool calls.
	params := map[string]any{
		"type":                 "object",
		"properties":           map[string]any{"city": map[string]any{"type": "string", "maxLength": 10}, "unit": map[string]any{"enum": []string{"c", "f"}}},
		"required":             []string{"city", "unit"},
		"additionalProperties": false,
	}
	tools := []openai.ChatCompletionToolUnionParam{
		openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{Name: "get_weather", Parameters: params}),
		openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{Name: "get_time",
			Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"zone": map[string]any{"enum": []string{"KST", "UTC"}}}, "required": []string{"zone"}}}),
	}
	for _, choice := range []openai.ChatCompletionToolChoiceOptionUnionParam{
		{OfAuto: openai.String("required")},
		openai.ToolChoiceOptionFunctionToolChoice(openai.ChatCompletionNamedToolChoiceFunctionParam{Name: "get_weather"}),
	} {
		resp, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "tiny", Messages: msgs, Tools: tools,
			ToolChoice: choice, MaxCompletionTokens: openai.Int(200), Seed: openai.Int(5)})
		if err != nil {
			t.Fatal(err)
		}
		ch := resp.Choices[0]
		if ch.FinishReason != "tool_calls" || len(ch.Message.ToolCalls) != 1 {
			t.Fatalf("forced call: finish %q, message %+v", ch.FinishReason, ch.Message)
		}
		call := ch.Message.ToolCalls[0].Function
		switch call.Name {
		case "get_weather":
			validate(t, params, call.Arguments)
		case "get_time":
			if choice.OfAuto.Value == "" {
				t.Fatalf("named choice called %q", call.Name)
			}
			var a struct{ Zone string }
			if err := json.Unmarshal([]byte(call.Arguments), &a); err != nil || (a.Zone != "KST" && a.Zone != "UTC") {
				t.Fatalf("get_time arguments %q", call.Arguments)
			}
		default:
			t.Fatalf("called %q", call.Name)
		}
	}

	// A schema the grammar cannot enforce is refused, naming the keyword.
	_, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "tiny", Messages: msgs, MaxCompletionTokens: openai.Int(5),
		ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
			JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "x", Schema: map[string]any{"type": "object", "not": map[string]any{"required": []string{"a"}}}}}}})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.Message, "not") {
		t.Fatalf("unsupported schema: %v", err)
	}
}
