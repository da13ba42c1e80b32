package main

import (
	"fmt"
	"os"

	"github.com/nuri-ai/nuri/chat"
	"github.com/spf13/cobra"
)

func init() {
	var name string
	cmd := &cobra.Command{
		Use:   "template SOURCE",
		Short: "Render a model's chat template for conversations read as JSON lines",
		Long: `Render a model's own chat template (Jinja) for conversations read from
standard input, one JSON object per line, and write one JSON object per line.

SOURCE is a GGUF file (tokenizer.chat_template), a Hugging Face model folder,
or a folder holding tokenizer_config.json (chat_template.jinja and
chat_template.json beside it are used too; list-form templates give
"default", or the one named with --name).

Each input line:

  {"messages": [...], "tools": [...] | null, "add_generation_prompt": true,
   "bos_token": "<s>" | null, "eos_token": "</s>" | null,
   "special_tokens": {"pad_token": "..."}, "extra_vars": {"enable_thinking": false}}

Only "messages" is required. Special tokens default to the model's own; a
"special_tokens" object replaces them; "bos_token"/"eos_token", when present,
set them or (null) unset them. "extra_vars" become template variables as they
are. Object key order is kept, so tojson prints keys as written.

Each output line is {"rendered": "..."} or {"error": "..."}; an error names
the model and, where it can be found, the template line. Blank lines are
skipped.`,
		Example: `  echo '{"messages":[{"role":"user","content":"Hi"}],"add_generation_prompt":true}' | nuri template ./Qwen3-0.6B`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := chat.Load(args[0])
			if err != nil {
				return err
			}
			text := src.Template
			if name != "" {
				t, ok := src.Named[name]
				if !ok {
					return fmt.Errorf("%s has no chat template named %q", args[0], name)
				}
				text = t
			}
			tpl, err := chat.New(text, src.Name)
			if err != nil {
				return err
			}
			return chat.RenderLines(tpl, src.SpecialTokens, os.Stdin, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&name, "name", "", `which of several named templates to use (for example "tool_use")`)
	rootCmd.AddCommand(cmd)
}
