package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nuri-ai/nuri/chat"
	"github.com/nuri-ai/nuri/engine"
	"github.com/nuri-ai/nuri/hub"
	"github.com/nuri-ai/nuri/model"
	"github.com/nuri-ai/nuri/server/backend"
	"github.com/nuri-ai/nuri/tokenizer"
)

// EngineFactory starts an engine for a loaded model.
type EngineFactory func(m *model.Model, tok *tokenizer.Tokenizer, cfg engine.Config) (backend.Engine, error)

// DefaultEngine starts Nuri's continuous-batching engine.
func DefaultEngine(m *model.Model, tok *tokenizer.Tokenizer, cfg engine.Config) (backend.Engine, error) {
	return engine.New(m, tok, cfg)
}

// Resolved is a model name turned into something loadable.
type Resolved struct {
	Name string // canonical name, as listings show it
	Info backend.Info
}

// manager keeps models loaded within a memory budget: loaded on first use,
// kept warm for a keep-alive period after the last request, and evicted
// least-recently-used first when a new model needs the room.
type manager struct {
	cfg     *Config
	mu      sync.Mutex
	loaded  map[string]*entry // by canonical name
	loading map[string]*loadCall
	closed  bool
}

type entry struct {
	m         *backend.Model
	refs      int
	lastUsed  time.Time
	keepAlive time.Duration // < 0: forever
	timer     *time.Timer
	memory    int64
	unloading bool
}

type loadCall struct {
	done chan struct{}
	e    *entry
	err  error
}

func newManager(cfg *Config) *manager {
	return &manager{cfg: cfg, loaded: map[string]*entry{}, loading: map[string]*loadCall{}}
}

// resolve finds a model by the name a client used: a preloaded model (by
// name, alias or path), a file or folder in the models directory, or a
// model already downloaded to the Hugging Face cache or Ollama store.
// Arbitrary file paths from clients are not accepted.
func (mg *manager) resolve(ctx context.Context, name string) (backend.Info, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return backend.Info{}, backend.BadRequest("model", "model is required")
	}
	for _, p := range mg.cfg.preloaded {
		if p.Name == name || p.Path == name || p.alias == name {
			return p.Info, nil
		}
	}
	if dir := mg.cfg.ModelsDir; dir != "" && !strings.ContainsAny(name, `/\`) && name != "." && name != ".." {
		for _, cand := range []string{filepath.Join(dir, name), filepath.Join(dir, name+".gguf")} {
			if info, err := localInfo(name, cand); err == nil {
				return info, nil
			}
		}
	}
	ref, err := hub.ParseRef(name)
	if err != nil || ref.Kind == hub.KindLocal {
		return backend.Info{}, fmt.Errorf("model %q: %w", name, backend.ErrModelNotFound)
	}
	hm, err := mg.cfg.hub().Cached(ref)
	if err != nil {
		if errors.Is(err, hub.ErrNotDownloaded) {
			return backend.Info{}, fmt.Errorf("model %q is not downloaded (run: nuri pull %s): %w", name, name, backend.ErrModelNotFound)
		}
		return backend.Info{}, fmt.Errorf("model %q: %w", name, err)
	}
	return hubInfo(hm), nil
}

func hubInfo(hm hub.Model) backend.Info {
	return backend.Info{Name: hm.Name, Path: hm.Path, Format: hm.Format, Quant: hm.Quant, Digest: hm.Digest, Size: hm.Size, ModifiedAt: hm.ModifiedAt}
}

// localInfo describes a model file or folder on disk.
func localInfo(name, path string) (backend.Info, error) {
	st, err := os.Stat(path)
	if err != nil {
		return backend.Info{}, err
	}
	info := backend.Info{Name: name, Path: path, ModifiedAt: st.ModTime()}
	switch {
	case st.IsDir():
		if _, err := os.Stat(filepath.Join(path, "config.json")); err != nil {
			return backend.Info{}, fmt.Errorf("%s: not a model folder: %w", path, err)
		}
		info.Format = hub.FormatSafetensors
		entries, _ := os.ReadDir(path)
		for _, e := range entries {
			if fi, err := e.Info(); err == nil && !e.IsDir() {
				info.Size += fi.Size()
			}
		}
	case strings.EqualFold(filepath.Ext(path), ".gguf"):
		info.Format = hub.FormatGGUF
		info.Size = st.Size()
	default:
		return backend.Info{}, fmt.Errorf("%s: not a GGUF file", path)
	}
	return info, nil
}

// list returns every model that can be served: loaded, preloaded, in the
// models directory and in the download caches.
func (mg *manager) list(ctx context.Context) []backend.Info {
	seen := map[string]bool{}
	var out []backend.Info
	add := func(i backend.Info) {
		if !seen[i.Name] {
			seen[i.Name] = true
			out = append(out, i)
		}
	}
	for _, i := range mg.running() {
		add(i)
	}
	for _, p := range mg.cfg.preloaded {
		add(p.Info)
	}
	if dir := mg.cfg.ModelsDir; dir != "" {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			name := strings.TrimSuffix(e.Name(), filepath.Ext(e.Name()))
			if e.IsDir() {
				name = e.Name()
			}
			if i, err := localInfo(name, filepath.Join(dir, e.Name())); err == nil {
				add(i)
			}
		}
	}
	if !mg.cfg.NoHubListing {
		if hms, err := mg.cfg.hub().List(); err == nil {
			for _, hm := range hms {
				add(hubInfo(hm))
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// running lists the loaded models.
func (mg *manager) running() []backend.Info {
	mg.mu.Lock()
	defer mg.mu.Unlock()
	out := make([]backend.Info, 0, len(mg.loaded))
	for _, e := range mg.loaded {
		i := e.m.Info
		i.Memory = e.memory
		if e.refs == 0 && e.keepAlive >= 0 {
			i.ExpiresAt = e.lastUsed.Add(e.keepAlive)
		}
		out = append(out, i)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// models returns the loaded models (for metrics).
func (mg *manager) models() []*backend.Model {
	mg.mu.Lock()
	defer mg.mu.Unlock()
	out := make([]*backend.Model, 0, len(mg.loaded))
	for _, e := range mg.loaded {
		out = append(out, e.m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// acquire returns a loaded model, loading it if needed.
func (mg *manager) acquire(ctx context.Context, name string, keepAlive *time.Duration) (*backend.Model, func(), error) {
	info, err := mg.resolve(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	key := info.Name
	for {
		mg.mu.Lock()
		if mg.closed {
			mg.mu.Unlock()
			return nil, nil, engine.ErrClosed
		}
		if e, ok := mg.loaded[key]; ok && !e.unloading {
			e.refs++
			if e.timer != nil {
				e.timer.Stop()
				e.timer = nil
			}
			if keepAlive != nil {
				e.keepAlive = *keepAlive
			}
			mg.mu.Unlock()
			return e.m, mg.releaser(key, e), nil
		}
		if call, ok := mg.loading[key]; ok {
			mg.mu.Unlock()
			select {
			case <-call.done:
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			}
			if call.err != nil {
				return nil, nil, call.err
			}
			continue
		}
		call := &loadCall{done: make(chan struct{})}
		mg.loading[key] = call
		mg.mu.Unlock()
		e, err := mg.load(info)
		mg.mu.Lock()
		delete(mg.loading, key)
		if err == nil {
			e.keepAlive = mg.cfg.KeepAlive
			if keepAlive != nil {
				e.keepAlive = *keepAlive
			}
			e.lastUsed = time.Now()
			mg.loaded[key] = e
		}
		call.e, call.err = e, err
		close(call.done)
		mg.mu.Unlock()
		if err != nil {
			return nil, nil, err
		}
	}
}

func (mg *manager) releaser(key string, e *entry) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			mg.mu.Lock()
			defer mg.mu.Unlock()
			e.refs--
			e.lastUsed = time.Now()
			if e.refs > 0 || e.unloading {
				return
			}
			switch {
			case e.keepAlive == 0:
				mg.unloadLocked(key, e)
			case e.keepAlive > 0:
				e.timer = time.AfterFunc(e.keepAlive, func() {
					mg.mu.Lock()
					defer mg.mu.Unlock()
					if cur, ok := mg.loaded[key]; ok && cur == e && e.refs == 0 && time.Since(e.lastUsed) >= e.keepAlive {
						mg.unloadLocked(key, e)
					}
				})
			}
		})
	}
}

// unloadLocked removes e and closes it in the background (its engine
// drains first). mg.mu is held.
func (mg *manager) unloadLocked(key string, e *entry) {
	if e.unloading {
		return
	}
	e.unloading = true
	delete(mg.loaded, key)
	if e.timer != nil {
		e.timer.Stop()
	}
	go closeModel(e.m)
}

func closeModel(m *backend.Model) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = m.Engine.Close(ctx)
	if mm := m.Engine.Model(); mm != nil {
		_ = mm.Close()
	}
}

// unload drops a model once it is idle.
func (mg *manager) unload(name string) error {
	mg.mu.Lock()
	defer mg.mu.Unlock()
	for key, e := range mg.loaded {
		if key == name || e.m.Info.Path == name {
			if e.refs == 0 {
				mg.unloadLocked(key, e)
			} else {
				e.keepAlive = 0
			}
			return nil
		}
	}
	return nil
}

// estimate is the memory a model will take before it is loaded.
func (mg *manager) estimate(info backend.Info) int64 {
	return info.Size + mg.cfg.KVMemory
}

// makeRoom evicts idle models, least recently used first, until need
// bytes fit the budget. mg.mu is held.
func (mg *manager) makeRoom(need int64) error {
	if mg.cfg.MemoryBudget <= 0 {
		return nil
	}
	for {
		var used int64
		var victim string
		var oldest time.Time
		for key, e := range mg.loaded {
			used += e.memory
			if e.refs == 0 && (victim == "" || e.lastUsed.Before(oldest)) {
				victim, oldest = key, e.lastUsed
			}
		}
		if used+need <= mg.cfg.MemoryBudget {
			return nil
		}
		if victim == "" {
			return fmt.Errorf("loading needs about %s but %s of the %s budget is held by models in use: %w",
				hub.FormatSize(need), hub.FormatSize(used), hub.FormatSize(mg.cfg.MemoryBudget), backend.ErrBudget)
		}
		mg.unloadLocked(victim, mg.loaded[victim])
	}
}

// load reads a model's weights, tokenizer and chat template and starts its
// engine.
func (mg *manager) load(info backend.Info) (*entry, error) {
	need := mg.estimate(info)
	if b := mg.cfg.MemoryBudget; b > 0 && need > b {
		return nil, fmt.Errorf("model %s needs about %s, more than the whole memory budget of %s: %w", info.Name, hub.FormatSize(need), hub.FormatSize(b), backend.ErrUnsupported)
	}
	mg.mu.Lock()
	err := mg.makeRoom(need)
	mg.mu.Unlock()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	m, err := model.LoadWith(info.Path, model.LoadOptions{NoMmap: mg.cfg.NoMmap})
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", info.Name, err)
	}
	tok, err := tokenizer.Load(info.Path)
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("load tokenizer of %s: %w", info.Name, err)
	}
	if tok.VocabSize() > m.Config.VocabSize {
		m.Close()
		return nil, fmt.Errorf("model %s: tokenizer has %d tokens but the model only %d", info.Name, tok.VocabSize(), m.Config.VocabSize)
	}
	bm := &backend.Model{Name: info.Name, Specials: tok.SpecialTokenStrings()}
	if src, err := chat.Load(info.Path); err == nil && src.Template != "" {
		tpl, err := chat.New(src.Template, info.Name)
		if err != nil {
			m.Close()
			return nil, fmt.Errorf("chat template of %s: %w", info.Name, err)
		}
		bm.Template = tpl
		for k, v := range src.SpecialTokens {
			bm.Specials[k] = v
		}
		info.Template = src.Template
	}
	info.Arch = m.Config.Arch
	info.Family = backend.ToolFamily(info.Template, info.Arch)
	bm.Family = info.Family
	info.Params = m.ParamCount()
	if info.Quant == "" {
		info.Quant = m.WeightType()
	}
	ecfg := engine.Config{MaxRunning: mg.cfg.Parallel, MaxQueue: mg.cfg.MaxQueue, KVMemory: mg.cfg.KVMemory, KVType: mg.cfg.KVType, SwapSpace: mg.cfg.SwapSpace, Context: mg.cfg.Context, Threads: mg.cfg.Threads}
	factory := mg.cfg.NewEngine
	if factory == nil {
		factory = DefaultEngine
	}
	eng, err := factory(m, tok, ecfg)
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("start engine for %s: %w", info.Name, err)
	}
	bm.Engine = eng
	info.Context = eng.Context()
	info.Loaded = true
	info.LoadedAt = time.Now()
	bm.Info = info
	mem := m.WeightBytes()
	if c, ok := eng.(interface{ Config() engine.Config }); ok {
		mem += c.Config().KVMemory
	} else {
		mem += mg.cfg.KVMemory
	}
	mem += mg.cfg.SwapSpace // filled only under memory pressure, but it may be
	bm.Info.Memory = mem
	mg.cfg.logf("loaded %s (%s, %s) in %s", info.Name, info.Arch, hub.FormatSize(mem), time.Since(start).Round(time.Millisecond))
	if trained := m.Config.ContextLen; trained > 0 && info.Context > trained {
		mg.cfg.logf("warning: %s: context %d is beyond the %d tokens the model was trained for; quality may drop past that", info.Name, info.Context, trained)
	}
	return &entry{m: bm, memory: mem}, nil
}

// close drains and closes every model.
func (mg *manager) close(ctx context.Context) {
	mg.mu.Lock()
	mg.closed = true
	entries := make([]*entry, 0, len(mg.loaded))
	for key, e := range mg.loaded {
		entries = append(entries, e)
		delete(mg.loaded, key)
		if e.timer != nil {
			e.timer.Stop()
		}
	}
	mg.mu.Unlock()
	var wg sync.WaitGroup
	for _, e := range entries {
		wg.Go(func() {
			_ = e.m.Engine.Close(ctx)
			if mm := e.m.Engine.Model(); mm != nil {
				_ = mm.Close()
			}
		})
	}
	wg.Wait()
}
