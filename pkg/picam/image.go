package picam

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"strconv"
	"strings"
)

// Frame is one stream of a captured frame: its format and the bytes of each
// plane. From [CompletedRequest.Frame] the planes are the camera's buffer
// itself, showing this frame until its request is released; [Frame.Clone]
// and the Capture* copies own their memory.
//
// Read after Release, the planes of a mapped frame (and its image views)
// never fault, but show what the buffer holds now: a later frame while the
// camera runs, zeros once the buffer is freed (Close, Configure,
// SwitchMode), or a later configuration's frames. With PICAMGO_CHECK=views
// in the environment, the methods of a Frame and of its image views report
// such use with a [*StaleViewError]; indexing Planes directly is never
// checked. See the package documentation, "Frame views and Release".
//
// Layouts, with Stride bytes per line of the first plane and H lines:
//   - NV12/NV21: Y (Stride×H), then interleaved CbCr/CrCb (Stride×H/2).
//   - YUV420/YVU420: Y (Stride×H), then U and V, or V and U (Stride/2×H/2 each).
//   - YUYV: one plane, Y0 U Y1 V per two pixels.
//   - RGB888: B,G,R; BGR888: R,G,B; XRGB8888: B,G,R,X; XBGR8888: R,G,B,X.
//   - MJPEG: one JPEG image, sliced to the bytes used.
//   - raw Bayer and mono formats: see [Frame.RawLayout].
//
// Formats libcamera gives in one plane (as on a Raspberry Pi) are split as
// above; formats it gives in several (as the virtual camera) are used as given.
//
// Turning the Y'CbCr formats into RGB takes the frame's ColorSpace: its
// YcbcrEncoding (the BT.601, BT.709 or BT.2020 matrix) and its Range (full,
// or limited: luma 16-235). Picamera2's defaults ask for sYCC (BT.601, full
// range) for preview and still, and Rec709 or SMPTE170M (limited range) for
// video; the lores stream has the main stream's. [Frame.RGBA],
// [Frame.Encode] and [Frame.Save] honour the ColorSpace, reading a frame
// without one as JFIF (BT.601, full range). They convert the matrix and
// range only: R'G'B' stays in the stream's primaries and transfer function.
// A Y'CbCr frame labelled with no Y'CbCr encoding (sRGB, Raw: libcamera 0.4
// leaves a stream so when it gives a YUV format for the RGB one asked for)
// is read with the encoding libcamera itself infers, BT.601 for sRGB; one
// with values libcamera does not define is refused with ErrUnsupported. The
// views of [Frame.Image], and [ToRGBA], know no colour space: they read
// Y'CbCr as JFIF, right only for sYCC frames and frames without a
// ColorSpace. pkg/picamcv honours the ColorSpace too.
type Frame struct {
	Stream StreamName
	Format PixelFormat
	Size   Size
	Stride int
	// Planes of a view ([CompletedRequest.Frame]) are shared by every view
	// of the buffer: re-slice Planes itself, do not assign to its elements.
	Planes [][]byte
	// ColorSpace is the stream's colour space as libcamera applied it (see
	// [StreamConfig]), nil when libcamera reported none. A view's is its
	// request handle's own copy, a clone's its own: changing it changes no
	// other handle's frames.
	ColorSpace *ColorSpace
	// Mapped reports that Planes are views of the camera's mapped buffer
	// ([CompletedRequest.Frame]), showing this frame until the request is
	// released, rather than Go memory ([Frame.Clone]).
	Mapped bool

	lease *lease // the frame the views show, in the checked mode
	buf   []byte // the memory of a copy (Clone, CloneInto), for CloneInto to reuse
}

func (f Frame) String() string {
	return fmt.Sprintf("%v %v-%v stride %d, %d planes", f.Stream, f.Size, f.Format, f.Stride, len(f.Planes))
}

// Clone returns a copy of the frame that owns its memory, colour space
// included. Each Clone is new memory, which costs several times the copy
// itself for a large frame (docs/performance.md): to copy frame after
// frame, use [Frame.CloneInto].
func (f Frame) Clone() Frame {
	var out Frame
	f.cloneInto(&out, "Frame.Clone")
	return out
}

// CloneInto makes dst a copy of f that owns its memory, as [Frame.Clone],
// reusing the memory of dst when dst is a copy already (from Clone or
// CloneInto) large enough: in a loop that copies every frame into the same
// dst, the copy allocates nothing and runs at memory speed. Whatever dst
// held is overwritten, in every Frame value that shares its memory.
func (f Frame) CloneInto(dst *Frame) { f.cloneInto(dst, "Frame.CloneInto") }

// cloneInto is CloneInto, reporting a stale view as op.
func (f Frame) cloneInto(dst *Frame, op string) {
	f.lease.check(op)
	n := f.Len()
	buf := dst.buf[:0]
	if cap(buf) < n {
		buf = make([]byte, 0, n)
	}
	buf = f.AppendBytes(buf)
	planes, cs := dst.Planes[:0], dst.ColorSpace
	if dst.buf == nil || cap(planes) < len(f.Planes) {
		// Not a copy (a view's planes and colour space are not its own).
		planes, cs = make([][]byte, 0, len(f.Planes)), nil
	}
	off := 0
	for _, p := range f.Planes {
		planes = append(planes, buf[off:off+len(p):off+len(p)])
		off += len(p)
	}
	if f.ColorSpace != nil {
		if cs == nil {
			cs = new(ColorSpace)
		}
		*cs = *f.ColorSpace
	} else {
		cs = nil
	}
	*dst = f
	dst.Mapped, dst.lease = false, nil
	dst.Planes, dst.ColorSpace, dst.buf = planes, cs, buf
}

// Len returns the total size of the planes.
func (f Frame) Len() int {
	n := 0
	for _, p := range f.Planes {
		n += len(p)
	}
	return n
}

// AppendBytes appends every plane, in order, to dst.
func (f Frame) AppendBytes(dst []byte) []byte {
	f.lease.check("Frame.AppendBytes")
	for _, p := range f.Planes {
		dst = append(dst, p...)
	}
	return dst
}

// planes returns n planes of the given sizes: the frame's own when it has
// that many, or consecutive parts of its first plane.
func (f Frame) planes(sizes ...int) ([][]byte, error) {
	if len(f.Planes) >= len(sizes) {
		out := f.Planes[:len(sizes)]
		for i, n := range sizes {
			if len(out[i]) < n {
				return nil, fmt.Errorf("picam: %v plane %d has %d bytes, want %d: %w", f, i, len(out[i]), n, ErrInvalid)
			}
		}
		return out, nil
	}
	if len(f.Planes) == 0 {
		return nil, fmt.Errorf("picam: %v has no planes: %w", f, ErrInvalid)
	}
	all, out, off := f.Planes[0], make([][]byte, len(sizes)), 0
	for i, n := range sizes {
		if off+n > len(all) {
			return nil, fmt.Errorf("picam: %v has %d bytes, too few for its format: %w", f, len(all), ErrInvalid)
		}
		out[i] = all[off : off+n : off+n]
		off += n
	}
	return out, nil
}

// Image returns a view of the frame as an image, without copying its pixels
// (for a mapped frame, a view of the camera's buffer like its planes):
//   - NV12, NV21: [*NV12]
//   - YUV420, YVU420: [*image.YCbCr] over the planes
//   - YUYV: [*YUYV]
//   - RGB888, BGR888, XRGB8888, XBGR8888: [*RGB]
//   - MJPEG: decoded (a copy)
//
// The Y'CbCr views carry samples, not a colour space: their colours (At,
// and so image/draw, image/jpeg and [ToRGBA]) are JFIF's, right only for
// sYCC frames and frames without a ColorSpace. [Frame.RGBA], [Frame.Encode]
// and [Frame.Save] honour the frame's ColorSpace.
//
// Raw formats have no image view (ErrUnsupported): see [Frame.RawLayout].
// In the checked mode (PICAMGO_CHECK=views) a frame already released gives
// a [*StaleViewError], and so do the pixel accessors of the view later.
func (f Frame) Image() (image.Image, error) {
	if err := f.lease.err("Frame.Image"); err != nil {
		return nil, err
	}
	w, h := int(f.Size.Width), int(f.Size.Height)
	rect := image.Rect(0, 0, w, h)
	ch := (h + 1) / 2
	// The least stride whose lines hold w pixels, so that the views never
	// index past a line (chroma of odd widths included).
	minStride := 0
	switch f.Format {
	case FormatNV12, FormatNV21, FormatYUV420, FormatYVU420:
		minStride = (w + 1) / 2 * 2
	case FormatYUYV:
		minStride = (w + 1) / 2 * 4
	case FormatRGB888, FormatBGR888:
		minStride = w * 3
	case FormatXRGB8888, FormatXBGR8888:
		minStride = w * 4
	}
	if f.Stride < minStride {
		return nil, fmt.Errorf("picam: %v: stride %d is less than %d: %w", f, f.Stride, minStride, ErrInvalid)
	}
	switch f.Format {
	case FormatNV12, FormatNV21:
		p, err := f.planes(f.Stride*h, f.Stride*ch)
		if err != nil {
			return nil, err
		}
		return &NV12{Y: p[0], UV: p[1], YStride: f.Stride, UVStride: f.Stride, Rect: rect, CrFirst: f.Format == FormatNV21, lease: f.lease}, nil
	case FormatYUV420, FormatYVU420:
		cs := f.Stride / 2
		p, err := f.planes(f.Stride*h, cs*ch, cs*ch)
		if err != nil {
			return nil, err
		}
		cb, cr := p[1], p[2]
		if f.Format == FormatYVU420 {
			cb, cr = cr, cb
		}
		return &image.YCbCr{Y: p[0], Cb: cb, Cr: cr, YStride: f.Stride, CStride: cs,
			SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: rect}, nil
	case FormatYUYV:
		p, err := f.planes(f.Stride * h)
		if err != nil {
			return nil, err
		}
		return &YUYV{Pix: p[0], Stride: f.Stride, Rect: rect, lease: f.lease}, nil
	case FormatRGB888, FormatBGR888, FormatXRGB8888, FormatXBGR8888:
		p, err := f.planes(f.Stride * h)
		if err != nil {
			return nil, err
		}
		img := &RGB{Pix: p[0], Stride: f.Stride, Rect: rect, lease: f.lease}
		switch f.Format {
		case FormatRGB888:
			img.BytesPerPixel, img.R, img.G, img.B = 3, 2, 1, 0
		case FormatBGR888:
			img.BytesPerPixel, img.R, img.G, img.B = 3, 0, 1, 2
		case FormatXRGB8888:
			img.BytesPerPixel, img.R, img.G, img.B = 4, 2, 1, 0
		case FormatXBGR8888:
			img.BytesPerPixel, img.R, img.G, img.B = 4, 0, 1, 2
		}
		return img, nil
	case FormatMJPEG:
		if len(f.Planes) == 0 {
			return nil, fmt.Errorf("picam: %v has no planes: %w", f, ErrInvalid)
		}
		img, err := jpeg.Decode(bytes.NewReader(f.Planes[0]))
		if err != nil {
			return nil, fmt.Errorf("picam: decode %v: %w", f, err)
		}
		return img, nil
	}
	if l, err := f.RawLayout(); err == nil {
		return nil, fmt.Errorf("picam: %v is raw (%v); read its bytes: %w", f, l, ErrUnsupported)
	}
	return nil, fmt.Errorf("picam: no image view of %v: %w", f.Format, ErrUnsupported)
}

// RGBA converts the frame to a new RGBA image. Y'CbCr formats are converted
// after the frame's ColorSpace (JFIF without one; see [Frame]); a colour
// space with values libcamera does not define fails with ErrUnsupported.
func (f Frame) RGBA() (*image.RGBA, error) {
	c, err := f.conversion()
	if err != nil {
		return nil, err
	}
	img, err := f.Image()
	if err != nil {
		return nil, err
	}
	return toRGBA(img, &c), nil
}

// ToRGBA converts any image to a new *image.RGBA, with fast paths for the
// views of this package and image.YCbCr. An image has no colour space:
// Y'CbCr is read as JFIF (BT.601, full range), as image/color does; use
// [Frame.RGBA] to honour a frame's ColorSpace.
func ToRGBA(img image.Image) *image.RGBA {
	return toRGBA(img, &jfif)
}

// NV12 is a zero-copy view of an NV12 (or NV21) frame: a full-resolution Y
// plane and a half-resolution plane of interleaved Cb, Cr (Cr, Cb for NV21).
// image.YCbCr cannot describe interleaved chroma; [NV12.YCbCr] converts.
// Pixel (x, y) is at Y[y*YStride+x] and UV[(y/2)*UVStride+(x/2)*2].
// From [Frame.Image] of a mapped frame it is a view of the camera's buffer
// (see [Frame] for reading it after Release).
type NV12 struct {
	Y, UV             []byte
	YStride, UVStride int
	Rect              image.Rectangle
	CrFirst           bool // NV21

	lease *lease // the frame the view shows, in the checked mode
}

func (p *NV12) ColorModel() color.Model { return color.YCbCrModel }
func (p *NV12) Bounds() image.Rectangle { return p.Rect }
func (p *NV12) At(x, y int) color.Color { return p.YCbCrAt(x, y) }

// YCbCrAt returns the pixel's Y, Cb and Cr.
func (p *NV12) YCbCrAt(x, y int) color.YCbCr {
	p.lease.check("NV12.YCbCrAt")
	if !(image.Point{X: x, Y: y}.In(p.Rect)) {
		return color.YCbCr{}
	}
	c := (y/2)*p.UVStride + (x/2)*2
	cb, cr := p.UV[c], p.UV[c+1]
	if p.CrFirst {
		cb, cr = cr, cb
	}
	return color.YCbCr{Y: p.Y[y*p.YStride+x], Cb: cb, Cr: cr}
}

// SubImage returns a view of part of the image.
func (p *NV12) SubImage(r image.Rectangle) image.Image {
	q := *p
	q.Rect = r.Intersect(p.Rect)
	return &q
}

// YCbCr returns the frame as an *image.YCbCr sharing the Y plane and with
// the chroma copied apart (a quarter of the Y plane's size each), the form
// image/jpeg encodes fastest.
func (p *NV12) YCbCr() *image.YCbCr {
	p.lease.check("NV12.YCbCr")
	w, h := p.Rect.Max.X, p.Rect.Max.Y
	cw, ch := (w+1)/2, (h+1)/2
	cb, cr := make([]byte, cw*ch), make([]byte, cw*ch)
	for y := range ch {
		row := p.UV[y*p.UVStride:]
		for x := range cw {
			cb[y*cw+x], cr[y*cw+x] = row[2*x], row[2*x+1]
		}
	}
	if p.CrFirst {
		cb, cr = cr, cb
	}
	img := &image.YCbCr{Y: p.Y, Cb: cb, Cr: cr, YStride: p.YStride, CStride: cw,
		SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, w, h)}
	return img.SubImage(p.Rect).(*image.YCbCr)
}

// RGB is a zero-copy view of packed 8-bit RGB of 3 or 4 bytes per pixel;
// R, G and B are the offsets of each channel in a pixel. A fourth byte is
// padding (libcamera's X), not alpha: pixels are opaque. From [Frame.Image]
// of a mapped frame it is a view of the camera's buffer (see [Frame]).
type RGB struct {
	Pix           []byte
	Stride        int
	Rect          image.Rectangle
	BytesPerPixel int
	R, G, B       int

	lease *lease // the frame the view shows, in the checked mode
}

func (p *RGB) ColorModel() color.Model { return color.RGBAModel }
func (p *RGB) Bounds() image.Rectangle { return p.Rect }
func (p *RGB) At(x, y int) color.Color { return p.RGBAAt(x, y) }

// RGBAAt returns the pixel, opaque.
func (p *RGB) RGBAAt(x, y int) color.RGBA {
	p.lease.check("RGB.RGBAAt")
	if !(image.Point{X: x, Y: y}.In(p.Rect)) {
		return color.RGBA{}
	}
	i := y*p.Stride + x*p.BytesPerPixel
	return color.RGBA{R: p.Pix[i+p.R], G: p.Pix[i+p.G], B: p.Pix[i+p.B], A: 255}
}

// SubImage returns a view of part of the image.
func (p *RGB) SubImage(r image.Rectangle) image.Image {
	q := *p
	q.Rect = r.Intersect(p.Rect)
	return &q
}

// YUYV is a zero-copy view of packed 4:2:2 YUYV: Y0 Cb Y1 Cr per two pixels.
// From [Frame.Image] of a mapped frame it is a view of the camera's buffer
// (see [Frame]).
type YUYV struct {
	Pix    []byte
	Stride int
	Rect   image.Rectangle

	lease *lease // the frame the view shows, in the checked mode
}

func (p *YUYV) ColorModel() color.Model { return color.YCbCrModel }
func (p *YUYV) Bounds() image.Rectangle { return p.Rect }
func (p *YUYV) At(x, y int) color.Color { return p.YCbCrAt(x, y) }

// YCbCrAt returns the pixel's Y, Cb and Cr.
func (p *YUYV) YCbCrAt(x, y int) color.YCbCr {
	p.lease.check("YUYV.YCbCrAt")
	if !(image.Point{X: x, Y: y}.In(p.Rect)) {
		return color.YCbCr{}
	}
	i := y*p.Stride + (x/2)*4
	return color.YCbCr{Y: p.Pix[i+(x&1)*2], Cb: p.Pix[i+1], Cr: p.Pix[i+3]}
}

// SubImage returns a view of part of the image.
func (p *YUYV) SubImage(r image.Rectangle) image.Image {
	q := *p
	q.Rect = r.Intersect(p.Rect)
	return &q
}

// RawLayout describes a raw sensor format such as SRGGB10_CSI2P.
type RawLayout struct {
	Format     string // libcamera's name
	BayerOrder string // "RGGB", "GRBG", "GBRG", "BGGR", or "" for mono
	BitDepth   int
	// Packed is MIPI CSI-2 packing: 4 pixels of 10 bits in 5 bytes, or 2
	// of 12 bits in 3. Unpacked samples take 1 byte (8 bits) or 2 (little
	// endian, in the low bits).
	Packed bool
	// Compressed is the Raspberry Pi 5's PISP_COMP1 compression.
	Compressed bool
	Size       Size
	Stride     int
}

func (l RawLayout) String() string {
	s := fmt.Sprintf("%s %v stride %d, %d-bit", l.Format, l.Size, l.Stride, l.BitDepth)
	if l.BayerOrder != "" {
		s += " " + l.BayerOrder
	} else {
		s += " mono"
	}
	if l.Packed {
		s += " CSI-2 packed"
	}
	if l.Compressed {
		s += " PiSP-compressed"
	}
	return s
}

// RawLayout describes the frame's raw format, or fails with
// ErrUnsupported for formats that are not raw.
func (f Frame) RawLayout() (RawLayout, error) {
	name := f.Format.String()
	l := RawLayout{Format: name, Size: f.Size, Stride: f.Stride}
	base := name
	if i := strings.IndexByte(name, '_'); i >= 0 {
		base = name[:i]
		l.Packed = strings.Contains(name[i:], "CSI2P")
		l.Compressed = strings.Contains(name[i:], "PISP_COMP")
	}
	var digits string
	switch {
	case l.Compressed && (isBayer(base) || base == "MONO"):
		// The Pi 5's compressed raw ("RGGB_PISP_COMP1"): 8 bits a sample
		// stored, 16-bit samples once decompressed.
		if base != "MONO" {
			l.BayerOrder = base
		}
		l.BitDepth = 16
		return l, nil
	case len(base) > 5 && base[0] == 'S' && isBayer(base[1:5]):
		l.BayerOrder, digits = base[1:5], base[5:]
	case len(base) > 1 && (base[0] == 'R' || base[0] == 'Y') && base != "RGB888" && !strings.HasPrefix(base, "YU") && !strings.HasPrefix(base, "YV"):
		digits = base[1:]
	default:
		return RawLayout{}, fmt.Errorf("picam: %s is not a raw format: %w", name, ErrUnsupported)
	}
	n, err := strconv.Atoi(digits)
	if err != nil {
		return RawLayout{}, fmt.Errorf("picam: %s is not a raw format: %w", name, ErrUnsupported)
	}
	l.BitDepth = n
	return l, nil
}

func isBayer(s string) bool {
	switch s {
	case "RGGB", "GRBG", "GBRG", "BGGR":
		return true
	}
	return false
}

// Image returns a zero-copy view of one stream (see [Frame.Image]),
// showing this frame until Release.
func (r *CompletedRequest) Image(stream StreamName) (image.Image, error) {
	f, err := r.Frame(stream)
	if err != nil {
		return nil, err
	}
	return f.Image()
}
