package chat

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixtureRow is one line of testdata/tokenizers/chat_<name>_<split>.jsonl.
type fixtureRow struct {
	Name                string                     `json:"name"`
	Messages            json.RawMessage            `json:"messages"`
	Tools               json.RawMessage            `json:"tools"`
	AddGenerationPrompt bool                       `json:"add_generation_prompt"`
	SpecialTokens       map[string]string          `json:"special_tokens"`
	ExtraVars           map[string]json.RawMessage `json:"extra_vars"`
	Rendered            *string                    `json:"rendered"`
	Error               string                     `json:"error"`
}

const tokenizerFixtures = "../testdata/tokenizers"

func readFixtureRows(t *testing.T, path string) []fixtureRow {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	var rows []fixtureRow
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var r fixtureRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		rows = append(rows, r)
	}
	return rows
}

// TestReferenceFixtures renders every public conversation with each model's
// own template and wants the reference output byte for byte, and an error
// (the template's own raise_exception) where the reference raised.
func TestReferenceFixtures(t *testing.T) {
	for _, model := range []string{"llama3_1", "gemma3", "qwen3", "deepseek_v3"} {
		t.Run(model, func(t *testing.T) {
			src, err := FromTokenizerConfig(filepath.Join(tokenizerFixtures, model))
			if err != nil {
				t.Fatal(err)
			}
			tpl, err := New(src, model)
			if err != nil {
				t.Fatal(err)
			}
			files, _ := filepath.Glob(filepath.Join(tokenizerFixtures, "chat_"+model+"_*.jsonl"))
			if len(files) == 0 {
				t.Fatal("no fixture files")
			}
			for _, f := range files {
				for _, row := range readFixtureRows(t, f) {
					vars := map[string]any{}
					for k, v := range row.SpecialTokens {
						vars[k] = v
					}
					for k, v := range row.ExtraVars {
						vars[k] = v
					}
					in := Input{Messages: row.Messages, AddGenerationPrompt: row.AddGenerationPrompt, Vars: vars}
					if string(row.Tools) != "null" {
						in.Tools = row.Tools
					}
					got, err := tpl.Render(in)
					if row.Rendered == nil {
						var te *Error
						if !errors.As(err, &te) || !te.Raised {
							t.Errorf("%s/%s: want a raised error %q, got %q, %v", filepath.Base(f), row.Name, row.Error, got, err)
						} else if !strings.Contains(err.Error(), row.Error) || !strings.Contains(err.Error(), model) || te.Line == 0 {
							t.Errorf("%s/%s: error %q should name the model, the line and %q", filepath.Base(f), row.Name, err, row.Error)
						}
						continue
					}
					if err != nil {
						t.Errorf("%s/%s: %v", filepath.Base(f), row.Name, err)
						continue
					}
					if got != *row.Rendered {
						t.Errorf("%s/%s:\n got %q\nwant %q", filepath.Base(f), row.Name, got, *row.Rendered)
					}
				}
			}
		})
	}
}

// TestRenderLinesFixtures runs the fixture files through the line protocol
// of `nuri template`, the way a client of the command would.
func TestRenderLinesFixtures(t *testing.T) {
	for _, model := range []string{"llama3_1", "gemma3", "qwen3", "deepseek_v3"} {
		src, err := Load(filepath.Join(tokenizerFixtures, model))
		if err != nil {
			t.Fatal(err)
		}
		tpl, err := New(src.Template, src.Name)
		if err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(tokenizerFixtures, "chat_"+model+"_*.jsonl"))
		for _, f := range files {
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := RenderLines(tpl, src.SpecialTokens, bytes.NewReader(in), &out); err != nil {
				t.Fatal(err)
			}
			rows := readFixtureRows(t, f)
			results := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if len(results) != len(rows) {
				t.Fatalf("%s: %d results for %d rows", f, len(results), len(rows))
			}
			for i, line := range results {
				var res Result
				if err := json.Unmarshal([]byte(line), &res); err != nil {
					t.Fatalf("%s: result %d: %v", f, i, err)
				}
				switch {
				case rows[i].Rendered == nil:
					if res.Error == "" || res.Rendered != nil {
						t.Errorf("%s/%s: want an error, got %s", filepath.Base(f), rows[i].Name, line)
					}
				case res.Rendered == nil || *res.Rendered != *rows[i].Rendered:
					t.Errorf("%s/%s: got %s\nwant %q", filepath.Base(f), rows[i].Name, line, *rows[i].Rendered)
				}
			}
		}
	}
}
