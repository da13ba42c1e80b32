// Package bench measures a model's speed the way llama-bench does: prompt
// processing of P tokens in one batch (ppP) and generation of N tokens one at
// a time (tgN), repeated R times, optionally after D tokens already in the
// KV cache ("@ dD"), reported as tokens/s mean ± stddev, next to this
// machine's memory-bandwidth roofline for decoding the model.
package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"text/tabwriter"
	"time"

	"github.com/nuri-ai/nuri/kernels"
	"github.com/nuri-ai/nuri/kvcache"
	"github.com/nuri-ai/nuri/model"
)

// Options of a run.
type Options struct {
	Prompt      int // ppP; 0 skips
	Gen         int // tgN; 0 skips
	Reps        int
	Threads     int
	Bandwidth   bool // measure the read bandwidth for the roofline
	BandwidthMB int  // bytes read per bandwidth pass (default 1024 MiB)
	// Depth is the number of tokens in the KV cache before each test (an
	// untimed prefill, as llama-bench's -d): the tests then run at
	// positions Depth onwards, so generation also reads that much context.
	Depth int
	// KVType is the KV cache element type; "" chooses as the server does
	// (model.ResolveKVType: F16 below 32K positions, Q8_0 from there).
	KVType model.KVType
}

// Result is one test's figures.
type Result struct {
	Test         string
	Tokens       int
	Seconds      []float64
	Mean, StdDev float64 // tokens/s
	// AroundGBs is, for a tg test with Options.Bandwidth, the read
	// bandwidth measured around its runs (a probe before and after each
	// run, averaged per run, then over the runs): what the machine offered
	// while the test ran, on a host whose bandwidth varies over time.
	// StreamGBs is the bytes the test read per second (Mean × (Report.
	// DecodeBytes + KVBytes)). 0 when not measured.
	AroundGBs, StreamGBs float64
	// KVBytes is, for a tg test with Options.Depth, the KV cache bytes one
	// generated token reads on average (keys and values of every position
	// its layers attend to), which the decode roofline adds to the weights.
	// Without a depth it is 0: the context is then a small share.
	KVBytes float64
}

// Report is a whole run.
type Report struct {
	Model         string
	Arch          string
	Type          string
	WeightBytes   int64
	DecodeBytes   int64 // weight bytes one decoded token reads (model.DecodeBytes)
	Params        int64
	Backend       string
	Threads       int
	KVType        model.KVType
	Depth         int
	Results       []Result
	BandwidthGBs  float64 // measured read bandwidth, 0 if not measured
	RooflineTGtps float64 // bandwidth / decode bytes
}

// Run benchmarks m. The model's pool is replaced by one of opt.Threads.
func Run(ctx context.Context, m *model.Model, opt Options) (*Report, error) {
	if opt.Reps <= 0 {
		opt.Reps = 5
	}
	pool := kernels.NewPool(opt.Threads)
	defer pool.Close()
	m.SetPool(pool)
	c := &m.Config
	rep := &Report{Model: c.Name, Arch: c.Arch, Type: m.WeightType(), WeightBytes: m.WeightBytes(), DecodeBytes: m.DecodeBytes(), Params: m.ParamCount(),
		Backend: "CPU " + kernels.CPULevel().String(), Threads: pool.Threads()}
	if opt.Depth < 0 {
		return nil, fmt.Errorf("bench: depth %d is negative", opt.Depth)
	}
	positions := opt.Depth + max(opt.Prompt, opt.Gen) + 1
	if c.ContextLen > 0 && positions > c.ContextLen {
		return nil, fmt.Errorf("bench: depth %d + %d tokens exceeds the model's context of %d", opt.Depth, max(opt.Prompt, opt.Gen), c.ContextLen)
	}
	kvType, err := model.ResolveKVType(c, opt.KVType, positions)
	if err != nil {
		return nil, err
	}
	rep.KVType, rep.Depth = kvType, opt.Depth
	// The server's paged cache, so that a test at depth reads the context
	// as a served request does.
	kv, err := kvcache.New(c, kvType, kvcache.DefaultBlockSize, (positions+kvcache.DefaultBlockSize-1)/kvcache.DefaultBlockSize, 1)
	if err != nil {
		return nil, err
	}
	if err := kv.Reserve(0, positions); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	randTokens := func(n int) []int32 {
		t := make([]int32, n)
		for i := range t {
			t[i] = int32(rng.IntN(c.VocabSize))
		}
		return t
	}
	logits := make([]float32, c.VocabSize)
	// prompt runs n random tokens at positions from..from+n-1 in one batch.
	prompt := func(from, n int) error {
		toks := randTokens(n)
		b := &model.Batch{Tokens: toks, Pos: make([]int32, len(toks)), Seq: make([]int32, len(toks)), Logits: make([]bool, len(toks))}
		for i := range b.Pos {
			b.Pos[i] = int32(from + i)
		}
		b.Logits[len(toks)-1] = true
		return m.Forward(b, kv, logits)
	}
	// The context every test starts from, filled once: the tests write only
	// at positions Depth onwards, so it stays as it is.
	for from := 0; from < opt.Depth; from += depthBatch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := prompt(from, min(depthBatch, opt.Depth-from)); err != nil {
			return nil, fmt.Errorf("bench: filling the KV cache to depth %d: %w", opt.Depth, err)
		}
	}
	pp := func() (float64, error) {
		start := time.Now()
		err := prompt(opt.Depth, opt.Prompt)
		return time.Since(start).Seconds(), err
	}
	tg := func() (float64, error) {
		b := &model.Batch{Tokens: []int32{0}, Pos: []int32{0}, Seq: []int32{0}}
		start := time.Now()
		for i := 0; i < opt.Gen; i++ {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			b.Tokens[0] = int32(rng.IntN(c.VocabSize))
			b.Pos[0] = int32(opt.Depth + i)
			if err := m.Forward(b, kv, logits); err != nil {
				return 0, err
			}
		}
		return time.Since(start).Seconds(), nil
	}
	if opt.BandwidthMB <= 0 {
		opt.BandwidthMB = 1024
	}
	var probe *kernels.BandwidthProbe
	if opt.Bandwidth && opt.Gen > 0 {
		probe = kernels.NewBandwidthProbe(pool, min(opt.BandwidthMB, aroundMB)<<20)
	}
	for _, t := range []struct {
		name string
		n    int
		f    func() (float64, error)
	}{{fmt.Sprintf("pp%d", opt.Prompt), opt.Prompt, pp}, {fmt.Sprintf("tg%d", opt.Gen), opt.Gen, tg}} {
		if t.n == 0 {
			continue
		}
		if opt.Depth > 0 {
			t.name += fmt.Sprintf(" @ d%d", opt.Depth)
		}
		if _, err := t.f(); err != nil { // warm-up
			return nil, err
		}
		r := Result{Test: t.name, Tokens: t.n}
		if t.name[:2] == "tg" && opt.Depth > 0 {
			r.KVBytes = kvReadBytes(c, kvType, opt.Depth, t.n)
		}
		var rates []float64
		around := probe != nil && t.name[:2] == "tg"
		last := 0.0
		if around {
			last = probe.Measure(aroundPasses, 0)
		}
		for i := 0; i < opt.Reps; i++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			s, err := t.f()
			if err != nil {
				return nil, err
			}
			r.Seconds = append(r.Seconds, s)
			rates = append(rates, float64(t.n)/s)
			if around {
				next := probe.Measure(aroundPasses, 0)
				r.AroundGBs += (last + next) / 2 / float64(opt.Reps)
				last = next
			}
		}
		r.Mean, r.StdDev = meanStd(rates)
		if around {
			r.StreamGBs = r.Mean * (float64(rep.DecodeBytes) + r.KVBytes) / 1e9
		}
		rep.Results = append(rep.Results, r)
	}
	if opt.Bandwidth {
		size := opt.BandwidthMB << 20
		best := 0.0
		for i := 0; i < 3; i++ {
			best = math.Max(best, kernels.MeasureReadBandwidth(pool.Threads(), size))
		}
		rep.BandwidthGBs = best // MeasureReadBandwidth reports GB/s
		rep.RooflineTGtps = best * 1e9 / float64(rep.DecodeBytes)
	}
	return rep, nil
}

// kvReadBytes is the KV cache bytes a token generated at positions from to
// from+n-1 reads on average: in each layer, the keys and values of every
// position it attends to (all before it, or its sliding window).
func kvReadBytes(c *model.Config, t model.KVType, from, n int) float64 {
	row := float64(t.RowBytes(c.KVDim()) + t.RowBytes(c.KVHeads*c.ValueDim))
	var sum float64
	for l := 0; l < c.Layers; l++ {
		for p := from; p < from+n; p++ {
			seen := p + 1
			if w := c.Window(l); w > 0 {
				seen = min(seen, w)
			}
			sum += float64(seen) * row
		}
	}
	return sum / float64(max(n, 1))
}

// depthBatch is the batch the untimed prefill to Options.Depth runs in.
const depthBatch = 512

// The probes around each tg run read aroundMB MiB (at most) aroundPasses
// times and keep the fastest pass: some 15 ms at 70 GB/s.
const (
	aroundMB     = 256
	aroundPasses = 4
)

func meanStd(x []float64) (float64, float64) {
	var s float64
	for _, v := range x {
		s += v
	}
	mean := s / float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / float64(len(x)-1))
}

// Print writes the report as a llama-bench style table.
func (r *Report) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(tw, "model\tsize\tparams\tbackend\tthreads\ttest\tt/s\t")
	for _, res := range r.Results {
		fmt.Fprintf(tw, "%s %s\t%.2f GiB\t%.2f B\t%s\t%d\t%s\t%.2f ± %.2f\t\n", r.Arch, r.Type,
			float64(r.WeightBytes)/(1<<30), float64(r.Params)/1e9, r.Backend, r.Threads, res.Test, res.Mean, res.StdDev)
	}
	tw.Flush()
	if r.BandwidthGBs > 0 {
		fmt.Fprintf(w, "\nmemory read bandwidth (%d threads): %.1f GB/s → decode roofline %.2f t/s for %.2f GB of weights read per token\n",
			r.Threads, r.BandwidthGBs, r.RooflineTGtps, float64(r.DecodeBytes)/1e9)
		for _, res := range r.Results {
			if len(res.Test) > 2 && res.Test[:2] == "tg" {
				what := "weights"
				roof := r.RooflineTGtps
				if res.KVBytes > 0 {
					// At depth the context is a second stream to read.
					what = "weights and KV cache"
					roof = r.BandwidthGBs * 1e9 / (float64(r.DecodeBytes) + res.KVBytes)
					fmt.Fprintf(w, "%s also reads %.2f GB of KV cache (%s) per token → roofline %.2f t/s\n",
						res.Test, res.KVBytes/1e9, r.KVType, roof)
				}
				fmt.Fprintf(w, "%s reaches %.0f%% of the roofline\n", res.Test, 100*res.Mean/roof)
				if res.AroundGBs > 0 {
					fmt.Fprintf(w, "%s streams %.1f GB/s of %s: %.0f%% of the %.1f GB/s this machine read around its runs\n",
						res.Test, res.StreamGBs, what, 100*res.StreamGBs/res.AroundGBs, res.AroundGBs)
				}
			}
		}
	}
}
