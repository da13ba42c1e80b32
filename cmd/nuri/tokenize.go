package main

import (
	"github.com/nuri-ai/nuri/tokenizer"
	"github.com/spf13/cobra"
)

func init() {
	var special bool
	tokenizeCmd := &cobra.Command{
		Use:   "tokenize SOURCE",
		Short: "Turn text into token ids (JSON lines on stdin and stdout)",
		Long: `Tokenize reads JSON lines {"text": "..."} on standard input and writes one
{"ids": [...]} line per input line, in order.

SOURCE is a GGUF file, a Hugging Face model folder, or any folder holding
tokenizer.json (and optionally tokenizer_config.json).

Strings of special tokens inside the text (such as <|im_start|>) are read as
those tokens. With --special the tokens the tokenizer's post-processor adds
(such as BOS) are added too; without it, only the text's own tokens are
written.`,
		Example: `  echo '{"text": "Hello, world"}' | nuri tokenize ./Qwen3-8B
  nuri tokenize --special model.gguf < prompts.jsonl`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tok, err := tokenizer.Load(args[0])
			if err != nil {
				return err
			}
			return tok.TokenizeJSONL(cmd.InOrStdin(), cmd.OutOrStdout(), special)
		},
	}
	tokenizeCmd.Flags().BoolVar(&special, "special", false, "add the special tokens of the tokenizer's post-processor (such as BOS)")

	detokenizeCmd := &cobra.Command{
		Use:   "detokenize SOURCE",
		Short: "Turn token ids back into text (JSON lines on stdin and stdout)",
		Long: `Detokenize reads JSON lines {"ids": [...]} on standard input and writes one
{"text": "..."} line per input line, in order. Special tokens are kept in
the text; spaces are cleaned up as the tokenizer's configuration says.

SOURCE is a GGUF file, a Hugging Face model folder, or any folder holding
tokenizer.json (and optionally tokenizer_config.json).`,
		Example: `  echo '{"ids": [9707, 11, 1879]}' | nuri detokenize ./Qwen3-8B`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tok, err := tokenizer.Load(args[0])
			if err != nil {
				return err
			}
			return tok.DetokenizeJSONL(cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	rootCmd.AddCommand(tokenizeCmd, detokenizeCmd)
}
