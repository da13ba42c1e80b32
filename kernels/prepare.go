package kernels

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"
	"weak"

	"github.com/nuri-ai/nuri/internal/mmap"
	"github.com/nuri-ai/nuri/tensor"
)

// Load-time weight repacking.
//
// Q4_0 stores each block of 32 weights as an fp16 scale followed by 16 bytes
// whose low nibbles are elements 0..15 and high nibbles elements 16..31, so a
// kernel must shuffle bytes before it can multiply them. Prepare rewrites a
// Q4_0 weight, row by row and in the same number of bytes, into a layout
// that unpacks with one shift and two masks (the packed Q4_0 layout):
//
//   - the first cols/2 bytes of a row hold the quants in groups of four
//     blocks (64 bytes per group): byte j of group g carries, in its low
//     nibble, element j of blocks 4g and 4g+1 taken end to end, and in its
//     high nibble element j of blocks 4g+2 and 4g+3;
//   - the last cols/32·2 bytes hold the blocks' fp16 scales in order.
//
// The tensor keeps its type; MatMul recognises packed data by its address
// (a registry of the buffers Prepare made, held by weak pointers so that a
// freed model leaves nothing behind).

// packedRange is one buffer Prepare made.
type packedRange struct {
	start, end uintptr
	ref        weak.Pointer[byte]
	layout     layout
}

// layout names the arrangement Prepare gave a weight's rows.
type layout uint8

const (
	fileLayout layout = iota // as the file stores it
	packed4                  // Q4_0 in groups of four blocks (cols%128 == 0)
	x16                      // Q4_0, Q8_0 or K-quants transposed by 16 blocks (x16.go, x16k.go)
)

var (
	packedMu   sync.Mutex                    // serialises writers of packedList
	packedList atomic.Pointer[[]packedRange] // sorted by start; replaced, never modified
)

// Prepare returns a weight with the same name, type, shape and values as w
// in the layout MatMul multiplies fastest on this CPU: with the AVX-512
// kernels, an x16 copy of Q4_0, Q8_0, Q4_K, Q5_K and Q6_K weights whose
// columns are a multiple of 512 and a packed copy of other Q4_0 weights
// whose columns are a multiple of 128; with the AVX2 kernels, an x16 copy of
// such Q4_0 weights; w itself otherwise. Model loaders call it once per
// matrix that only MatMul reads (not on an embedding table that is also
// looked up row by row: use PrepareEmbedding there), through an Arena when
// they prepare a whole model.
// An invalid weight is returned unchanged for CheckWeight to report.
func Prepare(w *tensor.Tensor) *tensor.Tensor { return (*Arena)(nil).Prepare(w) }

// PrepareEmbedding is Prepare for a weight that is also read row by row
// (a token embedding that doubles as the output projection): it repacks
// only into layouts DequantizeRow reads.
func PrepareEmbedding(w *tensor.Tensor) *tensor.Tensor { return (*Arena)(nil).PrepareEmbedding(w) }

// An Arena holds the repacked copies of a model's weights side by side in
// one block of memory that starts on a huge-page boundary and is advised
// onto huge pages (mmap.AdviseHuge), so that decode, which streams them all
// once per token, reads huge pages from end to end instead of only the
// middles of the larger copies. A nil Arena gives each copy memory of its
// own. An Arena is not safe for concurrent use.
type Arena struct {
	buf []byte
	off int
}

// arenaAlign is where copies start in an Arena: on page boundaries.
const arenaAlign = 4096

// NewArena reserves room for the copies Prepare would make of ws (nil
// entries and weights it leaves alone take none). Room that goes unused is
// never touched, so it costs address space only.
func NewArena(ws ...*tensor.Tensor) *Arena {
	n := 0
	for _, w := range ws {
		if repackable(w) && (x16Fits(w) || w.Type == tensor.Q4_0 && w.Cols()%128 == 0) {
			n += (len(w.Data) + arenaAlign - 1) &^ (arenaAlign - 1)
		}
	}
	if n == 0 {
		return &Arena{}
	}
	return &Arena{buf: mmap.HugeAligned(make([]byte, n+mmap.HugePage), n)}
}

// Prepare is the package's Prepare, with the copy made in a.
func (a *Arena) Prepare(w *tensor.Tensor) *tensor.Tensor {
	if !repackable(w) {
		return w
	}
	switch {
	case x16Fits(w):
		return packX16(a.take(len(w.Data)), w)
	case w.Type == tensor.Q4_0 && w.Cols()%128 == 0:
		return packQ4_0(a.take(len(w.Data)), w)
	}
	return w
}

// PrepareEmbedding is the package's PrepareEmbedding, with the copy made
// in a.
func (a *Arena) PrepareEmbedding(w *tensor.Tensor) *tensor.Tensor {
	if repackable(w) && x16Fits(w) {
		return packX16(a.take(len(w.Data)), w)
	}
	return w
}

// take returns n zeroed bytes from a's block, or from weightBuffer where a
// is nil or full.
func (a *Arena) take(n int) []byte {
	if a == nil || a.off+n > len(a.buf) {
		return weightBuffer(n)
	}
	b := a.buf[a.off : a.off+n : a.off+n]
	a.off = min(a.off+(n+arenaAlign-1)&^(arenaAlign-1), len(a.buf))
	return b
}

// repackable reports whether w is a valid weight in its file layout at a
// level that has kernels for a layout Prepare would give it: AVX-512 (every
// repacked layout) or AVX2 (x16 Q4_0 only).
func repackable(w *tensor.Tensor) bool {
	if w == nil || (level != AVX512 && level != AVX2) || CheckWeight(w) != nil || isPacked(w.Data) {
		return false
	}
	return level == AVX512 || x16Fits(w)
}

// x16Fits reports whether w's type and row length suit the x16 layout and
// the level has kernels for it (Q4_0 at AVX2 and AVX-512, the other x16
// types at AVX-512).
func x16Fits(w *tensor.Tensor) bool {
	switch w.Type {
	case tensor.Q4_0:
		return w.Cols()%x16Group == 0
	case tensor.Q8_0, tensor.Q4_K, tensor.Q5_K, tensor.Q6_K:
		return level == AVX512 && w.Cols()%x16Group == 0
	}
	return false
}

// DequantizeRow writes row r of w, in whichever layout Prepare gave it, into
// dst (w.Cols() floats), with the values tensor.Dequantize gives for the
// file layout.
func DequantizeRow(w *tensor.Tensor, r int, dst []float32) error {
	if r < 0 || r >= w.Rows() || len(dst) < w.Cols() {
		return fmt.Errorf("kernels: row %d of %q (%d rows of %d) into %d floats", r, w.Name, w.Rows(), w.Cols(), len(dst))
	}
	if layoutOf(w.Data) == x16 {
		nb := w.Cols() / 32
		rb := len(w.Data) / w.Rows()
		dequantX16Row(w.Type, dst, w.Data[r*rb:(r+1)*rb], nb)
		return nil
	}
	return tensor.Dequantize(w.Type, w.Row(r), dst[:w.Cols()])
}

// packX16 makes the x16 copy of a valid Q4_0, Q8_0, Q4_K, Q5_K or Q6_K
// weight in data (zeroed, len(w.Data) bytes) and registers it.
func packX16(data []byte, w *tensor.Tensor) *tensor.Tensor {
	rows := w.Rows()
	nb := w.Cols() / 32
	rb := len(w.Data) / rows
	// Loading is the only time this runs: spread big weights over the CPUs.
	parts := min(runtime.NumCPU(), max(1, len(data)>>22))
	var wg sync.WaitGroup
	for k := 0; k < parts; k++ {
		wg.Go(func() {
			for r := k * rows / parts; r < (k+1)*rows/parts; r++ {
				packX16Row(w.Type, data[r*rb:(r+1)*rb], w.Data[r*rb:(r+1)*rb], nb)
			}
		})
	}
	wg.Wait()
	registerPacked(data, x16)
	return &tensor.Tensor{Name: w.Name, Type: w.Type, Shape: slices.Clone(w.Shape), Data: data}
}

// weightBuffer returns n zeroed bytes of Go memory for a repacked weight,
// with the huge pages inside it advised before anything is written to it
// (see mmap.AdviseHuge and Arena).
func weightBuffer(n int) []byte {
	b := make([]byte, n)
	mmap.AdviseHuge(b)
	return b
}

// Prepared reports whether w's data was made by Prepare. Such data lives in
// ordinary process memory already, and must be used where it is: a copy of
// its bytes is no longer recognised as packed.
func Prepared(w *tensor.Tensor) bool { return w != nil && isPacked(w.Data) }

// packQ4_0 makes the packed copy of a valid Q4_0 weight in data (zeroed,
// len(w.Data) bytes) and registers it.
func packQ4_0(data []byte, w *tensor.Tensor) *tensor.Tensor {
	rows, cols := w.Rows(), w.Cols()
	nb := cols / 32
	rb := 18 * nb
	for r := 0; r < rows; r++ {
		packQ4_0Row(data[r*rb:(r+1)*rb], w.Data[r*rb:(r+1)*rb], nb)
	}
	registerPacked(data, packed4)
	return &tensor.Tensor{Name: w.Name, Type: w.Type, Shape: slices.Clone(w.Shape), Data: data}
}

// packQ4_0Row writes one row of nb (a multiple of 4) Q4_0 blocks from src
// into dst in the packed layout.
func packQ4_0Row(dst, src []byte, nb int) {
	qs, ds := dst[:16*nb], dst[16*nb:]
	for b := 0; b < nb; b++ {
		ds[2*b], ds[2*b+1] = src[18*b], src[18*b+1]
	}
	for g := 0; g < nb/4; g++ {
		out := qs[64*g : 64*g+64]
		for j := range out {
			out[j] = q4Elem(src, 4*g+j/32, j%32) | q4Elem(src, 4*g+2+j/32, j%32)<<4
		}
	}
}

// q4Elem is the unsigned 4-bit quant of element e of block b of a Q4_0 row.
func q4Elem(row []byte, b, e int) byte {
	q := row[18*b+2 : 18*b+18]
	if e < 16 {
		return q[e] & 15
	}
	return q[e-16] >> 4
}

func registerPacked(data []byte, l layout) {
	start := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
	packedMu.Lock()
	defer packedMu.Unlock()
	var list []packedRange
	if old := packedList.Load(); old != nil {
		for _, e := range *old {
			if e.ref.Value() != nil { // drop buffers that were freed
				list = append(list, e)
			}
		}
	}
	list = append(list, packedRange{start, start + uintptr(len(data)), weak.Make(unsafe.SliceData(data)), l})
	slices.SortFunc(list, func(a, b packedRange) int {
		switch {
		case a.start < b.start:
			return -1
		case a.start > b.start:
			return 1
		}
		return 0
	})
	packedList.Store(&list)
}

// isPacked reports whether data lies inside a live buffer made by Prepare.
// A live buffer cannot share addresses with any other live memory, so an
// address inside one identifies it even if data is a sub-slice of rows.
func isPacked(data []byte) bool { return layoutOf(data) != fileLayout }

// layoutOf reports the layout of data: that of the live Prepare buffer it
// lies in, or fileLayout.
func layoutOf(data []byte) layout {
	if len(data) == 0 {
		return fileLayout
	}
	lp := packedList.Load()
	if lp == nil {
		return fileLayout
	}
	list := *lp
	p := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
	i, _ := slices.BinarySearchFunc(list, p, func(e packedRange, p uintptr) int {
		switch {
		case e.start <= p:
			return -1
		}
		return 1
	})
	// list[i-1] is the last buffer starting at or before p.
	if i == 0 {
		return fileLayout
	}
	e := list[i-1]
	if p < e.end && e.ref.Value() != nil {
		return e.layout
	}
	return fileLayout
}

// dotQ4_0PackedGo sums the blocks of a packed Q4_0 row (nb blocks) against
// natural-order activation quants.
func dotQ4_0PackedGo(w []byte, qs []byte, d []float32, nb int) float32 {
	wq, ds := w[:16*nb], w[16*nb:]
	var sum float32
	for i := 0; i < nb; i++ {
		g, k := i/4, i%4
		grp := wq[64*g+32*(k%2) : 64*g+32*(k%2)+32]
		shift := uint(4 * (k / 2))
		x := qs[32*i : 32*i+32]
		var s int32
		for e := 0; e < 32; e++ {
			s += (int32(grp[e]>>shift&15) - 8) * int32(int8(x[e]))
		}
		sum += float32(s) * (tensor.F16ToF32(le16(ds[2*i:])) * d[i])
	}
	return sum
}
