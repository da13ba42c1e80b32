package backend

import (
	"context"
	"fmt"
	"net/http"

	"github.com/nuri-ai/nuri/engine"
)

// MaxEmbedInputs bounds the inputs of one embedding request (OpenAI's
// limit).
const MaxEmbedInputs = 2048

// EmbeddingSize is the length of the model's embeddings: its hidden size.
func (m *Model) EmbeddingSize() int { return m.Engine.Model().Config.Hidden }

// CheckDimensions refuses a requested embedding size other than the
// model's: Nuri does not shorten embeddings.
func (m *Model) CheckDimensions(dims *int) error {
	if dims != nil && *dims != m.EmbeddingSize() {
		return BadRequest("dimensions", "model %s makes embeddings of %d dimensions; %d were requested and shortening is not supported",
			m.Name, m.EmbeddingSize(), *dims)
	}
	return nil
}

// EncodeEmbedInput tokenizes one text input of an embedding request.
func (m *Model) EncodeEmbedInput(text string) []int32 {
	return m.Tokenizer().Encode(text, true)
}

// Embed returns one embedding per input (token ids) and the number of
// tokens embedded. An input longer than the context is cut to it when
// truncate is set (keeping its start), else refused with 400. An empty
// input or a token outside the vocabulary is a 400 naming the input.
func (m *Model) Embed(ctx context.Context, inputs [][]int32, truncate bool) ([][]float32, int, error) {
	if len(inputs) == 0 {
		return nil, 0, BadRequest("input", "input is empty")
	}
	if len(inputs) > MaxEmbedInputs {
		return nil, 0, BadRequest("input", "at most %d inputs are allowed in one request, got %d", MaxEmbedInputs, len(inputs))
	}
	vocab := m.Tokenizer().VocabSize()
	n := m.Context()
	for i, ids := range inputs {
		if len(ids) == 0 {
			return nil, 0, BadRequest("input", "input %d is empty", i)
		}
		if len(ids) > n {
			if !truncate {
				return nil, 0, &Error{Status: http.StatusBadRequest, Type: TypeInvalid, Param: "input",
					Message: fmt.Sprintf("input %d has %d tokens; this model's context is %d tokens", i, len(ids), n),
					Err:     &engine.PromptTooLongError{PromptTokens: len(ids), Context: n}}
			}
			inputs[i] = ids[:n]
		}
		for _, id := range ids {
			if id < 0 || int(id) >= vocab {
				return nil, 0, BadRequest("input", "input %d: token id %d is outside the vocabulary (0..%d)", i, id, vocab-1)
			}
		}
	}
	out := make([][]float32, len(inputs))
	tokens := 0
	for i, ids := range inputs {
		v, err := m.Engine.Embed(ctx, ids)
		if err != nil {
			return nil, tokens, fmt.Errorf("model %s: embed input %d: %w", m.Name, i, err)
		}
		out[i] = v
		tokens += len(ids)
	}
	return out, tokens, nil
}
