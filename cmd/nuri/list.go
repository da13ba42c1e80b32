package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/nuri-ai/nuri/hub"
	"github.com/spf13/cobra"
)

var listCmd = &cobra.Command{
	Use:     "list",
	Aliases: []string{"ls"},
	Short:   "List downloaded models",
	Args:    cobra.NoArgs,
	RunE: func(cmd *cobra.Command, args []string) error {
		models, err := hub.List()
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tFORMAT\tSIZE\tMODIFIED\tPATH")
		for _, m := range models {
			mod := ""
			if !m.ModifiedAt.IsZero() {
				mod = m.ModifiedAt.Local().Format("2006-01-02 15:04")
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", m.Name, m.Format, hub.FormatSize(m.Size), mod, m.Path)
		}
		return w.Flush()
	},
}

func init() { rootCmd.AddCommand(listCmd) }
