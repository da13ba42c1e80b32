package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/nuri-ai/nuri/engine"
	"github.com/nuri-ai/nuri/hub"
	"github.com/nuri-ai/nuri/kernels"
	"github.com/nuri-ai/nuri/sample"
	"github.com/nuri-ai/nuri/session"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// defaultModel is what `nuri run` uses without a NAME: Kakao's Kanana 1.5
// 2.1B instruct model (Apache-2.0), small enough for a laptop CPU and fluent
// in Korean and English.
const defaultModel = "kakaocorp/kanana-1.5-2.1b-instruct-2505"

func init() {
	var (
		p        sample.Params
		maxTok   int
		ctxLen   int
		threads  int
		raw      bool
		system   string
		noPull   bool
		seedFlag int64
	)
	cmd := &cobra.Command{
		Use:   "run [MODEL] [PROMPT]",
		Short: "Chat with a model in the terminal, or answer one prompt",
		Long: `Run loads a model and chats with it. MODEL is a GGUF file, a Hugging Face
model folder, a Hugging Face repository (ORG/REPO[:QUANT], hf.co/ORG/REPO) or
an Ollama model (MODEL:TAG); models not yet on this machine are pulled first.
Without MODEL, ` + defaultModel + ` is used.

With PROMPT (or text on standard input that is not a terminal) it answers once
and exits. Otherwise it opens an interactive chat: /help lists commands,
/bye leaves, Ctrl-C stops an answer, and """ starts a multi-line message.

The model's own chat template formats the conversation; --raw continues the
text as given instead (also the behaviour for models without a template).`,
		Example: `  nuri run ./model.gguf "Hello"
  nuri run Qwen/Qwen2.5-1.5B-Instruct-GGUF:Q4_K_M
  echo "요약해 주세요: ..." | nuri run gemma3:1b
  nuri run ./model.gguf --temperature 0 --raw "Once upon a time"`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			name := defaultModel
			if len(args) > 0 {
				name = args[0]
			}
			path, err := resolveModel(ctx, name, !noPull)
			if err != nil {
				return err
			}
			l, err := session.Open(path)
			if err != nil {
				return err
			}
			defer l.Close()
			pool := kernels.NewPool(threads)
			defer pool.Close()
			l.Model.SetPool(pool)
			if cmd.Flags().Changed("seed") {
				p.Seed = uint64(seedFlag)
			} else {
				p.Seed = uint64(os.Getpid())
			}
			c := &session.Chat{L: l, Raw: raw, System: system,
				Options: engine.GenerateOptions{MaxTokens: maxTok, Sampling: p, Context: ctxLen}}
			out := cmd.OutOrStdout()
			var prompt string
			if len(args) > 1 {
				prompt = args[1]
			} else if f, ok := cmd.InOrStdin().(*os.File); ok && !term.IsTerminal(int(f.Fd())) {
				b, err := io.ReadAll(f)
				if err != nil {
					return err
				}
				prompt = strings.TrimSpace(string(b))
				if prompt == "" {
					return fmt.Errorf("no prompt on standard input")
				}
			}
			if prompt != "" {
				if _, err := c.Send(ctx, prompt, out); err != nil {
					if errors.Is(err, context.Canceled) {
						fmt.Fprintln(out)
						return nil
					}
					return err
				}
				fmt.Fprintln(out)
				return nil
			}
			// Interactive: Ctrl-C interrupts an answer instead of quitting.
			stop()
			sig := make(chan os.Signal, 1)
			signal.Notify(sig, os.Interrupt)
			defer signal.Stop(sig)
			interrupt := make(chan struct{})
			go func() {
				for range sig {
					interrupt <- struct{}{}
				}
			}()
			return session.REPL(context.Background(), c, cmd.InOrStdin(), out, interrupt)
		},
	}
	f := cmd.Flags()
	f.Float32Var(&p.Temperature, "temperature", 0.8, "sampling temperature; 0 = greedy (exactly the reference tokens)")
	f.IntVar(&p.TopK, "top-k", 40, "sample from the K most likely tokens (0 = all)")
	f.Float32Var(&p.TopP, "top-p", 0.9, "nucleus sampling threshold (1 = off)")
	f.Float32Var(&p.MinP, "min-p", 0.0, "drop tokens below this fraction of the top probability")
	f.Float32Var(&p.RepeatPenalty, "repeat-penalty", 1.0, "penalty for repeated tokens (1 = off)")
	f.Float32Var(&p.PresencePenalty, "presence-penalty", 0, "subtract from tokens already present")
	f.Float32Var(&p.FrequencyPenalty, "frequency-penalty", 0, "subtract per occurrence of a token")
	f.Int64Var(&seedFlag, "seed", 0, "random seed (same seed, same output)")
	f.IntVarP(&maxTok, "num-predict", "n", 0, "stop after this many tokens (0 = until the model stops or the context is full)")
	f.IntVar(&ctxLen, "ctx", 0, "context length in tokens (0 = the model's, at most 8192 here)")
	f.IntVarP(&threads, "threads", "t", 0, "threads (0 = one per physical core)")
	f.BoolVar(&raw, "raw", false, "continue the prompt as plain text, without the chat template")
	f.StringVar(&system, "system", "", "system prompt")
	f.BoolVar(&noPull, "no-pull", false, "never download; fail if the model is not on this machine")
	rootCmd.AddCommand(cmd)
}

// resolveModel turns a model name into a local path, pulling it if allowed.
func resolveModel(ctx context.Context, name string, pull bool) (string, error) {
	if _, err := os.Stat(name); err == nil {
		return name, nil
	}
	c := hub.NewClientFromEnv()
	m, err := c.Resolve(ctx, name, pull)
	if err != nil {
		return "", err
	}
	return m.Path, nil
}
