package model

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/nuri-ai/nuri/safetensors"
	"github.com/nuri-ai/nuri/sample"
)

// Scores are the outputs `nuri logits` writes and the golden tests compare:
// the logits at every prompt position from one forward pass, then a greedy
// continuation decoded one token at a time through the KV cache.
type Scores struct {
	Logits       []float32 // [len(ids), vocab]
	GreedyIDs    []int32   // [greedy]
	GreedyLogits []float32 // [greedy, vocab]; row k is the row GreedyIDs[k] was taken from
}

// Score feeds ids exactly as given (no BOS is added) as one batch, keeping
// the logits of every position, then generates greedy tokens one at a time.
func (m *Model) Score(ids []int32, greedy int) (*Scores, error) {
	if len(ids) == 0 {
		return nil, errorf("no input ids")
	}
	if greedy < 0 {
		return nil, errorf("negative greedy count %d", greedy)
	}
	v := m.Config.VocabSize
	ctx := len(ids) + greedy
	kv, err := NewDenseCache(&m.Config, 1, ctx)
	if err != nil {
		return nil, err
	}
	b := &Batch{Tokens: ids, Pos: make([]int32, len(ids)), Seq: make([]int32, len(ids))}
	for i := range b.Pos {
		b.Pos[i] = int32(i)
	}
	out := &Scores{Logits: make([]float32, len(ids)*v)}
	if err := m.Forward(b, kv, out.Logits); err != nil {
		return nil, err
	}
	if greedy == 0 {
		return out, nil
	}
	out.GreedyLogits = make([]float32, greedy*v)
	copy(out.GreedyLogits, out.Logits[(len(ids)-1)*v:])
	step := &Batch{Tokens: make([]int32, 1), Pos: make([]int32, 1), Seq: make([]int32, 1)}
	for k := 0; k < greedy; k++ {
		row := out.GreedyLogits[k*v : (k+1)*v]
		id := sample.Greedy(row)
		out.GreedyIDs = append(out.GreedyIDs, id)
		if k == greedy-1 {
			break
		}
		step.Tokens[0], step.Pos[0] = id, int32(len(ids)+k)
		if err := m.Forward(step, kv, out.GreedyLogits[(k+1)*v:(k+2)*v]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// WriteSafetensors writes the scores in the layout of the golden fixtures:
// `logits` float32 [n, vocab]; with a greedy continuation also `greedy_ids`
// int64 [g] and `greedy_logits` float32 [g, vocab].
func (s *Scores) WriteSafetensors(path string, vocab int) error {
	f32 := func(v []float32) []byte {
		b := make([]byte, 4*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
		}
		return b
	}
	ts := []safetensors.Tensor{{Name: "logits", DType: safetensors.F32, Shape: []int{len(s.Logits) / vocab, vocab}, Data: f32(s.Logits)}}
	if len(s.GreedyIDs) > 0 {
		ids := make([]byte, 8*len(s.GreedyIDs))
		for i, id := range s.GreedyIDs {
			binary.LittleEndian.PutUint64(ids[8*i:], uint64(int64(id)))
		}
		ts = append(ts,
			safetensors.Tensor{Name: "greedy_ids", DType: safetensors.I64, Shape: []int{len(s.GreedyIDs)}, Data: ids},
			safetensors.Tensor{Name: "greedy_logits", DType: safetensors.F32, Shape: []int{len(s.GreedyIDs), vocab}, Data: f32(s.GreedyLogits)})
	}
	if err := safetensors.Write(path, ts, map[string]string{"format": "pt", "producer": "nuri logits"}); err != nil {
		return fmt.Errorf("model: writing scores: %w", err)
	}
	return nil
}

// Embed returns a sentence embedding of ids: the mean of the final-normed
// hidden states of every position, scaled to unit length (what OpenAI and
// Ollama embedding endpoints return). It runs its own forward pass with a
// private cache, so it must not run concurrently with other use of m.
func (m *Model) Embed(ids []int32) ([]float32, error) {
	if len(ids) == 0 {
		return nil, errorf("no input ids")
	}
	h := m.Config.Hidden
	kv, err := NewDenseCache(&m.Config, 1, len(ids))
	if err != nil {
		return nil, err
	}
	b := &Batch{Tokens: ids, Pos: make([]int32, len(ids)), Seq: make([]int32, len(ids)),
		Hidden: make([]float32, len(ids)*h), NoLogits: true}
	for i := range b.Pos {
		b.Pos[i] = int32(i)
	}
	if err := m.Forward(b, kv, nil); err != nil {
		return nil, err
	}
	out := make([]float32, h)
	for i := range ids {
		for j, v := range b.Hidden[i*h : (i+1)*h] {
			out[j] += v
		}
	}
	var ss float64
	for j := range out {
		out[j] /= float32(len(ids))
		ss += float64(out[j]) * float64(out[j])
	}
	if ss > 0 {
		inv := float32(1 / math.Sqrt(ss))
		for j := range out {
			out[j] *= inv
		}
	}
	return out, nil
}
