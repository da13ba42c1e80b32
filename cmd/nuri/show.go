package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nuri-ai/nuri/chat"
	"github.com/nuri-ai/nuri/gguf"
	"github.com/nuri-ai/nuri/hub"
	"github.com/nuri-ai/nuri/model"
	"github.com/spf13/cobra"
)

func init() {
	var (
		ctxLen   int
		kvType   string
		batch    int
		template bool
	)
	cmd := &cobra.Command{
		Use:   "show MODEL",
		Short: "Describe a model: architecture, size, quantization, context, template, memory plan",
		Long: `Show prints what a model is and what running it costs: architecture, parameter
count, weight type and size, trained context length, license, chat template, and
a memory plan for one sequence of --ctx tokens: weights + KV cache (per token
and total, for the --kv-type element type; sliding-window layers hold only their
window and one step of positions, and the plan says how much that saves) +
scratch for forward steps of --batch tokens.

MODEL is a file, a folder, or the name of a downloaded model (see 'nuri list');
show never downloads.`,
		Example: `  nuri show ./Llama-3.2-1B-Instruct-Q4_K_M.gguf --ctx 131072 --kv-type q8_0`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := resolveModel(context.Background(), args[0], false)
			if err != nil {
				return err
			}
			m, err := model.Load(path)
			if err != nil {
				return err
			}
			defer m.Close()
			c := &m.Config
			out := cmd.OutOrStdout()
			gb := hub.FormatSize
			fmt.Fprintf(out, "  name            %s\n", c.Name)
			fmt.Fprintf(out, "  architecture    %s\n", c.Arch)
			fmt.Fprintf(out, "  parameters      %s\n", params(m.ParamCount()))
			fmt.Fprintf(out, "  weights         %s, %s (%s)\n", m.WeightType(), gb(m.WeightBytes()), m.Format)
			fmt.Fprintf(out, "  layers          %d (hidden %d, FFN %d, heads %d, KV heads %d, head dim %d)\n", c.Layers, c.Hidden, c.FFN, c.Heads, c.KVHeads, c.HeadDim)
			if c.Experts > 0 {
				fmt.Fprintf(out, "  experts         %d, %d per token\n", c.Experts, c.ExpertsUsed)
			}
			fmt.Fprintf(out, "  context length  %d\n", c.ContextLen)
			if c.RopeScaling.Type != "" {
				fmt.Fprintf(out, "  rope scaling    %s ×%g\n", c.RopeScaling.Type, c.RopeScaling.Factor)
			}
			if lic := license(path); lic != "" {
				fmt.Fprintf(out, "  license         %s\n", lic)
			}
			if ctxLen <= 0 {
				ctxLen = c.ContextLen
			}
			kt, err := model.ParseKVType(strings.ToLower(kvType))
			if err != nil {
				return err
			}
			p := m.Plan(ctxLen, kt, batch)
			fmt.Fprintf(out, "\nmemory at %d tokens (KV %s):\n", ctxLen, p.KVType)
			fmt.Fprintf(out, "  weights         %s\n", gb(p.Weights))
			fmt.Fprintf(out, "  KV cache        %s (%.1f KiB per token)\n", gb(p.KV), p.KVPerToken/1024)
			if p.KVSavedByWindows > 0 {
				fmt.Fprintf(out, "                  sliding-window layers keep their window only: %s less\n", gb(p.KVSavedByWindows))
			}
			fmt.Fprintf(out, "  scratch         %s (steps of %d tokens)\n", gb(p.Scratch), p.Batch)
			fmt.Fprintf(out, "  total           %s\n", gb(p.Total))
			if c.ContextLen > 0 && ctxLen > c.ContextLen {
				fmt.Fprintf(out, "  warning: %d tokens is beyond the %d the model was trained for\n", ctxLen, c.ContextLen)
			}
			if src, err := chat.Load(path); err == nil && src.Template != "" {
				if template {
					fmt.Fprintf(out, "\nchat template:\n%s\n", src.Template)
				} else {
					fmt.Fprintf(out, "\nchat template    %d characters (--template prints it)\n", len(src.Template))
				}
			} else {
				fmt.Fprintf(out, "\nchat template    none (prompts are continued as plain text)\n")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&ctxLen, "ctx", 0, "context length to plan for (0 = the model's)")
	f.StringVar(&kvType, "kv-type", "auto", "KV cache element type: f32, f16, q8_0, or auto (f16 below 32K tokens, q8_0 from there)")
	f.IntVar(&batch, "batch", 512, "tokens per forward step")
	f.BoolVar(&template, "template", false, "print the chat template")
	rootCmd.AddCommand(cmd)
}

// license reads the model's license: GGUF general.license, or the license
// line of a Hugging Face model card's front matter.
func license(path string) string {
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		if f, err := gguf.Open(path); err == nil {
			defer f.Close()
			s, _ := f.String("general.license")
			return s
		}
		return ""
	}
	f, err := os.Open(filepath.Join(path, "README.md"))
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for i := 0; sc.Scan() && i < 60; i++ {
		if v, ok := strings.CutPrefix(sc.Text(), "license:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// params writes a parameter count as people say it (1.24B, 494M, 82K).
func params(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
