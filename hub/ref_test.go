package hub

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	cwd, _ := os.Getwd()
	home, _ := os.UserHomeDir()
	cases := []struct {
		in   string
		want Ref
		err  bool
	}{
		{in: "Qwen/Qwen3-0.6B-GGUF", want: Ref{Kind: KindHF, Repo: "Qwen/Qwen3-0.6B-GGUF"}},
		{in: "Qwen/Qwen3-0.6B-GGUF:Q8_0", want: Ref{Kind: KindHF, Repo: "Qwen/Qwen3-0.6B-GGUF", Quant: "Q8_0"}},
		{in: "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:iq4_xs", want: Ref{Kind: KindHF, Repo: "bartowski/Llama-3.2-1B-Instruct-GGUF", Quant: "iq4_xs"}},
		{in: "huggingface.co/org/repo:latest", want: Ref{Kind: KindHF, Repo: "org/repo"}},
		{in: "https://huggingface.co/org/repo/", want: Ref{Kind: KindHF, Repo: "org/repo"}},
		{in: "llama3.2", want: Ref{Kind: KindOllama, Host: "registry.ollama.ai", Namespace: "library", Model: "llama3.2", Tag: "latest"}},
		{in: "llama3.2:1b", want: Ref{Kind: KindOllama, Host: "registry.ollama.ai", Namespace: "library", Model: "llama3.2", Tag: "1b"}},
		{in: "ollama.com/library/qwen3:0.6b", want: Ref{Kind: KindOllama, Host: "registry.ollama.ai", Namespace: "library", Model: "qwen3", Tag: "0.6b"}},
		{in: "ollama.com/someone/model", want: Ref{Kind: KindOllama, Host: "registry.ollama.ai", Namespace: "someone", Model: "model", Tag: "latest"}},
		{in: "registry.example.com:5000/team/model:v1", want: Ref{Kind: KindOllama, Host: "registry.example.com:5000", Namespace: "team", Model: "model", Tag: "v1"}},
		{in: "/models/x.gguf", want: Ref{Kind: KindLocal, Path: "/models/x.gguf"}},
		{in: "./x.gguf", want: Ref{Kind: KindLocal, Path: filepath.Join(cwd, "x.gguf")}},
		{in: "~/m/x.gguf", want: Ref{Kind: KindLocal, Path: filepath.Join(home, "m/x.gguf")}},
		{in: "", err: true},
		{in: "org/../etc", err: true},
		{in: "hf.co/../../etc/passwd", err: true},
		{in: "hf.co/org/..", err: true},
		{in: "..:x", err: true},
		{in: "org/repo:../../x", err: true},
		{in: "org/repo:", err: true},
		{in: "org/re po", err: true},
		{in: "org/repo?x=1", err: true},
		{in: "%2e%2e/x", err: true},
		{in: "org\\repo", err: true},
		{in: "a/b/c/d", err: true},
		{in: "hf.co/a/b/c", err: true},
		{in: "org--x/y", err: true},
		{in: "-org/y", err: true},
		{in: "ollama.com/../x", err: true},
		{in: "ollama.com/a/b/c", err: true},
		{in: "https://evil.example/org/repo", err: true},
		{in: "model:ta:g", err: true},
		{in: "org/repo\x00", err: true},
		{in: "org//repo", err: true},
	}
	for _, tc := range cases {
		got, err := ParseRef(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("ParseRef(%q): error %v", tc.in, err)
			continue
		}
		if runtime.GOOS == "windows" && tc.want.Kind == KindLocal && strings.HasPrefix(tc.in, "/") {
			tc.want.Path, _ = filepath.Abs(tc.in) // rooted on the current drive
		}
		if err == nil && got != tc.want {
			t.Errorf("ParseRef(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if err == nil {
			back, err := ParseRef(got.String())
			if err != nil || back != got {
				t.Errorf("round trip of %q via %q: %+v %v", tc.in, got.String(), back, err)
			}
		}
	}
}

func TestRepoDirStaysInCache(t *testing.T) {
	c := &Client{HFCache: t.TempDir(), OllamaModels: t.TempDir()}
	for _, repo := range []string{"../x", "a/../../b", "/abs/x", "a/b/c", "a/..", "a--b/c"} {
		if _, err := c.hfRepoDir(repo); err == nil {
			t.Errorf("hfRepoDir(%q) accepted", repo)
		}
	}
	for _, r := range []Ref{
		{Kind: KindOllama, Host: "..", Namespace: "library", Model: "x", Tag: "1"},
		{Kind: KindOllama, Host: "registry.ollama.ai", Namespace: "..", Model: "x", Tag: "1"},
		{Kind: KindOllama, Host: "registry.ollama.ai", Namespace: "library", Model: "x", Tag: "../../../../etc"},
		{Kind: KindOllama, Host: "registry.ollama.ai", Namespace: "library", Model: "a/b", Tag: "1"},
	} {
		if _, err := c.ollamaManifestPath(r); err == nil {
			t.Errorf("ollamaManifestPath(%+v) accepted", r)
		}
	}
}

func TestSafeRelPath(t *testing.T) {
	for p, want := range map[string]bool{
		"a.gguf": true, "Q8_0/a.gguf": true, "../a": false, "a/../b": false, "/a": false,
		"a//b": false, "a\\b": false, "": false, "./a": false, "a/": false, "a\nb": false,
	} {
		if got := safeRelPath(p); got != want {
			t.Errorf("safeRelPath(%q) = %v", p, got)
		}
	}
}
