package usage

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nuri-ai/nuri/store"
)

// Source answers aggregate queries; store.Store satisfies it.
type Source interface {
	AggregateUsage(ctx context.Context, q store.UsageQuery) ([]store.UsageBucket, error)
}

// MaxBuckets bounds the periods one report may span.
const MaxBuckets = 5000

// Change holds percent changes against the previous period. A nil field
// means the previous period had zero, so no percentage exists.
type Change struct {
	Requests         *float64 `json:"requests"`
	Errors           *float64 `json:"errors"`
	PromptTokens     *float64 `json:"prompt_tokens"`
	CompletionTokens *float64 `json:"completion_tokens"`
	UniqueUsers      *float64 `json:"unique_users"`
	UniqueAPIKeys    *float64 `json:"unique_api_keys"`
	TTFTAvgMs        *float64 `json:"ttft_avg_ms"`
	TokensPerSecAvg  *float64 `json:"tokens_per_sec_avg"`
}

// Row is one period (of all models, or of one model) with its change
// against the period before.
type Row struct {
	store.UsageBucket
	End      time.Time         `json:"end"`
	Label    string            `json:"label"`
	Previous store.UsageBucket `json:"-"`
	Change   Change            `json:"change"`
}

// UsageReport is what /admin/usage shows and /api/usage returns.
type UsageReport struct {
	Period store.Period `json:"period"`
	From   time.Time    `json:"from"`
	To     time.Time    `json:"to"`
	Model  string       `json:"model,omitempty"`
	// Rows are the periods in [From, To), oldest first, all models
	// together (or only Model when set); periods without traffic are
	// present with zeros.
	Rows []Row `json:"rows"`
	// Models maps each model seen in the range to its rows, aligned with
	// Rows.
	Models map[string][]Row `json:"models"`
}

// Report computes usage in [from, to) by period, each period compared
// with the one before it (the period before from is read for the first
// row). from is rounded down and to up to period boundaries; model, when
// set, keeps only that model.
func Report(ctx context.Context, src Source, period store.Period, from, to time.Time, model string) (*UsageReport, error) {
	if !period.Valid() {
		return nil, fmt.Errorf("usage report: period %q: want day, week or month: %w", period, store.ErrInvalid)
	}
	if from.IsZero() || to.IsZero() || !from.Before(to) {
		return nil, fmt.Errorf("usage report: empty range %s .. %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), store.ErrInvalid)
	}
	start := period.Truncate(from)
	end := period.Truncate(to)
	if end.Before(to) {
		end = period.Next(end)
	}
	var starts []time.Time // includes the period before start
	for t := period.Prev(start); t.Before(end); t = period.Next(t) {
		if len(starts) > MaxBuckets {
			return nil, fmt.Errorf("usage report: more than %d %ss from %s to %s: %w", MaxBuckets, period,
				start.Format(time.DateOnly), end.Format(time.DateOnly), store.ErrInvalid)
		}
		starts = append(starts, t)
	}
	q := store.UsageQuery{Period: period, From: starts[0], To: end, Model: model}
	totals, err := src.AggregateUsage(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("usage report: %w", err)
	}
	q.ByModel = true
	perModel, err := src.AggregateUsage(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("usage report by model: %w", err)
	}

	rep := &UsageReport{Period: period, From: start, To: end, Model: model, Models: map[string][]Row{}}
	rep.Rows = rows(period, starts, totals, model)
	byModel := map[string][]store.UsageBucket{}
	for _, b := range perModel {
		byModel[b.Model] = append(byModel[b.Model], b)
	}
	for m, bs := range byModel {
		rs := rows(period, starts, bs, m)
		// A model seen only in the period before the range is left out.
		seen := false
		for _, r := range rs {
			seen = seen || r.Requests > 0
		}
		if seen {
			rep.Models[m] = rs
		}
	}
	return rep, nil
}

// ModelNames returns the report's models, busiest first.
func (r *UsageReport) ModelNames() []string {
	names := make([]string, 0, len(r.Models))
	total := map[string]int64{}
	for m, rs := range r.Models {
		names = append(names, m)
		for _, row := range rs {
			total[m] += row.Requests
		}
	}
	sort.Slice(names, func(i, j int) bool {
		if total[names[i]] != total[names[j]] {
			return total[names[i]] > total[names[j]]
		}
		return names[i] < names[j]
	})
	return names
}

// rows lays buckets on the full list of period starts (zeros where no
// bucket) and returns all but the first, each with its change. model names
// the rows ("" for all models together).
func rows(p store.Period, starts []time.Time, buckets []store.UsageBucket, model string) []Row {
	at := map[int64]store.UsageBucket{}
	for _, b := range buckets {
		at[b.Start.Unix()] = b
	}
	out := make([]Row, 0, len(starts)-1)
	for i := 1; i < len(starts); i++ {
		cur, ok := at[starts[i].Unix()]
		if !ok {
			cur = store.UsageBucket{Start: starts[i], Model: model}
		}
		prev, ok := at[starts[i-1].Unix()]
		if !ok {
			prev = store.UsageBucket{Start: starts[i-1], Model: model}
		}
		cur.Model, prev.Model = model, model
		out = append(out, Row{
			UsageBucket: cur,
			End:         p.Next(starts[i]),
			Label:       Label(p, starts[i]),
			Previous:    prev,
			Change: Change{
				Requests:         pct(float64(cur.Requests), float64(prev.Requests)),
				Errors:           pct(float64(cur.Errors), float64(prev.Errors)),
				PromptTokens:     pct(float64(cur.PromptTokens), float64(prev.PromptTokens)),
				CompletionTokens: pct(float64(cur.CompletionTokens), float64(prev.CompletionTokens)),
				UniqueUsers:      pct(float64(cur.UniqueUsers), float64(prev.UniqueUsers)),
				UniqueAPIKeys:    pct(float64(cur.UniqueAPIKeys), float64(prev.UniqueAPIKeys)),
				TTFTAvgMs:        pct(cur.TTFTAvgMs, prev.TTFTAvgMs),
				TokensPerSecAvg:  pct(cur.TokensPerSecAvg, prev.TokensPerSecAvg),
			},
		})
	}
	return out
}

// pct is the percent change from prev to cur, nil when prev is zero.
func pct(cur, prev float64) *float64 {
	if prev == 0 {
		return nil
	}
	v := (cur - prev) / prev * 100
	return &v
}

// Label names a period: "2026-06-18", "2026-W25" (ISO week) or "2026-06".
func Label(p store.Period, start time.Time) string {
	switch p {
	case store.Week:
		y, w := start.ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, w)
	case store.Month:
		return start.Format("2006-01")
	}
	return start.Format(time.DateOnly)
}

// longLabel names a period for sentences.
func longLabel(p store.Period, start time.Time) string {
	switch p {
	case store.Week:
		return "week of " + start.Format("2 Jan 2006")
	case store.Month:
		return start.Format("January 2006")
	}
	return start.Format("Mon 2 Jan 2006")
}

// FormatChange writes a percent change with one decimal and a sign, using
// the minus sign (U+2212): "+3.2%", "−9.7%", or "n/a" without a base.
func FormatChange(v *float64) string {
	if v == nil {
		return "n/a"
	}
	s := strconv.FormatFloat(math.Abs(*v), 'f', 1, 64) + "%"
	if math.Round(*v*10) < 0 {
		return "\u2212" + s
	}
	return "+" + s
}

// Summary describes a row against its previous period, e.g.
// "June 2026: requests −9.7%, unique users −5.7% vs May 2026".
func (r Row) Summary(p store.Period) string {
	return fmt.Sprintf("%s: requests %s, unique users %s vs %s", longLabel(p, r.Start),
		FormatChange(r.Change.Requests), FormatChange(r.Change.UniqueUsers), longLabel(p, r.Previous.Start))
}

// csvHeader is the first line of WriteCSV's output.
var csvHeader = []string{
	"period", "period_start", "label", "model", "requests", "requests_change_pct", "errors",
	"prompt_tokens", "completion_tokens", "unique_users", "unique_users_change_pct", "unique_api_keys",
	"ttft_avg_ms", "ttft_p50_ms", "ttft_p95_ms", "tokens_per_sec_avg", "tokens_per_sec_p50", "tokens_per_sec_p5",
}

// WriteCSV writes the report as CSV: one line per period for all models
// together (model "*"), then one line per period for each model.
func WriteCSV(w io.Writer, rep *UsageReport) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("write usage CSV: %w", err)
	}
	all := "*"
	if rep.Model != "" {
		all = rep.Model
	}
	write := func(model string, rows []Row) error {
		for _, r := range rows {
			rec := []string{
				string(rep.Period), r.Start.Format(time.RFC3339), r.Label, csvSafe(model),
				itoa(r.Requests), pctCSV(r.Change.Requests), itoa(r.Errors),
				itoa(r.PromptTokens), itoa(r.CompletionTokens), itoa(r.UniqueUsers), pctCSV(r.Change.UniqueUsers), itoa(r.UniqueAPIKeys),
				ftoa(r.TTFTAvgMs), ftoa(r.TTFTP50Ms), ftoa(r.TTFTP95Ms), ftoa(r.TokensPerSecAvg), ftoa(r.TokensPerSecP50), ftoa(r.TokensPerSecP5),
			}
			if err := cw.Write(rec); err != nil {
				return fmt.Errorf("write usage CSV: %w", err)
			}
		}
		return nil
	}
	if err := write(all, rep.Rows); err != nil {
		return err
	}
	for _, m := range rep.ModelNames() {
		if err := write(m, rep.Models[m]); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write usage CSV: %w", err)
	}
	return nil
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

func pctCSV(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', 2, 64)
}

// csvSafe keeps a spreadsheet from reading a model name as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
