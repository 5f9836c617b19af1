package tiff

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// ErrFormat: the bytes are not a TIFF structure this reader follows.
var ErrFormat = errors.New("tiff: malformed")

// Field is a field as read back.
type Field struct {
	Tag   uint16
	Type  Type
	Count uint32
	Raw   []byte // the values' bytes, in the file's byte order
	order binary.ByteOrder
}

// Uints returns the values of a Byte, Short or Long field.
func (f Field) Uints() []uint32 {
	out := make([]uint32, 0, f.Count)
	for i := range int(f.Count) {
		switch f.Type {
		case Short:
			out = append(out, uint32(f.order.Uint16(f.Raw[2*i:])))
		case Long:
			out = append(out, f.order.Uint32(f.Raw[4*i:]))
		default:
			out = append(out, uint32(f.Raw[i]))
		}
	}
	return out
}

// Floats returns the values of a Rational or SRational field as numbers.
func (f Field) Floats() []float64 {
	out := make([]float64, 0, f.Count)
	for i := range int(f.Count) {
		n, d := f.order.Uint32(f.Raw[8*i:]), f.order.Uint32(f.Raw[8*i+4:])
		if f.Type == SRational {
			out = append(out, float64(int32(n))/float64(int32(d)))
		} else {
			out = append(out, float64(n)/float64(d))
		}
	}
	return out
}

// String returns an ASCII field's text, without its terminating NUL.
func (f Field) String() string { return strings.TrimRight(string(f.Raw), "\x00") }

// Dir is a directory as read back: its fields by tag.
type Dir map[uint16]Field

// Read parses a TIFF structure (as Encode writes it, or an EXIF payload
// after its "Exif\0\0" prefix) and returns its first directory.
func Read(b []byte) (Dir, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("%w: %d bytes", ErrFormat, len(b))
	}
	var order binary.ByteOrder
	switch string(b[:4]) {
	case "II*\x00":
		order = binary.LittleEndian
	case "MM\x00*":
		order = binary.BigEndian
	default:
		return nil, fmt.Errorf("%w: header %q", ErrFormat, b[:4])
	}
	return ReadDir(b, order, order.Uint32(b[4:]))
}

// ReadDir parses the directory at offset off.
func ReadDir(b []byte, order binary.ByteOrder, off uint32) (Dir, error) {
	if uint64(off)+2 > uint64(len(b)) {
		return nil, fmt.Errorf("%w: directory at %d past the end (%d)", ErrFormat, off, len(b))
	}
	n := int(order.Uint16(b[off:]))
	if int(off)+2+12*n+4 > len(b) {
		return nil, fmt.Errorf("%w: %d fields at %d past the end", ErrFormat, n, off)
	}
	d := Dir{}
	for i := range n {
		e := b[int(off)+2+12*i:]
		f := Field{Tag: order.Uint16(e), Type: Type(order.Uint16(e[2:])), Count: order.Uint32(e[4:]), order: order}
		size := uint64(f.Type.size()) * uint64(f.Count)
		if size <= 4 {
			f.Raw = e[8 : 8+size]
		} else {
			at := uint64(order.Uint32(e[8:]))
			if at+size > uint64(len(b)) {
				return nil, fmt.Errorf("%w: tag %d: %d bytes at %d past the end", ErrFormat, f.Tag, size, at)
			}
			f.Raw = b[at : at+size]
		}
		d[f.Tag] = f
	}
	return d, nil
}
