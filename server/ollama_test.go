package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nuri-ai/nuri/api/ollama"
	"github.com/nuri-ai/nuri/engine"
	oapi "github.com/ollama/ollama/api"
)

func ollamaClient(t *testing.T, raw string) *oapi.Client {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return oapi.NewClient(u, http.DefaultClient)
}

// TestOllama drives /api/* with the official Ollama client on the real
// engine.
func TestOllama(t *testing.T) {
	_, hs := testServer(t, nil)
	c := ollamaClient(t, hs.URL)
	ctx := context.Background()
	if err := c.Heartbeat(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Version(ctx); err != nil || v != ollama.Version {
		t.Fatalf("version %q, %v", v, err)
	}
	list, err := c.List(ctx)
	if err != nil || len(list.Models) != 2 || list.Models[0].Name != "tiny" || list.Models[0].Details.Format != "gguf" {
		t.Fatalf("tags %+v, %v", list, err)
	}

	opts := map[string]any{"temperature": 0, "num_predict": 5, "seed": 3}
	var streamed strings.Builder
	var final oapi.ChatResponse
	parts := 0
	err = c.Chat(ctx, &oapi.ChatRequest{Model: "tiny", Options: opts,
		Messages: []oapi.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "안녕"}}},
		func(r oapi.ChatResponse) error {
			streamed.WriteString(r.Message.Content)
			parts++
			if r.Done {
				final = r
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if !final.Done || final.EvalCount < 1 || final.EvalCount > 5 || final.PromptEvalCount < 5 || parts < 2 {
		t.Fatalf("final %+v after %d parts", final, parts)
	}
	no := false
	var whole oapi.ChatResponse
	err = c.Chat(ctx, &oapi.ChatRequest{Model: "tiny", Options: opts, Stream: &no,
		Messages: []oapi.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "안녕"}}},
		func(r oapi.ChatResponse) error { whole = r; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if whole.Message.Content != streamed.String() || whole.DoneReason == "" {
		t.Fatalf("non-streamed %q (%q), streamed %q", whole.Message.Content, whole.DoneReason, streamed.String())
	}

	var gen oapi.GenerateResponse
	err = c.Generate(ctx, &oapi.GenerateRequest{Model: "tiny", Prompt: "Once upon a time", Raw: true, Options: opts},
		func(r oapi.GenerateResponse) error {
			if r.Done {
				gen = r
			}
			return nil
		})
	if err != nil || !gen.Done || gen.EvalCount < 1 || len(gen.Context) != gen.PromptEvalCount+gen.EvalCount {
		t.Fatalf("generate %+v, %v", gen, err)
	}

	show, err := c.Show(ctx, &oapi.ShowRequest{Model: "tiny"})
	if err != nil || show.Details.Family != "llama" || !strings.Contains(show.Template, "im_start") {
		t.Fatalf("show %+v, %v", show, err)
	}
	ps, err := c.ListRunning(ctx)
	if err != nil || len(ps.Models) != 1 || ps.Models[0].Name != "tiny" || ps.Models[0].ExpiresAt.Before(time.Now()) {
		t.Fatalf("ps %+v, %v", ps, err)
	}

	var se oapi.StatusError
	err = c.Chat(ctx, &oapi.ChatRequest{Model: "missing", Messages: []oapi.Message{{Role: "user", Content: "x"}}}, func(oapi.ChatResponse) error { return nil })
	if !errors.As(err, &se) || se.StatusCode != 404 {
		t.Fatalf("unknown model: %v", err)
	}

	// keep_alive 0 with no messages unloads.
	zero := oapi.Duration{Duration: 0}
	err = c.Chat(ctx, &oapi.ChatRequest{Model: "tiny", KeepAlive: &zero}, func(oapi.ChatResponse) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		ps, err := c.ListRunning(ctx)
		return err == nil && len(ps.Models) == 0
	})
}

// TestOllamaTools: tool calls come back structured with their arguments.
func TestOllamaTools(t *testing.T) {
	reply := func(r *engine.Request) string {
		return "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Jeju\", \"days\": 2}}\n</tool_call>"
	}
	_, hs := testServer(t, func(c *Config) { c.NewEngine = fakeFactory(reply, 0, 0, nil) })
	c := ollamaClient(t, hs.URL)
	props := oapi.NewToolPropertiesMap()
	props.Set("city", oapi.ToolProperty{Type: oapi.PropertyType{"string"}})
	tools := oapi.Tools{{Type: "function", Function: oapi.ToolFunction{Name: "get_weather",
		Parameters: oapi.ToolFunctionParameters{Type: "object", Properties: props, Required: []string{"city"}}}}}
	for _, stream := range []bool{true, false} {
		var calls []oapi.ToolCall
		err := c.Chat(context.Background(), &oapi.ChatRequest{Model: "tiny", Tools: tools, Stream: &stream,
			Messages: []oapi.Message{{Role: "user", Content: "Weather in Jeju?"}}},
			func(r oapi.ChatResponse) error {
				calls = append(calls, r.Message.ToolCalls...)
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		if len(calls) != 1 || calls[0].Function.Name != "get_weather" {
			t.Fatalf("stream=%v: calls %+v", stream, calls)
		}
		if city, _ := calls[0].Function.Arguments.Get("city"); city != "Jeju" {
			t.Fatalf("stream=%v: arguments %v", stream, calls[0].Function.Arguments)
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
