package mmap

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// mapFile maps size bytes of f read-only through a file mapping object.
func mapFile(f *os.File, size int) ([]byte, func() error, error) {
	h, err := windows.CreateFileMapping(windows.Handle(f.Fd()), nil, windows.PAGE_READONLY, uint32(uint64(size)>>32), uint32(size), nil)
	if err != nil {
		return nil, nil, err
	}
	addr, err := windows.MapViewOfFile(h, windows.FILE_MAP_READ, 0, 0, uintptr(size))
	windows.CloseHandle(h) // the view keeps the mapping alive
	if err != nil {
		return nil, nil, err
	}
	// The view lives outside the Go heap; reinterpret the address as a pointer.
	data := unsafe.Slice((*byte)(*(*unsafe.Pointer)(unsafe.Pointer(&addr))), size)
	return data, func() error { return windows.UnmapViewOfFile(addr) }, nil
}

// Drop does nothing on Windows: the working set trims itself under memory
// pressure.
func Drop(region, part []byte) {}

// Anon reserves and commits size bytes of zeroed memory outside the Go heap;
// release frees it.
func Anon(size int) ([]byte, func() error, error) {
	addr, err := windows.VirtualAlloc(0, uintptr(size), windows.MEM_RESERVE|windows.MEM_COMMIT, windows.PAGE_READWRITE)
	if err != nil {
		return nil, nil, err
	}
	b := unsafe.Slice((*byte)(*(*unsafe.Pointer)(unsafe.Pointer(&addr))), size)
	return b, func() error { return windows.VirtualFree(addr, 0, windows.MEM_RELEASE) }, nil
}

// Lock pins b's pages in the working set. Windows lets a process lock no
// more than its minimum working set size, a few hundred kilobytes unless
// raised, so when the first attempt hits that quota the minimum (and the
// maximum, if needed) grows by len(b) and Lock tries once more.
func Lock(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	addr, n := uintptr(unsafe.Pointer(&b[0])), uintptr(len(b))
	err := windows.VirtualLock(addr, n)
	if !errors.Is(err, windows.ERROR_WORKING_SET_QUOTA) {
		return err
	}
	p := windows.CurrentProcess()
	var lo, hi uintptr
	var flags uint32
	windows.GetProcessWorkingSetSizeEx(p, &lo, &hi, &flags)
	lo += n
	hi = max(hi, lo)
	if err := windows.SetProcessWorkingSetSizeEx(p, lo, hi, flags); err != nil {
		return fmt.Errorf("raising the working set to %d bytes to lock %d: %w", lo, n, err)
	}
	return windows.VirtualLock(addr, n)
}
