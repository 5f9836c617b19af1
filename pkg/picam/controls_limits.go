package picam

// Checking controls at the edge: SetControls and Configure turn Controls
// into one libcamera ControlList here, once. Values that mean nothing
// (NaN, a negative gain, a wrong type) are refused with a ControlError;
// numbers beyond the camera's limits are clamped to them, as libcamera
// itself would, and reported as Adjustments. The list then travels as it
// is: merged into the pending controls and from there into a request.

import (
	"fmt"
	"math"
	"reflect"

	"github.com/picamgo/picamgo/libcamera"
)

// validate checks ctrls against the camera's controls and returns them as
// one list (nil when ctrls sets nothing), with the values it clamped to the
// camera's limits.
func (c *Camera) validate(ctrls *Controls) (*libcamera.ControlList, []Adjustment, error) {
	pairs := ctrls.pairs()
	if len(pairs) == 0 {
		return nil, nil, nil
	}
	infos := c.lc.Controls()
	list := infos.NewControlList()
	var adj []Adjustment
	for _, p := range pairs {
		info, ok := infos.Find(p.name)
		p = p.onLimit(info) // nil when !ok
		if p.invalid != "" {
			// Meaningless whatever the camera: say so rather than
			// anything about the camera's limits or support.
			if !ok {
				info = nil
			}
			return nil, nil, &ControlError{Camera: c.id, Name: p.name, Value: p.shown, Info: info, Reason: p.invalid}
		}
		if !ok {
			reason := "not supported by camera " + c.id
			if _, known := libcamera.LookupControl(p.name); !known {
				reason = "no control has this name"
			}
			return nil, nil, &ControlError{Camera: c.id, Name: p.name, Value: p.shown, Reason: reason}
		}
		if err := list.Set(p.name, p.value); err != nil {
			return nil, nil, &ControlError{Camera: c.id, Name: p.name, Value: p.shown, Info: info,
				Reason: fmt.Sprintf("wrong type or shape (%v)", err), err: err}
		}
		v, _ := list.Get(p.name)
		if reason := badValue(p.name, v); reason != "" {
			return nil, nil, &ControlError{Camera: c.id, Name: p.name, Value: p.shown, Info: info, Reason: reason}
		}
		got, reason := limit(info, v)
		if reason != "" {
			return nil, nil, &ControlError{Camera: c.id, Name: p.name, Value: p.shown, Info: info, Reason: reason}
		}
		if !got.Equal(v) {
			if err := list.Set(p.name, got); err != nil {
				return nil, nil, fmt.Errorf("picam: control %s clamped to %v: %w", p.name, got, err)
			}
			adj = append(adj, Adjustment{Stream: NoStream, Field: p.name, Requested: v.String(), Got: got.String()})
		}
	}
	return list, adj, nil
}

// nonNegative lists the controls whose numbers mean nothing below zero,
// whether set through a field of Controls or by name.
var nonNegative = map[string]bool{
	"ExposureTime": true, "AnalogueGain": true, "ColourGains": true, "Contrast": true, "Saturation": true,
	"Sharpness": true, "LensPosition": true, "FrameDurationLimits": true,
}

// badValue is why a value set by name means nothing whatever the camera,
// or "": the checks the typed fields of Controls make, for values given in
// libcamera's own types.
func badValue(name string, v libcamera.ControlValue) string {
	xs := numbers(v)
	for _, x := range xs {
		switch {
		case math.IsNaN(x):
			return "not a number"
		case math.IsInf(x, 0):
			return "infinite"
		case x < 0 && nonNegative[name]:
			return "negative"
		}
	}
	if name == "FrameDurationLimits" && len(xs) == 2 && xs[0] > 0 && xs[1] > 0 && xs[0] > xs[1] {
		return "the minimum is above the maximum"
	}
	return ""
}

// limit fits v into info's limits: numbers beyond the minimum or maximum
// are clamped to it. A value that cannot be fitted (not one of the values
// the camera lists) gets a reason instead.
func limit(info *libcamera.ControlInfo, v libcamera.ControlValue) (libcamera.ControlValue, string) {
	if len(info.Values) > 0 {
		for _, a := range info.Values {
			if a.Equal(v) {
				return v, ""
			}
			// Values listed as scalars for an array control: check elements.
			if !a.IsArray() && v.IsArray() {
				if all(numbers(v), func(x float64) bool { n, _ := firstNumber(a); return x == n }) {
					return v, ""
				}
			}
		}
		if id := info.ID; len(id.Enumerators) > 0 {
			if n, ok := v.Int64(); ok {
				if name, known := id.Enumerators[int32(n)]; known {
					return v, fmt.Sprintf("%s is not available", name)
				}
			}
		}
		return v, "not one of the allowed values"
	}
	xs := numbers(v)
	if xs == nil {
		return v, "" // rectangles, sizes, strings: libcamera checks them
	}
	lo, hasLo := firstNumber(info.Min)
	hi, hasHi := firstNumber(info.Max)
	loA, hiA := numbers(info.Min), numbers(info.Max)
	clamped := make([]bool, len(xs))
	changed := false
	for i, x := range xs {
		l, h := lo, hi
		if len(loA) == len(xs) {
			l = loA[i]
		}
		if len(hiA) == len(xs) {
			h = hiA[i]
		}
		switch {
		case math.IsNaN(x):
			return v, "not a number" // passes every comparison below
		case math.IsInf(x, 0):
			return v, "infinite"
		case hasLo && x < l:
			xs[i], clamped[i], changed = l, true, true
		case hasHi && x > h:
			xs[i], clamped[i], changed = h, true, true
		}
	}
	if !changed {
		return v, ""
	}
	got, err := withNumbers(v, xs, clamped)
	if err != nil {
		return v, fmt.Sprintf("out of range, and cannot be clamped (%v)", err)
	}
	return got, ""
}

// withNumbers returns v with the elements marked in set replaced by xs's,
// in v's own type.
func withNumbers(v libcamera.ControlValue, xs []float64, set []bool) (libcamera.ControlValue, error) {
	rv := reflect.ValueOf(v.Value())
	if rv.Kind() != reflect.Slice {
		return libcamera.NewControlValue(reflect.ValueOf(xs[0]).Convert(rv.Type()).Interface())
	}
	out := reflect.MakeSlice(rv.Type(), rv.Len(), rv.Len())
	reflect.Copy(out, rv)
	for i := range xs {
		if set[i] {
			out.Index(i).Set(reflect.ValueOf(xs[i]).Convert(rv.Type().Elem()))
		}
	}
	return libcamera.NewControlValue(out.Interface())
}

func all(xs []float64, f func(float64) bool) bool {
	for _, x := range xs {
		if !f(x) {
			return false
		}
	}
	return len(xs) > 0
}

// numbers returns a numeric value's elements as float64, or nil.
func numbers(v libcamera.ControlValue) []float64 {
	rv := reflect.ValueOf(v.Value())
	if !rv.IsValid() {
		return nil
	}
	one := func(e reflect.Value) (float64, bool) {
		switch e.Kind() {
		case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int:
			return float64(e.Int()), true
		case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uint:
			return float64(e.Uint()), true
		case reflect.Float32, reflect.Float64:
			return e.Float(), true
		}
		return 0, false
	}
	if rv.Kind() == reflect.Slice {
		out := make([]float64, 0, rv.Len())
		for i := range rv.Len() {
			x, ok := one(rv.Index(i))
			if !ok {
				return nil
			}
			out = append(out, x)
		}
		return out
	}
	if x, ok := one(rv); ok {
		return []float64{x}
	}
	return nil
}

func firstNumber(v libcamera.ControlValue) (float64, bool) {
	xs := numbers(v)
	if len(xs) == 0 {
		return 0, false
	}
	return xs[0], true
}
