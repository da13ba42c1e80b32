// Package server is `nuri serve`: one HTTP server speaking the OpenAI,
// Anthropic and Ollama APIs over models that are loaded on first use and
// kept warm within a memory budget, with API keys, usage accounting,
// Prometheus metrics (vLLM-compatible names), admission control and a
// graceful, draining shutdown.
package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nuri-ai/nuri/api/anthropic"
	"github.com/nuri-ai/nuri/api/ollama"
	"github.com/nuri-ai/nuri/api/openai"
	"github.com/nuri-ai/nuri/auth"
	"github.com/nuri-ai/nuri/hub"
	"github.com/nuri-ai/nuri/model"
	"github.com/nuri-ai/nuri/sample"
	"github.com/nuri-ai/nuri/server/backend"
	"github.com/nuri-ai/nuri/store"
	"github.com/nuri-ai/nuri/tokenizer"
	"github.com/nuri-ai/nuri/usage"
	"github.com/nuri-ai/nuri/web"
)

// DefaultPort is where `nuri serve` listens unless told otherwise (Ollama
// uses 11434; Nuri takes the next port so both can run side by side).
const DefaultPort = 11435

// Config is the server's configuration; `nuri serve` fills it from flags.
type Config struct {
	Host string
	Port int

	Models       []string      // preloaded and kept loaded: paths or model names
	ModelsDir    string        // folder of GGUF files and model folders, served by name
	KeepAlive    time.Duration // idle time before a model is unloaded; 0: at once, < 0: never
	MemoryBudget int64         // bytes for all loaded models; 0 = unlimited
	KVMemory     int64         // KV cache bytes per model; 0 = the engine's default
	KVType       model.KVType  // KV cache element type; "" = f16 below 32K context, q8_0 above
	NoMmap       bool          // copy weights into RAM instead of reading them through the file mapping
	SwapSpace    int64         // bytes per model for swapped-out KV blocks of preempted requests; 0 = recompute them
	Context      int           // context per sequence; 0 = the model's
	Threads      int           // compute threads per model; 0 = one per physical core
	Parallel     int           // sequences decoded at once per model; 0 = the engine's default
	MaxQueue     int           // waiting requests per model before 429; 0 = the engine's default
	APIKey       string        // when set, requests need this key (or a user's key)
	DatabaseURL  string        // usage, users and keys; "" = SQLite under DataDir
	DataDir      string        // "" = $XDG_DATA_HOME/nuri or ~/.local/share/nuri
	ShutdownWait time.Duration // how long shutdown lets requests finish; 0 = 30s

	// Hooks, mostly for tests.
	NewEngine    EngineFactory
	Store        store.Store // used instead of opening DatabaseURL
	Constraint   func(schema json.RawMessage, tok *tokenizer.Tokenizer) (sample.Constraint, error)
	Hub          *hub.Client // default hub.NewClientFromEnv()
	NoHubListing bool        // do not list the download caches in /v1/models and /api/tags
	Logf         func(format string, args ...any)

	preloaded []preloaded
}

type preloaded struct {
	backend.Info
	alias string // the name as given on the command line
}

func (c *Config) logf(format string, args ...any) {
	if c.Logf != nil {
		c.Logf(format, args...)
		return
	}
	log.Printf(format, args...)
}

func (c *Config) hub() *hub.Client {
	if c.Hub == nil {
		c.Hub = hub.NewClientFromEnv()
	}
	return c.Hub
}

// DefaultDataDir is where Nuri keeps its database by default.
func DefaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "nuri")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "nuri")
	}
	return "nuri-data"
}

// Server is a running Nuri server.
type Server struct {
	cfg      Config
	mgr      *manager
	metrics  *metrics
	store    store.Store
	ownStore bool
	rec      *usage.Recorder
	auth     *auth.Service
	handler  http.Handler
	draining atomic.Bool

	usersMu   sync.Mutex
	usersAt   time.Time
	hasUsers  bool
	closeOnce sync.Once
}

// New prepares a server: opens the database, resolves and loads the
// preloaded models. Call Close (or use Serve) to release everything.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.ShutdownWait <= 0 {
		cfg.ShutdownWait = 30 * time.Second
	}
	s := &Server{cfg: cfg, metrics: newMetrics()}
	s.store = cfg.Store
	if s.store == nil {
		url := cfg.DatabaseURL
		if url == "" {
			dir := cfg.DataDir
			if dir == "" {
				dir = DefaultDataDir()
			}
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("data directory %s: %w", dir, err)
			}
			url = store.DefaultURL(dir)
		}
		st, err := store.Open(ctx, url)
		if err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
		s.store, s.ownStore = st, true
	}
	s.rec = usage.NewRecorder(s.store, usage.Options{Logf: cfg.Logf})
	s.auth = auth.NewService(s.store, auth.Options{})
	for _, name := range cfg.Models {
		p, err := s.preload(ctx, name)
		if err != nil {
			s.Close(context.Background())
			return nil, err
		}
		s.cfg.preloaded = append(s.cfg.preloaded, p)
	}
	s.mgr = newManager(&s.cfg)
	forever := time.Duration(-1)
	for _, p := range s.cfg.preloaded {
		_, release, err := s.mgr.acquire(ctx, p.Name, &forever)
		if err != nil {
			s.Close(context.Background())
			return nil, err
		}
		release()
	}
	s.handler = s.routes()
	return s, nil
}

// preload resolves a --model argument: a path, or a name pulled if needed.
func (s *Server) preload(ctx context.Context, name string) (preloaded, error) {
	if _, err := os.Stat(name); err == nil {
		base := filepath.Base(strings.TrimRight(name, `/\`))
		if !strings.EqualFold(filepath.Ext(base), ".gguf") {
			info, err := localInfo(base, name)
			return preloaded{Info: info, alias: name}, err
		}
		info, err := localInfo(strings.TrimSuffix(base, filepath.Ext(base)), name)
		return preloaded{Info: info, alias: name}, err
	}
	hm, err := s.cfg.hub().Resolve(ctx, name, true)
	if err != nil {
		return preloaded{}, fmt.Errorf("model %s: %w", name, err)
	}
	return preloaded{Info: hubInfo(hm), alias: name}, nil
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	api := http.NewServeMux()
	openai.New(s).Register(api)
	anthropic.New(s).Register(api)
	ollama.New(s).Register(api)

	// The web interface takes every path not claimed here, plus its own
	// JSON APIs under /api/, which the Ollama API leaves free. It applies
	// the auth middleware itself; the APIs accept its session cookie (with
	// the X-CSRF-Token header) through authorize.
	page := web.New(web.Options{
		Store: s.store, Auth: s.auth, Usage: s.rec, UsageSource: s.store,
		Logf: s.cfg.logf,
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", s.health)
	mux.HandleFunc("GET /metrics", s.serveMetrics)
	mux.Handle("/v1/", s.authorize(api))
	mux.Handle("/api/", s.authorize(api))
	for _, p := range webAPIPaths {
		mux.Handle(p, page)
	}
	mux.Handle("/", page)
	return s.instrument(mux)
}

// webAPIPaths are the web interface's JSON APIs under /api/.
var webAPIPaths = []string{"/api/me", "/api/usage", "/api/usage.csv", "/api/conversations", "/api/conversations/"}

// statusWriter remembers the status code for the request counter.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// endpoints are the paths counted by name; others count as "other".
var endpoints = map[string]bool{
	"/v1/chat/completions": true, "/v1/completions": true, "/v1/responses": true, "/v1/embeddings": true,
	"/v1/models": true, "/v1/messages": true, "/v1/messages/count_tokens": true,
	"/api/chat": true, "/api/generate": true, "/api/embed": true, "/api/tags": true, "/api/show": true,
	"/api/ps": true, "/api/version": true, "/health": true, "/metrics": true, "/": true,
}

func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		ep := r.URL.Path
		if !endpoints[ep] {
			ep = "other"
		}
		code := sw.code
		if code == 0 {
			code = http.StatusOK
		}
		s.metrics.request(ep, code)
	})
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		backend.WriteJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "draining"})
		return
	}
	names := []string{}
	for _, i := range s.mgr.running() {
		names = append(names, i.Name)
	}
	backend.WriteJSON(w, http.StatusOK, map[string]any{"status": "ok", "models_loaded": names})
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	loaded := s.mgr.models()
	mem := map[string]int64{}
	for _, i := range s.mgr.running() {
		mem[i.Name] = i.Memory
	}
	for i, m := range loaded {
		c := *m
		c.Info.Memory = mem[m.Name]
		loaded[i] = &c
	}
	s.metrics.write(w, loaded, func() (uint64, uint64) {
		st := s.rec.Stats()
		return st.Recorded, st.Dropped
	})
}

// writeAPIError answers in the error shape of the API the path belongs to.
func writeAPIError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/v1/messages"):
		anthropic.WriteError(w, err)
	case strings.HasPrefix(r.URL.Path, "/api/"):
		ollama.WriteError(w, err)
	default:
		openai.WriteError(w, err)
	}
}

// presentedKey is the API key of a request: "Authorization: Bearer" or
// "x-api-key".
func presentedKey(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
	}
	return strings.TrimSpace(r.Header.Get("X-Api-Key"))
}

// usersExist reports, with a short cache, whether accounts exist.
func (s *Server) usersExist(ctx context.Context) (bool, error) {
	s.usersMu.Lock()
	defer s.usersMu.Unlock()
	if time.Since(s.usersAt) < 5*time.Second {
		return s.hasUsers, nil
	}
	n, err := s.store.CountUsers(ctx)
	if err != nil {
		return false, err
	}
	s.hasUsers, s.usersAt = n > 0, time.Now()
	return s.hasUsers, nil
}

// authorize admits a request to the APIs: with the server's --api-key, with
// a user's API key or session when accounts exist, and without credentials
// only when neither is configured.
func (s *Server) authorize(next http.Handler) http.Handler {
	unauthorized := func(w http.ResponseWriter, r *http.Request, msg string) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="nuri"`)
		writeAPIError(w, r, &backend.Error{Status: http.StatusUnauthorized, Type: backend.TypeAuth, Message: msg})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := presentedKey(r)
		if s.cfg.APIKey != "" && key != "" && subtle.ConstantTimeCompare([]byte(key), []byte(s.cfg.APIKey)) == 1 {
			next.ServeHTTP(w, r)
			return
		}
		users, err := s.usersExist(r.Context())
		if err != nil {
			writeAPIError(w, r, fmt.Errorf("checking accounts: %w", err))
			return
		}
		if users {
			p, err := s.auth.Authenticate(w, r)
			if err != nil {
				if errors.Is(err, auth.ErrInvalidAPIKey) {
					unauthorized(w, r, "invalid API key")
					return
				}
				writeAPIError(w, r, &backend.Error{Status: http.StatusForbidden, Type: backend.TypeAuth, Message: err.Error()})
				return
			}
			if p == nil {
				unauthorized(w, r, "an API key is required (Authorization: Bearer KEY or x-api-key: KEY)")
				return
			}
			next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
			return
		}
		if s.cfg.APIKey != "" {
			if key == "" {
				unauthorized(w, r, "an API key is required (Authorization: Bearer KEY or x-api-key: KEY)")
			} else {
				unauthorized(w, r, "invalid API key")
			}
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ---- backend.Backend ----

// Acquire implements backend.Backend.
func (s *Server) Acquire(ctx context.Context, name string, keepAlive *time.Duration) (*backend.Model, func(), error) {
	if s.draining.Load() {
		return nil, nil, &backend.Error{Status: http.StatusServiceUnavailable, Type: backend.TypeOverloaded, Message: "the server is shutting down", RetryAfter: 5}
	}
	return s.mgr.acquire(ctx, name, keepAlive)
}

// Unload implements backend.Backend.
func (s *Server) Unload(name string) error { return s.mgr.unload(name) }

// Models implements backend.Backend.
func (s *Server) Models(ctx context.Context) []backend.Info { return s.mgr.list(ctx) }

// Running implements backend.Backend.
func (s *Server) Running() []backend.Info { return s.mgr.running() }

// Record implements backend.Backend: metrics and the usage store.
func (s *Server) Record(r *http.Request, rec backend.Record) {
	s.metrics.record(rec)
	u := rec.Usage
	ur := store.UsageRecord{
		Time: time.Now(), Model: rec.Model, Endpoint: rec.Endpoint,
		PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens,
		TTFT: u.TimeToFirstToken, Error: rec.Failed,
	}
	if gen := u.Duration - u.TimeToFirstToken - u.Queued; gen > 0 {
		ur.Generation = gen
	}
	if p := auth.FromContext(r.Context()); p != nil {
		ur.UserID, ur.APIKeyID = p.UserID, p.APIKeyID
	}
	s.rec.Record(ur)
}

// Constraint implements backend.Backend.
func (s *Server) Constraint(schema json.RawMessage, tok *tokenizer.Tokenizer) (sample.Constraint, error) {
	if s.cfg.Constraint != nil {
		return s.cfg.Constraint(schema, tok)
	}
	return defaultConstraint(schema, tok)
}

// ---- lifecycle ----

// Addr is host:port from the configuration.
func (c *Config) Addr() string {
	port := c.Port
	if port == 0 {
		port = DefaultPort
	}
	host := c.Host
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// Serve accepts connections on l until ctx ends, then shuts down
// gracefully: it stops accepting, lets running requests finish (up to
// ShutdownWait), drains the engines and flushes usage records.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	hs := &http.Server{Handler: s.handler, ReadHeaderTimeout: 30 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	select {
	case err := <-errc:
		s.Close(context.Background())
		return err
	case <-ctx.Done():
	}
	s.draining.Store(true)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownWait)
	defer cancel()
	err := hs.Shutdown(sctx)
	s.Close(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutdown: requests still running after %s were cancelled", s.cfg.ShutdownWait)
	}
	return nil
}

// Close drains the engines, unloads the models, flushes usage records and
// closes the database.
func (s *Server) Close(ctx context.Context) {
	s.closeOnce.Do(func() {
		s.draining.Store(true)
		if s.mgr != nil {
			s.mgr.close(ctx)
		}
		if s.rec != nil {
			_ = s.rec.Close()
		}
		if s.ownStore && s.store != nil {
			_ = s.store.Close()
		}
	})
}
