package storetest

import (
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/nuri-ai/nuri/store"
)

// Traffic generates n synthetic usage records spread over [from, to), with
// a fixed seed so runs are repeatable. Traffic has a daily rhythm, several
// models, users with and without API keys, anonymous requests, errors and
// spread-out latencies.
func Traffic(seed uint64, n int, from, to time.Time) []store.UsageRecord {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	models := []string{"llama-3.2-1b", "qwen2.5-7b", "gemma-2-2b"}
	span := to.Sub(from)
	recs := make([]store.UsageRecord, 0, n)
	for len(recs) < n {
		at := from.Add(time.Duration(rng.Int64N(int64(span))))
		// Thin out the night hours to give days a shape.
		if h := at.UTC().Hour(); (h < 7 || h > 22) && rng.IntN(3) != 0 {
			continue
		}
		r := store.UsageRecord{
			Time:         at.Truncate(time.Millisecond),
			Model:        models[rng.IntN(len(models))],
			Endpoint:     "/v1/chat/completions",
			PromptTokens: 10 + rng.IntN(2000),
		}
		// The user base grows over the span, from 30 to 45 accounts.
		pool := 30 + int64(15*float64(at.Sub(from))/float64(span))
		switch k := rng.IntN(10); {
		case k < 6: // a user in the browser
			r.UserID = 1 + rng.Int64N(pool)
		case k < 9: // a user through an API key
			r.APIKeyID = 1 + rng.Int64N(25)
			r.UserID = 1 + r.APIKeyID%pool
		default: // anonymous
		}
		if rng.IntN(30) == 0 {
			r.Error = true
		} else {
			r.CompletionTokens = 1 + rng.IntN(800)
			r.TTFT = time.Duration(math.Exp(rng.NormFloat64()*0.7+5.5) * float64(time.Millisecond))
			if rng.IntN(20) != 0 {
				tps := 5 + rng.Float64()*80
				r.Generation = time.Duration(float64(r.CompletionTokens) / tps * float64(time.Second))
			}
		}
		recs = append(recs, r)
	}
	return recs
}

// Figures is what a straightforward count finds for one bucket.
type Figures struct {
	Requests, Errors, PromptTokens, CompletionTokens int64
	Users, Keys                                      map[int64]bool
	TTFTms, TokensPerSec                             []float64
}

// Key names one bucket of an independent count.
type Key struct {
	Start time.Time
	Model string
}

// Count tallies records in [from, to) per bucket of period p (and per model
// when byModel is set), keeping only model when it is non-empty. It walks
// the records one by one with calendar arithmetic, independently of the SQL.
func Count(recs []store.UsageRecord, p store.Period, from, to time.Time, model string, byModel bool) map[Key]*Figures {
	out := map[Key]*Figures{}
	for _, r := range recs {
		if r.Time.Before(from) || !r.Time.Before(to) {
			continue
		}
		if model != "" && r.Model != model {
			continue
		}
		t := r.Time.UTC()
		start := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		switch p {
		case store.Week:
			for start.Weekday() != time.Monday {
				start = start.AddDate(0, 0, -1)
			}
		case store.Month:
			start = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		}
		k := Key{Start: start}
		if byModel {
			k.Model = r.Model
		}
		f := out[k]
		if f == nil {
			f = &Figures{Users: map[int64]bool{}, Keys: map[int64]bool{}}
			out[k] = f
		}
		f.Requests++
		if r.Error {
			f.Errors++
		}
		f.PromptTokens += int64(r.PromptTokens)
		f.CompletionTokens += int64(r.CompletionTokens)
		if r.UserID != 0 {
			f.Users[r.UserID] = true
		}
		if r.APIKeyID != 0 {
			f.Keys[r.APIKeyID] = true
		}
		if r.TTFT > 0 {
			f.TTFTms = append(f.TTFTms, float64(r.TTFT)/1e6)
		}
		if v := r.TokensPerSecond(); v > 0 {
			f.TokensPerSec = append(f.TokensPerSec, v)
		}
	}
	return out
}

// Mean returns the arithmetic mean of vs, or 0 for none.
func Mean(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	var s float64
	for _, v := range vs {
		s += v
	}
	return s / float64(len(vs))
}

// Percentile returns the nearest-rank percentile p (0 < p <= 1) of vs.
func Percentile(vs []float64, p float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := append([]float64(nil), vs...)
	sort.Float64s(s)
	rank := int(math.Ceil(p * float64(len(s))))
	rank = max(rank, 1)
	return s[rank-1]
}
