package tokenizer

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"unicode/utf8"

	"github.com/nuri-ai/nuri/internal/testfixtures"
)

// benchDocs is the public corpus cycled until it holds 10,000,000 bytes
// (the last document whole), as in the reference throughput measurement.
func benchDocs(b *testing.B) (docs, texts []string, total int64) {
	f, err := os.Open(filepath.Join("..", "testdata", "tokenizers", "corpus_public.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var row struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			b.Fatal(err)
		}
		texts = append(texts, row.Text)
	}
	for i := 0; total < 10_000_000; i++ {
		d := texts[i%len(texts)]
		docs = append(docs, d)
		total += int64(len(d))
	}
	return docs, texts, total
}

// BenchmarkEncode measures encode throughput per tokenizer in "doc" mode:
// one Encode call per document, nothing cached between calls. As in the
// reference measurement, one warm-up pass over the distinct texts comes
// first (it also builds the model's lookup tables), then a GC.
//
//	go test -run '^$' -bench Encode -benchtime 3x ./tokenizer
func BenchmarkEncode(b *testing.B) {
	docs, texts, total := benchDocs(b)
	for _, name := range testfixtures.TokenizerNames() {
		b.Run(name, func(b *testing.B) {
			tok := reference(b, name)
			for _, d := range texts {
				tok.Encode(d, false)
			}
			// Collect the loading garbage now, so that its marking does
			// not land in the timed loop.
			runtime.GC()
			b.SetBytes(total)
			cpu0 := cpuSeconds()
			iters := 0
			for b.Loop() {
				n := 0
				for _, d := range docs {
					n += len(tok.Encode(d, false))
				}
				b.ReportMetric(float64(n), "tokens/op")
				iters++
			}
			// MB per CPU-second is steadier than wall MB/s on a busy machine.
			if cpu := cpuSeconds() - cpu0; cpu > 0 {
				b.ReportMetric(float64(total)*float64(iters)/1e6/cpu, "MB/cpu-s")
			}
		})
	}
}

func FuzzEncodeDecode(f *testing.F) {
	for _, s := range []string{"", "hello world", "안녕하세요 세계", " \u00a0\u3000\u2028x", "<|endoftext|>", "<s>", "a\r\n\tb", "\xff\xfe", "🏳️‍🌈", "e\u0301"} {
		f.Add(s)
	}
	// Lossless tokenizers: decode(encode(x)) == x for valid UTF-8.
	lossless := map[string]bool{"gpt4o": true, "deepseek_v3": true}
	names := testfixtures.TokenizerNames()
	toks := make([]*Tokenizer, len(names))
	for i, n := range names {
		toks[i] = reference(f, n)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i, tok := range toks {
			ids := tok.Encode(s, true)
			_ = tok.EncodeOrdinary(s)
			got := tok.Decode(ids)
			d := tok.NewStreamDecoder()
			for _, id := range ids {
				if out := d.Add(id); !utf8.ValidString(out) {
					t.Fatalf("%s: stream emitted invalid UTF-8 %q", names[i], out)
				}
			}
			d.Flush()
			if lossless[names[i]] && utf8.ValidString(s) && got != s {
				t.Fatalf("%s: decode(encode(%q)) = %q", names[i], s, got)
			}
		}
	})
}
