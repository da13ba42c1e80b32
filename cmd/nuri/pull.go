package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/nuri-ai/nuri/hub"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

var pullCmd = &cobra.Command{
	Use:   "pull NAME...",
	Short: "Download models from Hugging Face or an Ollama registry",
	Long: `Download models into the local caches.

NAME is one of:
  ORG/REPO[:QUANT] or hf.co/ORG/REPO[:QUANT]   Hugging Face: the GGUF file for QUANT
                                               (default Q4_K_M), or the safetensors folder
  MODEL[:TAG] or ollama.com/library/MODEL:TAG  Ollama registry
  a path to a .gguf file or model folder       used in place

Hugging Face files go to the standard Hugging Face cache ($HF_HUB_CACHE, else
$HF_HOME/hub, else ~/.cache/huggingface/hub); Ollama models go to $OLLAMA_MODELS,
else ~/.ollama/models. HF_TOKEN, HF_ENDPOINT and HF_HUB_OFFLINE are honoured.
An interrupted download resumes when the same command is run again.`,
	Args: cobra.MinimumNArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		c := hub.NewClientFromEnv()
		c.Progress = hub.NewProgressPrinter(cmd.ErrOrStderr(), term.IsTerminal(int(os.Stderr.Fd())))
		for _, name := range args {
			ref, err := hub.ParseRef(name)
			if err != nil {
				return err
			}
			m, err := c.Pull(ctx, ref)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s (%s) %s\n", m.Name, hub.FormatSize(m.Size), m.Path)
		}
		return nil
	},
}

func init() { rootCmd.AddCommand(pullCmd) }
