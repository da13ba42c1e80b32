package store

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// UsageRecord is one served request.
type UsageRecord struct {
	Time             time.Time
	UserID           int64 // 0 when no account is known (single-user mode)
	APIKeyID         int64 // 0 when the request did not use an API key
	Model            string
	Endpoint         string // e.g. "/v1/chat/completions"
	PromptTokens     int
	CompletionTokens int
	// TTFT is the time to the first generated token; 0 when unknown.
	TTFT time.Duration
	// Generation is the time spent producing the completion tokens after
	// the first one came out (or the whole decode when the caller prefers);
	// tokens per second is CompletionTokens / Generation. 0 when unknown.
	Generation time.Duration
	Error      bool
}

// TokensPerSecond returns the decode speed of the record, or 0 when it
// cannot be computed.
func (r UsageRecord) TokensPerSecond() float64 {
	if r.CompletionTokens <= 0 || r.Generation <= 0 {
		return 0
	}
	return float64(r.CompletionTokens) / r.Generation.Seconds()
}

// Period is the width of a usage bucket.
type Period string

// Periods. Weeks start on Monday; all buckets are in UTC.
const (
	Day   Period = "day"
	Week  Period = "week"
	Month Period = "month"
)

// ParsePeriod accepts "day", "week" or "month" (case-insensitive).
func ParsePeriod(s string) (Period, error) {
	switch p := Period(strings.ToLower(strings.TrimSpace(s))); p {
	case Day, Week, Month:
		return p, nil
	}
	return "", fmt.Errorf("usage period %q: want day, week or month: %w", s, ErrInvalid)
}

// Valid reports whether p is a known period.
func (p Period) Valid() bool { return p == Day || p == Week || p == Month }

// Truncate returns the start of the bucket holding t, in UTC.
func (p Period) Truncate(t time.Time) time.Time {
	t = t.UTC()
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch p {
	case Week:
		off := (int(d.Weekday()) + 6) % 7 // days since Monday
		return d.AddDate(0, 0, -off)
	case Month:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return d
}

// Next returns the start of the bucket after the one that starts at start.
func (p Period) Next(start time.Time) time.Time {
	switch p {
	case Week:
		return start.AddDate(0, 0, 7)
	case Month:
		return start.AddDate(0, 1, 0)
	}
	return start.AddDate(0, 0, 1)
}

// Prev returns the start of the bucket before the one that starts at start.
func (p Period) Prev(start time.Time) time.Time {
	switch p {
	case Week:
		return start.AddDate(0, 0, -7)
	case Month:
		return start.AddDate(0, -1, 0)
	}
	return start.AddDate(0, 0, -1)
}

// UsageQuery selects usage records in [From, To) and groups them by period
// (and by model when ByModel is set). Model, when set, keeps only that model.
type UsageQuery struct {
	Period  Period
	From    time.Time
	To      time.Time
	Model   string
	ByModel bool
}

// UsageBucket holds the figures of one period (and model, when grouped by
// model). Percentiles come from a log-scale histogram whose bins are 5% wide,
// so they are within about 2.5% of the exact value; averages are exact.
type UsageBucket struct {
	Start            time.Time `json:"start"`
	Model            string    `json:"model,omitempty"`
	Requests         int64     `json:"requests"`
	Errors           int64     `json:"errors"`
	PromptTokens     int64     `json:"prompt_tokens"`
	CompletionTokens int64     `json:"completion_tokens"`
	UniqueUsers      int64     `json:"unique_users"`
	UniqueAPIKeys    int64     `json:"unique_api_keys"`
	TTFTAvgMs        float64   `json:"ttft_avg_ms"`
	TTFTP50Ms        float64   `json:"ttft_p50_ms"`
	TTFTP95Ms        float64   `json:"ttft_p95_ms"`
	TokensPerSecAvg  float64   `json:"tokens_per_sec_avg"`
	TokensPerSecP50  float64   `json:"tokens_per_sec_p50"`
	TokensPerSecP5   float64   `json:"tokens_per_sec_p5"`
}

// histBase is the ratio between consecutive histogram bin edges.
const histBase = 1.05

var logHistBase = math.Log(histBase)

// histBin returns the histogram bin of a positive value; ok is false for
// values that carry no information (zero, negative, NaN, Inf).
func histBin(v float64) (bin int64, ok bool) {
	if !(v > 0) || math.IsInf(v, 0) {
		return 0, false
	}
	b := math.Floor(math.Log(v) / logHistBase)
	if b < -2000 {
		b = -2000
	}
	if b > 2000 {
		b = 2000
	}
	return int64(b), true
}

// histValue is the representative value of a bin: its geometric middle.
func histValue(bin int64) float64 {
	return math.Pow(histBase, float64(bin)+0.5)
}

// histPercentile returns the nearest-rank percentile p (0 < p <= 1) of
// the counts per bin, as the middle of the bin holding that rank.
func histPercentile(counts map[int64]int64, p float64) float64 {
	var n int64
	bins := make([]int64, 0, len(counts))
	for b, c := range counts {
		n += c
		bins = append(bins, b)
	}
	if n == 0 {
		return 0
	}
	sort.Slice(bins, func(i, j int) bool { return bins[i] < bins[j] })
	rank := int64(math.Ceil(p * float64(n)))
	if rank < 1 {
		rank = 1
	}
	var seen int64
	for _, b := range bins {
		seen += counts[b]
		if seen >= rank {
			return histValue(b)
		}
	}
	return histValue(bins[len(bins)-1])
}

// dayNumber returns days since 1970-01-01 (UTC) of t.
func dayNumber(t time.Time) int64 {
	ms := t.UnixMilli()
	d := ms / 86400000
	if ms%86400000 < 0 {
		d--
	}
	return d
}

// monthNumber returns year*12 + month-1 of t in UTC.
func monthNumber(t time.Time) int64 {
	t = t.UTC()
	return int64(t.Year())*12 + int64(t.Month()) - 1
}

// bucketStart converts a bucket number of the given period back to a time.
func bucketStart(p Period, n int64) time.Time {
	switch p {
	case Week:
		// Week n covers days 7n-3 .. 7n+3 (day 0 was a Thursday).
		return time.UnixMilli((7*n - 3) * 86400000).UTC()
	case Month:
		return time.Date(int(n/12), time.Month(n%12+1), 1, 0, 0, 0, 0, time.UTC)
	}
	return time.UnixMilli(n * 86400000).UTC()
}
