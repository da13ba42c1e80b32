package main

import (
	"fmt"

	"github.com/nuri-ai/nuri/hub"
	"github.com/spf13/cobra"
)

var rmCmd = &cobra.Command{
	Use:   "rm NAME...",
	Short: "Remove downloaded models from the local caches",
	Args:  cobra.MinimumNArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		for _, name := range args {
			if err := hub.Remove(name); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed %s\n", name)
		}
		return nil
	},
}

func init() { rootCmd.AddCommand(rmCmd) }
