package libcamera

import (
	"errors"
	"os"
	"slices"
	"syscall"
	"testing"
)

func TestVersion(t *testing.T) {
	run, built := Version(), BuildVersion()
	if run == "" || built == "" {
		t.Fatalf("Version() = %q, BuildVersion() = %q", run, built)
	}
	// libcamera's soname changes every minor release: what runs is what we built for.
	if run != "v"+built && !slices.Contains([]string{run}, built) {
		t.Logf("running %s, built against %s", run, built)
	}
}

func TestCamerasEnumerate(t *testing.T) {
	m := newManager(t)
	cams, err := m.Cameras()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range cams {
		ids = append(ids, c.ID())
	}
	if !slices.Equal(ids, []string{barsID, linesID}) {
		t.Fatalf("cameras = %v, want [%s %s]", ids, barsID, linesID)
	}
	again, _ := m.Cameras()
	if again[0] != cams[0] {
		t.Error("Cameras() returned new Camera values on the second call")
	}

	tests := []struct {
		id       string
		model    string
		location CameraLocation
		sizes    []Size
		max      Size
		fdl      [2]int64 // FrameDurationLimits min, max in µs
	}{
		{barsID, "picamgo virtual bars", LocationFront, []Size{{64, 48}, {640, 480}, {1920, 1080}}, Size{1920, 1080}, [2]int64{33333, 33333}},
		{linesID, "picamgo virtual lines", LocationBack, []Size{{320, 240}, {1280, 720}}, Size{1280, 720}, [2]int64{33333, 66666}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			c := getCamera(t, m, tt.id)
			if got := c.Model(); got != tt.model {
				t.Errorf("Model() = %q, want %q", got, tt.model)
			}
			if got := c.Location(); got != tt.location {
				t.Errorf("Location() = %v, want %v", got, tt.location)
			}
			if area, ok := c.Properties().Get("PixelArrayActiveAreas"); !ok {
				t.Error("no PixelArrayActiveAreas property")
			} else if rects, _ := area.Value().([]Rectangle); len(rects) != 1 || rects[0].Size() != tt.max {
				t.Errorf("PixelArrayActiveAreas = %v, want one of size %v", area, tt.max)
			}
			if c.StreamCount() < 1 {
				t.Errorf("StreamCount() = %d", c.StreamCount())
			}
			info, ok := c.Controls().Find("FrameDurationLimits")
			if !ok {
				t.Fatal("no FrameDurationLimits control")
			}
			lo, _ := info.Min.Int64()
			hi, _ := info.Max.Int64()
			if lo != tt.fdl[0] || hi != tt.fdl[1] {
				t.Errorf("FrameDurationLimits [%d..%d], want %v", lo, hi, tt.fdl)
			}

			if err := c.Acquire(); err != nil {
				t.Fatal(err)
			}
			defer c.Release()
			cfg, err := c.GenerateConfiguration(RoleStillCapture)
			if err != nil {
				t.Fatal(err)
			}
			sc := cfg.At(0)
			if sc.PixelFormat != FormatNV12 || sc.Size != tt.max || sc.BufferCount != 4 {
				t.Errorf("generated %v with %d buffers, want %v-NV12 with 4", sc, sc.BufferCount, tt.max)
			}
			if pf := sc.Formats().PixelFormats(); !slices.Equal(pf, []PixelFormat{FormatNV12}) {
				t.Errorf("formats %v, want [NV12]", pf)
			}
			if r := sc.Formats().Range(FormatNV12); r.Max != tt.max || r.Min != tt.sizes[0] {
				t.Errorf("range %v, want %v-%v", r, tt.sizes[0], tt.max)
			}
			// Exactly the configured sizes validate unchanged.
			for _, size := range tt.sizes {
				sc.Size = size
				status, adj, err := cfg.Validate()
				if err != nil || status != ConfigurationValid || adj != nil {
					t.Errorf("Validate(%v) = %v %v %v, want Valid", size, status, adj, err)
				}
				if sc.Stride != size.Width || sc.FrameSize != size.Width*size.Height*3/2 {
					t.Errorf("%v: stride %d frame size %d", size, sc.Stride, sc.FrameSize)
				}
			}
		})
	}
}

func TestManagerGetUnknown(t *testing.T) {
	m := newManager(t)
	_, err := m.Get("no-such-camera")
	if !errors.Is(err, ErrNoDevice) || !errors.Is(err, syscall.ENODEV) {
		t.Fatalf("Get(unknown) = %v, want ErrNoDevice", err)
	}
}

func TestSharedManager(t *testing.T) {
	// Two Managers share libcamera's one CameraManager; each stays usable
	// after the other closes.
	m1 := newManager(t)
	m2 := newManager(t)
	if _, err := m1.Cameras(); err != nil {
		t.Fatal(err)
	}
	m1.Close()
	m1.Close() // harmless
	cams, err := m2.Cameras()
	if err != nil || len(cams) != 2 {
		t.Fatalf("second manager after first closed: %v %v", cams, err)
	}
	if _, err := m1.Cameras(); err == nil {
		t.Error("closed manager still lists cameras")
	}
}

func TestConfigurationAdjusted(t *testing.T) {
	c, cfg := acquiredConfiguration(t, barsID, RoleViewfinder)
	sc := cfg.At(0)
	sc.Size = Size{100, 100}    // not a listed size: the virtual camera snaps to its largest
	sc.PixelFormat = FormatYUYV // it only produces NV12
	sc.BufferCount = 7          // and always uses 4
	status, adj, err := cfg.Validate()
	if err != nil || status != ConfigurationAdjusted {
		t.Fatalf("Validate = %v %v %v, want Adjusted", status, adj, err)
	}
	want := map[string][2]string{
		"Size":        {"100x100", "1920x1080"},
		"PixelFormat": {"YUYV", "NV12"},
		"BufferCount": {"7", "4"},
	}
	got := map[string][2]string{}
	for _, a := range adj {
		if a.Stream != 0 {
			t.Errorf("adjustment %v on stream %d", a, a.Stream)
		}
		got[a.Field] = [2]string{a.Requested, a.Got}
	}
	for f, w := range want {
		if got[f] != w {
			t.Errorf("adjustment of %s = %v, want %v (all: %v)", f, got[f], w, adj)
		}
	}
	// Adjusted means usable: it validates again as Valid and configures.
	if status, _, err := cfg.Validate(); status != ConfigurationValid || err != nil {
		t.Fatalf("second Validate = %v %v", status, err)
	}
	if err := c.Configure(cfg); err != nil {
		t.Fatal(err)
	}
	if got := c.Streams()[0].Configuration(); got.Size != (Size{1920, 1080}) {
		t.Errorf("configured %v", got)
	}
}

func TestConfigurationErrors(t *testing.T) {
	m := newManager(t)
	c := getCamera(t, m, barsID)

	// Not acquired: configure is a state error.
	cfg, err := c.GenerateConfiguration(RoleViewfinder)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Validate()
	if err := c.Configure(cfg); !errors.Is(err, ErrState) {
		t.Errorf("Configure unacquired = %v, want ErrState", err)
	}
	if err := c.Acquire(); err != nil {
		t.Fatal(err)
	}
	defer c.Release()

	cases := []struct {
		name  string
		roles []StreamRole
	}{
		{"raw role", []StreamRole{RoleRaw}},
		{"no role", nil},
		{"more roles than streams", []StreamRole{RoleViewfinder, RoleViewfinder, RoleViewfinder, RoleViewfinder, RoleViewfinder}},
		{"unknown role", []StreamRole{StreamRole(42)}},
	}
	for _, tc := range cases {
		if cfg, err := c.GenerateConfiguration(tc.roles...); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: GenerateConfiguration = %v, %v; want ErrInvalid", tc.name, cfg, err)
		}
	}

	for _, size := range []Size{{0, 0}, {0, 480}, {100000, 100000}, {1 << 31, 1}} {
		cfg, _ := c.GenerateConfiguration(RoleViewfinder)
		cfg.At(0).Size = size
		status, _, err := cfg.Validate()
		if !errors.Is(err, ErrInvalid) || status != ConfigurationInvalid {
			t.Errorf("Validate size %v = %v %v, want Invalid with ErrInvalid", size, status, err)
		}
	}

	cfg, _ = c.GenerateConfiguration(RoleViewfinder)
	cfg.At(0).BufferCount = 1000
	if _, _, err := cfg.Validate(); !errors.Is(err, ErrInvalid) {
		t.Errorf("1000 buffers: %v, want ErrInvalid", err)
	}
	cfg, _ = c.GenerateConfiguration(RoleViewfinder)
	cfg.Orientation = 9
	if _, _, err := cfg.Validate(); !errors.Is(err, ErrInvalid) {
		t.Errorf("orientation 9: %v, want ErrInvalid", err)
	}

	// A configuration libcamera would adjust cannot be applied unreviewed.
	cfg, _ = c.GenerateConfiguration(RoleViewfinder)
	cfg.At(0).Size = Size{100, 100}
	if err := c.Configure(cfg); !errors.Is(err, ErrInvalid) {
		t.Errorf("Configure unvalidated = %v, want ErrInvalid", err)
	}

	// Requests and starting need a configuration.
	if _, err := c.CreateRequest(0); !errors.Is(err, ErrState) {
		t.Errorf("CreateRequest unconfigured = %v, want ErrState", err)
	}
	if err := c.Start(nil); !errors.Is(err, ErrState) {
		t.Errorf("Start unconfigured = %v, want ErrState", err)
	}
}

func TestSecondAcquire(t *testing.T) {
	m := newManager(t)
	c := getCamera(t, m, barsID)
	if err := c.Acquire(); err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	if err := c.Acquire(); !errors.Is(err, ErrBusy) {
		t.Errorf("second Acquire on the same handle = %v, want ErrBusy", err)
	}
	// Another manager's handle on the same camera is refused by libcamera.
	m2 := newManager(t)
	c2 := getCamera(t, m2, barsID)
	if err := c2.Acquire(); !errors.Is(err, ErrBusy) || !errors.Is(err, syscall.EBUSY) {
		t.Errorf("Acquire from a second handle = %v, want ErrBusy", err)
	}
	// The other camera is free.
	if err := getCamera(t, m2, linesID).Acquire(); err != nil {
		t.Errorf("Acquire of the other camera: %v", err)
	}
	if err := c.Release(); err != nil {
		t.Fatal(err)
	}
	if err := c2.Acquire(); err != nil {
		t.Errorf("Acquire after release: %v", err)
	}
}

func TestPixelFormats(t *testing.T) {
	for name, want := range map[string]PixelFormat{
		"NV12": FormatNV12, "NV21": FormatNV21, "YUV420": FormatYUV420, "YVU420": FormatYVU420,
		"YUYV": FormatYUYV, "RGB888": FormatRGB888, "BGR888": FormatBGR888,
		"XRGB8888": FormatXRGB8888, "XBGR8888": FormatXBGR8888, "MJPEG": FormatMJPEG,
	} {
		got, err := ParsePixelFormat(name)
		if err != nil || got != want {
			t.Errorf("ParsePixelFormat(%s) = %v, %v; want %v", name, got, err, want)
		}
		if got.String() != name {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), name)
		}
	}
	if _, err := ParsePixelFormat("NOPE"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParsePixelFormat(NOPE) = %v", err)
	}
	if pf, err := ParsePixelFormat("SRGGB10_CSI2P"); err != nil || pf.Modifier == 0 {
		t.Errorf("SRGGB10_CSI2P = %v %v, want a packed format with a modifier", pf, err)
	}
}

func TestLogLevels(t *testing.T) {
	t.Setenv("LIBCAMERA_LOG_LEVELS", "*:FATAL")
	if err := SetLogLevel("Camera", "LOUD"); !errors.Is(err, ErrInvalid) {
		t.Errorf("SetLogLevel(LOUD) = %v", err)
	}
	if err := SetLogLevel("*", "SHOUT"); !errors.Is(err, ErrInvalid) {
		t.Errorf("SetLogLevel(*, SHOUT) = %v", err)
	}
	if err := SetLogLevel("Camera", LogFatal); err != nil {
		t.Fatal(err)
	}
	if err := SetLogLevel("*", LogFatal); err != nil {
		t.Fatal(err)
	}
	if got := os.Getenv("LIBCAMERA_LOG_LEVELS"); got != "*:FATAL,Camera:FATAL" {
		t.Errorf("LIBCAMERA_LOG_LEVELS = %q", got)
	}
	if err := SetLogFile("/nonexistent-dir/x.log", false); err == nil {
		t.Error("SetLogFile to a missing directory succeeded")
	}
	if err := SetLogFile("", false); err != nil {
		t.Error(err)
	}
}

// libcamera may change control limits at configure (on a Raspberry Pi they
// follow the sensor mode): Controls is read again then.
func TestControlsRereadAtConfigure(t *testing.T) {
	r := newRig(t, barsID, Size{640, 480}, AllocatorMemfd)
	before := r.cam.Controls()
	cfg, err := r.cam.GenerateConfiguration(RoleViewfinder)
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range r.requests {
		req.Free()
	}
	r.requests = nil
	if err := r.alloc.Free(r.stream); err != nil {
		t.Fatal(err)
	}
	if err := r.cam.Configure(cfg); err != nil {
		t.Fatal(err)
	}
	after := r.cam.Controls()
	if after == before {
		t.Fatal("Controls() is the map read at open after Configure")
	}
	if after.Len() != before.Len() {
		t.Fatalf("controls after configure: %d, before: %d", after.Len(), before.Len())
	}
	a, ok1 := after.Find("FrameDurationLimits")
	b, ok2 := before.Find("FrameDurationLimits")
	if !ok1 || !ok2 || a.String() != b.String() {
		t.Fatalf("FrameDurationLimits after configure %v, before %v", a, b)
	}
}

// The virtual pipeline forces 4 buffers but reports Valid; Validate still
// reports the change.
func TestConfigurationSilentAdjustment(t *testing.T) {
	_, cfg := acquiredConfiguration(t, barsID, RoleViewfinder)
	cfg.At(0).Size = Size{64, 48}
	cfg.At(0).BufferCount = 6
	status, adj, err := cfg.Validate()
	if err != nil || status != ConfigurationAdjusted || len(adj) != 1 || adj[0].String() != "stream 0 BufferCount: 6 -> 4" {
		t.Fatalf("Validate = %v %v %v, want Adjusted [stream 0 BufferCount: 6 -> 4]", status, adj, err)
	}
	if status, adj, err := cfg.Validate(); status != ConfigurationValid || adj != nil || err != nil {
		t.Fatalf("second Validate = %v %v %v, want Valid", status, adj, err)
	}
}

// acquiredConfiguration acquires camera id (released when the test ends)
// and generates a configuration for role.
func acquiredConfiguration(t *testing.T, id string, role StreamRole) (*Camera, *CameraConfiguration) {
	t.Helper()
	c := getCamera(t, newManager(t), id)
	if err := c.Acquire(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Release() })
	cfg, err := c.GenerateConfiguration(role)
	if err != nil {
		t.Fatal(err)
	}
	return c, cfg
}
