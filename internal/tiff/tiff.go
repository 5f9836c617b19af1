// Package tiff writes and reads the little-endian TIFF structure that both
// EXIF blocks (inside JPEG files) and DNG files are made of: image file
// directories (IFDs) of tagged fields, sub-directories reached through a
// pointer field, and data blocks (DNG's pixel strips) placed after them.
//
// It knows the layout only, no tag's meaning: picam says which tags to
// write. The reader is for tests and checks, not for arbitrary files.
package tiff

import (
	"encoding/binary"
	"math"
	"slices"
)

// Type is a field's TIFF type.
type Type uint16

// The TIFF field types picam writes.
const (
	Byte      Type = 1
	ASCII     Type = 2
	Short     Type = 3
	Long      Type = 4
	Rational  Type = 5
	Undefined Type = 7
	SRational Type = 10
)

// size is the size in bytes of one value of the type.
func (t Type) size() int {
	switch t {
	case Short:
		return 2
	case Long:
		return 4
	case Rational, SRational:
		return 8
	}
	return 1
}

var le = binary.LittleEndian

// IFD is one image file directory under construction. Fields are written
// sorted by tag, as TIFF requires; setting a tag twice keeps the last value.
type IFD struct {
	fields []field
}

type field struct {
	tag   uint16
	typ   Type
	count uint32
	val   []byte // the encoded values, unless sub or data is set
	sub   *IFD   // the field is a LONG pointing at this directory
	data  []byte // the field is a LONG pointing at this block
}

func (d *IFD) set(f field) {
	if i := slices.IndexFunc(d.fields, func(g field) bool { return g.tag == f.tag }); i >= 0 {
		d.fields[i] = f
		return
	}
	d.fields = append(d.fields, f)
}

// Len returns the number of fields set.
func (d *IFD) Len() int { return len(d.fields) }

// ASCII sets a NUL-terminated text field.
func (d *IFD) ASCII(tag uint16, s string) {
	b := append([]byte(s), 0)
	d.set(field{tag: tag, typ: ASCII, count: uint32(len(b)), val: b})
}

// Bytes sets a field of type Byte or Undefined.
func (d *IFD) Bytes(tag uint16, typ Type, b []byte) {
	d.set(field{tag: tag, typ: typ, count: uint32(len(b)), val: slices.Clone(b)})
}

// Short sets a field of 16-bit values.
func (d *IFD) Short(tag uint16, v ...uint16) {
	b := make([]byte, 0, 2*len(v))
	for _, x := range v {
		b = le.AppendUint16(b, x)
	}
	d.set(field{tag: tag, typ: Short, count: uint32(len(v)), val: b})
}

// Long sets a field of 32-bit values.
func (d *IFD) Long(tag uint16, v ...uint32) {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = le.AppendUint32(b, x)
	}
	d.set(field{tag: tag, typ: Long, count: uint32(len(v)), val: b})
}

// Rational sets a field of unsigned fractions, each given as numerator
// and denominator.
func (d *IFD) Rational(tag uint16, v ...[2]uint32) {
	b := make([]byte, 0, 8*len(v))
	for _, x := range v {
		b = le.AppendUint32(le.AppendUint32(b, x[0]), x[1])
	}
	d.set(field{tag: tag, typ: Rational, count: uint32(len(v)), val: b})
}

// SRational sets a field of signed fractions.
func (d *IFD) SRational(tag uint16, v ...[2]int32) {
	b := make([]byte, 0, 8*len(v))
	for _, x := range v {
		b = le.AppendUint32(le.AppendUint32(b, uint32(x[0])), uint32(x[1]))
	}
	d.set(field{tag: tag, typ: SRational, count: uint32(len(v)), val: b})
}

// Sub sets a pointer field to a sub-directory (EXIF's ExifIFD, DNG's
// SubIFDs), written after d.
func (d *IFD) Sub(tag uint16, sub *IFD) {
	d.set(field{tag: tag, typ: Long, count: 1, sub: sub})
}

// Data sets a pointer field to a block of bytes written after every
// directory (a DNG strip: pair it with a StripByteCounts field).
func (d *IFD) Data(tag uint16, data []byte) {
	d.set(field{tag: tag, typ: Long, count: 1, data: data})
}

// Fraction returns x as an unsigned fraction with the given denominator,
// rounded; negative values give 0.
func Fraction(x float64, den uint32) [2]uint32 {
	n := math.Round(x * float64(den))
	if !(n > 0) {
		n = 0
	}
	return [2]uint32{uint32(min(n, math.MaxUint32)), den}
}

// SFraction returns x as a signed fraction with the given denominator,
// rounded and clamped to the int32 range.
func SFraction(x float64, den int32) [2]int32 {
	n := math.Round(x * float64(den))
	if math.IsNaN(n) {
		n = 0
	}
	return [2]int32{int32(max(min(n, math.MaxInt32), math.MinInt32)), den}
}

// Size returns how many bytes Encode will write for d.
func (d *IFD) Size() int {
	n := 8 + d.dirSize()
	d.walk(func(f field) {
		if f.data != nil {
			n += pad(len(f.data))
		}
	})
	return n
}

// dirSize is the size of d, its out-of-line values and its sub-directories.
func (d *IFD) dirSize() int {
	n := 2 + 12*len(d.fields) + 4
	for _, f := range d.fields {
		switch {
		case f.sub != nil:
			n += f.sub.dirSize()
		case f.data == nil && len(f.val) > 4:
			n += pad(len(f.val))
		}
	}
	return n
}

func (d *IFD) walk(fn func(field)) {
	for _, f := range d.sorted() {
		fn(f)
		if f.sub != nil {
			f.sub.walk(fn)
		}
	}
}

func (d *IFD) sorted() []field {
	return slices.SortedFunc(slices.Values(d.fields), func(a, b field) int { return int(a.tag) - int(b.tag) })
}

func pad(n int) int { return n + n&1 }

// Encode returns the TIFF file (or EXIF payload) with d as its first
// directory: header, directories with their values, then the data blocks.
func (d *IFD) Encode() []byte {
	b := make([]byte, 8, d.Size())
	copy(b, "II*\x00")
	le.PutUint32(b[4:], 8)
	type fixup struct {
		at   int
		data []byte
	}
	var blocks []fixup
	var write func(d *IFD) int
	write = func(d *IFD) int {
		start := len(b)
		fields := d.sorted()
		b = le.AppendUint16(b, uint16(len(fields)))
		entries := len(b)
		b = append(b, make([]byte, 12*len(fields)+4)...) // entries, then no next IFD
		type subDir struct {
			at int
			d  *IFD
		}
		var subs []subDir
		for i, f := range fields {
			e := entries + 12*i
			le.PutUint16(b[e:], f.tag)
			le.PutUint16(b[e+2:], uint16(f.typ))
			le.PutUint32(b[e+4:], f.count)
			switch {
			case f.sub != nil:
				subs = append(subs, subDir{at: e + 8, d: f.sub})
			case f.data != nil:
				blocks = append(blocks, fixup{at: e + 8, data: f.data})
			case len(f.val) <= 4:
				copy(b[e+8:e+12], f.val)
			default:
				le.PutUint32(b[e+8:], uint32(len(b)))
				b = append(b, f.val...)
				if len(b)&1 != 0 {
					b = append(b, 0)
				}
			}
		}
		for _, s := range subs {
			off := write(s.d)
			le.PutUint32(b[s.at:], uint32(off))
		}
		return start
	}
	write(d)
	for _, blk := range blocks {
		le.PutUint32(b[blk.at:], uint32(len(b)))
		b = append(b, blk.data...)
		if len(b)&1 != 0 {
			b = append(b, 0)
		}
	}
	return b
}
