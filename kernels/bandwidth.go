package kernels

import (
	"encoding/binary"
	"time"
)

// MeasureReadBandwidth measures how fast threads threads can read a buffer of
// about size bytes (each thread streams its own contiguous share, STREAM
// style, with wide vector loads), and returns the best of several passes in
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
	per := max(size/p.threads/4096, 1) * 4096
	buf := make([]byte, per*p.threads)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = byte(i >> 12) // touch every page so it is really mapped
	}
	sums := make([]uint64, p.threads)
	one := func(i, thread int) { sums[thread] ^= readSum(buf[i*per : (i+1)*per]) }
	two := func(i, thread int) {
		h := per / 2 &^ 255
		sums[thread] ^= readSum2(buf[i*per:i*per+h], buf[i*per+h:i*per+2*h]) ^ readSum(buf[i*per+2*h:(i+1)*per])
	}
	p.Run(p.threads, one) // warm-up: page faults, worker wake-up
	best := time.Duration(1<<63 - 1)
	var spent time.Duration
	for k := 0; k < 20 && (k < 4 || spent < 500*time.Millisecond); k++ {
		pass := one
		if k%2 == 1 {
			pass = two
		}
		t0 := time.Now()
		p.Run(p.threads, pass)
		d := time.Since(t0)
		spent += d
		best = min(best, d)
	}
	return float64(len(buf)) / best.Seconds() / 1e9
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
