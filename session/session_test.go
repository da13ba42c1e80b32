package session

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nuri-ai/nuri/engine"
)

func open(t *testing.T) *Loaded {
	t.Helper()
	l, err := Open(filepath.Join("..", "testdata", "golden", "llama", "model.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// TestSendGreedyRepeatable: greedy generation is deterministic and
// streams exactly the text it returns.
func TestSendGreedyRepeatable(t *testing.T) {
	l := open(t)
	var outs []string
	for i := 0; i < 2; i++ {
		c := &Chat{L: l, Raw: true, Options: engine.GenerateOptions{MaxTokens: 12}}
		var w bytes.Buffer
		reply, err := c.Send(context.Background(), "hello world", &w)
		if err != nil {
			t.Fatal(err)
		}
		if reply != w.String() {
			t.Fatalf("streamed %q but returned %q", w.String(), reply)
		}
		outs = append(outs, reply)
	}
	if outs[0] != outs[1] || outs[0] == "" {
		t.Fatalf("greedy outputs differ or are empty: %q", outs)
	}
}

// TestREPL drives the interactive loop: a command, a message, a multi-line
// message, an interrupt at the prompt, and /bye.
func TestREPL(t *testing.T) {
	l := open(t)
	c := &Chat{L: l, Raw: true, Options: engine.GenerateOptions{MaxTokens: 4}}
	inR, inW := io.Pipe()
	var out syncBuffer
	interrupt := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- REPL(context.Background(), c, inR, &out, interrupt) }()
	io.WriteString(inW, "/set temperature 0\n")
	io.WriteString(inW, "hello\n")
	io.WriteString(inW, "\"\"\"first line\nsecond line\"\"\"\n")
	waitFor(t, &out, 3)
	interrupt <- struct{}{}
	io.WriteString(inW, "/set nonsense 1\n/bye\n")
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("REPL did not end on /bye")
	}
	s := out.String()
	for _, want := range []string{"Set temperature to 0.", "Use /bye", `unknown setting "nonsense"`} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if c.Options.Sampling.Temperature != 0 {
		t.Errorf("temperature not set")
	}
}

// TestInterruptStopsGeneration: an interrupt during an answer cancels it and
// the REPL carries on.
func TestInterruptStopsGeneration(t *testing.T) {
	l := open(t)
	c := &Chat{L: l, Raw: true, Options: engine.GenerateOptions{Context: 64}} // no token limit: runs until stopped or full
	inR, inW := io.Pipe()
	var out syncBuffer
	interrupt := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() { done <- REPL(context.Background(), c, inR, &out, interrupt) }()
	io.WriteString(inW, "go on and on\n")
	interrupt <- struct{}{}
	io.WriteString(inW, "/bye\n")
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("REPL did not end")
	}
}

func waitFor(t *testing.T, b *syncBuffer, prompts int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(b.String(), ">>> ") < prompts+1 {
		if time.Now().After(deadline) {
			t.Fatalf("timed out; output so far:\n%s", b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
