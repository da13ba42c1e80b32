package usage

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/nuri-ai/nuri/store"
	"github.com/nuri-ai/nuri/store/storetest"
)

var (
	may1  = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	june1 = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	july1 = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
)

// loadTraffic records two months of synthetic traffic through a Recorder
// into a real store and returns the records.
func loadTraffic(t *testing.T, newURL storetest.NewURL) (store.Store, []store.UsageRecord) {
	t.Helper()
	st := storetest.OpenFresh(t, newURL)
	recs := storetest.Traffic(42, 8000, may1, july1)
	rec := NewRecorder(st, Options{BatchSize: 500})
	for _, r := range recs {
		if !rec.Record(r) {
			t.Fatal("recorder dropped an event")
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if s := rec.Stats(); s.Written != uint64(len(recs)) {
		t.Fatalf("recorder stats %+v", s)
	}
	return st, recs
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestReportMatchesIndependentCount(t *testing.T) {
	for name, newURL := range storetest.Backends() {
		t.Run(name, func(t *testing.T) {
			st, recs := loadTraffic(t, newURL)
			ctx := context.Background()

			// June against May, all models.
			rep, err := Report(ctx, st, store.Month, june1.Add(36*time.Hour), july1, "")
			if err != nil {
				t.Fatal(err)
			}
			if !rep.From.Equal(june1) || !rep.To.Equal(july1) || len(rep.Rows) != 1 {
				t.Fatalf("report span %v..%v with %d rows", rep.From, rep.To, len(rep.Rows))
			}
			count := storetest.Count(recs, store.Month, may1, july1, "", false)
			juneF, mayF := count[storetest.Key{Start: june1}], count[storetest.Key{Start: may1}]
			row := rep.Rows[0]
			storetest.CheckBucket(t, row.UsageBucket, juneF)
			storetest.CheckBucket(t, row.Previous, mayF)
			wantReq := (float64(juneF.Requests) - float64(mayF.Requests)) / float64(mayF.Requests) * 100
			wantUsers := (float64(len(juneF.Users)) - float64(len(mayF.Users))) / float64(len(mayF.Users)) * 100
			if row.Change.Requests == nil || !near(*row.Change.Requests, wantReq) {
				t.Fatalf("requests change %v, want %.4f", row.Change.Requests, wantReq)
			}
			if row.Change.UniqueUsers == nil || !near(*row.Change.UniqueUsers, wantUsers) {
				t.Fatalf("unique users change %v, want %.4f", row.Change.UniqueUsers, wantUsers)
			}
			t.Log(row.Summary(store.Month))

			// Per model, weekly, for one model: every row matches.
			byModel := storetest.Count(recs, store.Week, may1.AddDate(0, 0, -7), july1, "", true)
			for m, rows := range rep.Models {
				monthly := storetest.Count(recs, store.Month, june1, july1, m, false)
				storetest.CheckBucket(t, rows[0].UsageBucket, monthly[storetest.Key{Start: june1}])
			}
			if len(rep.Models) != 3 || rep.ModelNames()[0] == "" {
				t.Fatalf("models %v", rep.ModelNames())
			}
			weekly, err := Report(ctx, st, store.Week, may1, july1, "qwen2.5-7b")
			if err != nil {
				t.Fatal(err)
			}
			if len(weekly.Rows) != 10 { // 27 Apr .. 29 Jun
				t.Fatalf("%d weekly rows", len(weekly.Rows))
			}
			for i, r := range weekly.Rows {
				f := byModel[storetest.Key{Start: r.Start, Model: "qwen2.5-7b"}]
				if f == nil {
					t.Fatalf("week %s has no traffic in the count", r.Label)
				}
				storetest.CheckBucket(t, r.UsageBucket, f)
				if i > 0 && !r.Previous.Start.Equal(weekly.Rows[i-1].Start) {
					t.Fatalf("week %d compares with %v", i, r.Previous.Start)
				}
				if r.Model != "qwen2.5-7b" {
					t.Fatalf("row model %q", r.Model)
				}
			}
			if len(weekly.Models) != 1 {
				t.Fatalf("model filter left %d models", len(weekly.Models))
			}
		})
	}
}

func TestReportFillsGaps(t *testing.T) {
	st := storetest.OpenFresh(t, storetest.SQLiteURLs)
	ctx := context.Background()
	d := func(day int) time.Time { return time.Date(2026, 6, day, 10, 0, 0, 0, time.UTC) }
	recs := []store.UsageRecord{
		{Time: d(1), Model: "a", UserID: 1}, {Time: d(1), Model: "a", UserID: 2},
		{Time: d(3), Model: "b", UserID: 1},
		{Time: d(4), Model: "a", UserID: 1, TTFT: 200 * time.Millisecond, CompletionTokens: 10, Generation: time.Second},
	}
	if err := st.InsertUsage(ctx, recs); err != nil {
		t.Fatal(err)
	}
	rep, err := Report(ctx, st, store.Day, d(2), d(4).Add(time.Hour), "")
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		label    string
		requests int64
		change   string
	}
	wants := []want{{"2026-06-02", 0, "−100.0%"}, {"2026-06-03", 1, "n/a"}, {"2026-06-04", 1, "+0.0%"}}
	if len(rep.Rows) != len(wants) {
		t.Fatalf("%d rows", len(rep.Rows))
	}
	for i, w := range wants {
		r := rep.Rows[i]
		if r.Label != w.label || r.Requests != w.requests || FormatChange(r.Change.Requests) != w.change {
			t.Errorf("row %d: %s %d %s, want %+v", i, r.Label, r.Requests, FormatChange(r.Change.Requests), w)
		}
	}
	if got := rep.Rows[2].TTFTAvgMs; got != 200 {
		t.Errorf("TTFT avg %v", got)
	}
	if got := rep.Rows[2].TokensPerSecAvg; got != 10 {
		t.Errorf("tokens/s avg %v", got)
	}
	// Model a was active on day 1 (before the range) and day 4; b on day 3.
	if len(rep.Models["a"]) != 3 || len(rep.Models["b"]) != 3 || rep.Models["a"][0].Previous.Requests != 2 {
		t.Fatalf("models %+v", rep.Models)
	}
	// The report serialises for /api/usage, with null for undefined changes.
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(js, []byte(`"requests":null`)) || !bytes.Contains(js, []byte(`"label":"2026-06-03"`)) {
		t.Fatalf("JSON %s", js)
	}
}

func TestReportErrors(t *testing.T) {
	st := storetest.OpenFresh(t, storetest.SQLiteURLs)
	ctx := context.Background()
	cases := []struct {
		name     string
		period   store.Period
		from, to time.Time
	}{
		{"bad period", "year", may1, july1},
		{"empty range", store.Day, june1, june1},
		{"reversed", store.Day, july1, june1},
		{"zero", store.Day, time.Time{}, june1},
		{"too long", store.Day, time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), july1},
	}
	for _, tc := range cases {
		if _, err := Report(ctx, st, tc.period, tc.from, tc.to, ""); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestSummaryAndLabels(t *testing.T) {
	v1, v2 := -9.7, -5.66
	r := Row{UsageBucket: store.UsageBucket{Start: june1}, Previous: store.UsageBucket{Start: may1}, Change: Change{Requests: &v1, UniqueUsers: &v2}}
	if got, want := r.Summary(store.Month), "June 2026: requests −9.7%, unique users −5.7% vs May 2026"; got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
	small, up := -0.04, 12.345
	cases := []struct {
		v    *float64
		want string
	}{{nil, "n/a"}, {&small, "+0.0%"}, {&up, "+12.3%"}}
	for _, tc := range cases {
		if got := FormatChange(tc.v); got != tc.want {
			t.Errorf("FormatChange = %q, want %q", got, tc.want)
		}
	}
	labels := []struct {
		p    store.Period
		t    time.Time
		want string
	}{
		{store.Day, june1, "2026-06-01"},
		{store.Week, time.Date(2026, 12, 28, 0, 0, 0, 0, time.UTC), "2026-W53"},
		{store.Week, time.Date(2024, 12, 30, 0, 0, 0, 0, time.UTC), "2025-W01"},
		{store.Month, june1, "2026-06"},
	}
	for _, tc := range labels {
		if got := Label(tc.p, tc.t); got != tc.want {
			t.Errorf("Label(%s, %v) = %q, want %q", tc.p, tc.t, got, tc.want)
		}
	}
}

func TestWriteCSV(t *testing.T) {
	st := storetest.OpenFresh(t, storetest.SQLiteURLs)
	ctx := context.Background()
	recs := []store.UsageRecord{
		{Time: may1.Add(time.Hour), Model: "llama", UserID: 1},
		{Time: june1.Add(time.Hour), Model: "llama", UserID: 1, APIKeyID: 4},
		{Time: june1.Add(2 * time.Hour), Model: "=HYPERLINK(\"x\")", UserID: 2, Error: true},
	}
	if err := st.InsertUsage(ctx, recs); err != nil {
		t.Fatal(err)
	}
	rep, err := Report(ctx, st, store.Month, june1, july1, "")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, rep); err != nil {
		t.Fatal(err)
	}
	lines, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 4 { // header, all models, two models
		t.Fatalf("%d CSV lines: %q", len(lines), lines)
	}
	col := map[string]int{}
	for i, h := range lines[0] {
		col[h] = i
	}
	all := lines[1]
	checks := map[string]string{
		"period": "month", "label": "2026-06", "model": "*", "requests": "2", "requests_change_pct": "100.00",
		"errors": "1", "unique_users": "2", "unique_users_change_pct": "100.00", "unique_api_keys": "1",
	}
	for k, want := range checks {
		if got := all[col[k]]; got != want {
			t.Errorf("column %s = %q, want %q", k, got, want)
		}
	}
	models := map[string]bool{lines[2][col["model"]]: true, lines[3][col["model"]]: true}
	if !models["llama"] || !models["'=HYPERLINK(\"x\")"] {
		t.Fatalf("model column %v: formula not neutralised", models)
	}
	if _, err := strconv.ParseFloat(all[col["ttft_avg_ms"]], 64); err != nil {
		t.Fatalf("ttft column: %v", err)
	}
}
