package kernels

import (
	"encoding/binary"
	"time"
)

// MeasureReadBandwidth measures how fast threads threads can read a buffer of
// about size bytes (each thread streams its own contiguous share, STREAM
// style, with wide vector loads, from memory advised onto huge pages like
// the repacked weights), and returns the best of several passes in
// GB/s (1e9 bytes per second). Passes alternate between reading each share
// as one stream and as two (its halves at once, as the decode kernels read
// weights; on some machines one core fills more of the bandwidth that way),
// so the result is the faster of the two. Use a size well above the last-level cache
// (256 MiB or more) to measure DRAM; the result is the ceiling for decode,
// which reads every weight once per token. threads <= 0 means
// PhysicalCores(); size is rounded to whole 4 KiB pages per thread (minimum
// one page each).
func MeasureReadBandwidth(threads int, size int) float64 {
	p := NewPool(threads)
	defer p.Close()
	return NewBandwidthProbe(p, size).Measure(20, 500*time.Millisecond)
}

// A BandwidthProbe measures read bandwidth as MeasureReadBandwidth does, on
// a pool and a buffer it keeps, so that it can measure again and again
// between other work (for instance around each run of a benchmark, where
// the bandwidth a shared machine offers changes from minute to minute)
// without allocating or faulting in pages each time.
type BandwidthProbe struct {
	p    *Pool
	buf  []byte
	per  int
	sums []uint64
	one  func(i, thread int)
	two  func(i, thread int)
}

// NewBandwidthProbe allocates and maps a buffer of about size bytes (see
// MeasureReadBandwidth) to read with p's threads.
func NewBandwidthProbe(p *Pool, size int) *BandwidthProbe {
	b := &BandwidthProbe{p: p, per: max(size/p.threads/4096, 1) * 4096, sums: make([]uint64, p.threads)}
	b.buf = weightBuffer(b.per * p.threads) // the kind of memory repacked weights live in
	for i := 0; i < len(b.buf); i += 4096 {
		b.buf[i] = byte(i >> 12) // touch every page so it is really mapped
	}
	b.one = func(i, thread int) { b.sums[thread] ^= readSum(b.buf[i*b.per : (i+1)*b.per]) }
	b.two = func(i, thread int) {
		per := b.per
		h := per / 2 &^ 255
		b.sums[thread] ^= readSum2(b.buf[i*per:i*per+h], b.buf[i*per+h:i*per+2*h]) ^ readSum(b.buf[i*per+2*h:(i+1)*per])
	}
	p.Run(p.threads, b.one) // warm-up: page faults, worker wake-up
	return b
}

// Measure reads the buffer at least min(passes, 4) times and at most
// passes times, stopping once the passes have taken minTime, alternating
// one stream and two per thread, and returns the fastest pass in GB/s.
func (b *BandwidthProbe) Measure(passes int, minTime time.Duration) float64 {
	best := time.Duration(1<<63 - 1)
	var spent time.Duration
	for k := 0; k < passes && (k < 4 || spent < minTime); k++ {
		pass := b.one
		if k%2 == 1 {
			pass = b.two
		}
		t0 := time.Now()
		b.p.Run(b.p.threads, pass)
		d := time.Since(t0)
		spent += d
		best = min(best, d)
	}
	return float64(len(b.buf)) / best.Seconds() / 1e9
}

func readSumGo(b []byte) uint64 {
	var s0, s1, s2, s3 uint64
	for i := 0; i+32 <= len(b); i += 32 {
		s0 ^= binary.LittleEndian.Uint64(b[i:])
		s1 ^= binary.LittleEndian.Uint64(b[i+8:])
		s2 ^= binary.LittleEndian.Uint64(b[i+16:])
		s3 ^= binary.LittleEndian.Uint64(b[i+24:])
	}
	return s0 ^ s1 ^ s2 ^ s3
}

// readSum2Blocks is readSum2 from alternating blocks of a and b.
func readSum2Blocks(a, b []byte) uint64 {
	const blk = 1024
	b = b[:len(a)]
	var s uint64
	for o := 0; o < len(a); o += blk {
		e := min(o+blk, len(a))
		s ^= readSum(a[o:e]) ^ readSum(b[o:e])
	}
	return s
}
