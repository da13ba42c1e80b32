package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nuri-ai/nuri/hub"
)

// PSModel is one loaded model as /api/ps reports it.
type PSModel struct {
	Name          string    `json:"name"`
	Size          int64     `json:"size"`
	ExpiresAt     time.Time `json:"expires_at"`
	ContextLength int       `json:"context_length"`
	Details       struct {
		Family            string `json:"family"`
		ParameterSize     string `json:"parameter_size"`
		QuantizationLevel string `json:"quantization_level"`
	} `json:"details"`
}

// Running asks the server at baseURL (http://host:port) which models are
// loaded. apiKey, when set, is sent as a bearer token.
func Running(ctx context.Context, baseURL, apiKey string) ([]PSModel, error) {
	u := strings.TrimRight(baseURL, "/") + "/api/ps"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("ps: %w", err)
	}
	if apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+apiKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("is the server running? (start it with: nuri serve): %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("ps: reading %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("ps: %s answered %s: %s", u, resp.Status, strings.TrimSpace(string(body)))
	}
	var out struct {
		Models []PSModel `json:"models"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("ps: %s: %w", u, err)
	}
	return out.Models, nil
}

// WritePS prints loaded models as a table.
func WritePS(w io.Writer, models []PSModel, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSIZE\tCONTEXT\tPARAMS\tQUANT\tUNTIL")
	for _, m := range models {
		until := "forever"
		if d := m.ExpiresAt.Sub(now); d < 50*365*24*time.Hour {
			until = "in " + d.Round(time.Second).String()
			if d <= 0 {
				until = "idle, unloading"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", m.Name, hub.FormatSize(m.Size), m.ContextLength, m.Details.ParameterSize, m.Details.QuantizationLevel, until)
	}
	return tw.Flush()
}
