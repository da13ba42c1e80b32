package testmodel

import (
	"context"
	"fmt"
	"io"
	"math"
	"sync"

	"github.com/nuri-ai/nuri/gguf"
	"github.com/nuri-ai/nuri/tensor"
)

// ggufArch is general.architecture for a spec (Mixtral is a llama with
// experts in GGUF).
func ggufArch(arch string) string {
	if arch == "mixtral" {
		return "llama"
	}
	return arch
}

// ggufMetadata is the metadata llama.cpp's converter writes for the
// architecture, under the same key names.
func ggufMetadata(w *gguf.Writer, o *Options, s *Spec, v *vocab) {
	a := ggufArch(s.Arch)
	k := func(key string, val any) { w.SetKV(a+"."+key, val) }
	w.SetKV("general.architecture", a)
	w.SetKV("general.type", "model")
	w.SetKV("general.name", o.Name)
	hd := s.headDim()
	k("vocab_size", s.Vocab)
	k("context_length", s.Context)
	k("embedding_length", s.Hidden)
	k("block_count", s.Layers)
	k("feed_forward_length", s.FFN)
	k("attention.head_count", s.Heads)
	k("attention.head_count_kv", s.KVHeads)
	k("rope.freq_base", float32(s.RopeTheta))
	k("attention.layer_norm_rms_epsilon", float32(s.NormEps))
	if explicitHeadDim(s.Arch) {
		k("attention.key_length", hd)
		k("attention.value_length", hd)
	}
	switch s.Arch {
	case "llama", "mixtral", "exaone", "exaone4", "phi3", "granite":
		k("rope.dimension_count", hd)
	}
	if s.Experts > 0 {
		k("expert_count", s.Experts)
		k("expert_used_count", s.ExpertsUsed)
	}
	if rs := s.RopeScaling; rs != nil && rs.Type == "linear" {
		k("rope.scaling.type", "linear")
		k("rope.scaling.factor", float32(rs.Factor))
	}
	switch s.Arch {
	case "gemma2":
		k("attention.sliding_window", s.SlidingWindow)
		k("attn_logit_softcapping", float32(s.AttnSoftcap))
		k("final_logit_softcapping", float32(s.FinalSoftcap))
	case "gemma3", "exaone4":
		if s.Arch == "gemma3" && s.RopeLocalTheta != 10000 {
			// llama.cpp fixes Gemma 3's local base at 10000; any other
			// base goes in the key newer converters use for it.
			k("rope.freq_base_swa", float32(s.RopeLocalTheta))
		}
		if s.SlidingWindow > 0 {
			k("attention.sliding_window", s.SlidingWindow)
			// llama.cpp fixes Gemma 3's period at 6; other periods are
			// written as the per-layer array EXAONE 4 files carry.
			if s.Arch == "exaone4" || s.SlidingPattern != 6 {
				p := make([]bool, s.Layers)
				for l := range p {
					p[l] = s.sliding(l)
				}
				k("attention.sliding_window_pattern", p)
			}
		}
	case "phi3":
		if s.SlidingWindow > 0 {
			k("attention.sliding_window", s.SlidingWindow)
		}
	case "granite":
		k("embedding_scale", float32(s.EmbeddingMultiplier))
		k("attention.scale", float32(s.AttentionMultiplier))
		k("residual_scale", float32(s.ResidualMultiplier))
		k("logit_scale", float32(s.LogitsScaling))
	}
	w.SetKV("general.file_type", o.Type.ggufFileType())
	w.SetKV("general.quantization_version", uint32(2))
	for _, kv := range v.tok.GGUFMetadata() {
		w.SetKV(kv.Key, kv.Value)
	}
}

// llama3RopeFactors are the per-pair frequency divisors llama.cpp's
// converter stores in rope_freqs.weight for `rope_type: llama3`.
func llama3RopeFactors(s *Spec) []float32 {
	rs := s.RopeScaling
	hd := s.headDim()
	out := make([]float32, hd/2)
	orig := float64(rs.OriginalContext)
	lowWave, highWave := orig/rs.LowFreqFactor, orig/rs.HighFreqFactor
	for i := range out {
		freq := float64(1 / float32(math.Pow(s.RopeTheta, float64(float32(2*i)/float32(hd)))))
		wave := 2 * math.Pi / freq
		switch {
		case wave < highWave:
			out[i] = 1
		case wave > lowWave:
			out[i] = float32(rs.Factor)
		default:
			sm := (orig/wave - rs.LowFreqFactor) / (rs.HighFreqFactor - rs.LowFreqFactor)
			out[i] = float32(1 / ((1-sm)/rs.Factor + sm))
		}
	}
	return out
}

func writeGGUF(ctx context.Context, o *Options, s *Spec, v *vocab) error {
	w := gguf.NewWriter()
	ggufMetadata(w, o, s, v)
	if rs := s.RopeScaling; rs != nil && rs.Type == "llama3" {
		f := llama3RopeFactors(s)
		b := make([]byte, 4*len(f))
		if err := tensor.Quantize(tensor.F32, f, b); err != nil {
			return fmt.Errorf("testmodel: rope_freqs.weight: %w", err)
		}
		if err := w.AddTensor("rope_freqs.weight", tensor.F32, []int{len(f)}, b); err != nil {
			return fmt.Errorf("testmodel: %w", err)
		}
	}
	for _, d := range tensorDefs(s) {
		d := d
		dt := tensorType(o.Type, &d, s)
		rowBytes, err := tensor.RowBytes(dt, d.cols)
		if err != nil {
			return fmt.Errorf("testmodel: tensor %s: %w", d.gguf, err)
		}
		size := int64(rowBytes) * int64(d.rows())
		write := func(out io.Writer) error {
			return streamRows(ctx, o, s, &d, dt, rowBytes, true, out)
		}
		if err := w.AddTensorFunc(d.gguf, dt, d.ggufShape, size, write); err != nil {
			return fmt.Errorf("testmodel: %w", err)
		}
	}
	if err := w.WriteFile(o.Out); err != nil {
		return fmt.Errorf("testmodel: %w", err)
	}
	return nil
}

// streamRows draws, encodes and writes the rows of one tensor in chunks of
// about a million values, encoding each chunk on o.Threads goroutines.
func streamRows(ctx context.Context, o *Options, s *Spec, d *tensorDef, dt tensor.DType, rowBytes int, ggufForm bool, out io.Writer) error {
	rows := d.rows()
	chunk := max(1, (1<<20)/d.cols)
	buf := make([]byte, min(chunk, rows)*rowBytes)
	threads := o.Threads
	scratch := make([][]float32, threads)
	for i := range scratch {
		scratch[i] = make([]float32, d.cols)
	}
	gemma := isGemma(s.Arch)
	one := func(r int, x []float32, dst []byte) error {
		hf, hr := d.hfRow(r)
		values(o.Seed, hf, hr, d.kind, o.Std, gemma && d.kind == kindNorm, x)
		if ggufForm && gemma && d.kind == kindNorm {
			for i := range x {
				x[i] += 1
			}
		}
		if err := encodeRow(dt, x, dst); err != nil {
			return fmt.Errorf("tensor %s: %w", d.gguf, err)
		}
		return nil
	}
	for start := 0; start < rows; start += chunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(chunk, rows-start)
		errs := make([]error, threads)
		var wg sync.WaitGroup
		for t := 0; t < threads; t++ {
			wg.Add(1)
			go func(t int) {
				defer wg.Done()
				for i := t; i < n; i += threads {
					if err := one(start+i, scratch[t], buf[i*rowBytes:(i+1)*rowBytes]); err != nil {
						errs[t] = err
						return
					}
				}
			}(t)
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		if _, err := out.Write(buf[:n*rowBytes]); err != nil {
			return err
		}
	}
	return nil
}
