package libcamera

import (
	"encoding/binary"
	"syscall"
)

// The flat value encoding of cshim.h: native-endian, 4-byte padded.

// errTruncated is an encoding from the shim that ends early: a bug of the
// binding, reported as an *Error like every failure.
var errTruncated = &Error{Op: "decode", Code: syscall.EPROTO, Msg: "truncated data from the shim"}

type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil || n < 0 || len(d.b)-d.off < n {
		d.err = errTruncated
		return nil
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p
}

func (d *decoder) u8() uint8 {
	p := d.take(1)
	if p == nil {
		return 0
	}
	return p[0]
}

func (d *decoder) u16() uint16 {
	p := d.take(2)
	if p == nil {
		return 0
	}
	return binary.NativeEndian.Uint16(p)
}

func (d *decoder) u32() uint32 {
	p := d.take(4)
	if p == nil {
		return 0
	}
	return binary.NativeEndian.Uint32(p)
}

func (d *decoder) u64() uint64 {
	p := d.take(8)
	if p == nil {
		return 0
	}
	return binary.NativeEndian.Uint64(p)
}

func (d *decoder) pad4() { d.take((4 - d.off%4) % 4) }

// value reads a single value: u8 type, u8 is_array, u16, u32 n, u32 len, data, pad.
func (d *decoder) value() ControlValue {
	t := ControlType(d.u8())
	array := d.u8() != 0
	d.u16()
	n := d.u32()
	size := d.u32()
	data := d.take(int(size))
	d.pad4()
	if d.err != nil {
		return ControlValue{}
	}
	return ControlValue{typ: t, array: array, n: n, data: append([]byte(nil), data...)}
}

func (d *decoder) controlID(kind *uint8) *ControlID {
	id := &ControlID{ID: d.u32()}
	id.Type = ControlType(d.u8())
	id.Direction = ControlDirection(d.u8())
	id.IsArray = d.u8() != 0
	*kind = d.u8()
	id.Property = *kind == 1
	switch size := d.u32(); {
	case size == 0xffffffff:
		id.Size = -1
	default:
		id.Size = int(size)
	}
	nameLen, vendorLen := int(d.u16()), int(d.u16())
	id.Name = string(d.take(nameLen))
	id.Vendor = string(d.take(vendorLen))
	d.pad4()
	if n := int(d.u32()); n > 0 && d.err == nil {
		id.Enumerators = make(map[int32]string, n)
		for range n {
			v := int32(d.u32())
			l := int(d.u16())
			id.Enumerators[v] = string(d.take(l))
		}
	}
	d.pad4()
	return id
}

type encoder struct{ b []byte }

func (e *encoder) u8(v uint8)   { e.b = append(e.b, v) }
func (e *encoder) u16(v uint16) { e.b = binary.NativeEndian.AppendUint16(e.b, v) }
func (e *encoder) u32(v uint32) { e.b = binary.NativeEndian.AppendUint32(e.b, v) }
func (e *encoder) pad4() {
	for len(e.b)%4 != 0 {
		e.b = append(e.b, 0)
	}
}
