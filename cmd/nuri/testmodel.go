package main

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/nuri-ai/nuri/testmodel"
	"github.com/spf13/cobra"
)

func init() {
	var (
		shape, typ, tok, out string
		seed                 uint64
		std                  float64
	)
	cmd := &cobra.Command{
		Use:   "testmodel --shape S --type T [--tokenizer DIR] --out PATH",
		Short: "Write a random-weight model of a real shape (for speed and serving tests)",
		Long: `Testmodel writes a model with random weights and the exact shape of a real
one, so that speed, memory use and serving can be tried without downloading
weights. The output is gibberish.

PATH ending in .gguf gives a GGUF file with the metadata llama.cpp's converter
writes; any other PATH gives a Hugging Face folder (config.json and
model.safetensors; f32, f16 or bf16 only).

--tokenizer DIR embeds the tokenizer (and chat template) of a folder holding
tokenizer.json and tokenizer_config.json; the vocabulary size is then the
tokenizer's. Without it a small synthetic byte-fallback vocabulary is used,
which suits the tiny shape.

Shapes: ` + strings.Join(testmodel.ShapeNames(), ", ") + `.`,
		Example: `  nuri testmodel --shape tiny --type f32 --out tiny.gguf
  nuri testmodel --shape llama-3.2-1b --type q4_k_m --tokenizer ./Llama-3.2-1B --out llama1b.gguf
  nuri testmodel --shape qwen2.5-0.5b --type bf16 --tokenizer ./Qwen2.5-0.5B --out ./qwen-random`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := testmodel.ParseType(typ)
			if err != nil {
				return err
			}
			if out == "" {
				return fmt.Errorf("testmodel: --out is required")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			start := time.Now()
			err = testmodel.Write(ctx, testmodel.Options{Shape: shape, Type: t, TokenizerDir: tok, Out: out, Seed: seed, Std: std})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%s, %s) in %s\n", out, shape, t, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&shape, "shape", "tiny", "model shape: "+strings.Join(testmodel.ShapeNames(), ", "))
	types := make([]string, len(testmodel.Types))
	for i, t := range testmodel.Types {
		types[i] = string(t)
	}
	f.StringVar(&typ, "type", "f32", "weight type: "+strings.Join(types, ", ")+" (the Hugging Face form: f32, f16, bf16)")
	f.StringVar(&tok, "tokenizer", "", "folder with tokenizer.json and tokenizer_config.json to embed")
	f.StringVar(&out, "out", "", "output: a .gguf file, or a folder for the Hugging Face form")
	f.Uint64Var(&seed, "seed", 1, "random seed")
	f.Float64Var(&std, "std", 0.02, "standard deviation of the weights")
	rootCmd.AddCommand(cmd)
}
