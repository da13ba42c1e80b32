package kernels

import (
	"fmt"

	"github.com/nuri-ai/nuri/tensor"
)

// scratch holds the buffers MatMul reuses between calls: one float32 row per
// thread for dequantized weights and a shared buffer for quantized activations.
type scratch struct {
	rows [][]float32 // per thread
	act  q8Act       // activations quantized once per call
	xq   []byte      // activations in GGML's vec-dot type (matmulVecDot)
	x16  x16Act      // activations for x16 weights
	bf   []uint16    // activations rounded to bfloat16 for BF16 weights
	bfx  []float32   // the same values as float32
}

func (s *scratch) init(threads int) {
	s.rows = make([][]float32, threads)
}

func (s *scratch) row(thread, n int) []float32 {
	if cap(s.rows[thread]) < n {
		s.rows[thread] = make([]float32, n)
	}
	return s.rows[thread][:n]
}

// Supported reports whether MatMul accepts weights of type t.
func Supported(t tensor.DType) bool { return supported(t) }

// CheckWeight reports whether w can be used as a MatMul weight: a supported
// type, a positive number of rows and columns, columns a multiple of the block
// size and exactly the bytes the shape needs. Model loaders call it once so
// that a malformed file becomes an error rather than a panic in MatMul.
func CheckWeight(w *tensor.Tensor) error {
	if w == nil {
		return fmt.Errorf("kernels: nil weight")
	}
	if !supported(w.Type) {
		return fmt.Errorf("kernels: weight %q: unsupported type %v", w.Name, w.Type)
	}
	rows, cols := w.Rows(), w.Cols()
	if rows <= 0 || cols <= 0 {
		return fmt.Errorf("kernels: weight %q: empty shape %v", w.Name, w.Shape)
	}
	rb, err := tensor.RowBytes(w.Type, cols)
	if err != nil {
		return fmt.Errorf("kernels: weight %q: %w", w.Name, err)
	}
	if len(w.Data) != rows*rb {
		return fmt.Errorf("kernels: weight %q: shape %v of %v needs %d bytes, have %d",
			w.Name, w.Shape, w.Type, rows*rb, len(w.Data))
	}
	return nil
}

// MatMul computes out[b*rows+r] = Σ_c W[r,c]·x[b*cols+c] for every token
// b < n and row r < rows, where w is [rows, cols] of any supported type. x
// holds n rows of cols float32 and out n rows of rows float32.
//
// Invalid arguments (an unsupported or inconsistent weight, short slices) are
// programming errors and panic; check weights once with CheckWeight when they
// are loaded.
func MatMul(p *Pool, out []float32, w *tensor.Tensor, x []float32, n int) {
	checkMatMul(out, w, x, n)
	if n == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	j := &p.job
	j.parts[0] = mmPart{w: w, out: out}
	j.nparts = 1
	matmulParts(p, x, n, w.Cols())
}

// MaxGroup is the most weights MatMulGroup multiplies in one pass.
const MaxGroup = 4

// MatMulGroup computes MatMul(p, outs[k], ws[k], x, n) for every k: weights
// that read the same input, such as the query, key and value projections or
// the gate and up projections. When the weights share their activation
// format (the same type, or types whose activations are quantized alike),
// the input is quantized once and all rows are spread over the threads in a
// single pass, which saves a synchronisation per weight and keeps small
// matrices from leaving threads idle; otherwise the products run one after
// another. It panics, as MatMul does, on invalid arguments or more than
// MaxGroup weights.
func MatMulGroup(p *Pool, outs [][]float32, ws []*tensor.Tensor, x []float32, n int) {
	if len(outs) != len(ws) || len(ws) > MaxGroup {
		panic(fmt.Sprintf("kernels: MatMulGroup: %d outputs for %d weights (at most %d)", len(outs), len(ws), MaxGroup))
	}
	if len(ws) == 0 {
		return
	}
	for k, w := range ws {
		checkMatMul(outs[k], w, x, n)
		if w.Cols() != ws[0].Cols() {
			panic(fmt.Sprintf("kernels: MatMulGroup: %q has %d columns, %q %d", w.Name, w.Cols(), ws[0].Name, ws[0].Cols()))
		}
	}
	if n == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	j := &p.job
	if !groupable(ws) {
		for k, w := range ws {
			j.parts[0] = mmPart{w: w, out: outs[k]}
			j.nparts = 1
			matmulParts(p, x, n, w.Cols())
		}
		return
	}
	for k, w := range ws {
		j.parts[k] = mmPart{w: w, out: outs[k]}
	}
	j.nparts = len(ws)
	matmulParts(p, x, n, ws[0].Cols())
}

func checkMatMul(out []float32, w *tensor.Tensor, x []float32, n int) {
	if err := CheckWeight(w); err != nil {
		panic(err)
	}
	rows, cols := w.Rows(), w.Cols()
	if n < 0 || len(x) < n*cols || len(out) < n*rows {
		panic(fmt.Sprintf("kernels: MatMul %q: %d tokens need x of %d and out of %d, have %d and %d",
			w.Name, n, n*cols, n*rows, len(x), len(out)))
	}
}

// Paths a weight can take through MatMul; weights of one group must take
// the same path with the same activation format.
const (
	pathQ8 = iota
	pathX16
	pathFloat
	pathVecDot
	pathGeneric
)

// pathOf reports w's path and a key for its activation format.
func pathOf(w *tensor.Tensor) (path int, act int) {
	switch w.Type {
	case tensor.Q8_0, tensor.Q4_0:
		l := layoutOf(w.Data)
		switch {
		case l == x16:
			return pathX16, int(w.Type) // the type sets the correction offset
		case l == packed4 || w.Type == tensor.Q8_0:
			return pathQ8, int(w.Type) << 1
		default:
			return pathQ8, int(w.Type)<<1 | 1 // interleaved Q4_0 activations
		}
	case tensor.F32, tensor.F16:
		return pathFloat, 0
	case tensor.BF16:
		return pathFloat, 1 // activations rounded to bfloat16
	case tensor.Q4_K, tensor.Q5_K, tensor.Q6_K:
		if layoutOf(w.Data) == x16 {
			return pathX16, int(tensor.Q8_K)
		}
		return pathVecDot, int(tensor.Q8_K)
	case tensor.Q4_1, tensor.Q5_0, tensor.Q5_1, tensor.Q2_K, tensor.Q3_K:
		return pathVecDot, int(tensor.VecDotType(w.Type))
	}
	return pathGeneric, int(w.Type)
}

// groupable reports whether ws can run as one pass: the same path and
// activation format (the natural Q4_0 and Q8_0 paths also differ in their
// activation offset, so they group only with their own type).
func groupable(ws []*tensor.Tensor) bool {
	path, act := pathOf(ws[0])
	if path == pathGeneric {
		return false
	}
	for _, w := range ws[1:] {
		if p, a := pathOf(w); p != path || a != act {
			return false
		}
	}
	return true
}

// matmulParts runs the parts set in p.job (all on one path, see groupable)
// for n tokens of x, cols wide.
func matmulParts(p *Pool, x []float32, n, cols int) {
	j := &p.job
	j.x, j.n, j.cols = x, n, cols
	chunks := 0
	for k := range j.nparts {
		pt := &j.parts[k]
		pt.rows = pt.w.Rows()
		pt.rowBytes = len(pt.w.Data) / pt.rows
		pt.rpc = rowChunk(pt.rows, p.threads, pt.rowBytes, n)
		pt.first = chunks
		chunks += (pt.rows + pt.rpc - 1) / pt.rpc
	}
	j.chunks = chunks
	switch path, _ := pathOf(j.parts[0].w); path {
	case pathX16:
		matmulX16(p)
	case pathQ8:
		matmulQ8(p)
	case pathFloat:
		matmulFloat(p)
	case pathVecDot:
		matmulVecDot(p)
	default:
		matmulGeneric(p)
	}
	for k := range j.nparts {
		j.parts[k] = mmPart{}
	}
	j.nparts, j.x, j.xb = 0, nil, nil
}

// rowChunk picks how many rows one Run index covers: small enough that every
// thread gets several chunks (so none idles at the end), large enough that
// the hand-out cost is negligible.
//
// With a few tokens the product streams weights from memory and does little
// arithmetic per byte. Then chunks are sized in bytes instead. Each thread
// takes the chunks of its share in order (see Pool.Run), so consecutive
// chunks form one stream (two for one token on the x16 path, which pairs
// chunk i with chunk i+half), and their size only sets how finely the
// threads can even out at the end of a product: on the Llama-3.2-1B decode step
// (BenchmarkDecodeStep), 128 KB chunks stream about 6% more bytes per second
// than 512 KB ones, and below 32 KB the hand-out cost shows. The chunk count
// is a multiple of the thread count so the threads finish together, and at
// least two per thread so that one can take over the other's last chunk when
// the operating system deschedules it.
func rowChunk(rows, threads, rowBytes, n int) int {
	if n <= streamTokens {
		total := rows * max(rowBytes, 1)
		chunks := max(2, (total+streamChunk/2)/streamChunk/threads) * threads
		return max((rows+chunks-1)/chunks, 1)
	}
	c := rows / (threads * 8)
	if lim := (1 << 20) / max(rowBytes, 1); c > lim {
		c = lim // long runs of rows keep each thread's stream prefetch-friendly
	}
	return max(c, 1)
}

// streamTokens is the largest token count for which a matmul is treated as
// memory-bound (decode, small batches), and streamChunk the bytes of weights
// one chunk of such a matmul should cover.
const (
	streamTokens = 4
	streamChunk  = 128 << 10
)

// tileRows is the cache blocking for prefill: a tile of tileRows weight rows
// meets one group of four tokens at a time, so the group's activations stay
// in L1 while the tile's rows are reused from L1/L2 by every group.
const tileRows = 16

// x16TileRows is tileRows for the x16 kernels, whose rows are read from L2
// faster than the activations of a long prompt (about 1 MB for 512 tokens of
// 2048 values) are read again from L3: a taller tile reads them fewer times.
// On a 512-token Llama-3.2-1B Q4_0 prefill, 64 rows ran 8–19% faster than 16
// in four alternating rounds on two threads and 13% on one.
const x16TileRows = 64

// mmPart is one weight of a MatMul or MatMulGroup call with its output and
// how its rows are cut into chunks.
type mmPart struct {
	w             *tensor.Tensor
	out           []float32
	rows          int
	rowBytes, rpc int // bytes per weight row, rows per chunk
	first         int // index of the part's first chunk in the job
	dotQ          func(w []byte, a *q8Act, tok int) float32
	dotF          func(w []byte, x []float32) float32
	packed        bool // w is a packed Q4_0 weight (see Prepare)
}

// mmJob holds one MatMul call's arguments for the pool's threads. The
// functions the threads run are bound to the Pool once (see bind), so a call
// allocates nothing.
type mmJob struct {
	parts          [MaxGroup]mmPart
	nparts, chunks int
	x              []float32
	xb             []uint16 // BF16 weights: x rounded to bfloat16 (x holds the same values)
	n, cols        int
	quantOff       int32
	quantInterlv   bool
	rowsQ, rowsF   func(i, thread int)
	rowsG, quantTk func(i, thread int)
	rowsV, quantV  func(i, thread int)
	rowsX, quantX  func(i, thread int)
	rowsX2         func(i, thread int)
	rowsF2         func(i, thread int)
	roundB         func(i, thread int)
	half           int // decode chunk pairs of the x16, F16 and BF16 paths: i with i+half
	actFn          func(i, thread int)
	act            Activation // GatedMul's arguments
	actGate, actUp []float32
	vdt            tensor.DType // activation type of the vec-dot path
	xqBytes        int          // bytes of one quantized activation row
}

// chunk maps a Run index of the job to its part and that part's rows
// [r0, r1).
func (j *mmJob) chunk(i int) (pt *mmPart, r0, r1 int) {
	k := 0
	for k+1 < j.nparts && i >= j.parts[k+1].first {
		k++
	}
	pt = &j.parts[k]
	r0 = (i - pt.first) * pt.rpc
	return pt, r0, min(r0+pt.rpc, pt.rows)
}

func (p *Pool) bind() {
	p.job.rowsQ = p.rowsQ8
	p.job.rowsF = p.rowsFloat
	p.job.roundB = p.roundBF16
	p.job.rowsG = p.rowsGeneric
	p.job.quantTk = p.quantToken
	p.job.rowsV = p.rowsVecDot
	p.job.quantV = p.quantVecDot
	p.job.rowsX = p.rowsX16
	p.job.quantX = p.quantX16
	p.job.rowsX2 = p.rowsX16Pair
	p.job.rowsF2 = p.rowsFloatPair
	p.job.actFn = p.gatedChunk
}

// matmulQ8 handles Q8_0 and Q4_0 weights in the file or packed layout: the
// activations are quantized to Q8_0 and multiplied with integer arithmetic,
// as GGML does.
func matmulQ8(p *Pool) {
	j := &p.job
	for k := range j.nparts {
		pt := &j.parts[k]
		switch pt.w.Type {
		case tensor.Q8_0:
			pt.dotQ, j.quantInterlv, j.quantOff = dotQ8_0, false, 128
		case tensor.Q4_0:
			pt.dotQ, j.quantInterlv, j.quantOff = dotQ4_0, true, 8
			if isPacked(pt.w.Data) {
				pt.dotQ, j.quantInterlv, pt.packed = dotQ4_0Packed, false, true
			}
		}
	}
	p.scratch.act.prepare(j.n, j.cols, j.quantInterlv)
	if j.n == 1 {
		p.scratch.act.quantizeToken(0, j.x[:j.cols], j.quantOff)
	} else {
		p.run(j.n, j.quantTk)
	}
	p.run(j.chunks, j.rowsQ)
}

func (p *Pool) quantToken(b, _ int) {
	j := &p.job
	p.scratch.act.quantizeToken(b, j.x[b*j.cols:(b+1)*j.cols], j.quantOff)
}

func (p *Pool) rowsQ8(i, _ int) {
	j := &p.job
	pt, r0, r1 := j.chunk(i)
	a := &p.scratch.act
	var o4 [4]float32
	for ; r0 < r1; r0 += tileRows {
		rt := min(r0+tileRows, r1)
		b := 0
		for ; b+4 <= j.n; b += 4 {
			r := r0
			for ; r < rt; r++ {
				row := pt.w.Data[r*pt.rowBytes : (r+1)*pt.rowBytes]
				if pt.packed && !dotQ4_0PackedX4(row, a, b, &o4) || !pt.packed && !dotQ8x4(pt.w.Type, row, a, b, &o4) {
					break
				}
				for k, v := range o4 {
					pt.out[(b+k)*pt.rows+r] = v
				}
			}
			if r < rt {
				break // no four-token kernel at this level
			}
		}
		for r := r0; r < rt; r++ {
			row := pt.w.Data[r*pt.rowBytes : (r+1)*pt.rowBytes]
			for bb := b; bb < j.n; bb++ {
				pt.out[bb*pt.rows+r] = pt.dotQ(row, a, bb)
			}
		}
	}
}

// matmulVecDot handles the other block formats as GGML does: the
// activations are quantized to tensor.VecDotType(w.Type) (Q8_0, Q8_1 or
// Q8_K) and each row is multiplied with integer block sums (dotQ8Ref).
func matmulVecDot(p *Pool) {
	j := &p.job
	j.vdt = tensor.VecDotType(j.parts[0].w.Type)
	j.xqBytes, _ = tensor.RowBytes(j.vdt, j.cols) // cols is a multiple of every block size involved
	p.scratch.xq = grow(p.scratch.xq, j.n*j.xqBytes)
	p.run(j.n, j.quantV)
	p.run(j.chunks, j.rowsV)
}

func (p *Pool) quantVecDot(b, _ int) {
	j := &p.job
	quantizeVecDot(j.vdt, j.x[b*j.cols:(b+1)*j.cols], p.scratch.xq[b*j.xqBytes:(b+1)*j.xqBytes])
}

func (p *Pool) rowsVecDot(i, _ int) {
	j := &p.job
	pt, r0, r1 := j.chunk(i)
	t := pt.w.Type
	var o4 [4]float32
	for ; r0 < r1; r0 += tileRows {
		rt := min(r0+tileRows, r1)
		for b0 := 0; b0 < j.n; b0 += 4 {
			bt := min(b0+4, j.n)
			for r := r0; r < rt; r++ {
				row := pt.w.Data[r*pt.rowBytes : (r+1)*pt.rowBytes]
				if bt-b0 == 4 && dotVecDotX4(t, row, p.scratch.xq[b0*j.xqBytes:bt*j.xqBytes], j.xqBytes, &o4) {
					for k, v := range o4 {
						pt.out[(b0+k)*pt.rows+r] = v
					}
					continue
				}
				for b := b0; b < bt; b++ {
					pt.out[b*pt.rows+r] = dotQ8Ref(t, row, p.scratch.xq[b*j.xqBytes:(b+1)*j.xqBytes])
				}
			}
		}
	}
}

// matmulFloat handles F32, F16 and BF16 weights with float32 activations,
// rounded to bfloat16 for BF16 weights: GGML multiplies BF16 weights with
// BF16 activations (its vec-dot type for BF16), and so does Nuri, by
// VDPBF16PS on AVX512_BF16 and in float32 on the rounded values elsewhere,
// so that every level and architecture computes the same products.
func matmulFloat(p *Pool) {
	j := &p.job
	if j.parts[0].w.Type == tensor.BF16 {
		m := j.n * j.cols
		s := &p.scratch
		if cap(s.bf) < m {
			s.bf, s.bfx = make([]uint16, m), make([]float32, m)
		}
		j.xb = s.bf[:m]
		if j.n == 1 {
			p.roundBF16(0, 0)
		} else {
			p.run(j.n, j.roundB)
		}
		j.x = s.bfx[:m]
	}
	for k := range j.nparts {
		pt := &j.parts[k]
		switch pt.w.Type {
		case tensor.F32:
			pt.dotF = dotF32
		case tensor.F16:
			pt.dotF = dotF16
		case tensor.BF16:
			pt.dotF = dotBF16
		}
	}
	if j.n == 1 && (j.parts[0].w.Type == tensor.F16 && level == AVX512 || j.xb != nil && bf16Dot()) {
		// Decode: each thread streams two runs of rows at once, chunk i
		// with chunk i+half (see floatRows2 and bf16Rows2).
		j.half = (j.chunks + 1) / 2
		p.run(j.half, j.rowsF2)
		return
	}
	p.run(j.chunks, j.rowsF)
}

// roundBF16 rounds token i of the job's activations to bfloat16 (as GGML
// does, to nearest even) into j.xb and, widened back, the scratch floats.
func (p *Pool) roundBF16(i, _ int) {
	j := &p.job
	x, xb := j.x[i*j.cols:(i+1)*j.cols], j.xb[i*j.cols:(i+1)*j.cols]
	xr := p.scratch.bfx[i*j.cols : (i+1)*j.cols]
	for k, v := range x {
		b := tensor.F32ToBF16(v)
		xb[k], xr[k] = b, tensor.BF16ToF32(b)
	}
}

func (p *Pool) rowsFloat(i, _ int) {
	pt, r0, r1 := p.job.chunk(i)
	p.floatRange(pt, r0, r1)
}

// rowsFloatPair runs decode chunks i and i+half of the job together in the
// two-stream kernels (see floatRows2 and bf16Rows2), or one after the other
// where they differ in type or have no such kernel.
func (p *Pool) rowsFloatPair(i, _ int) { p.pairChunks(i, p.floatPair, p.floatRange) }

// pairChunks runs decode chunks i and i+half of the job: as many rows of the
// two as they have in common through pair (a two-stream kernel, which
// reports whether it took them), the rest, or all where pair declines,
// through rng one chunk after the other.
func (p *Pool) pairChunks(i int, pair func(ptA, ptB *mmPart, a0, b0, m int) bool, rng func(pt *mmPart, r0, r1 int)) {
	j := &p.job
	k := i + j.half
	ptA, a0, a1 := j.chunk(i)
	if k >= j.chunks {
		rng(ptA, a0, a1)
		return
	}
	ptB, b0, b1 := j.chunk(k)
	m := min(a1-a0, b1-b0)
	if !pair(ptA, ptB, a0, b0, m) {
		m = 0
	}
	rng(ptA, a0+m, a1)
	rng(ptB, b0+m, b1)
}

// floatPair runs rows [a0, a0+m) of part A with rows [b0, b0+m) of part B
// in a two-stream kernel if there is one for them; it reports whether it did.
func (p *Pool) floatPair(ptA, ptB *mmPart, a0, b0, m int) bool {
	j := &p.job
	rb := ptA.rowBytes
	if ptA.w.Type != ptB.w.Type || rb != ptB.rowBytes {
		return false
	}
	wA, wB := ptA.w.Data[a0*rb:(a0+m)*rb], ptB.w.Data[b0*rb:(b0+m)*rb]
	outA, outB := ptA.out[a0:a0+m], ptB.out[b0:b0+m]
	if j.xb != nil {
		return bf16Rows2(wA, wB, rb, j.xb[:j.cols], j.x[:j.cols], outA, outB)
	}
	return floatRows2(ptA.w.Type, wA, wB, rb, j.x[:j.cols], outA, outB)
}

// floatRange multiplies rows [r0, r1) of a float part with the job's tokens.
func (p *Pool) floatRange(pt *mmPart, r0, r1 int) {
	j := &p.job
	if r0 >= r1 {
		return
	}
	if j.xb != nil && bf16Dot() {
		p.bf16Range(pt, r0, r1)
		return
	}
	if j.n == 1 && floatRows(pt.w.Type, pt.w.Data[r0*pt.rowBytes:r1*pt.rowBytes], pt.rowBytes, j.x[:j.cols], pt.out[r0:r1]) {
		return // decode: the whole chunk in one streaming call
	}
	var o4 [4]float32
	for ; r0 < r1; r0 += tileRows {
		rt := min(r0+tileRows, r1)
		for b0 := 0; b0 < j.n; b0 += 4 {
			bt := min(b0+4, j.n)
			r := r0
			if bt-b0 == 4 {
				for ; r+4 <= rt; r += 4 {
					if !floatTile4x4(pt.w.Type, pt.w.Data[r*pt.rowBytes:(r+4)*pt.rowBytes], pt.rowBytes, j.x[b0*j.cols:bt*j.cols], j.cols, pt.out[b0*pt.rows+r:], pt.rows, b0 == 0) {
						break
					}
				}
			}
			for ; r < rt; r++ {
				row := pt.w.Data[r*pt.rowBytes : (r+1)*pt.rowBytes]
				if bt-b0 == 4 && pt.w.Type == tensor.F16 && dotF16x4(row, j.x[b0*j.cols:bt*j.cols], j.cols, &o4) {
					for k, v := range o4 {
						pt.out[(b0+k)*pt.rows+r] = v
					}
					continue
				}
				for b := b0; b < bt; b++ {
					pt.out[b*pt.rows+r] = pt.dotF(row, j.x[b*j.cols:(b+1)*j.cols])
				}
			}
		}
	}
}

// bf16Range multiplies rows [r0, r1) of a BF16 part with the job's tokens
// (rounded to bfloat16) by VDPBF16PS: the whole range in one call for one
// token, tiles of four rows × four tokens otherwise, and one row at a time
// for what is left.
func (p *Pool) bf16Range(pt *mmPart, r0, r1 int) {
	j := &p.job
	rb, c := pt.rowBytes, j.cols
	if j.n == 1 && bf16Rows(pt.w.Data[r0*rb:r1*rb], rb, j.xb[:c], j.x[:c], pt.out[r0:r1]) {
		return // decode: the whole chunk in one streaming call
	}
	for ; r0 < r1; r0 += tileRows {
		rt := min(r0+tileRows, r1)
		for b0 := 0; b0 < j.n; b0 += 4 {
			bt := min(b0+4, j.n)
			r := r0
			if bt-b0 == 4 {
				for ; r+4 <= rt; r += 4 {
					if !bf16Tile4x4(pt.w.Data[r*rb:(r+4)*rb], rb, j.xb[b0*c:bt*c], j.x[b0*c:bt*c], c, pt.out[b0*pt.rows+r:], pt.rows, b0 == 0) {
						break
					}
				}
			}
			for ; r < rt; r++ {
				row := pt.w.Data[r*rb : (r+1)*rb]
				for b := b0; b < bt; b++ {
					o := pt.out[b*pt.rows+r : b*pt.rows+r+1]
					if !bf16Rows(row, rb, j.xb[b*c:(b+1)*c], j.x[b*c:(b+1)*c], o) {
						o[0] = pt.dotF(row, j.x[b*c:(b+1)*c])
					}
				}
			}
		}
	}
}

// matmulGeneric dequantizes each weight row once into a per-thread buffer and
// takes its float32 dot product with every token.
func matmulGeneric(p *Pool) {
	j := &p.job
	for t := range p.scratch.rows {
		p.scratch.row(t, j.cols)
	}
	p.run(j.chunks, j.rowsG)
}

func (p *Pool) rowsGeneric(i, thread int) {
	j := &p.job
	pt, r0, r1 := j.chunk(i)
	buf := p.scratch.row(thread, j.cols)
	for r := r0; r < r1; r++ {
		// Dequantize only fails on inconsistent sizes, which CheckWeight ruled out.
		_ = tensor.Dequantize(pt.w.Type, pt.w.Data[r*pt.rowBytes:(r+1)*pt.rowBytes], buf)
		for b := 0; b < j.n; b++ {
			pt.out[b*pt.rows+r] = dotGo(buf, j.x[b*j.cols:(b+1)*j.cols])
		}
	}
}

// dotGo is a float32 dot product with eight interleaved accumulators.
func dotGo(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
		s4 += a[i+4] * b[i+4]
		s5 += a[i+5] * b[i+5]
		s6 += a[i+6] * b[i+6]
		s7 += a[i+7] * b[i+7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return ((s0 + s4) + (s1 + s5)) + ((s2 + s6) + (s3 + s7))
}

// supported reports whether MatMul accepts weights of type t.
func supported(t tensor.DType) bool {
	switch t {
	case tensor.F32, tensor.F16, tensor.BF16, tensor.Q4_0, tensor.Q4_1, tensor.Q5_0, tensor.Q5_1,
		tensor.Q8_0, tensor.Q2_K, tensor.Q3_K, tensor.Q4_K, tensor.Q5_K, tensor.Q6_K, tensor.Q8_K:
		return true
	}
	return false
}

// matmulX16 multiplies weights in the x16 layout (see x16.go).
func matmulX16(p *Pool) {
	j := &p.job
	off := x16ActOff(j.parts[0].w.Type)
	a := &p.scratch.x16
	if j.n%4 < 2 || off == 0 {
		a.prepare(j.n, j.cols, off)
	} else {
		// Q4_0 and Q8_0: room for a last group of four tokens (see
		// x16Range), the missing ones with zero scales.
		n4 := (j.n + 3) &^ 3
		a.prepare(n4, j.cols, off)
		for b := j.n; b < n4; b++ {
			_, corr, d := a.tok(b)
			clear(corr)
			clear(d)
		}
	}
	if j.n == 1 {
		// Decode: each thread streams two runs of rows at once, chunk i
		// with chunk i+half (see x16Rows2).
		p.quantX16(0, 0)
		j.half = (j.chunks + 1) / 2
		p.run(j.half, j.rowsX2)
		return
	}
	p.run(j.n, j.quantX)
	p.run(j.chunks, j.rowsX)
}

func (p *Pool) quantX16(b, _ int) {
	j := &p.job
	p.scratch.x16.quantizeToken(b, j.x[b*j.cols:(b+1)*j.cols])
}

func (p *Pool) rowsX16(i, _ int) {
	pt, r0, r1 := p.job.chunk(i)
	p.x16Range(pt, r0, r1)
}

// rowsX16Pair runs decode chunks i and i+half of the job together in the
// two-stream kernels (see x16Rows2), or one after the other where they
// differ in type or have no such kernel.
func (p *Pool) rowsX16Pair(i, _ int) { p.pairChunks(i, p.x16Pair, p.x16Range) }

// x16Pair runs rows [a0, a0+m) of part A with rows [b0, b0+m) of part B in
// a two-stream x16 kernel if there is one for them; it reports whether it
// did.
func (p *Pool) x16Pair(ptA, ptB *mmPart, a0, b0, m int) bool {
	return ptA.w.Type == ptB.w.Type && x16Rows2(ptA.w.Type,
		ptA.w.Data[a0*ptA.rowBytes:(a0+m)*ptA.rowBytes], ptB.w.Data[b0*ptB.rowBytes:(b0+m)*ptB.rowBytes],
		m, &p.scratch.x16, ptA.out[a0:a0+m], ptB.out[b0:b0+m])
}

// x16Range multiplies rows [r0, r1) of an x16 part with the job's tokens.
func (p *Pool) x16Range(pt *mmPart, r0, r1 int) {
	j := &p.job
	if r0 >= r1 {
		return
	}
	a := &p.scratch.x16
	t := pt.w.Type
	if j.n == 1 && x16Rows(t, pt.w.Data[r0*pt.rowBytes:r1*pt.rowBytes], r1-r0, a, 0, pt.out[r0:r1]) {
		return // decode: the whole chunk in one streaming call
	}
	for ; r0 < r1; r0 += x16TileRows {
		rt := min(r0+x16TileRows, r1)
		w := pt.w.Data[r0*pt.rowBytes : rt*pt.rowBytes]
		b := 0
		for ; b+4 <= j.n; b += 4 {
			if !x16RowsX4(t, w, rt-r0, a, b, pt.out[b*pt.rows+r0:], pt.rows) {
				break
			}
		}
		// Two or three tokens left (a server decoding that many sequences):
		// for the light Q4_0 and Q8_0 kernels one four-token pass over the
		// weights, with the activations of the missing tokens zero and their
		// results dropped, costs less than a pass per token (a 3-token
		// Llama-3.2-1B Q4_0 step: about 23 ms against 28 in alternating
		// runs). The K-quant kernels' arithmetic for four tokens costs as
		// much as it saves, so matmulX16 makes room for the missing tokens
		// only for Q4_0 and Q8_0.
		if rem := j.n - b; rem >= 2 && rem < 4 && b+4 <= a.tokens() {
			var tmp [4 * x16TileRows]float32
			if x16RowsX4(t, w, rt-r0, a, b, tmp[:], x16TileRows) {
				for k := 0; k < rem; k++ {
					copy(pt.out[(b+k)*pt.rows+r0:(b+k)*pt.rows+rt], tmp[k*x16TileRows:])
				}
				b = j.n
			}
		}
		for ; b < j.n; b++ {
			o := pt.out[b*pt.rows+r0 : b*pt.rows+rt]
			if x16Rows(t, w, rt-r0, a, b, o) {
				continue
			}
			qs, corr, d := a.tok(b)
			for r := range o {
				row := w[r*pt.rowBytes : (r+1)*pt.rowBytes]
				switch t {
				case tensor.Q4_K, tensor.Q5_K:
					o[r] = dotX16Q45KGo(row, qs, corr, d, a.nb/16, t == tensor.Q5_K)
				case tensor.Q6_K:
					o[r] = dotX16Q6KGo(row, qs, a.half[b*2*a.nb:(b+1)*2*a.nb], d, a.nb/16)
				default:
					o[r] = dotX16Go(t, row, qs, corr, d, a.nb)
				}
			}
		}
	}
}
