package tokenizer

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/nuri-ai/nuri/gguf"
)

// Load opens a tokenizer from source: a GGUF file, or a folder holding
// tokenizer.json (+ tokenizer_config.json), such as a Hugging Face model
// folder.
func Load(source string) (*Tokenizer, error) {
	st, err := os.Stat(source)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if st.IsDir() {
		if _, err := os.Stat(filepath.Join(source, "tokenizer.json")); err != nil {
			return nil, fmt.Errorf("tokenizer: %s has no tokenizer.json: %w", source, err)
		}
		return LoadHF(source)
	}
	f, err := gguf.Open(source)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	defer f.Close()
	t, err := FromGGUF(f)
	if err != nil {
		return nil, fmt.Errorf("tokenizer %s: %w", source, err)
	}
	return t, nil
}

// TokenizeJSONL reads {"text": ...} lines from r and writes one
// {"ids": [...]} line per input line to w. With addSpecial the
// post-processor's tokens (BOS...) are added.
func (t *Tokenizer) TokenizeJSONL(r io.Reader, w io.Writer, addSpecial bool) error {
	return eachLine(r, w, func(n int, line []byte, enc *json.Encoder) error {
		var in struct {
			Text *string `json:"text"`
		}
		if err := json.Unmarshal(line, &in); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		if in.Text == nil {
			return fmt.Errorf("line %d: no \"text\" field", n)
		}
		ids := t.Encode(*in.Text, addSpecial)
		if ids == nil {
			ids = []int32{}
		}
		return enc.Encode(struct {
			IDs []int32 `json:"ids"`
		}{ids})
	})
}

// DetokenizeJSONL reads {"ids": [...]} lines from r and writes one
// {"text": ...} line per input line to w.
func (t *Tokenizer) DetokenizeJSONL(r io.Reader, w io.Writer) error {
	return eachLine(r, w, func(n int, line []byte, enc *json.Encoder) error {
		var in struct {
			IDs *[]int64 `json:"ids"`
		}
		if err := json.Unmarshal(line, &in); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		if in.IDs == nil {
			return fmt.Errorf("line %d: no \"ids\" field", n)
		}
		ids := make([]int32, len(*in.IDs))
		for i, id := range *in.IDs {
			if id < 0 || id >= int64(t.VocabSize()) {
				return fmt.Errorf("line %d: id %d is outside the vocabulary (size %d)", n, id, t.VocabSize())
			}
			ids[i] = int32(id)
		}
		return enc.Encode(struct {
			Text string `json:"text"`
		}{t.Decode(ids)})
	})
}

func eachLine(r io.Reader, w io.Writer, f func(int, []byte, *json.Encoder) error) error {
	br := bufio.NewReaderSize(r, 1<<16)
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			trimmed := trimEOL(line)
			if len(trimmed) > 0 {
				if ferr := f(n, trimmed, enc); ferr != nil {
					bw.Flush()
					return ferr
				}
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			bw.Flush()
			return fmt.Errorf("read input: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
