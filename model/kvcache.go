package model

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/nuri-ai/nuri/internal/mmap"
	"github.com/nuri-ai/nuri/kernels"
	"github.com/nuri-ai/nuri/tensor"
)

// KV cache rows. A cache stores, for every (layer, sequence, position), one
// key row of Config.KVDim() values and one value row of KVHeads·ValueDim
// values, encoded in the cache's element type:
//
//   - f32: little-endian float32;
//   - f16: IEEE binary16;
//   - q8_0: blocks of 32 values, each a binary16 scale d followed by 32
//     signed bytes q, the value being d·q (34 bytes per block).
//
// A head's slice of a row starts at head·RowBytes(head size), so Q8_0 needs
// head sizes that are multiples of 32.

// q8Block is the number of values per Q8_0 block.
const q8Block = 32

// RowBytes is the size of a row of n values in type t.
func (t KVType) RowBytes(n int) int {
	switch t {
	case KVF16:
		return 2 * n
	case KVQ8:
		return n / q8Block * (2 + q8Block)
	}
	return 4 * n
}

// ParseKVType reads a KV cache type name ("" and "auto" give "").
func ParseKVType(s string) (KVType, error) {
	switch KVType(s) {
	case "", "auto":
		return "", nil
	case KVF32, KVF16, KVQ8:
		return KVType(s), nil
	case "q8":
		return KVQ8, nil
	}
	return "", fmt.Errorf("model: unknown KV cache type %q (want f32, f16, q8_0 or auto)", s)
}

// AutoKVThreshold is the context from which the automatic KV type is Q8_0;
// shorter contexts store F16.
const AutoKVThreshold = 32768

// ResolveKVType returns the KV type to use for c at a context of ctx
// positions: t itself if set, otherwise F16 below AutoKVThreshold and Q8_0
// from there on. Q8_0 needs head sizes that are multiples of 32; an explicit
// request that cannot be met is an error, the automatic choice falls back to
// F16.
func ResolveKVType(c *Config, t KVType, ctx int) (KVType, error) {
	q8ok := c.HeadDim%q8Block == 0 && c.ValueDim%q8Block == 0
	switch t {
	case "":
		if ctx >= AutoKVThreshold && q8ok {
			return KVQ8, nil
		}
		return KVF16, nil
	case KVQ8:
		if !q8ok {
			return "", fmt.Errorf("model: a q8_0 KV cache needs head sizes that are multiples of %d, %s has %d and %d", q8Block, c.Name, c.HeadDim, c.ValueDim)
		}
		return t, nil
	case KVF32, KVF16:
		return t, nil
	}
	return "", fmt.Errorf("model: unknown KV cache type %q", t)
}

// EncodeKVRow writes the n values of src into dst in type t; dst must hold
// t.RowBytes(n) bytes.
func EncodeKVRow(t KVType, dst []byte, src []float32) {
	switch t {
	case KVF16:
		kernels.EncodeF16(dst, src)
	case KVQ8:
		for b := 0; b+q8Block <= len(src); b += q8Block {
			x := src[b : b+q8Block]
			out := dst[b/q8Block*(2+q8Block):][: 2+q8Block : 2+q8Block]
			var amax float32
			for _, v := range x {
				amax = max(amax, abs32(v))
			}
			d := amax / 127
			h := tensor.F32ToF16(d)
			out[0], out[1] = byte(h), byte(h>>8)
			var inv float32
			if d != 0 {
				inv = 1 / d
			}
			for i, v := range x {
				out[2+i] = byte(int8(math.Round(float64(v * inv))))
			}
		}
	default:
		copy(f32View(dst)[:len(src)], src)
	}
}

// decodeKVRows widens n rows of w values, read from rows of stride bytes in
// src starting at byte off, into dst (n·w floats, row-major).
func decodeKVRows(t KVType, dst []float32, src []byte, off, stride, n, w int) {
	for j := 0; j < n; j++ {
		row := src[off+j*stride:]
		d := dst[j*w : (j+1)*w]
		decodeKVRow(t, d, row)
	}
}

// decodeKVRow widens the first len(dst) values of src.
func decodeKVRow(t KVType, dst []float32, src []byte) {
	switch t {
	case KVF16:
		src = src[:2*len(dst)]
		for i := range dst {
			dst[i] = tensor.F16ToF32(uint16(src[2*i]) | uint16(src[2*i+1])<<8)
		}
	case KVQ8:
		for b := 0; b < len(dst); b += q8Block {
			in := src[b/q8Block*(2+q8Block):][: 2+q8Block : 2+q8Block]
			d := tensor.F16ToF32(uint16(in[0]) | uint16(in[1])<<8)
			out := dst[b : b+q8Block]
			for i := range out {
				out[i] = d * float32(int8(in[2+i]))
			}
		}
	default:
		copy(dst, f32View(src))
	}
}

// f32View reinterprets b (4-byte aligned, as every cache allocates it) as
// float32s.
func f32View(b []byte) []float32 {
	if len(b) < 4 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}

// AllocKV returns n zeroed bytes aligned for float32 access. A cache of
// several huge pages starts on one and asks for huge pages (where the system
// gives them on request): attention reads a long context in blocks spread
// over the whole cache, which on small pages costs a TLB miss every few
// rows.
func AllocKV(n int64) []byte {
	extra := int64(0)
	if mmap.HugePage > 0 && n >= 4*int64(mmap.HugePage) {
		extra = int64(mmap.HugePage)
	}
	f := make([]float32, (n+extra+3)/4)
	if len(f) == 0 {
		return nil
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), n+extra)
	if extra == 0 {
		return b
	}
	return mmap.HugeAligned(b, int(n))
}

func abs32(x float32) float32 {
	return math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
}

// DenseCache is a plain KV cache: a fixed number of sequence slots, each with
// room for a fixed number of positions, in one contiguous allocation. It
// serves single-user tools (`nuri run`, `nuri logits`) and tests; the serving
// engine uses its own paged cache behind the same KVCache interface.
//
// Made with a step limit (NewDenseCacheStep), a sliding-window layer keeps a
// ring of window+step positions per sequence instead of the whole context:
// enough for the first query of a step to see its window while the step's
// own positions are stored. Positions then have to move forward: a step may
// go back only as far as the ring still holds what its queries see
// (CheckBatch says when it cannot).
type DenseCache struct {
	t                 KVType
	layers, seqs, ctx int
	kDim, vDim        int
	kRow, vRow        int
	k, v              []byte
	step              int   // most positions per sequence in one step; 0: no limit
	base, ring        []int // per layer: first row, positions per sequence
	window            []int // per layer: attention window (0: full)
	top               []int // per sequence: one past the highest position stored
}

// NewDenseCache makes a float32 cache for seqs sequences of up to ctx
// positions.
func NewDenseCache(c *Config, seqs, ctx int) (*DenseCache, error) {
	return NewDenseCacheType(c, KVF32, seqs, ctx)
}

// NewDenseCacheType makes a cache of element type t (see ResolveKVType)
// that keeps every position of every layer.
func NewDenseCacheType(c *Config, t KVType, seqs, ctx int) (*DenseCache, error) {
	return NewDenseCacheStep(c, t, seqs, ctx, 0)
}

// NewDenseCacheStep makes a cache of element type t in which no forward
// step adds more than step positions to one sequence: sliding-window layers
// then keep only window+step positions per sequence. step 0 keeps every
// position.
func NewDenseCacheStep(c *Config, t KVType, seqs, ctx, step int) (*DenseCache, error) {
	t, err := ResolveKVType(c, t, ctx)
	if err != nil {
		return nil, err
	}
	if seqs <= 0 || ctx <= 0 || step < 0 {
		return nil, fmt.Errorf("model: KV cache for %d sequences × %d positions (step %d) is empty", seqs, ctx, step)
	}
	kDim, vDim := c.KVDim(), c.KVHeads*c.ValueDim
	kRow, vRow := t.RowBytes(kDim), t.RowBytes(vDim)
	d := &DenseCache{t: t, layers: c.Layers, seqs: seqs, ctx: ctx, kDim: kDim, vDim: vDim,
		kRow: kRow, vRow: vRow, step: step,
		base: make([]int, c.Layers), ring: make([]int, c.Layers), window: make([]int, c.Layers),
		top: make([]int, seqs)}
	var total int64
	for l := 0; l < c.Layers; l++ {
		d.ring[l] = ctx
		if l < len(c.LayerSliding) {
			d.window[l] = c.Window(l)
		}
		if w := d.window[l]; step > 0 && w > 0 && w+step < ctx {
			d.ring[l] = w + step
		}
		d.base[l] = int(total)
		total += int64(seqs) * int64(d.ring[l])
		if total*int64(kRow+vRow) > 1<<36 {
			return nil, fmt.Errorf("model: KV cache for %d sequences × %d positions is too large", seqs, ctx)
		}
	}
	d.k, d.v = AllocKV(total*int64(kRow)), AllocKV(total*int64(vRow))
	return d, nil
}

// Context is the number of positions per sequence.
func (d *DenseCache) Context() int { return d.ctx }

// KVType is the element type.
func (d *DenseCache) KVType() KVType { return d.t }

// Bytes is the memory the cache holds.
func (d *DenseCache) Bytes() int64 { return int64(len(d.k) + len(d.v)) }

// Store encodes the key and value rows of (layer, seq, pos).
func (d *DenseCache) Store(layer, seq, pos int, k, v []float32) {
	r := d.ring[layer]
	i := d.base[layer] + seq*r + pos%r
	EncodeKVRow(d.t, d.k[i*d.kRow:(i+1)*d.kRow], k[:d.kDim])
	EncodeKVRow(d.t, d.v[i*d.vRow:(i+1)*d.vRow], v[:d.vDim])
	if layer == 0 {
		d.top[seq] = max(d.top[seq], pos+1)
	}
}

// Span returns the rows of positions [from, to) of (layer, seq), stopping
// early where a sliding-window layer's ring wraps around.
func (d *DenseCache) Span(layer, seq, from, to int) (k, v []byte, n int) {
	r := d.ring[layer]
	n = min(to-from, r-from%r)
	i := d.base[layer] + seq*r + from%r
	j := i + n
	return d.k[i*d.kRow : j*d.kRow], d.v[i*d.vRow : j*d.vRow], n
}

// batchChecker is a KVCache that can refuse a step before it starts
// (Forward asks it).
type batchChecker interface {
	CheckBatch(b *Batch) error
}

// Reset forgets what sequence seq holds, so that it can start again at
// position 0.
func (d *DenseCache) Reset(seq int) { d.top[seq] = 0 }

// CheckBatch reports, before a forward step over b, a token outside the
// cache's sequences or context, and a step that the cache cannot serve
// exactly: more positions of one sequence than the step limit, or a step
// whose queries would see positions a ring has already overwritten.
// Forward calls it.
func (d *DenseCache) CheckBatch(b *Batch) error {
	var first, count [8]int
	firsts, counts := first[:0], count[:0]
	if d.seqs > len(first) {
		firsts, counts = make([]int, 0, d.seqs), make([]int, 0, d.seqs)
	}
	firsts, counts = firsts[:d.seqs], counts[:d.seqs]
	for s := range firsts {
		firsts[s] = -1
	}
	for i, p := range b.Pos {
		s := int(b.Seq[i])
		if s < 0 || s >= d.seqs {
			return fmt.Errorf("model: sequence %d is outside the KV cache's %d sequences", s, d.seqs)
		}
		if int(p) >= d.ctx {
			return fmt.Errorf("model: position %d is outside the KV cache's context of %d positions", p, d.ctx)
		}
		if firsts[s] < 0 || int(p) < firsts[s] {
			firsts[s] = int(p)
		}
		counts[s]++
	}
	if d.step == 0 {
		return nil
	}
	for s, n := range counts {
		if n == 0 {
			continue
		}
		if n > d.step {
			return fmt.Errorf("model: a step of %d positions for sequence %d is more than the KV cache's limit of %d", n, s, d.step)
		}
		for l, r := range d.ring {
			if r == d.ctx {
				continue
			}
			// The first query sees from first-window+1; the ring holds the
			// r positions before top.
			if lo := max(0, firsts[s]-d.window[l]+1); d.top[s]-r > lo {
				return fmt.Errorf("model: a step from position %d of sequence %d needs positions from %d, which the KV cache's window ring no longer holds (it holds %d..%d)", firsts[s], s, lo, d.top[s]-r, d.top[s]-1)
			}
		}
	}
	return nil
}
