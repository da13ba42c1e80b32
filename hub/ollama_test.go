package hub

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func ollamaClient(t *testing.T, reg *fakeRegistry) *Client {
	c := testClient(t)
	c.OllamaRegistry = reg.srv.URL
	return c
}

var tinyLayers = [][2]string{
	{mediaModel, string(testData(120<<10, 40))},
	{mediaTemplate, "{{ .System }} {{ .Prompt }}"},
	{mediaParams, `{"stop":["<|eot|>"],"temperature":0.6}`},
	{mediaSystem, "You are terse."},
	{mediaLicense, "MIT"},
}

func TestPullOllama(t *testing.T) {
	reg := newFakeRegistry(t)
	man := reg.addModel("library/tiny:1b", tinyLayers)
	c := ollamaClient(t, reg)
	for _, name := range []string{"tiny:1b", "ollama.com/library/tiny:1b"} {
		m, err := c.Resolve(context.Background(), name, true)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		modelBlob := filepath.Join(c.OllamaModels, "blobs", "sha256-"+strings.TrimPrefix(man.Layers[0].Digest, "sha256:"))
		if m.Name != "tiny:1b" || m.Path != modelBlob || m.Format != FormatGGUF || m.Digest != man.Layers[0].Digest {
			t.Errorf("%s: got %+v", name, m)
		}
		got, _ := os.ReadFile(m.Path)
		if !bytes.Equal(got, []byte(tinyLayers[0][1])) {
			t.Errorf("%s: model blob differs", name)
		}
		if m.Template != tinyLayers[1][1] || m.System != "You are terse." || m.Params["temperature"] != 0.6 || m.LicensePath == "" {
			t.Errorf("%s: layers %+v", name, m)
		}
	}
	mpath := filepath.Join(c.OllamaModels, "manifests", "registry.ollama.ai", "library", "tiny", "1b")
	if _, err := os.Stat(mpath); err != nil {
		t.Fatalf("manifest not stored in Ollama's layout: %v", err)
	}
	assertNoPartial(t, c.OllamaModels)

	// Stored models resolve without the network, also through the
	// environment.
	before := reg.hits
	t.Setenv("OLLAMA_MODELS", c.OllamaModels)
	t.Setenv("HF_HUB_OFFLINE", "1")
	if _, err := NewClientFromEnv().Resolve(context.Background(), "tiny:1b", false); err != nil {
		t.Fatal(err)
	}
	if reg.hits != before {
		t.Errorf("resolving a stored model used the network")
	}

	if _, err := c.Resolve(context.Background(), "tiny:404", true); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("unknown tag: %v", err)
	}
}

func TestPullOllamaFaults(t *testing.T) {
	cases := []struct {
		name   string
		faults faults
		want   string
	}{
		{"connection cut", faults{cuts: 1, cutAfter: 30 << 10}, "resume"},
		{"wrong checksum", faults{corrupt: true}, "checksum mismatch"},
		{"200 on range", faults{cuts: 1, cutAfter: 30 << 10}, "resume"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg := newFakeRegistry(t)
			reg.addModel("library/tiny:1b", tinyLayers)
			reg.cdn.setFaults(tc.faults)
			c := ollamaClient(t, reg)
			if _, err := c.Resolve(context.Background(), "tiny:1b", true); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if _, err := c.Resolve(context.Background(), "tiny:1b", false); !errors.Is(err, ErrNotDownloaded) {
				t.Fatalf("after the failure: %v", err)
			}
			if tc.name == "200 on range" {
				reg.cdn.setFaults(faults{ignoreRange: true})
			} else {
				reg.cdn.setFaults(faults{})
			}
			m, err := c.Resolve(context.Background(), "tiny:1b", true)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			got, _ := os.ReadFile(m.Path)
			if !bytes.Equal(got, []byte(tinyLayers[0][1])) {
				t.Fatal("content differs")
			}
			assertNoPartial(t, c.OllamaModels)
		})
	}
}

func TestListRemoveOllama(t *testing.T) {
	reg := newFakeRegistry(t)
	reg.addModel("library/tiny:1b", tinyLayers)
	other := append([][2]string{{mediaModel, "other weights"}}, tinyLayers[1:]...)
	reg.addModel("library/tiny:other", other)
	reg.addModel("someone/tiny:latest", tinyLayers)
	c := ollamaClient(t, reg)
	for _, n := range []string{"tiny:1b", "tiny:other", "ollama.com/someone/tiny"} {
		if _, err := c.Resolve(context.Background(), n, true); err != nil {
			t.Fatal(err)
		}
	}
	list := func() string {
		ms, err := c.List()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, m := range ms {
			names = append(names, m.Name)
		}
		return strings.Join(names, " ")
	}
	if got := list(); got != "ollama.com/someone/tiny:latest tiny:1b tiny:other" {
		t.Fatalf("List = %s", got)
	}
	blob := func(content string) string {
		return filepath.Join(c.OllamaModels, "blobs", "sha256-"+sha256Hex([]byte(content)))
	}
	if err := c.Remove("tiny:other"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(blob("other weights")); err == nil {
		t.Error("unshared blob kept")
	}
	if _, err := os.Stat(blob(tinyLayers[1][1])); err != nil {
		t.Error("shared template blob removed")
	}
	if err := c.Remove("tiny:1b"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(blob(tinyLayers[0][1])); err != nil {
		t.Error("blob still used by someone/tiny removed")
	}
	if err := c.Remove("ollama.com/someone/tiny:latest"); err != nil {
		t.Fatal(err)
	}
	if got := list(); got != "" {
		t.Fatalf("List after removing all = %s", got)
	}
	entries, _ := os.ReadDir(filepath.Join(c.OllamaModels, "blobs"))
	if len(entries) != 0 {
		t.Errorf("%d blobs left", len(entries))
	}
	if err := c.Remove("tiny:1b"); !errors.Is(err, ErrNotDownloaded) {
		t.Errorf("removing twice: %v", err)
	}
}

func TestOllamaHostileManifest(t *testing.T) {
	reg := newFakeRegistry(t)
	reg.mu.Lock()
	reg.manifests["library/evil:1"] = []byte(`{"schemaVersion":2,"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:../../../../escape","size":4}]}`)
	reg.manifests["library/nomodel:1"] = []byte(`{"schemaVersion":2,"layers":[{"mediaType":"application/vnd.ollama.image.template","digest":"sha256:` + strings.Repeat("a", 64) + `","size":4}]}`)
	reg.mu.Unlock()
	c := ollamaClient(t, reg)
	if _, err := c.Resolve(context.Background(), "evil:1", true); err == nil || !strings.Contains(err.Error(), "invalid digest") {
		t.Errorf("evil digest: %v", err)
	}
	if _, err := c.Resolve(context.Background(), "nomodel:1", true); err == nil || !strings.Contains(err.Error(), "no model layer") {
		t.Errorf("no model layer: %v", err)
	}
}
