package seccomp

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// The parent can compile once and hand the container init the finished
// program (see DESIGN "keep the init path short"): MarshalBinary gives
// flags (4 bytes), notify (1 byte) and then 8 bytes per instruction, all
// little-endian.

// MarshalBinary encodes f for UnmarshalBinary.
func (f *Filter) MarshalBinary() ([]byte, error) {
	out := make([]byte, 5, 5+8*len(f.Program))
	binary.LittleEndian.PutUint32(out, uint32(f.Flags))
	if f.Notify {
		out[4] = 1
	}
	for _, ins := range f.Program {
		out = binary.LittleEndian.AppendUint16(out, ins.Code)
		out = append(out, ins.Jt, ins.Jf)
		out = binary.LittleEndian.AppendUint32(out, ins.K)
	}
	return out, nil
}

// UnmarshalBinary decodes what MarshalBinary produced.
func (f *Filter) UnmarshalBinary(b []byte) error {
	if len(b) < 5 || (len(b)-5)%8 != 0 || (len(b)-5)/8 == 0 || (len(b)-5)/8 > maxInsns {
		return fmt.Errorf("seccomp: malformed compiled filter (%d bytes)", len(b))
	}
	f.Flags = uint(binary.LittleEndian.Uint32(b))
	f.Notify = b[4] == 1
	b = b[5:]
	f.Program = make([]unix.SockFilter, len(b)/8)
	for i := range f.Program {
		p := b[8*i:]
		f.Program[i] = unix.SockFilter{Code: binary.LittleEndian.Uint16(p), Jt: p[2], Jf: p[3], K: binary.LittleEndian.Uint32(p[4:])}
	}
	return nil
}
