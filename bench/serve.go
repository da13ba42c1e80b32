package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// ServeOptions configure a serving benchmark against an OpenAI-compatible
// server.
type ServeOptions struct {
	URL          string // base URL, e.g. http://127.0.0.1:11435 (a trailing /v1 is accepted)
	Model        string // model name sent; "" = the first one /v1/models lists
	APIKey       string // sent as a bearer token when set
	Concurrency  []int  // streams at once per level (default 1, 4, 8, 16)
	PromptTokens int    // target prompt length in tokens (default 32)
	Gen          int    // tokens generated per request (default 128)
	Requests     int    // requests each stream sends one after another per level (default 1)
	Seed         uint64 // prompt words; every request gets different ones
	Timeout      time.Duration
	// Client, when set, replaces the default HTTP client.
	Client *http.Client
}

// LevelResult is one concurrency level's figures. Times are milliseconds.
type LevelResult struct {
	Concurrency      int     `json:"concurrency"`
	Requests         int     `json:"requests"`
	Errors           int     `json:"errors"`
	Short            int     `json:"short"` // finished with fewer tokens than asked
	FirstError       string  `json:"first_error,omitempty"`
	PromptTokens     float64 `json:"prompt_tokens"` // mean, as the server reported it (0 if it did not)
	CompletionTokens int     `json:"completion_tokens"`
	Seconds          float64 `json:"seconds"`
	TokensPerSecond  float64 `json:"tokens_per_second"` // completion tokens ÷ the level's wall time
	TTFTMean         float64 `json:"ttft_mean_ms"`
	TTFTP50          float64 `json:"ttft_p50_ms"`
	TTFTP90          float64 `json:"ttft_p90_ms"`
	ITLMean          float64 `json:"itl_mean_ms"` // mean time between tokens after the first
}

// ServeReport is a whole serving benchmark.
type ServeReport struct {
	URL          string        `json:"url"`
	Model        string        `json:"model"`
	PromptTokens int           `json:"prompt_tokens"`
	Gen          int           `json:"gen"`
	PromptWords  int           `json:"prompt_words"`
	Levels       []LevelResult `json:"levels"`
}

// RunServe warms the server up with one request (which also calibrates the
// number of words per prompt to the target token count), then runs each
// concurrency level: every stream sends streamed /v1/completions requests
// with a prompt of random words, greedy sampling, max_tokens = Gen and
// ignore_eos, and the level reports aggregate throughput, time to first
// token (at the first content delta) and inter-token latency.
func RunServe(ctx context.Context, opt ServeOptions) (*ServeReport, error) {
	if opt.URL == "" {
		return nil, errors.New("bench serve: no server URL")
	}
	if len(opt.Concurrency) == 0 {
		opt.Concurrency = []int{1, 4, 8, 16}
	}
	for _, c := range opt.Concurrency {
		if c < 1 {
			return nil, fmt.Errorf("bench serve: concurrency %d must be at least 1", c)
		}
	}
	if opt.PromptTokens <= 0 {
		opt.PromptTokens = 32
	}
	if opt.Gen <= 0 {
		opt.Gen = 128
	}
	if opt.Requests <= 0 {
		opt.Requests = 1
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 10 * time.Minute
	}
	base := strings.TrimSuffix(strings.TrimSuffix(opt.URL, "/"), "/v1")
	c := &client{base: base, key: opt.APIKey, hc: opt.Client}
	if c.hc == nil {
		c.hc = &http.Client{Transport: &http.Transport{
			MaxIdleConnsPerHost: slices.Max(opt.Concurrency) + 1,
			DisableCompression:  true,
		}}
	}
	if opt.Model == "" {
		m, err := c.firstModel(ctx)
		if err != nil {
			return nil, err
		}
		opt.Model = m
	}
	rep := &ServeReport{URL: base, Model: opt.Model, PromptTokens: opt.PromptTokens, Gen: opt.Gen}

	// Warm up and calibrate: words per prompt so that the server counts
	// about PromptTokens tokens.
	rng := rand.New(rand.NewPCG(opt.Seed, 0x6e757269))
	words := max(1, opt.PromptTokens-1)
	wctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	res := c.complete(wctx, opt.Model, randomWords(rng, words), min(opt.Gen, 8))
	cancel()
	if res.err != nil {
		return nil, fmt.Errorf("bench serve: warm-up request to %s: %w", base, res.err)
	}
	if p := res.promptTokens; p > 1 && p != opt.PromptTokens {
		words = max(1, int(math.Round(float64(words)*float64(opt.PromptTokens-1)/float64(p-1))))
	}
	rep.PromptWords = words

	for _, conc := range opt.Concurrency {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		prompts := make([][]string, conc)
		for i := range prompts {
			for range opt.Requests {
				prompts[i] = append(prompts[i], randomWords(rng, words))
			}
		}
		lctx, cancel := context.WithTimeout(ctx, opt.Timeout)
		results := make([][]result, conc)
		var wg sync.WaitGroup
		start := time.Now()
		for i := range conc {
			wg.Go(func() {
				for _, p := range prompts[i] {
					results[i] = append(results[i], c.complete(lctx, opt.Model, p, opt.Gen))
				}
			})
		}
		wg.Wait()
		wall := time.Since(start)
		cancel()
		rep.Levels = append(rep.Levels, summarize(conc, slices.Concat(results...), wall, opt.Gen))
	}
	return rep, nil
}

func summarize(conc int, rs []result, wall time.Duration, gen int) LevelResult {
	l := LevelResult{Concurrency: conc, Requests: len(rs), Seconds: wall.Seconds()}
	var ttfts []float64
	var itlSum float64
	var itlN, promptN int
	var promptSum float64
	for _, r := range rs {
		if r.err != nil {
			l.Errors++
			if l.FirstError == "" {
				l.FirstError = r.err.Error()
			}
			continue
		}
		l.CompletionTokens += r.completionTokens
		if r.completionTokens < gen {
			l.Short++
		}
		if r.promptTokens > 0 {
			promptSum += float64(r.promptTokens)
			promptN++
		}
		if r.ttft > 0 {
			ttfts = append(ttfts, ms(r.ttft))
		}
		if r.completionTokens > 1 && r.last > r.ttft {
			itlSum += ms(r.last-r.ttft) / float64(r.completionTokens-1)
			itlN++
		}
	}
	if promptN > 0 {
		l.PromptTokens = promptSum / float64(promptN)
	}
	if wall > 0 {
		l.TokensPerSecond = float64(l.CompletionTokens) / wall.Seconds()
	}
	if len(ttfts) > 0 {
		slices.Sort(ttfts)
		var s float64
		for _, v := range ttfts {
			s += v
		}
		l.TTFTMean = s / float64(len(ttfts))
		l.TTFTP50 = percentile(ttfts, 0.5)
		l.TTFTP90 = percentile(ttfts, 0.9)
	}
	if itlN > 0 {
		l.ITLMean = itlSum / float64(itlN)
	}
	return l
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// percentile of sorted values, interpolating between neighbours.
func percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	x := q * float64(len(sorted)-1)
	i := int(x)
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	f := x - float64(i)
	return sorted[i]*(1-f) + sorted[i+1]*f
}

// promptWords are common English words, most of them one token in the
// usual BPE vocabularies when preceded by a space.
var promptWords = strings.Fields(`the of and to in is was for on that with as by at from his her they
this had not are but were which one all she there their been has when who will more if out so said
what up its about into than them can only other new some could time these two may then first any
like now my such make over our even most made after also did many before must through back years where
much your way well down should because each just those people how too little state good very world
still own see men work long here get both between life being under never day same another know while
last might great old year off come since against go came right used take three place found house
school water group room city story book eye job word head side night point light`)

func randomWords(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(promptWords[r.IntN(len(promptWords))])
	}
	return b.String()
}

type client struct {
	base, key string
	hc        *http.Client
}

func (c *client) do(req *http.Request) (*http.Response, error) {
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	return c.hc.Do(req)
}

func (c *client) firstModel(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/models", nil)
	if err != nil {
		return "", fmt.Errorf("bench serve: %w", err)
	}
	resp, err := c.do(req)
	if err != nil {
		return "", fmt.Errorf("bench serve: list models: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("bench serve: list models: %s: %s", resp.Status, bytes.TrimSpace(body))
	}
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return "", fmt.Errorf("bench serve: list models: %w", err)
	}
	if len(list.Data) == 0 || list.Data[0].ID == "" {
		return "", errors.New("bench serve: the server lists no models; name one with --model")
	}
	return list.Data[0].ID, nil
}

// result is one request's outcome; times are from sending the request.
type result struct {
	err              error
	ttft, last       time.Duration // first and last content delta
	promptTokens     int           // as reported (0 if not)
	completionTokens int           // as reported, else content deltas counted
}

// completionChunk is the part of a streamed /v1/completions event read.
type completionChunk struct {
	Choices []struct {
		Text string `json:"text"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
	Error *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// complete sends one streamed completion request and times its deltas.
func (c *client) complete(ctx context.Context, model, prompt string, maxTokens int) (res result) {
	body, err := json.Marshal(map[string]any{
		"model": model, "prompt": prompt, "max_tokens": maxTokens, "temperature": 0,
		"ignore_eos": true, "stream": true, "stream_options": map[string]any{"include_usage": true},
	})
	if err != nil {
		res.err = err
		return res
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/v1/completions", bytes.NewReader(body))
	if err != nil {
		res.err = err
		return res
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	start := time.Now()
	resp, err := c.do(req)
	if err != nil {
		res.err = err
		return res
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		res.err = fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(b))
		return res
	}
	deltas := 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		data, ok := bytes.CutPrefix(line, []byte("data:"))
		if !ok {
			continue
		}
		data = bytes.TrimSpace(data)
		if string(data) == "[DONE]" {
			break
		}
		var ch completionChunk
		if err := json.Unmarshal(data, &ch); err != nil {
			res.err = fmt.Errorf("stream event %q: %w", truncate(data, 200), err)
			return res
		}
		if ch.Error != nil {
			res.err = fmt.Errorf("server error in the stream: %s", ch.Error.Message)
			return res
		}
		if len(ch.Choices) > 0 && ch.Choices[0].Text != "" {
			now := time.Since(start)
			if deltas == 0 {
				res.ttft = now
			}
			res.last = now
			deltas++
		}
		if ch.Usage != nil {
			res.promptTokens, res.completionTokens = ch.Usage.PromptTokens, ch.Usage.CompletionTokens
		}
	}
	if err := sc.Err(); err != nil {
		res.err = fmt.Errorf("reading the stream: %w", err)
		return res
	}
	if res.completionTokens == 0 {
		res.completionTokens = deltas
	}
	if deltas == 0 {
		res.err = errors.New("the stream carried no text")
	}
	return res
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// Print writes the report as a table, one row per concurrency level.
func (r *ServeReport) Print(w io.Writer) {
	fmt.Fprintf(w, "%s, model %s: prompts of %d words (target %d tokens), %d new tokens per request\n\n",
		r.URL, r.Model, r.PromptWords, r.PromptTokens, r.Gen)
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(tw, "streams\trequests\tprompt tok\tgen tok\ttok/s\tTTFT mean ms\tTTFT p50 ms\tTTFT p90 ms\tITL mean ms\terrors\t")
	for _, l := range r.Levels {
		fmt.Fprintf(tw, "%d\t%d\t%.1f\t%d\t%.2f\t%.1f\t%.1f\t%.1f\t%.2f\t%d\t\n", l.Concurrency, l.Requests, l.PromptTokens,
			l.CompletionTokens, l.TokensPerSecond, l.TTFTMean, l.TTFTP50, l.TTFTP90, l.ITLMean, l.Errors)
	}
	tw.Flush()
	for _, l := range r.Levels {
		if l.FirstError != "" {
			fmt.Fprintf(w, "%d streams: first error: %s\n", l.Concurrency, l.FirstError)
		}
		if l.Short > 0 {
			fmt.Fprintf(w, "%d streams: %d requests ended before %d tokens (does the server honour ignore_eos?)\n", l.Concurrency, l.Short, r.Gen)
		}
	}
}
