package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// skipUnderWine skips tests that build nuri with the go command when the
// Windows tests run under Wine, whose prefix has no Go toolchain.
func skipUnderWine(t *testing.T) {
	if runtime.GOOS == "windows" && os.Getenv("NURI_WINE") == "1" {
		t.Skip("no go command inside the Wine prefix to build nuri with")
	}
}

// buildNuri compiles the binary once per test run.
var buildNuri = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "nuri-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "nuri")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", &exec.ExitError{Stderr: out}
	}
	return bin, nil
})

// TestRunInTerminal drives `nuri run` through a pseudo-terminal the way a
// person would: a message, Ctrl-C at the prompt, a command, and /bye.
func TestRunInTerminal(t *testing.T) {
	skipUnderWine(t)
	bin, err := buildNuri()
	if err != nil {
		t.Fatal(err)
	}
	model := filepath.Join("..", "..", "testdata", "golden", "llama", "model.gguf")
	cmd := exec.Command(bin, "run", model, "--raw", "--temperature", "0", "-n", "6", "--no-pull")
	cmd.Env = append(os.Environ(), "HF_HUB_OFFLINE=1")
	f, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var mu sync.Mutex
	var screen bytes.Buffer
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	waitScreen := func(want string, count int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			mu.Lock()
			s := screen.String()
			mu.Unlock()
			if strings.Count(s, want) >= count {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %d× %q; screen:\n%s", count, want, s)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitScreen(">>> ", 1)
	f.Write([]byte("hello\r"))
	waitScreen(">>> ", 2)
	f.Write([]byte{3}) // Ctrl-C at the prompt: a hint, not an exit
	waitScreen("Use /bye", 1)
	f.Write([]byte("/set temperature 0.5\r"))
	waitScreen("Set temperature to 0.5.", 1)
	f.Write([]byte("/bye\r"))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("nuri run exited with %v", err)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("nuri run did not exit on /bye")
	}
}

// TestRunOneShot: a prompt argument answers once and exits; greedy output is
// repeatable.
func TestRunOneShot(t *testing.T) {
	skipUnderWine(t)
	bin, err := buildNuri()
	if err != nil {
		t.Fatal(err)
	}
	model := filepath.Join("..", "..", "testdata", "golden", "llama", "model.gguf")
	var outs []string
	for i := 0; i < 2; i++ {
		out, err := exec.Command(bin, "run", model, "--raw", "--temperature", "0", "-n", "8", "--no-pull", "hello").Output()
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, string(out))
	}
	if outs[0] != outs[1] || len(strings.TrimSpace(outs[0])) == 0 {
		t.Fatalf("one-shot outputs %q", outs)
	}
}

// TestRunMissingModel: a model that is not there is a clear error, not a
// download attempt, with --no-pull.
func TestRunMissingModel(t *testing.T) {
	skipUnderWine(t)
	bin, err := buildNuri()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "nobody/nothing-GGUF", "--no-pull", "hi")
	cmd.Env = append(os.Environ(), "HF_HOME="+t.TempDir(), "HF_HUB_OFFLINE=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("succeeded: %s", out)
	}
	if !strings.Contains(string(out), "nuri:") || strings.Contains(string(out), "panic") {
		t.Fatalf("unclear error: %s", out)
	}
}
