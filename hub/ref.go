// Package hub finds, downloads and manages model files for Nuri.
//
// Models come from three places:
//
//   - the Hugging Face Hub ("hf.co/ORG/REPO[:QUANT]" or "ORG/REPO[:QUANT]"):
//     either one GGUF file chosen by its quantization tag (split GGUFs are
//     fetched together) or, for repositories without GGUF files, the
//     safetensors model folder. Files are kept in the standard Hugging Face
//     cache layout, shared with other tools that use it.
//   - an Ollama registry ("ollama.com/library/MODEL:TAG" or "MODEL:TAG"):
//     manifest plus blobs addressed by sha256, kept in Ollama's own layout.
//   - a local file or folder, used in place.
//
// Downloads resume from partial files, fetch large files in parallel ranged
// parts, and verify every file before it becomes visible.
package hub

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Kinds of model references.
const (
	KindHF     = "hf"
	KindOllama = "ollama"
	KindLocal  = "local"
)

// Well-known host names.
const (
	ollamaDefaultHost = "registry.ollama.ai"
	ollamaLibrary     = "library"
)

// Ref is a parsed model name.
type Ref struct {
	Kind string // KindHF, KindOllama or KindLocal

	// Hugging Face: Repo is "ORG/NAME"; Quant is the requested GGUF
	// quantization tag ("" picks the default).
	Repo  string
	Quant string

	// Ollama registry: Host is the registry host as stored on disk
	// ("registry.ollama.ai" for the public registry).
	Host      string
	Namespace string
	Model     string
	Tag       string

	// Local: an absolute, cleaned path.
	Path string
}

// String returns the canonical spelling of the reference, which ParseRef
// accepts back.
func (r Ref) String() string {
	switch r.Kind {
	case KindHF:
		s := "hf.co/" + r.Repo
		if r.Quant != "" {
			s += ":" + r.Quant
		}
		return s
	case KindOllama:
		switch {
		case r.Host == ollamaDefaultHost && r.Namespace == ollamaLibrary:
			return r.Model + ":" + r.Tag
		case r.Host == ollamaDefaultHost:
			return "ollama.com/" + r.Namespace + "/" + r.Model + ":" + r.Tag
		default:
			return r.Host + "/" + r.Namespace + "/" + r.Model + ":" + r.Tag
		}
	case KindLocal:
		return r.Path
	}
	return ""
}

var (
	// Hugging Face repository name parts: letters, digits, '-', '_', '.';
	// no leading or trailing punctuation.
	hfNamePart = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?$`)
	quantTag   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	ollamaPart = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$`)
	ollamaTag  = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)
	hostName   = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::[0-9]{1,5})?$`)
)

// ParseRef parses a model name. Accepted forms:
//
//	hf.co/ORG/REPO[:QUANT], huggingface.co/ORG/REPO[:QUANT], ORG/REPO[:QUANT]
//	ollama.com/[NAMESPACE/]MODEL[:TAG], MODEL[:TAG], HOST/NAMESPACE/MODEL[:TAG]
//	/abs/path, ./rel/path, ../rel/path, ~/path, or an existing file or folder
//
// Names that could escape the model stores ("..", absolute parts inside a
// registry name, query strings, percent escapes) are rejected.
func ParseRef(name string) (Ref, error) {
	orig := name
	name = strings.TrimSpace(name)
	if name == "" {
		return Ref{}, fmt.Errorf("empty model name")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return Ref{}, fmt.Errorf("model name %q contains control characters", orig)
		}
	}
	if isLocalSpelling(name) {
		p, err := localPath(name)
		if err != nil {
			return Ref{}, err
		}
		return Ref{Kind: KindLocal, Path: p}, nil
	}

	rest := name
	hadScheme := false
	for _, scheme := range []string{"https://", "http://"} {
		if len(rest) >= len(scheme) && strings.EqualFold(rest[:len(scheme)], scheme) {
			rest = rest[len(scheme):]
			hadScheme = true
		}
	}
	if strings.ContainsAny(rest, "?#%\\@ \t") {
		return Ref{}, fmt.Errorf("model name %q: unexpected character (one of ?#%%\\@ or space)", orig)
	}
	rest = strings.TrimSuffix(rest, "/")
	parts := strings.Split(rest, "/")
	for _, p := range parts {
		if p == "" || p == "." || p == ".." {
			return Ref{}, fmt.Errorf("model name %q: empty, '.' or '..' path element", orig)
		}
	}

	first := strings.ToLower(parts[0])
	switch {
	case first == "hf.co" || first == "huggingface.co" || first == "www.huggingface.co":
		return parseHF(orig, parts[1:])
	case first == "ollama.com" || first == "www.ollama.com" || first == ollamaDefaultHost:
		return parseOllama(orig, ollamaDefaultHost, parts[1:])
	case hadScheme:
		return Ref{}, fmt.Errorf("model name %q: unknown host %q (expected hf.co or ollama.com)", orig, parts[0])
	case len(parts) == 1:
		return parseOllama(orig, ollamaDefaultHost, parts)
	case len(parts) == 2:
		return parseHF(orig, parts)
	case len(parts) == 3 && (strings.Contains(parts[0], ".") || strings.Contains(parts[0], ":")):
		if !hostName.MatchString(parts[0]) || strings.Contains(parts[0], "..") {
			return Ref{}, fmt.Errorf("model name %q: invalid registry host %q", orig, parts[0])
		}
		return parseOllama(orig, first, parts[1:])
	}
	return Ref{}, fmt.Errorf("model name %q not understood: use ORG/REPO[:QUANT], hf.co/ORG/REPO[:QUANT], MODEL[:TAG], ollama.com/library/MODEL:TAG or a path", orig)
}

// isLocalSpelling reports whether name is written as a path, or names a file
// or folder that exists.
func isLocalSpelling(name string) bool {
	// A leading slash is a path on Windows too (rooted on the current drive).
	if filepath.IsAbs(name) || strings.HasPrefix(name, "/") || name == "." || name == ".." || name == "~" ||
		strings.HasPrefix(name, "./") || strings.HasPrefix(name, "../") || strings.HasPrefix(name, "~/") {
		return true
	}
	if strings.Contains(name, "://") {
		return false
	}
	if strings.Contains(name, "/") || strings.HasSuffix(strings.ToLower(name), ".gguf") {
		if _, err := os.Stat(name); err == nil {
			return true
		}
	}
	return false
}

func localPath(name string) (string, error) {
	if name == "~" || strings.HasPrefix(name, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("expanding %q: %w", name, err)
		}
		name = filepath.Join(home, strings.TrimPrefix(name, "~"))
	}
	p, err := filepath.Abs(name)
	if err != nil {
		return "", fmt.Errorf("model path %q: %w", name, err)
	}
	return p, nil
}

func parseHF(orig string, parts []string) (Ref, error) {
	if len(parts) != 2 {
		return Ref{}, fmt.Errorf("model name %q: a Hugging Face name has the form ORG/REPO[:QUANT]", orig)
	}
	org, repo := parts[0], parts[1]
	quant := ""
	if i := strings.IndexByte(repo, ':'); i >= 0 {
		repo, quant = repo[:i], repo[i+1:]
		if quant == "" {
			return Ref{}, fmt.Errorf("model name %q: empty quantization tag after ':'", orig)
		}
	}
	if strings.Contains(org, ":") {
		return Ref{}, fmt.Errorf("model name %q: ':' is only allowed before the quantization tag", orig)
	}
	for _, p := range []string{org, repo} {
		if !hfNamePart.MatchString(p) || strings.Contains(p, "..") || strings.Contains(p, "--") {
			return Ref{}, fmt.Errorf("model name %q: %q is not a valid Hugging Face name (letters, digits, '-', '_', '.'; no '--' or '..')", orig, p)
		}
	}
	if strings.EqualFold(quant, "latest") {
		quant = ""
	}
	if quant != "" && (!quantTag.MatchString(quant) || strings.Contains(quant, "..")) {
		return Ref{}, fmt.Errorf("model name %q: %q is not a valid quantization tag", orig, quant)
	}
	return Ref{Kind: KindHF, Repo: org + "/" + repo, Quant: quant}, nil
}

func parseOllama(orig, host string, parts []string) (Ref, error) {
	var ns, model string
	switch len(parts) {
	case 1:
		ns, model = ollamaLibrary, parts[0]
	case 2:
		ns, model = parts[0], parts[1]
	default:
		return Ref{}, fmt.Errorf("model name %q: an Ollama name has the form [NAMESPACE/]MODEL[:TAG]", orig)
	}
	tag := "latest"
	if i := strings.IndexByte(model, ':'); i >= 0 {
		model, tag = model[:i], model[i+1:]
	}
	if strings.Contains(ns, ":") {
		return Ref{}, fmt.Errorf("model name %q: ':' is only allowed before the tag", orig)
	}
	for _, p := range []string{ns, model} {
		if !ollamaPart.MatchString(p) || strings.Contains(p, "..") {
			return Ref{}, fmt.Errorf("model name %q: %q is not a valid model or namespace name", orig, p)
		}
	}
	if !ollamaTag.MatchString(tag) || strings.Contains(tag, "..") {
		return Ref{}, fmt.Errorf("model name %q: %q is not a valid tag", orig, tag)
	}
	return Ref{Kind: KindOllama, Host: host, Namespace: ns, Model: model, Tag: tag}, nil
}
