package kernels

import "encoding/binary"

func le16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }
