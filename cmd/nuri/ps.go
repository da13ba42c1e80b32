package main

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nuri-ai/nuri/server"
	"github.com/spf13/cobra"
)

func init() {
	var (
		host, apiKey string
		port         int
	)
	cmd := &cobra.Command{
		Use:   "ps",
		Short: "List the models a running server has loaded",
		Long: `Ps asks a running 'nuri serve' which models it has loaded, how much memory
each takes and when it will be unloaded. It reads the same NURI_HOST,
NURI_PORT and NURI_API_KEY variables as the server.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyEnv(cmd.Flags()); err != nil {
				return err
			}
			if host == "0.0.0.0" || host == "::" {
				host = "127.0.0.1"
			}
			base := "http://" + net.JoinHostPort(host, strconv.Itoa(port))
			models, err := server.Running(cmd.Context(), base, apiKey)
			if err != nil {
				return err
			}
			if len(models) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no models loaded")
				return nil
			}
			return server.WritePS(cmd.OutOrStdout(), models, time.Now())
		},
	}
	f := cmd.Flags()
	f.StringVar(&host, "host", "127.0.0.1", "server address")
	f.IntVar(&port, "port", server.DefaultPort, "server port")
	f.StringVar(&apiKey, "api-key", "", "API key, if the server needs one")
	documentEnv(f)
	rootCmd.AddCommand(cmd)
}
