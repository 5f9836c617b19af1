package picam

import "fmt"

// MakeFrame returns a view of buf as a frame of a stream configured as sc,
// without copying: Picamera2's helpers.make_array(buffer, config). buf
// holds the planes one after the other with their line padding, as
// [Camera.CaptureBuffer] returns them or as they arrive from elsewhere
// (a socket, a file), and sc is the stream's configuration
// ([Camera.StreamConfiguration], or a [StreamConfig] filled in by hand:
// with Stride zero, lines are taken to have no padding). The frame's
// planes are split as [Frame] describes, so that [Frame.Image],
// [Frame.RGBA] and the rest work on it; its ColorSpace is sc's.
//
// A buf too short for sc's size and stride fails with ErrInvalid; extra
// bytes at the end are left out of the planes.
func MakeFrame(buf []byte, sc StreamConfig) (Frame, error) {
	w, h := int(sc.Size.Width), int(sc.Size.Height)
	f := Frame{Format: sc.Format, Size: sc.Size, Stride: sc.Stride}
	if w <= 0 || h <= 0 {
		return Frame{}, fmt.Errorf("picam: make frame of %v: empty size: %w", sc, ErrInvalid)
	}
	if sc.ColorSpace != nil {
		f.ColorSpace = new(*sc.ColorSpace)
	}
	if f.Format == FormatMJPEG {
		f.Planes = [][]byte{buf}
		return f, nil
	}
	if f.Stride == 0 {
		line, err := lineBytes(f)
		if err != nil {
			return Frame{}, err
		}
		f.Stride = line
	}
	if f.Stride < 0 {
		return Frame{}, fmt.Errorf("picam: make frame of %v: stride %d: %w", sc, f.Stride, ErrInvalid)
	}
	ch := (h + 1) / 2
	var sizes []int
	switch f.Format {
	case FormatNV12, FormatNV21:
		sizes = []int{f.Stride * h, f.Stride * ch}
	case FormatYUV420, FormatYVU420:
		sizes = []int{f.Stride * h, f.Stride / 2 * ch, f.Stride / 2 * ch}
	default:
		sizes = []int{f.Stride * h}
	}
	off := 0
	for _, n := range sizes {
		if off+n > len(buf) {
			total := 0
			for _, n := range sizes {
				total += n
			}
			return Frame{}, fmt.Errorf("picam: make frame of %v stride %d: %d bytes, want %d: %w", sc, f.Stride, len(buf), total, ErrInvalid)
		}
		f.Planes = append(f.Planes, buf[off:off+n:off+n])
		off += n
	}
	return f, nil
}

// lineBytes is the size of a line of the frame's pixels without padding.
func lineBytes(f Frame) (int, error) {
	w := int(f.Size.Width)
	switch f.Format {
	case FormatNV12, FormatNV21, FormatYUV420, FormatYVU420:
		return (w + 1) / 2 * 2, nil
	case FormatYUYV:
		return (w + 1) / 2 * 4, nil
	case FormatRGB888, FormatBGR888:
		return 3 * w, nil
	case FormatXRGB8888, FormatXBGR8888:
		return 4 * w, nil
	}
	if l, err := f.RawLayout(); err == nil && !l.Compressed {
		if n, ok := l.lineBytes(); ok {
			return n, nil
		}
	}
	return 0, fmt.Errorf("picam: make frame of %v: give its stride: %w", f.Format, ErrInvalid)
}
