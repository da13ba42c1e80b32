package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/nuri-ai/nuri/bench"
	"github.com/nuri-ai/nuri/model"
	"github.com/nuri-ai/nuri/server"
	"github.com/spf13/cobra"
)

// newBenchServeCmd is `nuri bench serve`, added to the bench command.
func newBenchServeCmd() *cobra.Command {
	var (
		opt                         bench.ServeOptions
		cfg                         server.Config
		asJSON                      bool
		kvMemory, kvType, swapSpace string
	)
	cmd := &cobra.Command{
		Use:   "serve [MODEL]",
		Short: "Measure a server under concurrent streaming load",
		Long: `Serve benchmarks an OpenAI-compatible server: at each concurrency level
(--concurrency, default 1,4,8,16) that many streams each send streamed
/v1/completions requests with a prompt of random words of about
--prompt-tokens tokens, asking for exactly --gen tokens (max_tokens with
ignore_eos, temperature 0). Per level it prints the aggregate generation
speed (completion tokens ÷ wall time), the time to first token (mean, p50,
p90; measured at the first streamed text), the mean time between tokens,
the prompt length the server counted and the errors. A warm-up request comes
first and tunes the number of words to the token target.

With --url it measures that server (Nuri, or any server with the OpenAI
API); --model names the model (default: the first one /v1/models lists).
Without --url it starts Nuri in this process on the MODEL file, listening on
a free local port, with the engine flags given here (as 'nuri serve' takes
them).`,
		Example: `  nuri bench serve qwen3-1.7b-q4_0.gguf -t 2 --no-mmap
  nuri bench serve --url http://127.0.0.1:8080 --concurrency 1,4 --gen 64 --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			switch {
			case opt.URL == "" && len(args) == 0:
				return errors.New("give a MODEL file to serve here, or --url of a running server")
			case opt.URL != "" && len(args) > 0:
				return errors.New("give either a MODEL file or --url, not both")
			}
			if opt.URL == "" {
				var err error
				if cfg.KVMemory, err = server.ParseSize(kvMemory); err != nil {
					return fmt.Errorf("--kv-memory: %w", err)
				}
				if cfg.SwapSpace, err = server.ParseSize(swapSpace); err != nil {
					return fmt.Errorf("--swap-space: %w", err)
				}
				if cfg.KVType, err = model.ParseKVType(kvType); err != nil {
					return fmt.Errorf("--kv-type: %w", err)
				}
				url, name, stopServer, err := bench.StartLocal(ctx, args[0], cfg)
				if err != nil {
					return err
				}
				defer stopServer()
				opt.URL = url
				if opt.Model == "" {
					opt.Model = name
				}
			}
			rep, err := bench.RunServe(ctx, opt)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			rep.Print(cmd.OutOrStdout())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.URL, "url", "", "base URL of a running OpenAI-compatible server (default: serve MODEL in this process)")
	f.StringVar(&opt.Model, "model", "", "model name to request (default: the first one the server lists)")
	f.StringVar(&opt.APIKey, "api-key", os.Getenv("NURI_API_KEY"), "API key sent as a bearer token [$NURI_API_KEY]")
	f.IntSliceVarP(&opt.Concurrency, "concurrency", "c", []int{1, 4, 8, 16}, "concurrency levels: streams at once")
	f.IntVarP(&opt.PromptTokens, "prompt-tokens", "p", 32, "prompt length in tokens (approximate: random words)")
	f.IntVarP(&opt.Gen, "gen", "n", 128, "tokens generated per request")
	f.IntVarP(&opt.Requests, "requests", "r", 1, "requests each stream sends one after another per level")
	f.Uint64Var(&opt.Seed, "seed", 1, "seed of the prompt words")
	f.DurationVar(&opt.Timeout, "timeout", 10*time.Minute, "time limit per level")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	f.IntVarP(&cfg.Threads, "threads", "t", 0, "in-process server: compute threads (0 = one per physical core)")
	f.StringVar(&kvMemory, "kv-memory", "", "in-process server: KV cache memory, e.g. 4GiB (default: the engine's share of free memory)")
	f.StringVar(&kvType, "kv-type", "auto", "in-process server: KV cache element type: f32, f16, q8_0 or auto")
	f.IntVar(&cfg.Context, "ctx", 0, "in-process server: context per sequence (0 = the model's)")
	f.IntVar(&cfg.Parallel, "parallel", 0, "in-process server: sequences decoded at once (0 = 64)")
	f.StringVar(&swapSpace, "swap-space", "0", "in-process server: swap area for preempted sequences, e.g. 1GiB (0 = recompute them)")
	f.BoolVar(&cfg.NoMmap, "no-mmap", false, "in-process server: copy the weights into RAM")
	return cmd
}
