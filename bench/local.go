package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/nuri-ai/nuri/server"
	"github.com/nuri-ai/nuri/store"
)

// StartLocal starts an in-process Nuri server on a free port of 127.0.0.1
// serving the model file or folder at path, with cfg's engine settings
// (threads, KV memory and type, context, parallel sequences, swap space, no
// mmap). It keeps no database: accounts and usage live in memory. It
// returns the server's base URL and the model's name; stop shuts it down.
func StartLocal(ctx context.Context, path string, cfg server.Config) (url, model string, stop func(), err error) {
	st, err := store.Open(ctx, ":memory:")
	if err != nil {
		return "", "", nil, fmt.Errorf("bench serve: in-memory database: %w", err)
	}
	cfg.Models = []string{path}
	cfg.Store = st
	cfg.NoHubListing = true
	cfg.KeepAlive = -1
	cfg.APIKey = ""
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	s, err := server.New(ctx, cfg)
	if err != nil {
		_ = st.Close()
		return "", "", nil, fmt.Errorf("bench serve: start server on %s: %w", path, err)
	}
	running := s.Running()
	if len(running) == 0 {
		s.Close(context.Background())
		_ = st.Close()
		return "", "", nil, fmt.Errorf("bench serve: %s did not load", path)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Close(context.Background())
		_ = st.Close()
		return "", "", nil, fmt.Errorf("bench serve: listen: %w", err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(sctx, l) }()
	stop = func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				cfg.Logf("bench serve: server stopped: %v", err)
			}
		case <-time.After(time.Minute):
		}
		_ = st.Close()
	}
	return "http://" + l.Addr().String(), running[0].Name, stop, nil
}
