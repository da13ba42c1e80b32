package server

import (
	"encoding/json"
	"fmt"

	"github.com/nuri-ai/nuri/sample"
	"github.com/nuri-ai/nuri/server/backend"
	"github.com/nuri-ai/nuri/tokenizer"
)

// defaultConstraint compiles a JSON schema into a decoding constraint.
// Until constrained decoding is available every schema is refused, so that
// structured output fails closed (400) instead of returning unchecked text.
func defaultConstraint(schema json.RawMessage, tok *tokenizer.Tokenizer) (sample.Constraint, error) {
	return nil, fmt.Errorf("JSON-constrained output is not available in this build: %w", backend.ErrUnsupported)
}
