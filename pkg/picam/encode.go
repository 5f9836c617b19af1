package picam

import (
	"bufio"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// FileOptions say how a frame is written to a file or an [io.Writer]
// (Picamera2's capture_file format, quality and exif_data arguments).
type FileOptions struct {
	// Format is "jpeg" (or "jpg"), "png" or "dng" (raw streams only).
	// Empty takes it from the file name's extension; writing to an
	// io.Writer needs it.
	Format string
	// Quality of a JPEG, 1..100. Zero means the camera's
	// Options.JPEGQuality, or 90 as Picamera2.
	Quality int
	// PNGCompression is the PNG encoder's level. Zero means
	// png.BestSpeed, as Picamera2's compress_level 1.
	PNGCompression png.CompressionLevel
	// Exif replaces the EXIF block of a JPEG or DNG. Nil writes what
	// [CompletedRequest.Exif] returns when a request is written, and none
	// for a lone [Frame], which has no metadata.
	Exif *Exif
	// NoExif writes no EXIF block at all.
	NoExif bool
}

// format returns the options' format, normalised, or the one path's
// extension names.
func (o FileOptions) format(path string) (string, error) {
	switch strings.ToLower(o.Format) {
	case "jpeg", "jpg":
		return "jpeg", nil
	case "png":
		return "png", nil
	case "dng":
		return "dng", nil
	case "":
		if path == "" {
			return "", fmt.Errorf("picam: no file format given (want jpeg, png or dng): %w", ErrInvalid)
		}
		return FormatForPath(path)
	}
	return "", fmt.Errorf("picam: cannot write %q (want jpeg, png or dng): %w", o.Format, ErrUnsupported)
}

// Encode writes the frame as "jpeg", "png" or "dng" (raw frames; see
// [Frame.EncodeWith]), converting Y'CbCr after the frame's ColorSpace as
// [Frame.RGBA] does. JPEG, which is JFIF, is encoded straight from 4:2:0
// frames in sYCC or without a colour space, and through RGB from others;
// MJPEG frames are written as they are.
func (f Frame) Encode(w io.Writer, format string, quality int) error {
	return f.EncodeWith(w, FileOptions{Format: format, Quality: quality})
}

// EncodeWith writes the frame to w in opts.Format, with opts.Exif in a
// JPEG or DNG. A raw frame (see [Frame.RawLayout]) is written as a DNG
// with its samples unpacked to 16 bits; without the frame's metadata (see
// [CompletedRequest.Encode]) it has no black level, white balance or
// colour matrix of the camera's.
func (f Frame) EncodeWith(w io.Writer, opts FileOptions) error {
	return f.encode(w, opts, Metadata{})
}

func (f Frame) encode(w io.Writer, opts FileOptions, md Metadata) error {
	if err := f.lease.err("Frame.Encode"); err != nil {
		return err
	}
	format, err := opts.format("")
	if err != nil {
		return err
	}
	exif := opts.Exif
	if opts.NoExif {
		exif = nil
	}
	switch format {
	case "jpeg":
		if exif != nil {
			seg, err := exif.app1()
			if err != nil {
				return err
			}
			w = &exifWriter{w: w, seg: seg}
		}
		return f.encodeJPEG(w, opts.Quality)
	case "png":
		img, err := f.RGBA()
		if err != nil {
			return err
		}
		level := opts.PNGCompression
		if level == png.DefaultCompression {
			level = png.BestSpeed
		}
		enc := png.Encoder{CompressionLevel: level}
		return enc.Encode(w, img)
	}
	return f.encodeDNG(w, md, exif)
}

func (f Frame) encodeJPEG(w io.Writer, quality int) error {
	if f.Format == FormatMJPEG && len(f.Planes) > 0 {
		_, err := w.Write(f.Planes[0])
		return err
	}
	c, err := f.conversion()
	if err != nil {
		return err
	}
	img, err := f.Image()
	if err != nil {
		return err
	}
	switch m := img.(type) {
	case *NV12:
		if c == jfif {
			img = m.YCbCr()
			break
		}
		img = toRGBA(img, &c)
	case *image.YCbCr:
		if c != jfif {
			img = toRGBA(img, &c)
		}
	default:
		img = toRGBA(img, &c)
	}
	if quality <= 0 || quality > 100 {
		quality = 90
	}
	return jpeg.Encode(w, img, &jpeg.Options{Quality: quality})
}

// FormatForPath returns "jpeg", "png" or "dng" after a file name's
// extension.
func FormatForPath(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jpg", ".jpeg":
		return "jpeg", nil
	case ".png":
		return "png", nil
	case ".dng":
		return "dng", nil
	}
	return "", fmt.Errorf("picam: %s: unknown image file extension (want .jpg, .jpeg, .png or .dng): %w", path, ErrUnsupported)
}

// Save writes the frame to a file, as JPEG, PNG or DNG after its
// extension, without EXIF (a lone frame has no metadata:
// [CompletedRequest.Save] writes it).
func (f Frame) Save(path string, quality int) error {
	return saveFile(path, FileOptions{Quality: quality}, func(w io.Writer, opts FileOptions) error {
		return f.EncodeWith(w, opts)
	})
}

// saveFile creates path and writes it with encode, given opts with the
// format filled in; a failed write leaves no file.
func saveFile(path string, opts FileOptions, encode func(io.Writer, FileOptions) error) (err error) {
	format, err := opts.format(path)
	if err != nil {
		return err
	}
	opts.Format = format
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("picam: %w", err)
	}
	defer func() {
		if cerr := file.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("picam: %w", cerr)
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	bw := bufio.NewWriterSize(file, 1<<16)
	if err := encode(bw, opts); err != nil {
		return err
	}
	return bw.Flush()
}

// Encode writes one stream of the frame to w as [Frame.EncodeWith] does,
// with the frame's EXIF ([CompletedRequest.Exif]) unless opts say
// otherwise, and for a raw stream a DNG with the frame's black levels,
// white balance and colour matrix. A zero opts.Quality takes the camera's
// Options.JPEGQuality.
func (r *CompletedRequest) Encode(w io.Writer, stream StreamName, opts FileOptions) error {
	s, err := r.live("encode")
	if err != nil {
		return err
	}
	f, err := r.Frame(stream)
	if err != nil {
		return err
	}
	md, err := r.Metadata()
	if err != nil {
		return err
	}
	if opts.Quality == 0 {
		opts.Quality = s.set.c.opts.JPEGQuality
	}
	if opts.Exif == nil && !opts.NoExif {
		e, err := r.Exif()
		if err != nil {
			return err
		}
		opts.Exif = &e
	}
	return f.encode(w, opts, md)
}

// Save writes one stream of the frame to a file, as JPEG (at quality,
// 1..100; 0 means the camera's Options.JPEGQuality or 90), PNG or DNG
// after its extension, with EXIF in JPEG and DNG files (Picamera2's
// request.save).
func (r *CompletedRequest) Save(path string, stream StreamName, quality int) error {
	return r.SaveWith(path, stream, FileOptions{Quality: quality})
}

// SaveWith writes one stream of the frame to a file as
// [CompletedRequest.Encode] does; an empty opts.Format is taken from the
// path's extension.
func (r *CompletedRequest) SaveWith(path string, stream StreamName, opts FileOptions) error {
	if _, err := r.live("save"); err != nil {
		return err
	}
	return saveFile(path, opts, func(w io.Writer, opts FileOptions) error {
		return r.Encode(w, stream, opts)
	})
}
