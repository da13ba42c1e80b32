package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

const usageCols = 14

// usageChunk is the number of rows per multi-row INSERT: it keeps the
// parameter count far below both dialects' limits.
const usageChunk = 200

// InsertUsage writes a batch of records in one transaction.
func (s *sqlStore) InsertUsage(ctx context.Context, recs []UsageRecord) error {
	if len(recs) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(recs); start += usageChunk {
			end := min(start+usageChunk, len(recs))
			var b strings.Builder
			b.WriteString(`INSERT INTO usage_events (ts_ms, day, month, user_id, api_key_id, model, endpoint,
				prompt_tokens, completion_tokens, ttft_ms, ttft_bin, tokens_per_sec, tps_bin, is_error) VALUES `)
			args := make([]any, 0, (end-start)*usageCols)
			for i, r := range recs[start:end] {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
				args = append(args, usageArgs(r)...)
			}
			if _, err := tx.ExecContext(ctx, s.q(b.String()), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("insert %d usage records into %s: %w", len(recs), s.name, err)
	}
	return nil
}

func usageArgs(r UsageRecord) []any {
	t := r.Time
	if t.IsZero() {
		t = now()
	}
	nullID := func(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }
	var ttft, tps sql.NullFloat64
	var ttftBin, tpsBin sql.NullInt64
	if r.TTFT > 0 {
		v := float64(r.TTFT) / 1e6
		ttft = sql.NullFloat64{Float64: v, Valid: true}
		if b, ok := histBin(v); ok {
			ttftBin = sql.NullInt64{Int64: b, Valid: true}
		}
	}
	if v := r.TokensPerSecond(); v > 0 {
		tps = sql.NullFloat64{Float64: v, Valid: true}
		if b, ok := histBin(v); ok {
			tpsBin = sql.NullInt64{Int64: b, Valid: true}
		}
	}
	return []any{
		t.UnixMilli(), dayNumber(t), monthNumber(t), nullID(r.UserID), nullID(r.APIKeyID),
		r.Model, r.Endpoint, int64(max(r.PromptTokens, 0)), int64(max(r.CompletionTokens, 0)),
		ttft, ttftBin, tps, tpsBin, boolInt(r.Error),
	}
}

// bucketExpr is the SQL expression numbering the buckets of a period. Week
// numbers count Monday-started weeks: day 0 (1970-01-01) was a Thursday.
func bucketExpr(p Period) string {
	switch p {
	case Week:
		return "((day + 3) / 7)"
	case Month:
		return "month"
	}
	return "day"
}

type bucketKey struct {
	n     int64
	model string
}

// AggregateUsage computes the figures of each bucket that has records.
// Buckets come sorted by start, then model.
func (s *sqlStore) AggregateUsage(ctx context.Context, q UsageQuery) ([]UsageBucket, error) {
	if !q.Period.Valid() {
		return nil, fmt.Errorf("aggregate usage: period %q: %w", q.Period, ErrInvalid)
	}
	if q.From.IsZero() || q.To.IsZero() || !q.From.Before(q.To) {
		return nil, fmt.Errorf("aggregate usage: empty or missing time range %v .. %v: %w", q.From, q.To, ErrInvalid)
	}
	b := bucketExpr(q.Period)
	group := "b"
	modelCol := "''"
	if q.ByModel {
		group = "b, model"
		modelCol = "model"
	}
	where := "ts_ms >= ? AND ts_ms < ?"
	args := []any{q.From.UnixMilli(), q.To.UnixMilli()}
	if q.Model != "" {
		where += " AND model = ?"
		args = append(args, q.Model)
	}

	main := fmt.Sprintf(`SELECT %s AS b, %s AS m, COUNT(*),
		CAST(COALESCE(SUM(is_error), 0) AS BIGINT),
		CAST(COALESCE(SUM(prompt_tokens), 0) AS BIGINT),
		CAST(COALESCE(SUM(completion_tokens), 0) AS BIGINT),
		COUNT(DISTINCT user_id), COUNT(DISTINCT api_key_id),
		CAST(AVG(ttft_ms) AS DOUBLE PRECISION), CAST(AVG(tokens_per_sec) AS DOUBLE PRECISION)
		FROM usage_events WHERE %s GROUP BY %s ORDER BY %s`, b, modelCol, where, group, group)
	rows, err := s.query(ctx, main, args...)
	if err != nil {
		return nil, fmt.Errorf("aggregate usage in %s: %w", s.name, err)
	}
	var out []UsageBucket
	index := map[bucketKey]int{}
	for rows.Next() {
		var n int64
		var u UsageBucket
		var ttft, tps sql.NullFloat64
		if err := rows.Scan(&n, &u.Model, &u.Requests, &u.Errors, &u.PromptTokens, &u.CompletionTokens,
			&u.UniqueUsers, &u.UniqueAPIKeys, &ttft, &tps); err != nil {
			rows.Close()
			return nil, fmt.Errorf("aggregate usage in %s: %w", s.name, err)
		}
		u.Start = bucketStart(q.Period, n)
		u.TTFTAvgMs = ttft.Float64
		u.TokensPerSecAvg = tps.Float64
		index[bucketKey{n, u.Model}] = len(out)
		out = append(out, u)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("aggregate usage in %s: %w", s.name, err)
	}

	ttftHist, err := s.histograms(ctx, "ttft_bin", b, modelCol, group, where, args)
	if err != nil {
		return nil, err
	}
	tpsHist, err := s.histograms(ctx, "tps_bin", b, modelCol, group, where, args)
	if err != nil {
		return nil, err
	}
	for k, i := range index {
		if h := ttftHist[k]; h != nil {
			out[i].TTFTP50Ms = histPercentile(h, 0.50)
			out[i].TTFTP95Ms = histPercentile(h, 0.95)
		}
		if h := tpsHist[k]; h != nil {
			out[i].TokensPerSecP50 = histPercentile(h, 0.50)
			out[i].TokensPerSecP5 = histPercentile(h, 0.05)
		}
	}
	return out, nil
}

// histograms counts records per histogram bin of column col in each bucket.
func (s *sqlStore) histograms(ctx context.Context, col, b, modelCol, group, where string, args []any) (map[bucketKey]map[int64]int64, error) {
	query := fmt.Sprintf(`SELECT %s AS b, %s AS m, %s AS h, COUNT(*) FROM usage_events
		WHERE %s AND %s IS NOT NULL GROUP BY %s, h`, b, modelCol, col, where, col, group)
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("usage histogram of %s in %s: %w", col, s.name, err)
	}
	defer rows.Close()
	out := map[bucketKey]map[int64]int64{}
	for rows.Next() {
		var k bucketKey
		var bin, n int64
		if err := rows.Scan(&k.n, &k.model, &bin, &n); err != nil {
			return nil, fmt.Errorf("usage histogram of %s in %s: %w", col, s.name, err)
		}
		if out[k] == nil {
			out[k] = map[int64]int64{}
		}
		out[k][bin] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("usage histogram of %s in %s: %w", col, s.name, err)
	}
	return out, nil
}
