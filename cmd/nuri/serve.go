package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/nuri-ai/nuri/model"
	"github.com/nuri-ai/nuri/server"
	"github.com/nuri-ai/nuri/store"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func init() {
	var (
		cfg                                 server.Config
		keepAlive, kvMemory, kvType, memory string
		swapSpace                           string
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve models over the OpenAI, Anthropic and Ollama APIs",
		Long: `Serve starts an HTTP server with the OpenAI API (/v1/chat/completions,
/v1/completions, /v1/responses, /v1/embeddings, /v1/models), the Anthropic
Messages API (/v1/messages) and the Ollama API (/api/chat, /api/generate,
/api/embed, /api/tags, ...), plus /health and Prometheus /metrics. A chat page
for the browser is at /, and usage statistics for admins at /admin/usage.

Models are loaded on first use by the name a client sends: a model preloaded
with --model, a file or folder in --models-dir, or a model already downloaded
with 'nuri pull'. Loaded models stay warm for --keep-alive after their last
request and share the --memory budget; idle ones are unloaded when a new model
needs the room.

Every flag can also be set with an environment variable: --flag-name reads
NURI_FLAG_NAME (for example NURI_PORT=8080 or NURI_API_KEY=secret); a flag on
the command line wins.

With --api-key, or once user accounts exist (see 'nuri user'), requests must
carry a key (Authorization: Bearer KEY, or x-api-key: KEY) or come from a
logged-in page. Without accounts the server answers only this machine.`,
		Example: `  nuri serve --model ./qwen3-1.7b-q4_k_m.gguf
  nuri serve --models-dir ~/models --host 0.0.0.0 --api-key "$KEY"
  NURI_PORT=8080 nuri serve --model Qwen/Qwen3-1.7B-GGUF:Q4_K_M`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyEnv(cmd.Flags()); err != nil {
				return err
			}
			var err error
			if cfg.KeepAlive, err = server.ParseKeepAlive(keepAlive); err != nil {
				return fmt.Errorf("--keep-alive: %w", err)
			}
			if cfg.KVMemory, err = server.ParseSize(kvMemory); err != nil {
				return fmt.Errorf("--kv-memory: %w", err)
			}
			if cfg.KVType, err = model.ParseKVType(kvType); err != nil {
				return fmt.Errorf("--kv-type: %w", err)
			}
			if cfg.SwapSpace, err = server.ParseSize(swapSpace); err != nil {
				return fmt.Errorf("--swap-space: %w", err)
			}
			if memory == "" {
				cfg.MemoryBudget = server.DefaultMemoryBudget()
			} else if cfg.MemoryBudget, err = server.ParseSize(memory); err != nil {
				return fmt.Errorf("--memory: %w", err)
			}
			cfg.DatabaseURL = resolveDatabaseURL(cfg.DatabaseURL, cfg.DataDir)
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			s, err := server.New(ctx, cfg)
			if err != nil {
				return err
			}
			l, err := net.Listen("tcp", cfg.Addr())
			if err != nil {
				s.Close(context.Background())
				return fmt.Errorf("listen on %s: %w", cfg.Addr(), err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "nuri: serving on http://%s\n", l.Addr())
			return s.Serve(ctx, l)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Host, "host", "127.0.0.1", "address to listen on (0.0.0.0 for every interface)")
	f.IntVar(&cfg.Port, "port", server.DefaultPort, "port to listen on")
	f.StringArrayVarP(&cfg.Models, "model", "m", nil, "model to load at start and keep loaded: a GGUF file, model folder or model name (repeatable; the environment variable takes a comma-separated list)")
	f.StringVar(&cfg.ModelsDir, "models-dir", "", "folder of GGUF files and model folders, served by file name")
	f.StringVar(&keepAlive, "keep-alive", "5m", "how long a model stays loaded after its last request (0 = unload at once, -1 = never)")
	f.StringVar(&kvMemory, "kv-memory", "", "KV cache memory per model, e.g. 4GiB (default: the engine's share of free memory)")
	f.StringVar(&kvType, "kv-type", "auto", "KV cache element type: f32, f16, q8_0, or auto (f16 below 32K tokens of context, q8_0 above)")
	f.BoolVar(&cfg.NoMmap, "no-mmap", false, "copy model weights into RAM instead of reading them through the file mapping (steadier speed where the page cache evicts mapped pages)")
	f.StringVar(&swapSpace, "swap-space", "0", "memory per model, apart from --kv-memory, that keeps the KV cache of requests preempted when the cache is full, so they resume without recomputing, e.g. 2GiB (0 = recompute them)")
	f.StringVar(&memory, "memory", "", "memory budget for all loaded models, e.g. 24GiB (default: 3/4 of the machine's memory)")
	f.IntVar(&cfg.Context, "ctx", 0, "context length per sequence in tokens (0 = the model's)")
	f.IntVarP(&cfg.Threads, "threads", "t", 0, "compute threads per model (0 = one per physical core)")
	f.IntVar(&cfg.Parallel, "parallel", 0, "sequences decoded at once per model (0 = 64)")
	f.IntVar(&cfg.MaxQueue, "max-queue", 0, "requests waiting per model before answering 429 (0 = 256)")
	f.StringVar(&cfg.APIKey, "api-key", "", "require this API key on every API request")
	databaseFlags(f, &cfg.DatabaseURL, &cfg.DataDir)
	documentEnv(f)
	rootCmd.AddCommand(cmd)
}

// databaseFlags adds --database-url and --data-dir, shared by serve and
// user so that both find the same accounts.
func databaseFlags(f *pflag.FlagSet, url, dataDir *string) {
	f.StringVar(url, "database-url", "", "database for accounts, conversations and usage: postgres://... or sqlite://PATH (default: SQLite in --data-dir)")
	f.StringVar(dataDir, "data-dir", "", "folder for Nuri's database (default: $XDG_DATA_HOME/nuri or ~/.local/share/nuri)")
}

// resolveDatabaseURL picks the database from the flags, then their
// environment variables (NURI_DATABASE_URL, NURI_DATA_DIR), then the
// default: SQLite in Nuri's data directory.
func resolveDatabaseURL(url, dataDir string) string {
	if url != "" {
		return url
	}
	if u := os.Getenv(server.EnvName("database-url")); u != "" {
		return u
	}
	if dataDir == "" {
		dataDir = os.Getenv(server.EnvName("data-dir"))
	}
	if dataDir == "" {
		dataDir = server.DefaultDataDir()
	}
	return store.DefaultURL(dataDir)
}

// defaultDatabaseURL is the database `nuri serve` and `nuri user` use when
// no flag names one.
func defaultDatabaseURL() string { return resolveDatabaseURL("", "") }

// documentEnv adds each flag's environment variable to its help text.
func documentEnv(f *pflag.FlagSet) {
	f.VisitAll(func(fl *pflag.Flag) {
		fl.Usage += " [$" + server.EnvName(fl.Name) + "]"
	})
}

// applyEnv sets every flag not given on the command line from its
// environment variable, if that is set.
func applyEnv(f *pflag.FlagSet) error {
	var err error
	f.VisitAll(func(fl *pflag.Flag) {
		if err != nil || fl.Changed {
			return
		}
		name := server.EnvName(fl.Name)
		v, ok := os.LookupEnv(name)
		if !ok {
			return
		}
		if fl.Value.Type() == "stringArray" {
			for _, part := range splitList(v) {
				if e := fl.Value.Set(part); e != nil {
					err = fmt.Errorf("%s=%q: %w", name, v, e)
					return
				}
			}
			return
		}
		if e := fl.Value.Set(v); e != nil {
			err = fmt.Errorf("%s=%q: %w", name, v, e)
		}
	})
	return err
}

func splitList(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if part := s[start:i]; part != "" {
				out = append(out, part)
			}
			start = i + 1
		}
	}
	return out
}
