// Command nuri runs open-weight language models on your own machine and serves
// them behind the OpenAI, Anthropic and Ollama APIs.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// rootCmd is the top of the command tree. Each subcommand lives in its own
// file and adds itself in an init function.
var rootCmd = &cobra.Command{
	Use:           "nuri",
	Short:         "Run open-weight language models locally, exactly and fast",
	Version:       version,
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	if err := rootCmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "nuri:", err)
		os.Exit(1)
	}
}
