package tokenizer

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/nuri-ai/nuri/internal/testfixtures"
)

type expectedRow struct {
	Text           string  `json:"text"`
	IDs            []int32 `json:"ids"`
	IDsWithSpecial []int32 `json:"ids_with_special"`
	Decoded        string  `json:"decoded"`
}

var (
	loadMu sync.Mutex
	loaded = map[string]*Tokenizer{}
)

// reference loads (once) one of the reference tokenizers.
func reference(t testing.TB, name string) *Tokenizer {
	t.Helper()
	loadMu.Lock()
	defer loadMu.Unlock()
	if tok, ok := loaded[name]; ok {
		return tok
	}
	dir := testfixtures.TokenizerDir(t, name)
	tok, err := LoadHF(dir)
	if err != nil {
		t.Fatalf("LoadHF(%s): %v", name, err)
	}
	loaded[name] = tok
	return tok
}

// expectedFiles returns the expected_<name>_*.jsonl files (public, and any
// other split placed beside it).
func expectedFiles(t testing.TB, name string) []string {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "tokenizers", "expected_"+name+"_*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no expected files for %s: %v", name, err)
	}
	return files
}

func readExpected(t testing.TB, path string) []expectedRow {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []expectedRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r expectedRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestReferenceCorpus(t *testing.T) {
	for _, name := range testfixtures.TokenizerNames() {
		t.Run(name, func(t *testing.T) {
			tok := reference(t, name)
			for _, path := range expectedFiles(t, name) {
				rows := readExpected(t, path)
				bad := 0
				for i, r := range rows {
					ids := tok.Encode(r.Text, false)
					if !slices.Equal(ids, r.IDs) && !(len(ids) == 0 && len(r.IDs) == 0) {
						bad++
						t.Errorf("%s line %d %q:\n got  %v\n want %v", filepath.Base(path), i, r.Text, ids, r.IDs)
						continue
					}
					ws := tok.Encode(r.Text, true)
					if !slices.Equal(ws, r.IDsWithSpecial) {
						bad++
						t.Errorf("%s line %d with special:\n got  %v\n want %v", filepath.Base(path), i, ws, r.IDsWithSpecial)
					}
					if got := tok.Decode(r.IDs); got != r.Decoded {
						bad++
						t.Errorf("%s line %d decode:\n got  %q\n want %q", filepath.Base(path), i, got, r.Decoded)
					}
				}
				t.Logf("%s: %d rows, %d mismatches", filepath.Base(path), len(rows), bad)
			}
		})
	}
}

func TestStreamDecoder(t *testing.T) {
	for _, name := range testfixtures.TokenizerNames() {
		t.Run(name, func(t *testing.T) {
			tok := reference(t, name)
			rows := readExpected(t, expectedFiles(t, name)[0])
			for i, r := range rows {
				d := tok.NewStreamDecoder()
				var b strings.Builder
				for _, id := range r.IDs {
					s := d.Add(id)
					if strings.ContainsRune(s, '\uFFFD') && !strings.ContainsRune(r.Text, '\uFFFD') {
						t.Errorf("line %d: stream emitted a replacement character: %q", i, s)
					}
					b.WriteString(s)
				}
				b.WriteString(d.Flush())
				want := tok.decode(r.IDs, false)
				if b.String() != want {
					t.Errorf("line %d: stream %q, want %q", i, b.String(), want)
				}
			}
		})
	}
}
