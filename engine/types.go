package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/nuri-ai/nuri/sample"
)

// Request is one generation request as the engine sees it: token ids in,
// tokens and text out. The API layers render chat templates and tokenize
// before submitting.
type Request struct {
	ID          string
	Prompt      []int32
	Sampling    sample.Params
	MaxTokens   int      // new tokens; 0 = until the context is full
	StopTokens  []int32  // ids that end generation (EOS/EOT); not emitted
	StopStrings []string // text that ends generation; not emitted, text is held back while a match is possible
	// Logprobs asks for the chosen token's log-probability; TopLogprobs for
	// that many alternatives per position (0 = none).
	Logprobs    bool
	TopLogprobs int
	// Constraint, when set, masks tokens the grammar forbids (JSON schema,
	// tool-call formats). It is advanced with every chosen token.
	Constraint sample.Constraint
	// CacheSalt separates prefix-cache entries (e.g. per user or tenant);
	// requests only share cached blocks when their salts are equal.
	CacheSalt string
	// Truncate allows dropping the oldest prompt tokens when the prompt does
	// not fit; without it an over-long prompt is an error.
	Truncate bool
	// IgnoreEOS asks the layer that adds the tokenizer's end tokens to
	// StopTokens to leave them out, so that generation runs to MaxTokens
	// (benchmarks that need an exact token count). The engine itself only
	// looks at StopTokens.
	IgnoreEOS bool
}

// TokenLogprob is one candidate token and its log-probability.
type TokenLogprob struct {
	ID      int32
	Text    string
	Logprob float32
}

// Event is one streamed step of a request. Text is the new, complete UTF-8
// text (possibly empty while bytes of a character or a possible stop string
// are held back). The last event has Done set, with Finish and Usage.
type Event struct {
	Token   int32
	Text    string
	Logprob *TokenLogprob
	Top     []TokenLogprob

	Done   bool
	Finish FinishReason
	Err    error
	Usage  Usage
}

// Usage counts a request's tokens and times.
type Usage struct {
	PromptTokens     int
	CompletionTokens int
	CachedTokens     int // prompt tokens served from the prefix cache
	Queued           time.Duration
	TimeToFirstToken time.Duration
	Duration         time.Duration
}

// FinishCancelled ends a request whose client went away or whose deadline
// passed.
const FinishCancelled FinishReason = "cancelled"

// Errors Submit returns. The server maps ErrQueueFull to 429 and
// ErrOverloaded to 503 (both with Retry-After), and *PromptTooLongError to 400.
var (
	ErrQueueFull  = errors.New("engine: request queue is full")
	ErrOverloaded = errors.New("engine: overloaded")
	ErrClosed     = errors.New("engine: shutting down")
)

// PromptTooLongError says a prompt cannot fit the context, with the numbers.
type PromptTooLongError struct {
	PromptTokens, MaxTokens, Context int
}

func (e *PromptTooLongError) Error() string {
	return fmt.Sprintf("prompt of %d tokens plus %d requested new tokens exceeds the context of %d tokens", e.PromptTokens, e.MaxTokens, e.Context)
}

// Stats is a snapshot of the engine for metrics and `nuri ps`.
type Stats struct {
	Running, Waiting   int
	KVBlocksTotal      int
	KVBlocksUsed       int
	KVBlockSize        int   // tokens per block
	PrefixCacheQueries int64 // prompt tokens looked up in the prefix cache
	PrefixCacheHits    int64 // of which found
	PromptTokens       int64 // totals since start
	GeneratedTokens    int64
	Preemptions        int64 // sequences preempted for lack of cache blocks
	Swaps              int64 // of which swapped out rather than recomputed
	SwapBytesUsed      int64 // swap area in use now
}
