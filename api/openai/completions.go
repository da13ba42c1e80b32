package openai

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/nuri-ai/nuri/engine"
	"github.com/nuri-ai/nuri/server/backend"
)

type completionRequest struct {
	requestFields
	Prompt   json.RawMessage `json:"prompt"`
	Logprobs *int            `json:"logprobs"`
	Echo     bool            `json:"echo"`
	Suffix   string          `json:"suffix"`
	BestOf   *int            `json:"best_of"`
}

// prompt reads the prompt: a string, a list of one string, or token ids.
func (req *completionRequest) prompt(m *backend.Model) ([]int32, string, error) {
	raw := req.Prompt
	if len(raw) == 0 || string(raw) == "null" {
		return nil, "", backend.BadRequest("prompt", "prompt is required")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return m.EncodePrompt(s), s, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		if len(list) != 1 {
			return nil, "", backend.BadRequest("prompt", "one prompt per request is supported, got %d", len(list))
		}
		return m.EncodePrompt(list[0]), list[0], nil
	}
	var ids []int32
	if err := json.Unmarshal(raw, &ids); err == nil {
		v := m.Tokenizer().VocabSize()
		for _, id := range ids {
			if id < 0 || int(id) >= v {
				return nil, "", backend.BadRequest("prompt", "token id %d is outside the vocabulary of %d tokens", id, v)
			}
		}
		return ids, m.Tokenizer().Decode(ids), nil
	}
	return nil, "", backend.BadRequest("prompt", "prompt must be a string, an array of one string or an array of token ids")
}

type completionLogprobs struct {
	Tokens        []string             `json:"tokens"`
	TokenLogprobs []float32            `json:"token_logprobs"`
	TopLogprobs   []map[string]float32 `json:"top_logprobs"`
	TextOffset    []int                `json:"text_offset"`
}

type completionChoice struct {
	Text         string              `json:"text"`
	Index        int                 `json:"index"`
	Logprobs     *completionLogprobs `json:"logprobs"`
	FinishReason *string             `json:"finish_reason"`
}

type completionResponse struct {
	ID                string             `json:"id"`
	Object            string             `json:"object"`
	Created           int64              `json:"created"`
	Model             string             `json:"model"`
	SystemFingerprint string             `json:"system_fingerprint"`
	Choices           []completionChoice `json:"choices"`
	Usage             *usage             `json:"usage,omitempty"`
}

func addLogprob(lp *completionLogprobs, ev engine.Event, offset int) {
	if ev.Logprob == nil {
		return
	}
	lp.Tokens = append(lp.Tokens, ev.Logprob.Text)
	lp.TokenLogprobs = append(lp.TokenLogprobs, ev.Logprob.Logprob)
	top := map[string]float32{}
	for _, c := range ev.Top {
		top[c.Text] = c.Logprob
	}
	lp.TopLogprobs = append(lp.TopLogprobs, top)
	lp.TextOffset = append(lp.TextOffset, offset)
}

func (a *API) completions(w http.ResponseWriter, r *http.Request) {
	const endpoint = "/v1/completions"
	var req completionRequest
	if err := backend.DecodeJSON(w, r, &req); err != nil {
		WriteError(w, err)
		return
	}
	if req.Model == "" {
		WriteError(w, backend.BadRequest("model", "model is required"))
		return
	}
	o, err := req.common(16) // OpenAI's default for this endpoint
	if err != nil {
		WriteError(w, err)
		return
	}
	if req.Logprobs != nil {
		o.Logprobs, o.TopLogprobs = true, *req.Logprobs
	}
	if req.Suffix != "" {
		WriteError(w, backend.BadRequest("suffix", "suffix (fill-in-the-middle) is not supported"))
		return
	}
	if err := o.Validate(); err != nil {
		WriteError(w, err)
		return
	}
	n, err := req.choices()
	if err != nil {
		WriteError(w, err)
		return
	}
	m, release, err := a.b.Acquire(r.Context(), req.Model, nil)
	if err != nil {
		WriteError(w, err)
		return
	}
	defer release()
	prompt, promptText, err := req.prompt(m)
	if err != nil {
		WriteError(w, err)
		return
	}
	chans, cancel, err := m.StartN(a.b, r, endpoint, prompt, &o, n)
	if err != nil {
		WriteError(w, err)
		return
	}
	defer cancel()
	id := backend.NewID("cmpl-")
	base := completionResponse{ID: id, Object: "text_completion", Created: now(), Model: m.Name, SystemFingerprint: fingerprint}
	echo := ""
	if req.Echo {
		echo = promptText
	}
	if req.Stream {
		sse := backend.NewSSE(w)
		usages := make([]engine.Usage, n)
		offsets := make([]int, n)
		failed := false
		if echo != "" {
			for i := 0; i < n; i++ {
				c := base
				c.Choices = []completionChoice{{Text: echo, Index: i}}
				_ = sse.Send("", c)
				offsets[i] = len(echo)
			}
		}
		for t := range merge(chans) {
			ev := t.ev
			c := base
			ch := completionChoice{Text: ev.Text, Index: t.i}
			if o.Logprobs && ev.Logprob != nil {
				ch.Logprobs = &completionLogprobs{}
				addLogprob(ch.Logprobs, ev, offsets[t.i])
			}
			offsets[t.i] += len(ev.Text)
			if ev.Done {
				usages[t.i] = ev.Usage
				if ev.Err != nil {
					failed = true
					e := backend.AsError(ev.Err)
					_ = sse.Send("", errorBody{Error: errorDetail{Message: e.Message, Type: e.Type}})
					continue
				}
				fr := finishReason(string(ev.Finish))
				ch.FinishReason = &fr
			} else if ev.Text == "" && ch.Logprobs == nil {
				continue
			}
			c.Choices = []completionChoice{ch}
			_ = sse.Send("", c)
		}
		if req.includeUsage() && !failed {
			c := base
			c.Choices = []completionChoice{}
			u := toUsage(usages)
			c.Usage = &u
			_ = sse.Send("", c)
		}
		_ = sse.Send("", "[DONE]")
		a.record(r, endpoint, m.Name, usages, failed)
		return
	}
	var usages []engine.Usage
	for i, ch := range chans {
		res, err := backend.Collect(ch)
		usages = append(usages, res.Usage)
		if err != nil {
			cancel()
			for _, rest := range chans[i+1:] {
				for range rest {
				}
			}
			a.record(r, endpoint, m.Name, usages, true)
			WriteError(w, err)
			return
		}
		fr := finishReason(string(res.Finish))
		c := completionChoice{Text: echo + res.Text, Index: i, FinishReason: &fr}
		if o.Logprobs {
			c.Logprobs = &completionLogprobs{}
			off := len(echo)
			var sb strings.Builder
			for _, ev := range res.Tokens {
				addLogprob(c.Logprobs, ev, off+sb.Len())
				sb.WriteString(ev.Text)
			}
		}
		base.Choices = append(base.Choices, c)
	}
	u := toUsage(usages)
	base.Usage = &u
	a.record(r, endpoint, m.Name, usages, false)
	backend.WriteJSON(w, http.StatusOK, base)
}
