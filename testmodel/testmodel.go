// Package testmodel writes random-weight models of real shapes, as GGUF files
// or Hugging Face folders, so that speed, memory and serving can be
// exercised without downloading weights, and so that tests can build small
// models of every architecture in both file forms.
//
// Every value is drawn from a generator seeded by (seed, Hugging Face tensor
// name, row), so the GGUF and Hugging Face forms of one seed hold the same
// model, and tensors are generated, quantized and written one block of rows
// at a time: an 8B model streams to disk in bounded memory.
package testmodel

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/nuri-ai/nuri/tokenizer"
)

// Options say what to write.
type Options struct {
	// Shape names an entry of Shapes; Spec, when set, is used instead.
	Shape string
	Spec  *Spec
	// Type is the weight type (default f32). The Hugging Face form holds
	// f32, f16 or bf16 only.
	Type FileType
	// Tokenizer is embedded in GGUF files. TokenizerDir is a folder with
	// tokenizer.json and tokenizer_config.json: it is loaded for GGUF files
	// and its two files are copied into Hugging Face folders. With either,
	// the vocabulary size is the tokenizer's. With neither, a small
	// synthetic byte-fallback vocabulary is generated (its size is the
	// spec's vocabulary size, at least 259).
	Tokenizer    *tokenizer.Tokenizer
	TokenizerDir string
	// Out is a path ending in .gguf for a GGUF file, anything else for a
	// Hugging Face folder (created if needed).
	Out string
	// Seed selects the weights. Std is the standard deviation of the
	// weights (default 0.02); norm weights are 1 + N(0, Std²).
	Seed uint64
	Std  float64
	// Threads quantizing rows (default 2, at most GOMAXPROCS).
	Threads int
	// Name is general.name (default: the shape name or the architecture).
	Name string
}

// IsGGUF reports whether path names a GGUF file rather than a folder.
func IsGGUF(path string) bool { return strings.EqualFold(filepath.Ext(path), ".gguf") }

// Resolve returns the spec Write will use for o, with its defaults filled
// and the vocabulary size taken from the tokenizer if one is given.
func (o *Options) Resolve() (Spec, error) {
	var s Spec
	switch {
	case o.Spec != nil:
		s = *o.Spec
	case o.Shape != "":
		var ok bool
		if s, ok = Shapes[o.Shape]; !ok {
			return Spec{}, fmt.Errorf("testmodel: unknown shape %q (known: %s)", o.Shape, strings.Join(ShapeNames(), ", "))
		}
	default:
		return Spec{}, errors.New("testmodel: no shape given")
	}
	s = s.withDefaults()
	if err := s.check(); err != nil {
		return Spec{}, fmt.Errorf("testmodel: %w", err)
	}
	return s, nil
}

// Write writes the model described by o.
func Write(ctx context.Context, o Options) error {
	s, err := o.Resolve()
	if err != nil {
		return err
	}
	if o.Out == "" {
		return errors.New("testmodel: no output path")
	}
	if o.Type == "" {
		o.Type = TypeF32
	}
	if _, err := ParseType(string(o.Type)); err != nil {
		return err
	}
	if o.Std == 0 {
		o.Std = 0.02
	}
	if !(o.Std > 0) {
		return fmt.Errorf("testmodel: weight standard deviation %g must be positive", o.Std)
	}
	if o.Threads <= 0 {
		o.Threads = 2
	}
	o.Threads = min(o.Threads, runtime.GOMAXPROCS(0))
	if o.Name == "" {
		o.Name = o.Shape
		if o.Name == "" || o.Spec != nil {
			o.Name = "random-" + s.Arch
		}
	}
	vocab, err := loadVocab(&o, &s)
	if err != nil {
		return err
	}
	if IsGGUF(o.Out) {
		return writeGGUF(ctx, &o, &s, vocab)
	}
	return writeHF(ctx, &o, &s, vocab)
}

// vocab is the tokenizer to embed: the parsed tokenizer for GGUF metadata
// and, when known, the two Hugging Face files to copy.
type vocab struct {
	tok                   *tokenizer.Tokenizer
	tokenizerJSON, config []byte
}

func loadVocab(o *Options, s *Spec) (*vocab, error) {
	v := &vocab{}
	switch {
	case o.TokenizerDir != "":
		var err error
		if v.tokenizerJSON, err = os.ReadFile(filepath.Join(o.TokenizerDir, "tokenizer.json")); err != nil {
			return nil, fmt.Errorf("testmodel: %w", err)
		}
		if v.config, err = os.ReadFile(filepath.Join(o.TokenizerDir, "tokenizer_config.json")); err != nil {
			return nil, fmt.Errorf("testmodel: %w", err)
		}
		if v.tok, err = tokenizer.LoadHF(o.TokenizerDir); err != nil {
			return nil, fmt.Errorf("testmodel: %w", err)
		}
	case o.Tokenizer != nil:
		v.tok = o.Tokenizer
	default:
		if s.Vocab < minSyntheticVocab {
			return nil, fmt.Errorf("testmodel: the synthetic vocabulary needs at least %d entries, the spec has %d", minSyntheticVocab, s.Vocab)
		}
		v.tokenizerJSON, v.config = syntheticTokenizer(s.Vocab)
		var err error
		if v.tok, err = tokenizer.FromHFJSON(v.tokenizerJSON, v.config); err != nil {
			return nil, fmt.Errorf("testmodel: synthetic tokenizer: %w", err)
		}
		s.BOS, s.EOS = 1, 2
	}
	if o.TokenizerDir != "" || o.Tokenizer != nil {
		s.Vocab = v.tok.VocabSize()
		if b, ok := v.tok.BOS(); ok {
			s.BOS = int(b)
		}
		if e := v.tok.EOS(); len(e) > 0 {
			s.EOS = int(e[0])
		}
	}
	return v, nil
}
