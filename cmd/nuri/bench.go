package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/nuri-ai/nuri/bench"
	"github.com/nuri-ai/nuri/model"
	"github.com/spf13/cobra"
)

func init() {
	var (
		opt    bench.Options
		noMap  bool
		mlock  bool
		kvType string
	)
	cmd := &cobra.Command{
		Use:   "bench MODEL",
		Short: "Measure prompt processing and generation speed (llama-bench style)",
		Long: `Bench measures prompt processing of -p tokens in one batch (ppP) and generation
of -n tokens one at a time (tgN) on random tokens, -r times each after a warm-up,
and prints tokens/s as mean ± standard deviation with the model's size, weight
type, backend and thread count. It then measures this machine's memory read
bandwidth and prints the decode roofline (bandwidth ÷ weight bytes), the speed
no CPU engine can beat for this model. Where the bandwidth a machine offers
varies over time (shared cloud hosts), compare generation with the second
figure too: the bandwidth measured just before and after each tgN run.

MODEL is a GGUF file or a Hugging Face folder; 'nuri testmodel' writes
random-weight models of real shapes for this purpose. --no-mmap copies the
weights into RAM first, which keeps the page cache from evicting them between
tokens on machines that page out file mappings eagerly.

-d D runs every test after D tokens already in the KV cache (an untimed
prefill, as llama-bench's -d), so that tgN shows generation with a long
context: the roofline then counts the KV cache each token reads too.
--kv-type chooses the cache's element type as 'nuri serve' does (auto: f16
below 32K positions, q8_0 from there).`,
		Example: `  nuri bench llama-1b-q4_0.gguf -p 512 -n 128 -t 2 -r 3 --no-mmap
  nuri bench llama-1b-q4_0.gguf -p 0 -n 64 -d 8192 --kv-type q8_0`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opt.KVType, err = model.ParseKVType(kvType); err != nil {
				return fmt.Errorf("--kv-type: %w", err)
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			m, err := model.LoadWith(args[0], model.LoadOptions{NoMmap: noMap, Mlock: mlock})
			if err != nil {
				return err
			}
			defer m.Close()
			rep, err := bench.Run(ctx, m, opt)
			if err != nil {
				return err
			}
			rep.Print(cmd.OutOrStdout())
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVarP(&opt.Prompt, "prompt", "p", 512, "prompt tokens processed in one batch (0 = skip)")
	f.IntVarP(&opt.Gen, "gen", "n", 128, "tokens generated one at a time (0 = skip)")
	f.IntVarP(&opt.Reps, "reps", "r", 5, "repetitions of each test")
	f.IntVarP(&opt.Threads, "threads", "t", 0, "threads (0 = one per physical core)")
	f.IntVarP(&opt.Depth, "depth", "d", 0, "tokens already in the KV cache before each test")
	f.StringVar(&kvType, "kv-type", "auto", "KV cache element type: f32, f16, q8_0, or auto (f16 below 32K positions, q8_0 from there)")
	f.BoolVar(&opt.Bandwidth, "bandwidth", true, "measure memory bandwidth and print the decode roofline")
	f.BoolVar(&noMap, "no-mmap", false, "copy weights into RAM instead of reading them through the file mapping")
	f.BoolVar(&mlock, "mlock", false, "pin the weights in RAM")
	cmd.AddCommand(newBenchServeCmd())
	rootCmd.AddCommand(cmd)
}
