package store

import (
	"math"
	"testing"
	"time"
)

func TestPlaceholders(t *testing.T) {
	cases := []struct{ dialect, in, want string }{
		{dialectSQLite, "SELECT ? , ?", "SELECT ? , ?"},
		{dialectPostgres, "SELECT 1", "SELECT 1"},
		{dialectPostgres, "a = ? AND b IN (?, ?)", "a = $1 AND b IN ($2, $3)"},
	}
	for _, tc := range cases {
		s := &sqlStore{dialect: tc.dialect}
		if got := s.q(tc.in); got != tc.want {
			t.Errorf("%s: q(%q) = %q, want %q", tc.dialect, tc.in, got, tc.want)
		}
	}
}

func TestPeriods(t *testing.T) {
	at := time.Date(2026, 6, 18, 15, 4, 5, 0, time.FixedZone("x", 5*3600)) // 10:04 UTC, a Thursday
	cases := []struct {
		p                 Period
		start, next, prev string
	}{
		{Day, "2026-06-18", "2026-06-19", "2026-06-17"},
		{Week, "2026-06-15", "2026-06-22", "2026-06-08"},
		{Month, "2026-06-01", "2026-07-01", "2026-05-01"},
	}
	for _, tc := range cases {
		s := tc.p.Truncate(at)
		got := []string{s.Format(time.DateOnly), tc.p.Next(s).Format(time.DateOnly), tc.p.Prev(s).Format(time.DateOnly)}
		if got[0] != tc.start || got[1] != tc.next || got[2] != tc.prev {
			t.Errorf("%s: got %v", tc.p, got)
		}
		// The SQL bucket numbering maps back to the same start.
		d := dayNumber(at)
		n := map[Period]int64{Day: d, Week: (d + 3) / 7, Month: monthNumber(at)}[tc.p]
		if b := bucketStart(tc.p, n); !b.Equal(s) {
			t.Errorf("%s: bucketStart = %v, want %v", tc.p, b, s)
		}
	}
	for _, s := range []string{"day", " Week ", "MONTH"} {
		if _, err := ParsePeriod(s); err != nil {
			t.Errorf("ParsePeriod(%q): %v", s, err)
		}
	}
	if _, err := ParsePeriod("year"); err == nil {
		t.Error("ParsePeriod(year) succeeded")
	}
}

func TestHistogram(t *testing.T) {
	for _, v := range []float64{0.001, 0.5, 1, 7.3, 250, 12345.6, 1e9} {
		b, ok := histBin(v)
		if !ok {
			t.Fatalf("histBin(%g) not ok", v)
		}
		if mid := histValue(b); math.Abs(mid-v) > 0.026*v {
			t.Errorf("histValue(histBin(%g)) = %g, off by more than 2.6%%", v, mid)
		}
	}
	for _, v := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if _, ok := histBin(v); ok {
			t.Errorf("histBin(%g) accepted", v)
		}
	}
	counts := map[int64]int64{}
	for _, v := range []float64{10, 20, 30, 40, 100} {
		b, _ := histBin(v)
		counts[b]++
	}
	if p := histPercentile(counts, 0.5); math.Abs(p-30) > 0.026*30 {
		t.Errorf("p50 = %g, want about 30", p)
	}
	if p := histPercentile(counts, 0.95); math.Abs(p-100) > 2.6 {
		t.Errorf("p95 = %g, want about 100", p)
	}
	if p := histPercentile(nil, 0.5); p != 0 {
		t.Errorf("empty p50 = %g", p)
	}
}
