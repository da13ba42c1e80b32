// Package session is a conversation with one locally loaded model, as `nuri
// run` offers it: the model, its tokenizer and chat template, the message
// history, and generation streamed to a writer.
package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/nuri-ai/nuri/chat"
	"github.com/nuri-ai/nuri/engine"
	"github.com/nuri-ai/nuri/model"
	"github.com/nuri-ai/nuri/tokenizer"
)

// Loaded is a model ready to generate: weights, tokenizer and chat template.
type Loaded struct {
	Name     string
	Model    *model.Model
	Tok      *tokenizer.Tokenizer
	Template *chat.Template // nil when the model has no chat template
	Specials map[string]string
}

// Open loads a model file or folder with its tokenizer and chat template.
func Open(path string) (*Loaded, error) {
	m, err := model.Load(path)
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.Load(path)
	if err != nil {
		m.Close()
		return nil, err
	}
	if tok.VocabSize() > m.Config.VocabSize {
		m.Close()
		return nil, fmt.Errorf("session: %s: tokenizer has %d tokens but the model only %d", path, tok.VocabSize(), m.Config.VocabSize)
	}
	l := &Loaded{Name: m.Config.Name, Model: m, Tok: tok, Specials: map[string]string{}}
	if src, err := chat.Load(path); err == nil && src.Template != "" {
		l.Template, err = chat.New(src.Template, src.Name)
		if err != nil {
			m.Close()
			return nil, err
		}
		l.Specials = src.SpecialTokens
		if l.Name == "" {
			l.Name = src.Name
		}
	}
	return l, nil
}

// Close releases the model.
func (l *Loaded) Close() error { return l.Model.Close() }

// Message is one turn of the conversation.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Chat is a conversation. With Raw set (or when the model has no chat
// template) each input is continued as plain text instead.
type Chat struct {
	L        *Loaded
	System   string
	Raw      bool
	Options  engine.GenerateOptions
	Messages []Message
}

// Prompt renders the conversation plus a new user message into token ids.
func (c *Chat) Prompt(user string) ([]int32, error) {
	if c.Raw || c.L.Template == nil {
		return c.L.Tok.Encode(user, true), nil
	}
	var msgs []Message
	if c.System != "" {
		msgs = append(msgs, Message{"system", c.System})
	}
	msgs = append(msgs, c.Messages...)
	msgs = append(msgs, Message{"user", user})
	raw, err := json.Marshal(msgs)
	if err != nil {
		return nil, err
	}
	in := chat.Input{Messages: json.RawMessage(raw), AddGenerationPrompt: true, Vars: map[string]any{}}
	for k, v := range c.L.Specials {
		in.Vars[k] = v
	}
	text, err := c.L.Template.Render(in)
	if err != nil {
		return nil, err
	}
	// The template writes BOS itself where the model wants it, as in
	// transformers' apply_chat_template.
	return c.L.Tok.Encode(text, false), nil
}

// Send adds the user's message, generates the reply streaming its text to w,
// and records the reply in the history. A cancelled ctx stops generation; the
// partial reply is kept and ctx's error returned.
func (c *Chat) Send(ctx context.Context, user string, w io.Writer) (string, error) {
	ids, err := c.Prompt(user)
	if err != nil {
		return "", err
	}
	opt := c.Options
	if len(opt.Stop) == 0 {
		opt.Stop = c.L.Tok.EOS()
	}
	dec := c.L.Tok.NewStreamDecoder()
	var reply strings.Builder
	_, genErr := engine.Generate(ctx, c.L.Model, ids, opt, func(id int32) error {
		s := dec.Add(id)
		reply.WriteString(s)
		_, err := io.WriteString(w, s)
		return err
	})
	tail := dec.Flush()
	reply.WriteString(tail)
	io.WriteString(w, tail)
	if genErr != nil && !errors.Is(genErr, context.Canceled) {
		return reply.String(), genErr
	}
	if !c.Raw && c.L.Template != nil {
		c.Messages = append(c.Messages, Message{"user", user}, Message{"assistant", reply.String()})
	}
	return reply.String(), genErr
}
