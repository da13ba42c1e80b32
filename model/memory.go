package model

import (
	"fmt"

	"github.com/nuri-ai/nuri/internal/mmap"
	"github.com/nuri-ai/nuri/kernels"
	"github.com/nuri-ai/nuri/tensor"
)

// LoadOptions choose how weights are held in memory.
type LoadOptions struct {
	// NoMmap copies the weights into anonymous memory instead of reading
	// them through the file mapping. The page cache may evict mapped pages
	// under memory pressure; copied weights stay (at the cost of a slower
	// start and no sharing between processes).
	NoMmap bool
	// Mlock pins the weights in RAM so they are never paged out.
	Mlock bool
}

// LoadWith is Load with memory options.
func LoadWith(path string, opt LoadOptions) (*Model, error) {
	m, err := Load(path)
	if err != nil {
		return nil, err
	}
	if opt.NoMmap {
		if err := m.copyWeights(); err != nil {
			m.Close()
			return nil, err
		}
	}
	if opt.Mlock {
		if err := m.lockWeights(); err != nil {
			m.Close()
			return nil, err
		}
	}
	return m, nil
}

// weights lists every matrix the model reads, once.
func (m *Model) weights() []*tensor.Tensor {
	seen := map[*tensor.Tensor]bool{}
	var out []*tensor.Tensor
	add := func(ts ...*tensor.Tensor) {
		for _, t := range ts {
			if t != nil && !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	add(m.tokenEmbd, m.output)
	for i := range m.layers {
		w := &m.layers[i]
		add(w.q, w.k, w.v, w.o, w.qkv, w.gate, w.up, w.down, w.gateUp, w.router)
		add(w.expGate...)
		add(w.expUp...)
		add(w.expDown...)
	}
	return out
}

// WeightBytes is the size of the weights the forward pass reads.
func (m *Model) WeightBytes() int64 {
	var n int64
	for _, t := range m.weights() {
		n += int64(len(t.Data))
	}
	return n
}

// DecodeBytes is the weight bytes one decoded token reads: every matrix,
// except that an embedding table that is not also the output matrix
// contributes only the row it looks up (counted as nothing), and a
// mixture-of-experts layer reads only the experts a token is routed to
// (ExpertsUsed of Experts, on average). Memory bandwidth divided by this is
// the decode roofline.
func (m *Model) DecodeBytes() int64 {
	var n float64
	skip := map[*tensor.Tensor]bool{}
	if m.tokenEmbd != m.output {
		skip[m.tokenEmbd] = true
	}
	share := 1.0
	if c := m.Config; c.Experts > 0 {
		share = float64(c.ExpertsUsed) / float64(c.Experts)
	}
	for i := range m.layers {
		w := &m.layers[i]
		for _, ts := range [][]*tensor.Tensor{w.expGate, w.expUp, w.expDown} {
			for _, t := range ts {
				if t != nil && !skip[t] {
					skip[t] = true
					n += share * float64(len(t.Data))
				}
			}
		}
	}
	for _, t := range m.weights() {
		if !skip[t] {
			n += float64(len(t.Data))
		}
	}
	return int64(n)
}

// copyWeights moves every weight into one anonymous mapping outside the Go
// heap (so the garbage collector neither scans it nor counts it towards its
// next cycle). Views that share bytes (stacked experts) are copied
// separately, which is fine: the file mapping is no longer read, and the
// pages it read are given back as each weight is copied (a later view of
// the same bytes reads them again from the file).
func (m *Model) copyWeights() error {
	var ws []*tensor.Tensor
	for _, t := range m.weights() {
		if !kernels.Prepared(t) { // repacked weights are in process memory already
			ws = append(ws, t)
		}
	}
	var total int
	for _, t := range ws {
		total += (len(t.Data) + 63) &^ 63
	}
	if total == 0 {
		return nil
	}
	slab, release, err := mmap.Anon(total)
	if err != nil {
		return fmt.Errorf("model: reserving %d bytes for the weights: %w", total, err)
	}
	m.closers = append(m.closers, closerFunc(release))
	off := 0
	for _, t := range ws {
		n := copy(slab[off:], t.Data)
		if m.dropPages != nil {
			m.dropPages(t.Data)
		}
		t.Data = slab[off : off+n : off+n]
		off += (n + 63) &^ 63
	}
	return nil
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// lockWeights pins the weights' pages.
func (m *Model) lockWeights() error {
	for _, t := range m.weights() {
		if len(t.Data) == 0 {
			continue
		}
		if err := mmap.Lock(t.Data); err != nil {
			return fmt.Errorf("model: locking %s in memory: %w (raise `ulimit -l` or run without --mlock)", t.Name, err)
		}
	}
	return nil
}

// ParamCount is the number of weight elements (matrices and vectors).
func (m *Model) ParamCount() int64 {
	var n int64
	for _, t := range m.weights() {
		n += int64(t.Elements())
	}
	n += int64(len(m.outputNorm))
	for i := range m.layers {
		w := &m.layers[i]
		for _, v := range [][]float32{w.attnNorm, w.postAttnNorm, w.ffnNorm, w.postFFNNorm, w.qNorm, w.kNorm, w.qBias, w.kBias, w.vBias, w.oBias} {
			n += int64(len(v))
		}
	}
	return n
}

// WeightType names the model's weight format the way llama.cpp does (the
// type of most of its weight bytes, e.g. "Q4_0", "Q4_K" for Q4_K_M mixes).
func (m *Model) WeightType() string {
	bytes := map[tensor.DType]int64{}
	for _, t := range m.weights() {
		bytes[t.Type] += int64(len(t.Data))
	}
	best, bestN := tensor.F32, int64(-1)
	for t, n := range bytes {
		if n > bestN {
			best, bestN = t, n
		}
	}
	return best.String()
}
