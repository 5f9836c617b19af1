package libcamera

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// A control as the installed control_ids.h declares it.
type declaredControl struct {
	name  string
	elem  string // C++ element type: bool, int32_t, Rectangle, ...
	array bool
	size  int // fixed array length, 0 for any length
}

var controlDecl = regexp.MustCompile(`^extern const Control<(Span<const ([A-Za-z0-9_:]+)(?:, ([0-9]+))?>|([A-Za-z0-9_:]+))> ([A-Za-z0-9_]+);`)

// skipUnlessRaspberryPi skips the test, unless the environment says this is
// Raspberry Pi's libcamera (make test LIBCAMERA=rpi-*), where it fails: there
// the test must run.
func skipUnlessRaspberryPi(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("PICAMGO_EXPECT_RPI_CONTROLS") == "1" {
		t.Fatalf("PICAMGO_EXPECT_RPI_CONTROLS=1, but: "+format, args...)
	}
	t.Skipf(format, args...)
}

// vendorDeclarations reads the controls that the libcamera headers this
// package was built against (pkg-config's includedir) declare in namespace
// vendor, and where the header is.
func vendorDeclarations(t *testing.T, vendor string) ([]declaredControl, string) {
	t.Helper()
	out, err := exec.Command("pkg-config", "--variable=includedir", "libcamera").Output()
	if err != nil {
		skipUnlessRaspberryPi(t, "no libcamera headers to compare with (pkg-config libcamera: %v)", err)
	}
	header := filepath.Join(strings.TrimSpace(string(out)), "libcamera", "libcamera", "control_ids.h")
	text, err := os.ReadFile(header)
	if err != nil {
		skipUnlessRaspberryPi(t, "no libcamera headers to compare with: %v", err)
	}
	var decls []declaredControl
	in := false
	for line := range strings.Lines(string(text)) {
		line = strings.TrimSpace(line)
		switch {
		case line == "namespace "+vendor+" {":
			in = true
		case line == "} /* namespace "+vendor+" */":
			in = false
		case in:
			m := controlDecl.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			d := declaredControl{name: m[5], elem: m[4]}
			if m[2] != "" {
				d.elem, d.array = m[2], true
				d.size, _ = strconv.Atoi(m[3])
			}
			decls = append(decls, d)
		}
	}
	return decls, header
}

var cxxControlTypes = map[string]ControlType{
	"bool": ControlTypeBool, "uint8_t": ControlTypeByte, "uint16_t": ControlTypeUint16,
	"uint32_t": ControlTypeUint32, "int32_t": ControlTypeInt32, "int64_t": ControlTypeInt64,
	"float": ControlTypeFloat, "std::string": ControlTypeString, "Rectangle": ControlTypeRectangle,
	"Size": ControlTypeSize, "Point": ControlTypePoint,
}

// sampleValue makes a value of id's type and shape whose elements differ from
// one another and from zero, so that a mix-up in the encoding shows.
func sampleValue(id *ControlID) any {
	n := 1
	if id.IsArray {
		n = 3
		if id.Size > 0 {
			n = id.Size
		}
	}
	var xs []any
	for i := range n {
		k := i + 1
		switch id.Type {
		case ControlTypeBool:
			xs = append(xs, k%2 == 1)
		case ControlTypeByte:
			xs = append(xs, uint8(200+k))
		case ControlTypeUint16:
			xs = append(xs, uint16(60000+k))
		case ControlTypeUint32:
			xs = append(xs, uint32(4000000000)+uint32(k))
		case ControlTypeInt32:
			xs = append(xs, int32(-1000*k))
		case ControlTypeInt64:
			xs = append(xs, int64(-1)<<40-int64(k))
		case ControlTypeFloat:
			xs = append(xs, float32(k)+0.25)
		case ControlTypeRectangle:
			xs = append(xs, Rectangle{X: int32(-k), Y: int32(2 * k), Width: uint32(640 + k), Height: uint32(480 + k)})
		case ControlTypeSize:
			xs = append(xs, Size{Width: uint32(640 + k), Height: uint32(480 + k)})
		case ControlTypePoint:
			xs = append(xs, Point{X: int32(-k), Y: int32(k)})
		case ControlTypeString:
			return "picamgo"
		}
	}
	if !id.IsArray {
		return xs[0]
	}
	// A Go slice of the element type ([]float32, []Rectangle, ...).
	out := reflect.MakeSlice(reflect.SliceOf(reflect.TypeOf(xs[0])), 0, n)
	for _, x := range xs {
		out = reflect.Append(out, reflect.ValueOf(x))
	}
	return out.Interface()
}

// Raspberry Pi's libcamera declares its own controls (control_ids_rpi.yaml:
// ScalerCrops, SyncMode, CnnOutputTensor, ...) in namespace rpi when an rpi
// pipeline is built. Every one the installed header declares must be known to
// the binding by name (plain and "rpi::"), with the header's type and shape,
// and must go into a control list and come back unchanged through libcamera's
// own ControlList.
func TestRaspberryPiControls(t *testing.T) {
	decls, header := vendorDeclarations(t, "rpi")
	if len(decls) == 0 {
		skipUnlessRaspberryPi(t, "libcamera %s (%s) declares no rpi:: controls: not Raspberry Pi's fork built with an rpi pipeline",
			BuildVersion(), header)
	}
	t.Logf("libcamera %s: %d rpi:: controls in %s", BuildVersion(), len(decls), header)
	declared := map[string]bool{}
	for _, d := range decls {
		declared[d.name] = true
		t.Run(d.name, func(t *testing.T) {
			id, ok := LookupControl(d.name)
			if !ok {
				t.Fatalf("LookupControl(%q): unknown, though %s declares it", d.name, header)
			}
			if q, ok := LookupControl("rpi::" + d.name); !ok || q != id {
				t.Errorf("LookupControl(%q) = %v, %v; want the same control as %q", "rpi::"+d.name, q, ok, d.name)
			}
			want, ok := cxxControlTypes[d.elem]
			if !ok {
				t.Fatalf("%s: C++ type %q has no ControlType in this test", d.name, d.elem)
			}
			if id.Vendor != "rpi" || id.Type != want || id.IsArray != d.array || d.array && d.size > 0 && id.Size != d.size {
				t.Fatalf("%s: binding has vendor %q, %v, array %v, size %d; header declares %s (array %v, size %d)",
					d.name, id.Vendor, id.Type, id.IsArray, id.Size, d.elem, d.array, d.size)
			}

			l := &ControlList{ids: mustCatalog(t)}
			x := sampleValue(id)
			if err := l.Set("rpi::"+d.name, x); err != nil {
				t.Fatalf("Set(%s, %v): %v", d.name, x, err)
			}
			sent, _ := l.Get(d.name)
			back, err := reencode(l)
			if err != nil {
				t.Fatalf("through libcamera's ControlList: %v", err)
			}
			got, ok := back.Get("rpi::" + d.name)
			if !ok || back.Len() != 1 {
				t.Fatalf("through libcamera's ControlList: %v, want only %s", back, d.name)
			}
			if !got.Equal(sent) {
				t.Errorf("through libcamera's ControlList: %s = %v (%v, array %v), sent %v (%v, array %v)",
					d.name, got, got.Type(), got.IsArray(), sent, sent.Type(), sent.IsArray())
			}
		})
	}
	// And nothing the other way: the binding lists no rpi control the header lacks.
	for _, id := range ControlIDs() {
		if id.Vendor == "rpi" && !declared[id.Name] {
			t.Errorf("binding lists rpi::%s, which %s does not declare", id.Name, header)
		}
	}
}

// A value of the wrong type or shape for a vendor control is refused by the
// binding with ErrInvalid, and libcamera's side refuses it too.
func TestRaspberryPiControlsRefuseWrongValues(t *testing.T) {
	if decls, header := vendorDeclarations(t, "rpi"); len(decls) == 0 {
		skipUnlessRaspberryPi(t, "libcamera %s (%s) declares no rpi:: controls", BuildVersion(), header)
	}
	l := &ControlList{ids: mustCatalog(t)}
	for name, x := range map[string]any{
		"rpi::SyncMode":    "server",                       // a string for an int32
		"rpi::CnnKpiInfo":  []int32{1, 2, 3},               // three values for a fixed two
		"rpi::ScalerCrops": Rectangle{Width: 1, Height: 1}, // a single rectangle for an array
	} {
		if err := l.Set(name, x); !errors.Is(err, ErrInvalid) {
			t.Errorf("Set(%s, %v) = %v, want ErrInvalid", name, x, err)
		}
	}
	// Past the Go checks, straight to libcamera: a scalar where it wants an array.
	id, _ := LookupControl("rpi::ScalerCrops")
	bad := &ControlList{ids: l.ids, entries: []controlEntry{{id, mustValue(t, Rectangle{Width: 1, Height: 1})}}}
	if _, err := reencode(bad); err == nil || !strings.Contains(err.Error(), "ScalerCrops takes an array") {
		t.Errorf("libcamera side took a single rectangle for ScalerCrops: %v", err)
	}
}

func mustCatalog(t *testing.T) *idMap {
	t.Helper()
	maps, err := catalog()
	if err != nil {
		t.Fatal(err)
	}
	return maps[0]
}
