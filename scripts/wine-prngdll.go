//go:build ignore

// Command wine-prngdll writes bcryptprimitives.dll for Wine prefixes that
// lack it (Wine before 9): Go programs for Windows load that DLL at start-up
// for ProcessPrng, their source of random bytes. The DLL holds no code: its
// one export forwards to advapi32's SystemFunction036 (RtlGenRandom), which
// takes the same buffer and length and returns non-zero on success.
//
//	go run scripts/wine-prngdll.go -o $WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"os"
)

const (
	fileAlign = 0x200
	sectRVA   = 0x1000
	imageSize = 0x2000
)

func main() {
	out := flag.String("o", "bcryptprimitives.dll", "where to write the DLL")
	flag.Parse()
	if err := os.WriteFile(*out, build(), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "wine-prngdll: %v\n", err)
		os.Exit(1)
	}
}

// build lays out a PE32+ DLL: headers in the first 512 bytes, then one
// read-only section holding the export directory and its strings.
func build() []byte {
	le := binary.LittleEndian
	img := make([]byte, 2*fileAlign)

	// DOS header: the magic and the offset of the PE header.
	copy(img, "MZ")
	le.PutUint32(img[0x3c:], 0x40)

	// PE signature and COFF header.
	p := 0x40
	copy(img[p:], "PE\x00\x00")
	p += 4
	le.PutUint16(img[p:], 0x8664)    // machine: amd64
	le.PutUint16(img[p+2:], 1)       // one section
	le.PutUint16(img[p+16:], 240)    // size of the optional header
	le.PutUint16(img[p+18:], 0x2022) // executable image, large addresses, DLL
	p += 20

	// Optional header (PE32+).
	o := p
	le.PutUint16(img[o:], 0x20b)
	le.PutUint32(img[o+8:], fileAlign) // size of initialised data
	le.PutUint32(img[o+20:], sectRVA)  // base of code
	le.PutUint64(img[o+24:], 0x180000000)
	le.PutUint32(img[o+32:], sectRVA)   // section alignment
	le.PutUint32(img[o+36:], fileAlign) // file alignment
	le.PutUint16(img[o+40:], 6)         // OS version 6.0
	le.PutUint16(img[o+48:], 6)         // subsystem version 6.0
	le.PutUint32(img[o+56:], imageSize)
	le.PutUint32(img[o+60:], fileAlign) // size of headers
	le.PutUint16(img[o+68:], 3)         // console subsystem
	le.PutUint16(img[o+70:], 0x100)     // NX compatible
	le.PutUint64(img[o+72:], 0x100000)  // stack reserve
	le.PutUint64(img[o+80:], 0x1000)    // stack commit
	le.PutUint64(img[o+88:], 0x100000)  // heap reserve
	le.PutUint64(img[o+96:], 0x1000)    // heap commit
	le.PutUint32(img[o+108:], 16)       // data directories
	dirs := o + 112

	// Section contents, laid out from the section's start.
	sec := img[fileAlign:]
	const (
		exportDir = 0
		funcs     = 40
		names     = 44
		ords      = 48
		strs      = 52
	)
	s := strs
	putStr := func(v string) uint32 {
		rva := uint32(sectRVA + s)
		copy(sec[s:], v)
		s += len(v) + 1
		return rva
	}
	dllName := putStr("bcryptprimitives.dll")
	fnName := putStr("ProcessPrng")
	forward := putStr("advapi32.SystemFunction036")
	size := s

	le.PutUint32(sec[exportDir+12:], dllName)
	le.PutUint32(sec[exportDir+16:], 1) // ordinal base
	le.PutUint32(sec[exportDir+20:], 1) // functions
	le.PutUint32(sec[exportDir+24:], 1) // names
	le.PutUint32(sec[exportDir+28:], sectRVA+funcs)
	le.PutUint32(sec[exportDir+32:], sectRVA+names)
	le.PutUint32(sec[exportDir+36:], sectRVA+ords)
	// An export whose address lies inside the export directory is a
	// forwarder: the loader resolves the named DLL's function instead.
	le.PutUint32(sec[funcs:], forward)
	le.PutUint32(sec[names:], fnName)
	le.PutUint16(sec[ords:], 0)

	le.PutUint32(img[dirs:], sectRVA) // export directory
	le.PutUint32(img[dirs+4:], uint32(size))

	// Section header.
	h := o + 240
	copy(img[h:], ".rdata")
	le.PutUint32(img[h+8:], uint32(size)) // virtual size
	le.PutUint32(img[h+12:], sectRVA)
	le.PutUint32(img[h+16:], fileAlign)  // raw size
	le.PutUint32(img[h+20:], fileAlign)  // raw offset
	le.PutUint32(img[h+36:], 0x40000040) // initialised data, readable
	return img
}
