package chat

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Request is one line of input to RenderLines.
type Request struct {
	Messages            json.RawMessage            `json:"messages"`
	Tools               json.RawMessage            `json:"tools"`
	AddGenerationPrompt bool                       `json:"add_generation_prompt"`
	BOSToken            json.RawMessage            `json:"bos_token"`
	EOSToken            json.RawMessage            `json:"eos_token"`
	SpecialTokens       map[string]*string         `json:"special_tokens"`
	ExtraVars           map[string]json.RawMessage `json:"extra_vars"`
}

// Result is one line of output from RenderLines: exactly one field is set.
type Result struct {
	Rendered *string `json:"rendered,omitempty"`
	Error    string  `json:"error,omitempty"`
}

// RenderLines reads one JSON request per line from r and writes one JSON
// result per line to w. Special tokens start from defaults (usually the
// model's own, from Source.SpecialTokens); a request's special_tokens object
// replaces them, and its bos_token/eos_token fields, when present, set or
// (with null) unset those two. extra_vars are passed to the template as they
// are. Blank lines are skipped. A line that fails to parse or render gives
// an error result and the run goes on; only I/O errors stop it.
func RenderLines(t *Template, defaults map[string]string, r io.Reader, w io.Writer) error {
	br := bufio.NewReader(r)
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for lineNo := 1; ; lineNo++ {
		line, rerr := br.ReadBytes('\n')
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return fmt.Errorf("read line %d: %w", lineNo, rerr)
		}
		if len(bytes.TrimSpace(line)) > 0 {
			var res Result
			out, err := renderRequest(t, defaults, line)
			if err != nil {
				res.Error = fmt.Sprintf("line %d: %v", lineNo, err)
			} else {
				res.Rendered = &out
			}
			if err := enc.Encode(res); err != nil {
				return fmt.Errorf("write result %d: %w", lineNo, err)
			}
		}
		if rerr != nil {
			break
		}
	}
	return bw.Flush()
}

func renderRequest(t *Template, defaults map[string]string, line []byte) (string, error) {
	var req Request
	if err := json.Unmarshal(line, &req); err != nil {
		return "", fmt.Errorf("bad request JSON: %w", err)
	}
	if req.Messages == nil {
		return "", errors.New("bad request: no messages")
	}
	vars := map[string]any{}
	if req.SpecialTokens != nil {
		for k, v := range req.SpecialTokens {
			if v != nil {
				vars[k] = *v
			}
		}
	} else {
		for k, v := range defaults {
			vars[k] = v
		}
	}
	for name, raw := range map[string]json.RawMessage{"bos_token": req.BOSToken, "eos_token": req.EOSToken} {
		if raw == nil {
			continue // field absent: keep the default
		}
		var s *string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("bad request: %s must be a string or null", name)
		}
		if s == nil {
			delete(vars, name)
		} else {
			vars[name] = *s
		}
	}
	for k, v := range req.ExtraVars {
		vars[k] = v
	}
	in := Input{Messages: req.Messages, AddGenerationPrompt: req.AddGenerationPrompt, Vars: vars}
	if len(req.Tools) > 0 && !bytes.Equal(bytes.TrimSpace(req.Tools), []byte("null")) {
		in.Tools = req.Tools
	}
	return t.Render(in)
}
