package tiff

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	var sub, top IFD
	sub.Rational(33434, [2]uint32{1, 250})
	sub.Short(34855, 400)
	top.ASCII(272, "a camera model")
	top.Short(274, 6)
	top.Sub(34665, &sub)
	top.Long(256, 640)
	pix := []byte{1, 2, 3, 4, 5}
	top.Data(273, pix)
	top.SRational(50721, SFraction(-0.5, 10000), SFraction(1.25, 10000))
	top.Short(274, 1) // a second set replaces the first

	b := top.Encode()
	if len(b) != top.Size() {
		t.Errorf("Encode wrote %d bytes, Size said %d", len(b), top.Size())
	}
	d, err := Read(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(d) != 6 {
		t.Errorf("%d fields, want 6", len(d))
	}
	if got := d[272].String(); got != "a camera model" {
		t.Errorf("model %q", got)
	}
	if got := d[274].Uints(); len(got) != 1 || got[0] != 1 {
		t.Errorf("orientation %v, want [1]", got)
	}
	if got := d[256].Uints(); got[0] != 640 {
		t.Errorf("width %v", got)
	}
	if got := d[50721].Floats(); got[0] != -0.5 || got[1] != 1.25 {
		t.Errorf("srationals %v", got)
	}
	off := d[273].Uints()[0]
	if !bytes.Equal(b[off:off+5], pix) {
		t.Errorf("data block at %d is %v, want %v", off, b[off:off+5], pix)
	}
	s, err := ReadDir(b, binary.LittleEndian, d[34665].Uints()[0])
	if err != nil {
		t.Fatal(err)
	}
	if got := s[33434].Floats(); got[0] != 1.0/250 {
		t.Errorf("exposure %v", got)
	}
	if got := s[34855].Uints(); got[0] != 400 {
		t.Errorf("iso %v", got)
	}
	// Directories are sorted by tag, as TIFF requires.
	n := int(binary.LittleEndian.Uint16(b[8:]))
	last := -1
	for i := range n {
		tag := int(binary.LittleEndian.Uint16(b[10+12*i:]))
		if tag <= last {
			t.Errorf("tag %d after %d", tag, last)
		}
		last = tag
	}
}

func TestReadRejects(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("II*\x00\xff\x00\x00\x00"), []byte("PK\x03\x04\x08\x00\x00\x00")} {
		if _, err := Read(b); err == nil {
			t.Errorf("Read(%q) succeeded", b)
		}
	}
}
