package chat

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nuri-ai/nuri/gguf"
)

// Source is a model's chat template with the special tokens its templates
// expect, as read from a GGUF file or a Hugging Face model folder.
type Source struct {
	// Name is the model's name (GGUF general.name, else the file or folder
	// name).
	Name string
	// Template is the default chat template.
	Template string
	// Named holds every template by name when the model ships several
	// ("default", "tool_use", ...). It always contains "default".
	Named map[string]string
	// SpecialTokens maps variables such as bos_token, eos_token, pad_token
	// and unk_token to their text, for the ones the model defines.
	SpecialTokens map[string]string
}

// specialTokenKeys are the tokenizer_config.json keys transformers passes to
// a chat template.
var specialTokenKeys = []string{"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}

// Load reads a chat template source: a GGUF file, a folder holding
// tokenizer_config.json (and perhaps chat_template.jinja or
// chat_template.json), or one of those files itself.
func Load(path string) (*Source, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("chat template source %s: %w", path, err)
	}
	if !st.IsDir() && isGGUF(path) {
		return loadGGUF(path)
	}
	dir := path
	if !st.IsDir() {
		dir = filepath.Dir(path)
	}
	src := &Source{Name: modelName(dir), SpecialTokens: map[string]string{}}
	cfgPath := filepath.Join(dir, "tokenizer_config.json")
	if !st.IsDir() && filepath.Base(path) != "chat_template.jinja" && filepath.Base(path) != "chat_template.json" {
		cfgPath = path
	}
	if cfg, err := readConfig(cfgPath); err == nil {
		for _, k := range specialTokenKeys {
			if s, ok := tokenText(cfg[k]); ok {
				src.SpecialTokens[k] = s
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	named, err := templatesIn(dir, cfgPath)
	if err != nil {
		return nil, err
	}
	src.Named = named
	src.Template = named["default"]
	return src, nil
}

// FromTokenizerConfig returns the default chat template for a model folder
// or a tokenizer_config.json path. A chat_template.jinja beside the config
// takes precedence, as in transformers; list-form templates
// ([{"name": "default", "template": ...}, {"name": "tool_use", ...}]) give
// their "default" entry.
func FromTokenizerConfig(path string) (string, error) {
	dir, cfgPath := path, filepath.Join(path, "tokenizer_config.json")
	if st, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("chat template source %s: %w", path, err)
	} else if !st.IsDir() {
		dir, cfgPath = filepath.Dir(path), path
	}
	named, err := templatesIn(dir, cfgPath)
	if err != nil {
		return "", err
	}
	return named["default"], nil
}

// templatesIn collects the named templates of a model folder.
func templatesIn(dir, cfgPath string) (map[string]string, error) {
	named := map[string]string{}
	if cfg, err := readConfig(cfgPath); err == nil {
		if raw, ok := cfg["chat_template"]; ok {
			if err := addTemplates(named, raw, cfgPath); err != nil {
				return nil, err
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	jsonPath := filepath.Join(dir, "chat_template.json")
	if b, err := os.ReadFile(jsonPath); err == nil {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			return nil, fmt.Errorf("read %s: %w", jsonPath, err)
		}
		if raw, ok := obj["chat_template"]; ok {
			if err := addTemplates(named, raw, jsonPath); err != nil {
				return nil, err
			}
		}
	}
	jinjaPath := filepath.Join(dir, "chat_template.jinja")
	if b, err := os.ReadFile(jinjaPath); err == nil {
		named["default"] = string(b)
	}
	if _, ok := named["default"]; !ok {
		return nil, fmt.Errorf("no chat template in %s (looked for chat_template in tokenizer_config.json, chat_template.json and chat_template.jinja)", dir)
	}
	return named, nil
}

// addTemplates reads a chat_template value: a string, or a list of
// {"name", "template"} objects.
func addTemplates(named map[string]string, raw json.RawMessage, path string) error {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		named["default"] = s
		return nil
	}
	var list []struct {
		Name     string `json:"name"`
		Template string `json:"template"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return fmt.Errorf("read %s: chat_template is neither a string nor a list of named templates: %w", path, err)
	}
	if len(list) == 0 {
		return fmt.Errorf("read %s: chat_template is an empty list", path)
	}
	for _, t := range list {
		named[t.Name] = t.Template
	}
	if _, ok := named["default"]; !ok {
		if len(list) != 1 {
			names := make([]string, 0, len(list))
			for _, t := range list {
				names = append(names, t.Name)
			}
			sort.Strings(names)
			return fmt.Errorf("read %s: chat_template lists %s but no \"default\"", path, strings.Join(names, ", "))
		}
		named["default"] = list[0].Template
	}
	return nil
}

func readConfig(path string) (map[string]json.RawMessage, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cfg map[string]json.RawMessage
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return cfg, nil
}

// tokenText reads a special token that is either a string or a serialized
// AddedToken object ({"content": ...}).
func tokenText(raw json.RawMessage) (string, bool) {
	if raw == nil {
		return "", false
	}
	var s *string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s == nil {
			return "", false
		}
		return *s, true
	}
	var obj struct {
		Content *string `json:"content"`
	}
	if err := json.Unmarshal(raw, &obj); err == nil && obj.Content != nil {
		return *obj.Content, true
	}
	return "", false
}

func modelName(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return filepath.Base(dir)
	}
	return filepath.Base(abs)
}

func isGGUF(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [4]byte
	if _, err := f.Read(magic[:]); err != nil {
		return false
	}
	return string(magic[:]) == "GGUF"
}

// loadGGUF reads tokenizer.chat_template (and tokenizer.chat_template.NAME)
// and the BOS/EOS/UNK/SEP/PAD token texts from GGUF metadata.
func loadGGUF(path string) (*Source, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("chat template source %s: %w", path, err)
	}
	defer f.Close()
	src := &Source{Named: map[string]string{}, SpecialTokens: map[string]string{}}
	src.Name, _ = f.String("general.name")
	if src.Name == "" {
		src.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	if s, ok := f.String("tokenizer.chat_template"); ok {
		src.Named["default"] = s
	}
	const prefix = "tokenizer.chat_template."
	for _, kv := range f.KV {
		if strings.HasPrefix(kv.Key, prefix) {
			if s, ok := kv.Value.(string); ok {
				src.Named[strings.TrimPrefix(kv.Key, prefix)] = s
			}
		}
	}
	if _, ok := src.Named["default"]; !ok {
		return nil, fmt.Errorf("chat template source %s: no tokenizer.chat_template in the GGUF metadata", path)
	}
	src.Template = src.Named["default"]
	tokens, _ := f.Strings("tokenizer.ggml.tokens")
	for key, name := range map[string]string{
		"bos_token": "tokenizer.ggml.bos_token_id",
		"eos_token": "tokenizer.ggml.eos_token_id",
		"unk_token": "tokenizer.ggml.unknown_token_id",
		"sep_token": "tokenizer.ggml.seperator_token_id",
		"pad_token": "tokenizer.ggml.padding_token_id",
	} {
		if id, ok := f.Uint(name); ok && id < uint64(len(tokens)) {
			src.SpecialTokens[key] = tokens[id]
		}
	}
	return src, nil
}
