package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nuri-ai/nuri/kernels"
	"github.com/nuri-ai/nuri/model"
	"github.com/spf13/cobra"
)

func init() {
	var (
		ids     string
		greedy  int
		out     string
		threads int
	)
	cmd := &cobra.Command{
		Use:   "logits MODEL --ids 1,17,300 [--greedy N] --out FILE.safetensors",
		Short: "Write the model's logits for given token ids (for checks and debugging)",
		Long: `Logits feeds the token ids exactly as given (no BOS is added) to the model in
one forward pass and writes the logits of every position to a safetensors
file:

  logits         float32 [n_tokens, n_vocab]  row i = logits after token i

With --greedy N it then continues greedily for N tokens, one token per step
through the KV cache, and also writes:

  greedy_ids     int64   [N]           greedy_ids[0] = argmax(logits[n-1])
  greedy_logits  float32 [N, n_vocab]  row k = the logits greedy_ids[k] came from

MODEL is a GGUF file or a Hugging Face model folder. The layout is the one of
Nuri's golden test fixtures, so outputs can be compared with a reference
implementation directly.`,
		Example: `  nuri logits model.gguf --ids 1,17,300,42 --greedy 16 --out logits.safetensors`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("--out is required")
			}
			var tokens []int32
			for _, f := range strings.Split(ids, ",") {
				f = strings.TrimSpace(f)
				if f == "" {
					continue
				}
				v, err := strconv.ParseInt(f, 10, 32)
				if err != nil {
					return fmt.Errorf("--ids: %q is not a token id", f)
				}
				tokens = append(tokens, int32(v))
			}
			if len(tokens) == 0 {
				return fmt.Errorf("--ids: no token ids given")
			}
			m, err := model.Load(args[0])
			if err != nil {
				return err
			}
			defer m.Close()
			pool := kernels.NewPool(threads)
			defer pool.Close()
			m.SetPool(pool)
			s, err := m.Score(tokens, greedy)
			if err != nil {
				return err
			}
			return s.WriteSafetensors(out, m.Config.VocabSize)
		},
	}
	cmd.Flags().StringVar(&ids, "ids", "", "comma-separated token ids to feed, as given")
	cmd.Flags().IntVar(&greedy, "greedy", 0, "also generate this many tokens greedily")
	cmd.Flags().StringVar(&out, "out", "", "output safetensors file")
	cmd.Flags().IntVarP(&threads, "threads", "t", 0, "threads (0 = one per physical core)")
	rootCmd.AddCommand(cmd)
}
