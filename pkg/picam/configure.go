package picam

// Applying a Configuration (config.go) to the camera: building libcamera's
// configuration, validating it, reporting adjustments, and swapping the
// previous configuration's requests and buffers for new ones (slot.go).

import (
	"errors"
	"fmt"

	"github.com/picamgo/picamgo/libcamera"
)

// Configuration returns the configuration applied by the last Configure,
// with libcamera's adjustments, strides and frame sizes filled in.
func (c *Camera) Configuration() (Configuration, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return Configuration{}, c.errClosed("configuration of")
	}
	if c.cfg == nil {
		return Configuration{}, fmt.Errorf("picam: camera %s: %w", c.id, ErrNotConfigured)
	}
	return c.cfg.clone(), nil
}

// clone copies the configuration's streams, so that callers can change the
// copy freely.
func (cfg Configuration) clone() Configuration {
	if cfg.Lores != nil {
		cfg.Lores = new(*cfg.Lores)
	}
	if cfg.Raw != nil {
		cfg.Raw = new(*cfg.Raw)
	}
	return cfg
}

// StreamConfiguration returns one stream's applied configuration.
func (c *Camera) StreamConfiguration(s StreamName) (StreamConfig, error) {
	cfg, err := c.Configuration()
	if err != nil {
		return StreamConfig{}, err
	}
	sc := cfg.Stream(s)
	if sc == nil {
		return StreamConfig{}, fmt.Errorf("picam: camera %s has no %v stream: %w", c.id, s, ErrInvalid)
	}
	return *sc, nil
}

// Configure sets the camera up for cfg; the camera must be stopped. It
// returns what libcamera adjusted (formats and sizes the camera cannot
// produce, buffer counts, ...) and the controls it clamped to the camera's
// limits (as [Camera.SetControls]), applied unless cfg.Strict is set,
// in which case Configure fails with an [*AdjustedError] instead.
// Adjustments are also logged at Info level.
//
// Reconfiguring frees the buffers of the previous configuration, except
// those of the requests the application still holds: those stay valid,
// their frames readable, until released, when their buffers are freed
// (Picamera2 keeps such requests too).
func (c *Camera) Configure(cfg Configuration) ([]Adjustment, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.configureLocked(cfg)
}

func (c *Camera) configureLocked(cfg Configuration) ([]Adjustment, error) {
	if c.closed {
		return nil, c.errClosed("configure")
	}
	if c.eng.Load() != nil {
		return nil, fmt.Errorf("picam: configure %s: camera is started; stop it first: %w", c.id, libcamera.ErrState)
	}
	startSet, ctrlAdj, err := c.validate(&cfg.Controls)
	if err != nil {
		return nil, fmt.Errorf("picam: configure %s: %w", c.id, err)
	}
	lcfg, order, err := c.buildConfig(&cfg)
	if err != nil {
		return nil, err
	}
	defer lcfg.Free() // what Configure keeps of it is copied
	status, ladj, err := lcfg.Validate()
	if err != nil {
		return nil, fmt.Errorf("picam: configure %s with %v: %w", c.id, cfg, err)
	}
	var adj []Adjustment
	if status == libcamera.ConfigurationAdjusted {
		for _, a := range ladj {
			s := NoStream
			if a.Stream >= 0 && a.Stream < len(order) {
				s = order[a.Stream]
			}
			adj = append(adj, Adjustment{Stream: s, Field: a.Field, Requested: a.Requested, Got: a.Got})
		}
	}
	adj = append(adj, ctrlAdj...)
	if len(adj) > 0 {
		if cfg.Strict {
			return adj, &AdjustedError{Camera: c.id, Adjustments: adj}
		}
		c.log.Info("picam: libcamera adjusted the configuration", "camera", c.id, "adjustments", adj)
	}
	// Drop the previous configuration; the requests still held keep their
	// buffers until released.
	c.dropSet()
	if c.configureFault != nil {
		if err := c.configureFault(cfg); err != nil {
			return adj, fmt.Errorf("picam: configure %s: %w", c.id, err)
		}
	}
	if err := c.lc.Configure(lcfg); err != nil {
		return adj, fmt.Errorf("picam: configure %s: %w", c.id, err)
	}
	set, err := c.newStreamSet(lcfg, order)
	if err != nil {
		return adj, err
	}
	set.asked, set.applied = cfg.Orientation, lcfg.Orientation
	applied := cfg.clone()
	for i, s := range order {
		lsc := lcfg.At(i)
		sc := StreamConfig{Size: lsc.Size, Format: lsc.PixelFormat, Stride: int(lsc.Stride), FrameSize: int(lsc.FrameSize)}
		if lsc.ColorSpace != nil {
			sc.ColorSpace = new(*lsc.ColorSpace)
		}
		switch s {
		case Main:
			applied.Main = sc
		case Lores:
			applied.Lores = &sc
		case Raw:
			applied.Raw = &sc
		}
	}
	applied.ColorSpace = appliedColorSpace(&applied, cfg.ColorSpace)
	applied.BufferCount = len(set.slots)
	applied.Orientation = lcfg.Orientation
	c.cfg = &applied
	c.set = set
	c.startSet = startSet
	c.resetControls(startSet)
	c.noteDurations(&cfg.Controls)
	return adj, nil
}

// appliedColorSpace is the colour space libcamera applied, for
// Configuration.ColorSpace: that of the first Y'CbCr stream (main, then
// lores), else main's primaries and transfer function with the encoding
// and range asked for, which an RGB stream has none of. With none reported
// (libcamera 0.4's virtual camera), what was asked.
func appliedColorSpace(cfg *Configuration, asked *ColorSpace) *ColorSpace {
	for _, s := range []*StreamConfig{&cfg.Main, cfg.Lores} {
		if s != nil && s.ColorSpace != nil && !isRGB(s.Format) {
			return new(*s.ColorSpace)
		}
	}
	if cfg.Main.ColorSpace != nil {
		cs := *cfg.Main.ColorSpace
		if asked != nil {
			cs.YcbcrEncoding, cs.Range = asked.YcbcrEncoding, asked.Range
		}
		return &cs
	}
	if asked != nil {
		return new(*asked)
	}
	return nil
}

// dropSet frees the current configuration's requests and buffers. With mu
// held and the camera stopped. A request the application still holds is
// retired instead: libcamera forgets it, but its buffers stay mapped
// until its last release frees it (recycle sees the generation changed).
func (c *Camera) dropSet() {
	var held []bool
	c.rmu.Lock()
	c.gen++
	c.free = nil
	if c.set != nil {
		// Marked under rmu, which recycle takes: a slot seen held here
		// is counted back by its recycle, one seen free is not.
		held = make([]bool, len(c.set.slots))
		for i, s := range c.set.slots {
			if held[i] = s.refs.Load() > 0; held[i] {
				s.retired = true
				c.retiredHeld++
			}
		}
	}
	c.rmu.Unlock()
	if c.set != nil {
		for i, s := range c.set.slots {
			if held[i] {
				s.req.Retire()
			} else {
				s.req.Free()
			}
		}
		c.set.freeBuffers()
	}
	c.set = nil
	c.cfg = nil
}

// buildConfig turns cfg into libcamera's configuration; order lists the
// stream of each libcamera stream index.
func (c *Camera) buildConfig(cfg *Configuration) (*libcamera.CameraConfiguration, []StreamName, error) {
	if cfg.Main.Size.IsNull() {
		cfg.Main.Size = Size{Width: 640, Height: 480}
	}
	if !cfg.Main.Format.IsValid() {
		cfg.Main.Format = FormatXBGR8888
	}
	order := []StreamName{Main}
	roles := []libcamera.StreamRole{libcamera.RoleViewfinder}
	if cfg.Lores != nil {
		if cfg.Lores.Size.IsNull() {
			cfg.Lores.Size = cfg.Main.Size
		}
		if !cfg.Lores.Format.IsValid() {
			cfg.Lores.Format = FormatYUV420
		}
		if cfg.Lores.Size.Width > cfg.Main.Size.Width || cfg.Lores.Size.Height > cfg.Main.Size.Height {
			return nil, nil, fmt.Errorf("picam: configure %s: lores %v is larger than main %v: %w", c.id, cfg.Lores.Size, cfg.Main.Size, ErrInvalid)
		}
		order = append(order, Lores)
		roles = append(roles, libcamera.RoleViewfinder)
	}
	if cfg.Raw != nil {
		order = append(order, Raw)
		roles = append(roles, libcamera.RoleRaw)
	}
	if n := c.lc.StreamCount(); len(roles) > n {
		return nil, nil, fmt.Errorf("picam: configure %s: %d streams asked, the camera has %d: %w", c.id, len(roles), n, ErrUnsupported)
	}
	lcfg, err := c.lc.GenerateConfiguration(roles...)
	if err != nil {
		if cfg.Raw != nil {
			return nil, nil, fmt.Errorf("picam: configure %s: the camera cannot give these streams (does it have a raw stream?): %w", c.id, errors.Join(err, ErrUnsupported))
		}
		return nil, nil, fmt.Errorf("picam: configure %s: %w", c.id, err)
	}
	bufs := cfg.BufferCount
	if bufs <= 0 {
		bufs = 4
	}
	for i, s := range order {
		sc := cfg.Stream(s)
		lsc := lcfg.At(i)
		if !sc.Size.IsNull() {
			lsc.Size = sc.Size
		}
		if sc.Format.IsValid() {
			lsc.PixelFormat = sc.Format
		}
		lsc.BufferCount = uint32(bufs)
		if s != Raw && cfg.ColorSpace != nil {
			cs := *cfg.ColorSpace
			if isRGB(lsc.PixelFormat) {
				cs.YcbcrEncoding, cs.Range = libcamera.YcbcrNone, libcamera.RangeFull
			}
			lsc.ColorSpace = &cs
		}
	}
	if cfg.Orientation != 0 {
		lcfg.Orientation = cfg.Orientation
	}
	if sm := cfg.SensorMode; sm != nil {
		if sm.BitDepth < 0 {
			return nil, nil, fmt.Errorf("picam: configure %s: sensor mode bit depth %d: %w", c.id, sm.BitDepth, ErrInvalid)
		}
		lcfg.SensorConfig = &libcamera.SensorConfiguration{BitDepth: uint32(sm.BitDepth), OutputSize: sm.OutputSize}
	}
	return lcfg, order, nil
}

func isRGB(f PixelFormat) bool {
	switch f {
	case FormatRGB888, FormatBGR888, FormatXRGB8888, FormatXBGR8888:
		return true
	}
	return false
}
