package model

import "github.com/nuri-ai/nuri/kernels"

// attend computes attention for task = (token, KV head): softmax(q·Kᵀ·scale)
// over the token's visible positions, times V, for the query heads that
// share the KV head.
func (m *Model) attend(task, thread int) {
	c := &m.Config
	s := &m.s
	l, b, kv := s.attnLayer, s.attnBatch, s.attnKV
	qDim := c.Heads * c.HeadDim
	group := c.Heads / c.KVHeads
	window := c.Window(l)
	i, g := task/c.KVHeads, task%c.KVHeads
	pos, seq := int(b.Pos[i]), int(b.Seq[i])
	start := 0
	if window > 0 && pos-window+1 > start {
		start = pos - window + 1
	}
	span := pos - start + 1
	need := span * group
	if cap(s.scores[thread]) < need {
		s.scores[thread] = make([]float32, need+need/2)
	}
	scores := s.scores[thread][:need]
	q := s.q[i*qDim:]
	for j := 0; j < span; j++ {
		kj, _ := kv.KV(l, seq, start+j)
		kh := kj[g*c.HeadDim : (g+1)*c.HeadDim]
		for h := 0; h < group; h++ {
			qh := q[(g*group+h)*c.HeadDim : (g*group+h+1)*c.HeadDim]
			scores[h*span+j] = kernels.Dot(qh, kh) * c.AttnScale
		}
	}
	for h := 0; h < group; h++ {
		sc := scores[h*span : (h+1)*span]
		if c.AttnSoftcap != 0 {
			softcap(sc, c.AttnSoftcap)
		}
		softmax(sc)
		out := s.att[(i*c.Heads+g*group+h)*c.ValueDim : (i*c.Heads+g*group+h+1)*c.ValueDim]
		clear(out)
		for j := 0; j < span; j++ {
			_, vj := kv.KV(l, seq, start+j)
			kernels.AXPY(sc[j], vj[g*c.ValueDim:(g+1)*c.ValueDim], out)
		}
	}
}
