package picam

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/picamgo/picamgo/internal/tiff"
)

// TestUnpackRawCSI2 checks the unpacking of MIPI CSI-2 packed lines against
// groups worked out by hand from the packing's definition (high bits of each
// pixel in a byte of its own, then the low bits of the group, first pixel
// in the least significant bits).
func TestUnpackRawCSI2(t *testing.T) {
	for _, c := range []struct {
		format string
		line   []byte
		want   []uint16
	}{
		// 0x3ff, 0x001, 0x200, 0x155: high bytes ff 00 80 55, low bits 11 01 00 01.
		{"SRGGB10_CSI2P", []byte{0xff, 0x00, 0x80, 0x55, 0b01_00_01_11}, []uint16{0x3ff, 0x001, 0x200, 0x155}},
		// 0xabc, 0x123: high bytes ab 12, low nibbles c then 3.
		{"SRGGB12_CSI2P", []byte{0xab, 0x12, 0x3c}, []uint16{0xabc, 0x123}},
		// 0x3fff, 0x0001, 0x2aaa, 0x1555: high bytes ff 00 aa 55, low 6 bits
		// 3f 01 2a 15 packed from bit 0: 0x15<<18 | 0x2a<<12 | 0x01<<6 | 0x3f.
		{"SRGGB14_CSI2P", []byte{0xff, 0x00, 0xaa, 0x55, 0x7f, 0xa0, 0x56}, []uint16{0x3fff, 0x0001, 0x2aaa, 0x1555}},
	} {
		pf, err := ParsePixelFormat(c.format)
		if err != nil {
			t.Fatal(err)
		}
		f := Frame{Format: pf, Size: Size{Width: uint32(len(c.want)), Height: 1}, Stride: len(c.line), Planes: [][]byte{c.line}}
		l, err := f.RawLayout()
		if err != nil {
			t.Fatal(err)
		}
		got, err := unpackRaw(f, l)
		if err != nil {
			t.Fatalf("%s: %v", c.format, err)
		}
		for i, w := range c.want {
			if v := binary.LittleEndian.Uint16(got[2*i:]); v != w {
				t.Errorf("%s pixel %d = %#x, want %#x", c.format, i, v, w)
			}
		}
	}
}

// rawFrame makes a w×h Bayer frame in format with a known sample at each
// pixel (different per colour and position, using every bit of the depth)
// and padding bytes at the end of each line, the way a raw stream's buffer
// looks; it returns the samples too.
func rawFrame(t *testing.T, format string, w, h int) (Frame, []uint16) {
	t.Helper()
	pf, err := ParsePixelFormat(format)
	if err != nil {
		t.Fatal(err)
	}
	l, err := (Frame{Format: pf}).RawLayout()
	if err != nil {
		t.Fatal(err)
	}
	max := 1<<l.BitDepth - 1
	samples := make([]uint16, w*h)
	for y := range h {
		for x := range w {
			samples[y*w+x] = uint16((x*977 + y*131 + (y%2*2+x%2)*max/5) % (max + 1))
		}
	}
	samples[0], samples[1] = uint16(max), 0 // both ends of the range
	var line int
	switch {
	case !l.Packed:
		line = 2 * w
	case l.BitDepth == 10:
		line = (w + 3) / 4 * 5
	case l.BitDepth == 12:
		line = (w + 1) / 2 * 3
	}
	stride := (line + 31) / 32 * 32 // aligned, as cameras do
	buf := bytes.Repeat([]byte{0xee}, stride*h)
	for y := range h {
		row, s := buf[y*stride:], samples[y*w:(y+1)*w]
		switch {
		case !l.Packed:
			for x, v := range s {
				binary.LittleEndian.PutUint16(row[2*x:], v)
			}
		case l.BitDepth == 10:
			for x, v := range s {
				g := row[x/4*5:]
				g[x%4] = byte(v >> 2)
				if x%4 == 0 {
					g[4] = 0
				}
				g[4] |= byte(v&3) << (2 * (x % 4))
			}
		case l.BitDepth == 12:
			for x, v := range s {
				g := row[x/2*3:]
				g[x%2] = byte(v >> 4)
				if x%2 == 0 {
					g[2] = 0
				}
				g[2] |= byte(v&15) << (4 * (x % 2))
			}
		}
	}
	return Frame{Stream: Raw, Format: pf, Size: Size{Width: uint32(w), Height: uint32(h)}, Stride: stride, Planes: [][]byte{buf}}, samples
}

// tool returns the path of an external program the test reads files back
// with, or skips loudly: the libcamera 0.7 test root has them (libraw-bin, dcraw,
// libimage-exiftool-perl), so a skip there is a defect of the root.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Logf("SKIPPING the %s check: %s is not installed (the libcamera 0.7 test root has it)", name, name)
		return ""
	}
	return p
}

// exiftoolJSON returns exiftool's numeric reading of a file's tags.
func exiftoolJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	p := tool(t, "exiftool")
	if p == "" {
		return nil
	}
	out, err := exec.Command(p, "-j", "-n", "-G0", path).Output()
	if err != nil {
		t.Fatalf("exiftool %s: %v", path, err)
	}
	var tags []map[string]any
	if err := json.Unmarshal(out, &tags); err != nil || len(tags) != 1 {
		t.Fatalf("exiftool output %q: %v", out, err)
	}
	if w, ok := tags[0]["ExifTool:Warning"]; ok {
		t.Errorf("exiftool warns about %s: %v", path, w)
	}
	return tags[0]
}

// readPGM16 reads dcraw's 16-bit PGM output.
func readPGM16(t *testing.T, b []byte) (w, h int, pix []uint16) {
	t.Helper()
	var maxv int
	fields, rest := []int{}, b
	if !bytes.HasPrefix(rest, []byte("P5")) {
		t.Fatalf("not a PGM: %q", b[:min(len(b), 16)])
	}
	rest = rest[2:]
	for len(fields) < 3 {
		rest = bytes.TrimLeft(rest, " \t\r\n")
		i := bytes.IndexAny(rest, " \t\r\n")
		n, err := strconv.Atoi(string(rest[:i]))
		if err != nil {
			t.Fatalf("PGM header: %v", err)
		}
		fields, rest = append(fields, n), rest[i:]
	}
	rest = rest[1:]
	w, h, maxv = fields[0], fields[1], fields[2]
	if maxv < 256 || len(rest) < 2*w*h {
		t.Fatalf("PGM %dx%d max %d with %d bytes of pixels", w, h, maxv, len(rest))
	}
	pix = make([]uint16, w*h)
	for i := range pix {
		pix[i] = binary.BigEndian.Uint16(rest[2*i:])
	}
	return w, h, pix
}

// TestDNGFromRawFrame writes made-up Bayer frames, packed and unpacked, as
// DNG and reads them back three ways: picam's own TIFF reader (the layout
// and every sample), dcraw -D (the samples, as a raw converter sees them)
// and raw-identify/exiftool (what they make of the tags).
func TestDNGFromRawFrame(t *testing.T) {
	const w, h = 36, 22 // not a multiple of the packing groups' 4 pixels
	for _, format := range []string{"SRGGB10_CSI2P", "SRGGB10", "SRGGB12_CSI2P", "SRGGB12", "SBGGR12_CSI2P"} {
		t.Run(format, func(t *testing.T) {
			f, samples := rawFrame(t, format, w, h)
			l, _ := f.RawLayout()
			var buf bytes.Buffer
			ex := Exif{Make: "picamgo test", Model: "made-up sensor"}
			if err := f.EncodeWith(&buf, FileOptions{Format: "dng", Exif: &ex}); err != nil {
				t.Fatal(err)
			}
			d, err := tiff.Read(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if got := [2]uint32{d[tagImageWidth].Uints()[0], d[tagImageLength].Uints()[0]}; got != [2]uint32{w, h} {
				t.Errorf("size %v", got)
			}
			if got := d[tagWhiteLevel].Uints()[0]; got != 1<<l.BitDepth-1 {
				t.Errorf("white level %d for %d bits", got, l.BitDepth)
			}
			pat := d[tagCFAPattern].Raw
			if got := string([]byte{"RGB"[pat[0]], "RGB"[pat[1]], "RGB"[pat[2]], "RGB"[pat[3]]}); got != l.BayerOrder {
				t.Errorf("CFA pattern %s, want %s", got, l.BayerOrder)
			}
			off, n := d[tagStripOffsets].Uints()[0], d[tagStripByteCounts].Uints()[0]
			strip := buf.Bytes()[off : off+n]
			for i, s := range samples {
				if v := binary.LittleEndian.Uint16(strip[2*i:]); v != s {
					t.Fatalf("sample %d (%d,%d) = %d, want %d", i, i%w, i/w, v, s)
				}
			}

			path := filepath.Join(t.TempDir(), "frame.dng")
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			if p := tool(t, "dcraw"); p != "" {
				out, err := exec.Command(p, "-D", "-4", "-c", path).Output()
				if err != nil {
					t.Fatalf("dcraw -D: %v", err)
				}
				pw, ph, pix := readPGM16(t, out)
				if pw != w || ph != h {
					t.Fatalf("dcraw sees %dx%d, want %dx%d", pw, ph, w, h)
				}
				for i, s := range samples {
					if pix[i] != s {
						t.Fatalf("dcraw sample %d (%d,%d) = %d, want %d", i, i%w, i/w, pix[i], s)
					}
				}
			}
			if p := tool(t, "raw-identify"); p != "" {
				out, err := exec.Command(p, "-v", path).CombinedOutput()
				if err != nil {
					t.Fatalf("raw-identify: %v\n%s", err, out)
				}
				for _, want := range []string{
					`Camera: picamgo test made-up sensor`,
					fmt.Sprintf(`Image size: +%d x %d`, w, h),
					`Filter pattern: ` + strings.Repeat(l.BayerOrder, 4),
					`Raw colors: 3`,
				} {
					if !regexp.MustCompile(want).Match(out) {
						t.Errorf("raw-identify does not say %q:\n%s", want, out)
					}
				}
			}
			if tags := exiftoolJSON(t, path); tags != nil {
				for k, want := range map[string]any{
					"EXIF:Make": "picamgo test", "EXIF:Model": "made-up sensor",
					"EXIF:UniqueCameraModel": "made-up sensor", "EXIF:DNGVersion": "1 4 0 0",
					"EXIF:ImageWidth": float64(w), "EXIF:ImageHeight": float64(h),
					"EXIF:BitsPerSample": float64(16), "EXIF:PhotometricInterpretation": float64(photometricCFA),
					"EXIF:WhiteLevel": 1<<l.BitDepth - 1,
				} {
					if got := tags[k]; fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("exiftool %s = %v, want %v", k, got, want)
					}
				}
			}
		})
	}
}

func TestDNGRefusesWhatItCannotWrite(t *testing.T) {
	f, _ := rawFrame(t, "SRGGB12", 8, 4)
	short := f
	short.Planes = [][]byte{f.Planes[0][:len(f.Planes[0])-f.Stride]}
	comp, err := ParsePixelFormat("RGGB_PISP_COMP1")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		f    Frame
		want error
	}{
		{"short buffer", short, ErrInvalid},
		{"not raw", Frame{Format: FormatNV12, Size: f.Size, Stride: 8, Planes: [][]byte{make([]byte, 48)}}, ErrUnsupported},
		{"compressed", Frame{Format: comp, Size: f.Size, Stride: 8, Planes: [][]byte{make([]byte, 32)}}, ErrUnsupported},
	} {
		err := c.f.EncodeWith(&bytes.Buffer{}, FileOptions{Format: "dng"})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}
