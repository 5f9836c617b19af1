package libcamera

import (
	"errors"
	"math"
	"testing"
)

// Each fuzz target acquires the camera once per process (a fuzzing worker
// runs many inputs) and releases it when done, so that the tests and
// examples after it find the camera free. Seed corpora are in
// testdata/fuzz/<FuzzName>/; go test runs them as tests, make fuzz fuzzes.
func fuzzCamera(f *testing.F) *Camera {
	m, err := NewManager()
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { m.Close() })
	c, err := m.Get(barsID)
	if err != nil {
		f.Fatal(err)
	}
	if err := c.Acquire(); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { c.Release() })
	return c
}

// FuzzConfiguration sends arbitrary stream configurations through the
// shim: roles, pixel formats (any fourcc and modifier), sizes, strides,
// buffer counts, colour spaces, orientations and sensor configurations.
// Validate must give a status or an error, and a configuration it passes
// must configure and allocate its buffers; never a crash or an abort.
func FuzzConfiguration(f *testing.F) {
	f.Add(uint8(3), uint32(0x3231564e), uint64(0), uint32(64), uint32(48), uint32(0), uint8(4), uint32(0), uint8(1), uint32(0))
	f.Add(uint8(0), uint32(0), uint64(0), uint32(0), uint32(0), uint32(0), uint8(0), uint32(0), uint8(0), uint32(0))
	f.Add(uint8(2), uint32(0xffffffff), uint64(math.MaxUint64), uint32(math.MaxUint32), uint32(math.MaxUint32), uint32(7), uint8(255), uint32(0x01020304), uint8(9), uint32(12))
	f.Add(uint8(1), uint32(0x34325258), uint64(0), uint32(1920), uint32(1080), uint32(1), uint8(1), uint32(0x01010101), uint8(8), uint32(8))
	c := fuzzCamera(f)
	f.Fuzz(func(t *testing.T, role uint8, fourcc uint32, modifier uint64, w, h, stride uint32, bufs uint8, cs uint32, orient uint8, depth uint32) {
		roles := []StreamRole{StreamRole(role % 5)}
		cfg, err := c.GenerateConfiguration(roles...)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("GenerateConfiguration(%v) = %v, want ErrInvalid", roles, err)
			}
			return
		}
		sc := cfg.At(0)
		if fourcc != 0 {
			sc.PixelFormat = PixelFormat{FourCC: fourcc, Modifier: modifier}
		}
		sc.Size = Size{Width: w, Height: h}
		sc.Stride = stride
		sc.BufferCount = uint32(bufs)
		if cs != 0 {
			sc.ColorSpace = &ColorSpace{Primaries: Primaries(cs), TransferFunction: TransferFunction(cs >> 8),
				YcbcrEncoding: YcbcrEncoding(cs >> 16), Range: Range(cs >> 24)}
		}
		cfg.Orientation = Orientation(orient)
		if depth != 0 {
			cfg.SensorConfig = &SensorConfiguration{BitDepth: depth, OutputSize: Size{Width: w, Height: h}}
		}
		status, _, err := cfg.Validate()
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate(%v) = %v, want ErrInvalid", cfg, err)
			}
			return
		}
		if status == ConfigurationInvalid {
			return
		}
		if err := c.Configure(cfg); err != nil {
			t.Fatalf("Configure(%v), validated %v: %v", cfg, status, err)
		}
		s := c.Streams()[0]
		alloc := NewFrameBufferAllocator(c, AllocatorAuto)
		n, err := alloc.Allocate(s)
		if err != nil {
			t.Fatalf("Allocate for %v: %v", cfg, err)
		}
		if n < 1 || len(alloc.Buffers(s)) != n {
			t.Fatalf("Allocate for %v: %d buffers, %d listed", cfg, n, len(alloc.Buffers(s)))
		}
		if err := alloc.Free(s); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzControlList sets arbitrary values of arbitrary Go types on every
// control libcamera knows and starts the camera with the list, so that
// what Set accepts crosses the shim. Set must give a value of the
// control's type or an error; Start must take it or return an error;
// never a crash or an abort.
func FuzzControlList(f *testing.F) {
	f.Add(uint16(0), uint8(0), int64(0), 0.0, "", false)
	f.Add(uint16(1), uint8(1), int64(-1), math.NaN(), "x", true)
	f.Add(uint16(2), uint8(2), int64(math.MaxInt64), math.Inf(-1), "FrameDurationLimits", false)
	f.Add(uint16(3), uint8(5), int64(math.MinInt64), 1e300, "\x00\xff", true)
	c := fuzzCamera(f)
	f.Fuzz(func(t *testing.T, which uint16, kind uint8, n int64, x float64, s string, b bool) {
		ids := ControlIDs()
		if len(ids) == 0 {
			t.Fatal("no control ids")
		}
		id := ids[int(which)%len(ids)]
		var v any
		switch kind % 10 {
		case 0:
			v = n
		case 1:
			v = x
		case 2:
			v = b
		case 3:
			v = s
		case 4:
			v = []int64{n, n / 2}
		case 5:
			v = []float32{float32(x), float32(n)}
		case 6:
			v = int32(n)
		case 7:
			v = Rectangle{X: int32(n), Y: int32(n >> 32), Width: uint32(x), Height: uint32(n)}
		case 8:
			v = []byte(s)
		case 9:
			v = nil
		}
		list := c.Controls().NewControlList()
		if err := list.Set(id.Name, v); err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Set(%s, %T %v) = %v, want ErrInvalid", id.Name, v, v, err)
			}
			return
		}
		got, ok := list.Get(id.Name)
		if !ok || got.Type() != id.Type {
			t.Fatalf("Set(%s, %T %v) then Get = %v (%v), want type %v", id.Name, v, v, got, ok, id.Type)
		}
		cfg, err := c.GenerateConfiguration(RoleViewfinder)
		if err != nil {
			t.Fatal(err)
		}
		cfg.At(0).Size = Size{Width: 64, Height: 48}
		if _, _, err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		if err := c.Configure(cfg); err != nil {
			t.Fatal(err)
		}
		if err := c.Start(list); err != nil {
			return // refused with an error: fine
		}
		if err := c.Stop(); err != nil {
			t.Fatal(err)
		}
	})
}
