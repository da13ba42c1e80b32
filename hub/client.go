package hub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Model formats.
const (
	FormatGGUF        = "gguf"
	FormatSafetensors = "safetensors"
)

// Default endpoints.
const (
	DefaultHFEndpoint     = "https://huggingface.co"
	DefaultOllamaRegistry = "https://registry.ollama.ai"
)

// ErrNotDownloaded is returned (wrapped) by Resolve when a model is neither
// local nor in a cache and pulling is not allowed, and by Remove when there
// is nothing to remove.
var ErrNotDownloaded = errors.New("model not downloaded")

// Model describes a model ready to load.
type Model struct {
	Name   string // canonical name, accepted by ParseRef
	Kind   string // KindHF, KindOllama or KindLocal
	Format string // FormatGGUF or FormatSafetensors

	// Path is the GGUF file (the first shard of a split file) or the
	// safetensors model folder.
	Path  string
	Files []string // every file of the model (all shards), absolute
	Size  int64    // bytes, all files together

	Digest   string // "sha256:<hex>" of the main GGUF file, when known
	Revision string // Hugging Face commit
	Quant    string // GGUF quantization tag, when known

	ModifiedAt time.Time

	// Ollama layers besides the model, when present.
	TemplatePath  string
	ParamsPath    string
	SystemPath    string
	LicensePath   string
	ProjectorPath string
	Template      string         // chat template text (Go template syntax)
	System        string         // default system prompt
	Params        map[string]any // default generation parameters
}

// Progress reports the state of one file download.
type Progress struct {
	Name     string // file being downloaded, for display
	Done     int64  // bytes present so far, resumed bytes included
	Total    int64  // file size, -1 when unknown
	Resumed  int64  // bytes that were already present when this run started
	Finished bool   // the file is complete and verified
}

// Client pulls and resolves models. The zero value works with the public
// endpoints and no retries; NewClientFromEnv is the usual constructor.
type Client struct {
	HFEndpoint     string       // default DefaultHFEndpoint
	OllamaRegistry string       // base URL of the default Ollama registry
	HTTP           *http.Client // default http.DefaultClient
	Token          string       // Hugging Face access token
	Offline        bool         // never use the network
	Progress       func(Progress)

	HFCache      string // Hugging Face hub cache folder; "" = from environment
	OllamaModels string // Ollama models folder; "" = from environment

	ParallelThreshold int64         // files at least this big download in parts; 0 = 64 MiB
	Parts             int           // parallel parts for big files; 0 = 4, 1 = never split
	Retries           int           // attempts after a network error that made no progress
	RetryDelay        time.Duration // pause before a retry; 0 = 1s
	StallTimeout      time.Duration // give up on a connection silent this long; 0 = 60s
	UserAgent         string

	// writeHook, when set, is called before each write to a download; an
	// error it returns is treated as the write's error (tests inject
	// ENOSPC with it).
	writeHook func(n int, off int64) error
}

// NewClientFromEnv returns a client configured from the environment:
// HF_ENDPOINT, HF_TOKEN (or HUGGING_FACE_HUB_TOKEN, or the token file under
// HF_HOME), HF_HUB_OFFLINE, HF_HUB_CACHE/HF_HOME and OLLAMA_MODELS.
func NewClientFromEnv() *Client {
	c := &Client{
		HFEndpoint:     DefaultHFEndpoint,
		OllamaRegistry: DefaultOllamaRegistry,
		Retries:        5,
		UserAgent:      "nuri",
	}
	if e := strings.TrimRight(os.Getenv("HF_ENDPOINT"), "/"); e != "" {
		c.HFEndpoint = e
	}
	c.Token = tokenFromEnv()
	c.Offline = envTrue("HF_HUB_OFFLINE")
	return c
}

func envTrue(name string) bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv(name))) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

func tokenFromEnv() string {
	for _, name := range []string{"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"} {
		if t := strings.TrimSpace(os.Getenv(name)); t != "" {
			return t
		}
	}
	p := os.Getenv("HF_TOKEN_PATH")
	if p == "" {
		p = filepath.Join(hfHome(), "token")
	}
	if b, err := os.ReadFile(p); err == nil {
		return strings.TrimSpace(string(b))
	}
	return ""
}

func hfHome() string {
	if h := os.Getenv("HF_HOME"); h != "" {
		return h
	}
	if x := os.Getenv("XDG_CACHE_HOME"); x != "" {
		return filepath.Join(x, "huggingface")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	return filepath.Join(home, ".cache", "huggingface")
}

// HFCacheDir returns the Hugging Face hub cache folder from the
// environment: HF_HUB_CACHE, else HF_HOME/hub, else
// ~/.cache/huggingface/hub.
func HFCacheDir() string {
	for _, name := range []string{"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"} {
		if d := os.Getenv(name); d != "" {
			return d
		}
	}
	return filepath.Join(hfHome(), "hub")
}

// OllamaModelsDir returns Ollama's models folder: OLLAMA_MODELS, else
// ~/.ollama/models.
func OllamaModelsDir() string {
	if d := os.Getenv("OLLAMA_MODELS"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	return filepath.Join(home, ".ollama", "models")
}

func (c *Client) hfCache() string {
	if c.HFCache != "" {
		return c.HFCache
	}
	return HFCacheDir()
}

func (c *Client) ollamaDir() string {
	if c.OllamaModels != "" {
		return c.OllamaModels
	}
	return OllamaModelsDir()
}

func (c *Client) hfEndpoint() string {
	if c.HFEndpoint != "" {
		return strings.TrimRight(c.HFEndpoint, "/")
	}
	return DefaultHFEndpoint
}

func (c *Client) ollamaRegistry(host string) string {
	if host == ollamaDefaultHost {
		if c.OllamaRegistry != "" {
			return strings.TrimRight(c.OllamaRegistry, "/")
		}
		return DefaultOllamaRegistry
	}
	return "https://" + host
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// Pull downloads a model (or checks that a local one exists) and returns it.
// Files already present are not downloaded again. In offline mode a model
// already in a cache is returned as it is.
func (c *Client) Pull(ctx context.Context, ref Ref) (Model, error) {
	switch ref.Kind {
	case KindLocal:
		return localModel(ref.Path)
	case KindHF:
		return c.pullHF(ctx, ref)
	case KindOllama:
		return c.pullOllama(ctx, ref)
	}
	return Model{}, fmt.Errorf("pull: unknown reference kind %q", ref.Kind)
}

// Resolve turns a model name into a loadable model. Local paths and models
// already in a cache are returned without any network access; otherwise the
// model is pulled when pull is true and the client is not offline.
func (c *Client) Resolve(ctx context.Context, name string, pull bool) (Model, error) {
	ref, err := ParseRef(name)
	if err != nil {
		return Model{}, err
	}
	if ref.Kind == KindLocal {
		return localModel(ref.Path)
	}
	m, err := c.cached(ref)
	if err == nil {
		return m, nil
	}
	if !errors.Is(err, ErrNotDownloaded) {
		return Model{}, err
	}
	if c.Offline {
		return Model{}, fmt.Errorf("%s is not in the local cache and offline mode is on (HF_HUB_OFFLINE): %w", ref, ErrNotDownloaded)
	}
	if !pull {
		return Model{}, fmt.Errorf("%s is not downloaded; run: nuri pull %s: %w", ref, ref, ErrNotDownloaded)
	}
	return c.Pull(ctx, ref)
}

// Cached returns a model that is already downloaded, without network
// access; the error wraps ErrNotDownloaded when it is not.
func (c *Client) Cached(ref Ref) (Model, error) {
	if ref.Kind == KindLocal {
		return localModel(ref.Path)
	}
	return c.cached(ref)
}

func (c *Client) cached(ref Ref) (Model, error) {
	switch ref.Kind {
	case KindHF:
		return c.cachedHF(ref)
	case KindOllama:
		return c.cachedOllama(ref)
	}
	return Model{}, fmt.Errorf("unknown reference kind %q", ref.Kind)
}

// List returns the models in the Hugging Face cache and the Ollama store
// named by the environment.
func List() ([]Model, error) { return NewClientFromEnv().List() }

// Remove deletes a downloaded model from the stores named by the
// environment.
func Remove(name string) error { return NewClientFromEnv().Remove(name) }

// List returns every downloaded model, sorted by name. Unreadable entries
// are skipped.
func (c *Client) List() ([]Model, error) {
	hf, err := c.listHF()
	if err != nil {
		return nil, err
	}
	ol, err := c.listOllama()
	if err != nil {
		return nil, err
	}
	all := append(hf, ol...)
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all, nil
}

// Remove deletes a downloaded model: its cache entries and the blobs no
// other model uses. Local paths are never deleted.
func (c *Client) Remove(name string) error {
	ref, err := ParseRef(name)
	if err != nil {
		return err
	}
	switch ref.Kind {
	case KindLocal:
		return fmt.Errorf("%s is a local path; nuri only removes models it keeps in its caches", ref.Path)
	case KindHF:
		return c.removeHF(ref)
	case KindOllama:
		return c.removeOllama(ref)
	}
	return fmt.Errorf("remove: unknown reference kind %q", ref.Kind)
}

// localModel describes a GGUF file or a safetensors folder on disk.
func localModel(p string) (Model, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return Model{}, fmt.Errorf("model path %s: %w", p, err)
	}
	m := Model{Name: p, Kind: KindLocal, Path: p, ModifiedAt: fi.ModTime()}
	if !fi.IsDir() {
		if !strings.HasSuffix(strings.ToLower(p), ".gguf") {
			return Model{}, fmt.Errorf("model path %s: not a .gguf file or a model folder", p)
		}
		m.Format = FormatGGUF
		m.Quant = quantOf(filepath.Base(p))
		m.Files = []string{p}
		m.Size = fi.Size()
		// A first shard brings its siblings along.
		if sm := splitSuffix.FindStringSubmatch(filepath.Base(p)); sm != nil {
			files, err := siblingShards(p)
			if err != nil {
				return Model{}, err
			}
			m.Files, m.Size, m.Path = files, 0, files[0]
			for _, f := range files {
				if st, err := os.Stat(f); err == nil {
					m.Size += st.Size()
				}
			}
		}
		return m, nil
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return Model{}, fmt.Errorf("model folder %s: %w", p, err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if folderComplete(p, names) == nil {
		m.Format = FormatSafetensors
		for _, n := range names {
			full := filepath.Join(p, n)
			if st, err := os.Stat(full); err == nil && st.Mode().IsRegular() {
				m.Files = append(m.Files, full)
				m.Size += st.Size()
			}
		}
		return m, nil
	}
	if g, err := selectGGUF(names, ""); err == nil {
		return localModel(filepath.Join(p, g.Files[0]))
	}
	return Model{}, fmt.Errorf("model folder %s: no config.json with safetensors weights and no single GGUF file", p)
}

// siblingShards lists every shard of the split GGUF whose shard p is.
func siblingShards(p string) ([]string, error) {
	dir := filepath.Dir(p)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("model folder %s: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	base := filepath.Base(p)
	for _, g := range ggufGroups(names) {
		for _, f := range g.Files {
			if f == base {
				out := make([]string, len(g.Files))
				for i, s := range g.Files {
					out[i] = filepath.Join(dir, s)
				}
				return out, nil
			}
		}
	}
	return nil, fmt.Errorf("model file %s: some shards of this split GGUF are missing from %s", p, dir)
}
