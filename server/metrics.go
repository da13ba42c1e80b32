package server

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nuri-ai/nuri/server/backend"
)

// histogram is a Prometheus histogram with fixed buckets.
type histogram struct {
	bounds []float64
	counts []uint64 // per bucket, not cumulative; last is +Inf
	sum    float64
	n      uint64
}

func newHistogram(bounds []float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

func (h *histogram) observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v)
	h.counts[i]++
	h.sum += v
	h.n++
}

var (
	tokenBuckets   = []float64{1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072}
	secondsBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 320, 640}
)

// modelHists are the per-model histograms and counters.
type modelHists struct {
	prompt, generation            *histogram
	ttft, duration, queue, perTok *histogram
	promptTotal, genTotal         uint64
	success, failed               uint64
}

// metrics collects request metrics and renders them with the engines'
// live state in the Prometheus text format.
type metrics struct {
	mu       sync.Mutex
	models   map[string]*modelHists
	requests map[[2]string]uint64 // (endpoint, code) → count
	start    time.Time
}

func newMetrics() *metrics {
	return &metrics{models: map[string]*modelHists{}, requests: map[[2]string]uint64{}, start: time.Now()}
}

func (m *metrics) request(endpoint string, code int) {
	m.mu.Lock()
	m.requests[[2]string{endpoint, strconv.Itoa(code)}]++
	m.mu.Unlock()
}

func (m *metrics) record(rec backend.Record) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, ok := m.models[rec.Model]
	if !ok {
		h = &modelHists{
			prompt: newHistogram(tokenBuckets), generation: newHistogram(tokenBuckets),
			ttft: newHistogram(secondsBuckets), duration: newHistogram(secondsBuckets),
			queue: newHistogram(secondsBuckets), perTok: newHistogram(secondsBuckets),
		}
		m.models[rec.Model] = h
	}
	if rec.Failed {
		h.failed++
	} else {
		h.success++
	}
	u := rec.Usage
	h.promptTotal += uint64(u.PromptTokens)
	h.genTotal += uint64(u.CompletionTokens)
	if u.PromptTokens > 0 {
		h.prompt.observe(float64(u.PromptTokens))
	}
	h.generation.observe(float64(u.CompletionTokens))
	if u.TimeToFirstToken > 0 {
		h.ttft.observe(u.TimeToFirstToken.Seconds())
	}
	if u.Duration > 0 {
		h.duration.observe(u.Duration.Seconds())
	}
	h.queue.observe(u.Queued.Seconds())
	if u.CompletionTokens > 1 {
		decode := u.Duration - u.TimeToFirstToken - u.Queued
		if decode > 0 {
			h.perTok.observe(decode.Seconds() / float64(u.CompletionTokens-1))
		}
	}
}

func fmtFloat(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func label(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return r.Replace(s)
}

func writeHist(w io.Writer, name, lbl string, h *histogram) {
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i]
		fmt.Fprintf(w, "%s_bucket{%s,le=\"%s\"} %d\n", name, lbl, fmtFloat(b), cum)
	}
	cum += h.counts[len(h.bounds)]
	fmt.Fprintf(w, "%s_bucket{%s,le=\"+Inf\"} %d\n", name, lbl, cum)
	fmt.Fprintf(w, "%s_sum{%s} %s\n", name, lbl, fmtFloat(h.sum))
	fmt.Fprintf(w, "%s_count{%s} %d\n", name, lbl, h.n)
}

// write renders every metric. Gauges of loaded models come from their
// engines; vLLM's names are used where they exist so dashboards and
// autoscalers built for vLLM work unchanged.
func (m *metrics) write(w io.Writer, loaded []*backend.Model, recorder func() (recorded, dropped uint64)) {
	type gauge struct {
		name, help, typ string
		rows            []string
	}
	g := []*gauge{
		{name: "vllm:num_requests_running", help: "Requests decoding now.", typ: "gauge"},
		{name: "vllm:num_requests_waiting", help: "Requests waiting in the queue.", typ: "gauge"},
		{name: "vllm:kv_cache_usage_perc", help: "Fraction of KV cache blocks in use (0 to 1).", typ: "gauge"},
		{name: "vllm:cache_config_info", help: "KV cache configuration.", typ: "gauge"},
		{name: "vllm:num_preemptions_total", help: "Sequences preempted for lack of KV blocks.", typ: "counter"},
		{name: "vllm:prefix_cache_queries_total", help: "Prompt tokens looked up in the prefix cache.", typ: "counter"},
		{name: "vllm:prefix_cache_hits_total", help: "Prompt tokens found in the prefix cache.", typ: "counter"},
		{name: "nuri_model_memory_bytes", help: "Memory of the loaded model (weights and KV cache).", typ: "gauge"},
		{name: "nuri_model_context_tokens", help: "Usable context per sequence.", typ: "gauge"},
		{name: "nuri_preemptions_total", help: "Sequences preempted for lack of KV blocks, by how they resume: swap (blocks copied out and back) or recompute.", typ: "counter"},
		{name: "nuri_swap_used_bytes", help: "Memory holding the KV blocks of swapped-out sequences.", typ: "gauge"},
	}
	for _, lm := range loaded {
		st := lm.Engine.Stats()
		l := fmt.Sprintf(`model_name="%s"`, label(lm.Name))
		usage := 0.0
		if st.KVBlocksTotal > 0 {
			usage = float64(st.KVBlocksUsed) / float64(st.KVBlocksTotal)
		}
		g[0].rows = append(g[0].rows, fmt.Sprintf("{%s} %d", l, st.Running))
		g[1].rows = append(g[1].rows, fmt.Sprintf("{%s} %d", l, st.Waiting))
		g[2].rows = append(g[2].rows, fmt.Sprintf("{%s} %s", l, fmtFloat(usage)))
		g[3].rows = append(g[3].rows, fmt.Sprintf("{%s,block_size=\"%d\",num_gpu_blocks=\"%d\",num_cpu_blocks=\"%d\"} 1", l, st.KVBlockSize, st.KVBlocksTotal, st.KVBlocksTotal))
		g[4].rows = append(g[4].rows, fmt.Sprintf("{%s} %d", l, st.Preemptions))
		g[5].rows = append(g[5].rows, fmt.Sprintf("{%s} %d", l, st.PrefixCacheQueries))
		g[6].rows = append(g[6].rows, fmt.Sprintf("{%s} %d", l, st.PrefixCacheHits))
		g[7].rows = append(g[7].rows, fmt.Sprintf("{%s} %d", l, lm.Info.Memory))
		g[8].rows = append(g[8].rows, fmt.Sprintf("{%s} %d", l, lm.Context()))
		g[9].rows = append(g[9].rows, fmt.Sprintf("{%s,mode=\"swap\"} %d", l, st.Swaps), fmt.Sprintf("{%s,mode=\"recompute\"} %d", l, st.Preemptions-st.Swaps))
		g[10].rows = append(g[10].rows, fmt.Sprintf("{%s} %d", l, st.SwapBytesUsed))
	}
	for _, x := range g {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", x.name, x.help, x.name, x.typ)
		for _, r := range x.rows {
			fmt.Fprintf(w, "%s%s\n", x.name, r)
		}
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, 0, len(m.models))
	for n := range m.models {
		names = append(names, n)
	}
	sort.Strings(names)
	counters := []struct {
		name, help string
		get        func(h *modelHists) uint64
	}{
		{"vllm:prompt_tokens_total", "Prompt tokens processed.", func(h *modelHists) uint64 { return h.promptTotal }},
		{"vllm:generation_tokens_total", "Tokens generated.", func(h *modelHists) uint64 { return h.genTotal }},
	}
	for _, c := range counters {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", c.name, c.help, c.name)
		for _, n := range names {
			fmt.Fprintf(w, "%s{model_name=\"%s\"} %d\n", c.name, label(n), c.get(m.models[n]))
		}
	}
	fmt.Fprintf(w, "# HELP vllm:request_success_total Finished requests.\n# TYPE vllm:request_success_total counter\n")
	for _, n := range names {
		fmt.Fprintf(w, "vllm:request_success_total{model_name=\"%s\",finished_reason=\"stop\"} %d\n", label(n), m.models[n].success)
	}
	fmt.Fprintf(w, "# HELP nuri_request_failures_total Requests that ended in an error.\n# TYPE nuri_request_failures_total counter\n")
	for _, n := range names {
		fmt.Fprintf(w, "nuri_request_failures_total{model_name=\"%s\"} %d\n", label(n), m.models[n].failed)
	}
	hists := []struct {
		name, help string
		get        func(h *modelHists) *histogram
	}{
		{"nuri_prompt_tokens", "Prompt tokens per request.", func(h *modelHists) *histogram { return h.prompt }},
		{"nuri_generation_tokens", "Generated tokens per request.", func(h *modelHists) *histogram { return h.generation }},
		{"nuri_time_to_first_token_seconds", "Time from arrival to the first generated token.", func(h *modelHists) *histogram { return h.ttft }},
		{"nuri_time_per_output_token_seconds", "Mean time between generated tokens of a request.", func(h *modelHists) *histogram { return h.perTok }},
		{"nuri_request_queue_seconds", "Time a request waited before being scheduled.", func(h *modelHists) *histogram { return h.queue }},
		{"nuri_request_duration_seconds", "Time from arrival to the last token.", func(h *modelHists) *histogram { return h.duration }},
	}
	for _, hd := range hists {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", hd.name, hd.help, hd.name)
		for _, n := range names {
			writeHist(w, hd.name, fmt.Sprintf(`model_name="%s"`, label(n)), hd.get(m.models[n]))
		}
	}
	keys := make([][2]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	fmt.Fprintf(w, "# HELP nuri_http_requests_total HTTP requests by endpoint and status code.\n# TYPE nuri_http_requests_total counter\n")
	for _, k := range keys {
		fmt.Fprintf(w, "nuri_http_requests_total{endpoint=\"%s\",code=\"%s\"} %d\n", label(k[0]), k[1], m.requests[k])
	}
	if recorder != nil {
		rec, drop := recorder()
		fmt.Fprintf(w, "# HELP nuri_usage_records_total Usage records accepted for storage.\n# TYPE nuri_usage_records_total counter\nnuri_usage_records_total %d\n", rec)
		fmt.Fprintf(w, "# HELP nuri_usage_records_dropped_total Usage records dropped (storage too slow).\n# TYPE nuri_usage_records_dropped_total counter\nnuri_usage_records_dropped_total %d\n", drop)
	}
	fmt.Fprintf(w, "# HELP nuri_uptime_seconds Seconds since the server started.\n# TYPE nuri_uptime_seconds gauge\nnuri_uptime_seconds %s\n", fmtFloat(time.Since(m.start).Seconds()))
}
