package libcamera

// #include "cshim.h"
import "C"

import (
	"encoding/binary"
	"fmt"
	"iter"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

// ControlType is the type of a control's values.
type ControlType uint8

// Control types, numbered as in cshim.h (not as in any one libcamera version).
const (
	ControlTypeNone ControlType = iota
	ControlTypeBool
	ControlTypeByte
	ControlTypeUint16
	ControlTypeUint32
	ControlTypeInt32
	ControlTypeInt64
	ControlTypeFloat
	ControlTypeString
	ControlTypeRectangle
	ControlTypeSize
	ControlTypePoint
)

var controlTypeNames = [...]string{"none", "bool", "byte", "uint16", "uint32", "int32", "int64", "float",
	"string", "rectangle", "size", "point"}

func (t ControlType) String() string {
	if int(t) < len(controlTypeNames) {
		return controlTypeNames[t]
	}
	return fmt.Sprintf("ControlType(%d)", uint8(t))
}

func (t ControlType) elementSize() int {
	switch t {
	case ControlTypeBool, ControlTypeByte, ControlTypeString:
		return 1
	case ControlTypeUint16:
		return 2
	case ControlTypeUint32, ControlTypeInt32, ControlTypeFloat:
		return 4
	case ControlTypeInt64, ControlTypeSize, ControlTypePoint:
		return 8
	case ControlTypeRectangle:
		return 16
	}
	return 0
}

// ControlDirection says who sets a control: the application (In), the
// camera in request metadata (Out), or both.
type ControlDirection uint8

// The directions a control can go: in with requests, out in metadata.
const (
	ControlIn  ControlDirection = 1
	ControlOut ControlDirection = 2
)

// ControlID describes a control or property: its name, type and shape.
// Numeric ids differ between libcamera versions; names do not.
type ControlID struct {
	ID          uint32
	Name        string
	Vendor      string // "libcamera", "draft", "rpi", ...
	Type        ControlType
	Direction   ControlDirection
	IsArray     bool
	Size        int  // array length; 0 for scalars, -1 for any length
	Property    bool // a camera property, not a control
	Enumerators map[int32]string
}

func (id *ControlID) String() string { return id.Name }

// idMap resolves ids and names of one kind (controls or properties).
type idMap struct {
	byID   map[uint32]*ControlID
	byName map[string]*ControlID
}

func newIDMap() *idMap {
	return &idMap{byID: map[uint32]*ControlID{}, byName: map[string]*ControlID{}}
}

// add registers id by number and by name. A vendor's control (rpi, draft, ...)
// is also found as "vendor::Name", as libcamera's C++ spells it
// ("rpi::ScalerCrops"); should a vendor reuse a name of libcamera's own, the
// plain name stays libcamera's.
func (m *idMap) add(id *ControlID) {
	m.byID[id.ID] = id
	if old, taken := m.byName[id.Name]; !taken || !old.core() || id.core() {
		m.byName[id.Name] = id
	}
	if !id.core() {
		m.byName[id.Vendor+"::"+id.Name] = id
	}
}

// core reports whether id is one of libcamera's own controls, not a vendor's.
func (id *ControlID) core() bool { return id.Vendor == "" || id.Vendor == "libcamera" }

// named reports whether name is id's name, plain or qualified by its vendor.
func (id *ControlID) named(name string) bool {
	if id.Name == name {
		return true
	}
	vendor, rest, ok := strings.Cut(name, "::")
	return ok && rest == id.Name && vendor == id.Vendor && !id.core()
}

var catalog = sync.OnceValues(func() (*[2]*idMap, error) {
	b := C.picam_bytes_new()
	defer C.picam_bytes_free(b)
	var e C.picam_error
	if err := cError("ControlIDs", C.picam_control_ids(b, &e), &e); err != nil {
		return nil, err
	}
	d := &decoder{b: cBytes(b)}
	maps := &[2]*idMap{newIDMap(), newIDMap()}
	for n := d.u32(); n > 0 && d.err == nil; n-- {
		var kind uint8
		id := d.controlID(&kind)
		maps[kind&1].add(id)
	}
	return maps, d.err
})

// cBytes copies a shim byte buffer into Go memory.
func cBytes(b *C.picam_bytes) []byte {
	n := C.picam_bytes_len(b)
	if n == 0 {
		return nil
	}
	return C.GoBytes(unsafe.Pointer(C.picam_bytes_data(b)), C.int(n))
}

// LookupControl returns the control libcamera knows by that name, such as
// "ExposureTime" or "FrameDurationLimits". A vendor's control can also be
// named with its vendor, as in C++: "rpi::ScalerCrops" (Raspberry Pi's
// libcamera) is "ScalerCrops".
func LookupControl(name string) (*ControlID, bool) {
	maps, err := catalog()
	if err != nil {
		return nil, false
	}
	id, ok := maps[0].byName[name]
	return id, ok
}

// LookupProperty returns the property libcamera knows by that name, such as
// "Model" or "Location".
func LookupProperty(name string) (*ControlID, bool) {
	maps, err := catalog()
	if err != nil {
		return nil, false
	}
	id, ok := maps[1].byName[name]
	return id, ok
}

// ControlIDs lists every control libcamera knows, sorted by name.
func ControlIDs() []*ControlID { return catalogList(0) }

// PropertyIDs lists every property libcamera knows, sorted by name.
func PropertyIDs() []*ControlID { return catalogList(1) }

func catalogList(kind int) []*ControlID {
	maps, err := catalog()
	if err != nil {
		return nil
	}
	var ids []*ControlID
	for _, id := range maps[kind].byID {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b *ControlID) int { return strings.Compare(a.Name, b.Name) })
	return ids
}

// ControlValue is a control's value: one element or an array, of one
// [ControlType]. The zero value is "none".
type ControlValue struct {
	typ   ControlType
	array bool
	n     uint32
	data  []byte
}

// Type returns the value's type.
func (v ControlValue) Type() ControlType { return v.typ }

// IsArray reports whether the value is an array (strings always are).
func (v ControlValue) IsArray() bool { return v.array }

// IsNone reports whether the value is empty.
func (v ControlValue) IsNone() bool { return v.typ == ControlTypeNone }

// Len returns the number of elements (characters for strings).
func (v ControlValue) Len() int { return int(v.n) }

func (v ControlValue) elem(i int) []byte {
	s := v.typ.elementSize()
	return v.data[i*s : (i+1)*s]
}

func decodeElem(t ControlType, p []byte) any {
	ne := binary.NativeEndian
	switch t {
	case ControlTypeBool:
		return p[0] != 0
	case ControlTypeByte:
		return p[0]
	case ControlTypeUint16:
		return ne.Uint16(p)
	case ControlTypeUint32:
		return ne.Uint32(p)
	case ControlTypeInt32:
		return int32(ne.Uint32(p))
	case ControlTypeInt64:
		return int64(ne.Uint64(p))
	case ControlTypeFloat:
		return math.Float32frombits(ne.Uint32(p))
	case ControlTypeRectangle:
		return Rectangle{int32(ne.Uint32(p)), int32(ne.Uint32(p[4:])), ne.Uint32(p[8:]), ne.Uint32(p[12:])}
	case ControlTypeSize:
		return Size{ne.Uint32(p), ne.Uint32(p[4:])}
	case ControlTypePoint:
		return Point{int32(ne.Uint32(p)), int32(ne.Uint32(p[4:]))}
	}
	return nil
}

// Value returns the value as a Go value: bool, uint8, uint16, uint32, int32,
// int64, float32, string, [Rectangle], [Size] or [Point] for a single element,
// a slice of those for an array, and nil for none.
func (v ControlValue) Value() any {
	if v.typ == ControlTypeNone || v.typ.elementSize() == 0 || len(v.data) < int(v.n)*v.typ.elementSize() {
		return nil
	}
	if v.typ == ControlTypeString {
		return string(v.data[:v.n])
	}
	if !v.array {
		if v.n == 0 {
			return nil
		}
		return decodeElem(v.typ, v.elem(0))
	}
	var zero any
	switch v.typ {
	case ControlTypeBool:
		zero = []bool{}
	case ControlTypeByte:
		zero = []uint8{}
	case ControlTypeUint16:
		zero = []uint16{}
	case ControlTypeUint32:
		zero = []uint32{}
	case ControlTypeInt32:
		zero = []int32{}
	case ControlTypeInt64:
		zero = []int64{}
	case ControlTypeFloat:
		zero = []float32{}
	case ControlTypeRectangle:
		zero = []Rectangle{}
	case ControlTypeSize:
		zero = []Size{}
	case ControlTypePoint:
		zero = []Point{}
	}
	out := reflect.MakeSlice(reflect.TypeOf(zero), int(v.n), int(v.n))
	for i := range int(v.n) {
		out.Index(i).Set(reflect.ValueOf(decodeElem(v.typ, v.elem(i))))
	}
	return out.Interface()
}

func (v ControlValue) String() string {
	if v.IsNone() {
		return "<none>"
	}
	if v.typ == ControlTypeString {
		return fmt.Sprintf("%q", v.Value())
	}
	return fmt.Sprint(v.Value())
}

// Equal reports whether two values have the same type, shape and contents.
func (v ControlValue) Equal(w ControlValue) bool {
	return v.typ == w.typ && v.array == w.array && v.n == w.n && string(v.data) == string(w.data)
}

// Int64 returns an integer value (any integer type) widened to int64.
func (v ControlValue) Int64() (int64, bool) {
	if v.array || v.n != 1 {
		return 0, false
	}
	switch x := v.Value().(type) {
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

// Float returns a float value.
func (v ControlValue) Float() (float32, bool) {
	x, ok := v.Value().(float32)
	return x, ok
}

// Bool returns a bool value.
func (v ControlValue) Bool() (bool, bool) {
	x, ok := v.Value().(bool)
	return x, ok
}

// Text returns a string value.
func (v ControlValue) Text() (string, bool) {
	x, ok := v.Value().(string)
	return x, ok
}

// NewControlValue makes a value from a Go value of a libcamera type: bool,
// uint8, uint16, uint32, int32, int64, float32, string, [Rectangle], [Size],
// [Point], or a slice or array of one of those (an array value).
func NewControlValue(x any) (ControlValue, error) {
	rv := reflect.ValueOf(x)
	if !rv.IsValid() {
		return ControlValue{}, nil
	}
	if s, ok := x.(string); ok {
		return ControlValue{typ: ControlTypeString, array: true, n: uint32(len(s)), data: []byte(s)}, nil
	}
	array := rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array
	elemType := rv.Type()
	n := 1
	if array {
		elemType = elemType.Elem()
		n = rv.Len()
	}
	t, ok := goControlTypes[elemType]
	if !ok {
		return ControlValue{}, errorf("NewControlValue", syscall.EINVAL, "%T is not a control value type", x)
	}
	v := ControlValue{typ: t, array: array, n: uint32(n)}
	for i := range n {
		e := rv
		if array {
			e = rv.Index(i)
		}
		v.data = appendElem(v.data, t, e.Interface())
	}
	return v, nil
}

var goControlTypes = map[reflect.Type]ControlType{
	reflect.TypeFor[bool]():      ControlTypeBool,
	reflect.TypeFor[uint8]():     ControlTypeByte,
	reflect.TypeFor[uint16]():    ControlTypeUint16,
	reflect.TypeFor[uint32]():    ControlTypeUint32,
	reflect.TypeFor[int32]():     ControlTypeInt32,
	reflect.TypeFor[int64]():     ControlTypeInt64,
	reflect.TypeFor[float32]():   ControlTypeFloat,
	reflect.TypeFor[Rectangle](): ControlTypeRectangle,
	reflect.TypeFor[Size]():      ControlTypeSize,
	reflect.TypeFor[Point]():     ControlTypePoint,
}

func appendElem(b []byte, t ControlType, x any) []byte {
	ne := binary.NativeEndian
	switch t {
	case ControlTypeBool:
		if x.(bool) {
			return append(b, 1)
		}
		return append(b, 0)
	case ControlTypeByte:
		return append(b, x.(uint8))
	case ControlTypeUint16:
		return ne.AppendUint16(b, x.(uint16))
	case ControlTypeUint32:
		return ne.AppendUint32(b, x.(uint32))
	case ControlTypeInt32:
		return ne.AppendUint32(b, uint32(x.(int32)))
	case ControlTypeInt64:
		return ne.AppendUint64(b, uint64(x.(int64)))
	case ControlTypeFloat:
		return ne.AppendUint32(b, math.Float32bits(x.(float32)))
	case ControlTypeRectangle:
		r := x.(Rectangle)
		b = ne.AppendUint32(b, uint32(r.X))
		b = ne.AppendUint32(b, uint32(r.Y))
		b = ne.AppendUint32(b, r.Width)
		return ne.AppendUint32(b, r.Height)
	case ControlTypeSize:
		s := x.(Size)
		return ne.AppendUint32(ne.AppendUint32(b, s.Width), s.Height)
	case ControlTypePoint:
		p := x.(Point)
		return ne.AppendUint32(ne.AppendUint32(b, uint32(p.X)), uint32(p.Y))
	}
	return b
}

// convertFor turns x into a value of id's type. Besides the exact Go type it
// accepts what Go's untyped constants become: any integer type for integer
// controls when the number fits, integers and float64 for float controls.
// Anything else is an error naming both types.
func convertFor(id *ControlID, x any) (ControlValue, error) {
	if v, ok := x.(ControlValue); ok {
		return v, checkShape(id, v)
	}
	v, err := NewControlValue(x)
	if err != nil || v.typ != id.Type {
		v, err = coerce(id, x)
		if err != nil {
			return ControlValue{}, err
		}
	}
	return v, checkShape(id, v)
}

func checkShape(id *ControlID, v ControlValue) error {
	switch {
	case v.typ != id.Type:
		return errorf("ControlList.Set", syscall.EINVAL, "control %s takes %s values, not %s", id.Name, id.Type, v.typ)
	case id.Type == ControlTypeString:
		return nil
	case id.IsArray && !v.array:
		return errorf("ControlList.Set", syscall.EINVAL, "control %s takes an array of %s", id.Name, id.Type)
	case id.IsArray && id.Size > 0 && int(v.n) != id.Size:
		return errorf("ControlList.Set", syscall.EINVAL, "control %s takes %d values, got %d", id.Name, id.Size, v.n)
	case !id.IsArray && (v.array || v.n != 1):
		return errorf("ControlList.Set", syscall.EINVAL, "control %s takes a single %s", id.Name, id.Type)
	}
	return nil
}

func coerce(id *ControlID, x any) (ControlValue, error) {
	rv := reflect.ValueOf(x)
	mismatch := errorf("ControlList.Set", syscall.EINVAL, "control %s takes %s values, not %T", id.Name, id.Type, x)
	if !rv.IsValid() {
		return ControlValue{}, mismatch
	}
	array := rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array
	n := 1
	if array {
		n = rv.Len()
	}
	v := ControlValue{typ: id.Type, array: array, n: uint32(n)}
	for i := range n {
		e := rv
		if array {
			e = rv.Index(i)
		}
		var ok bool
		v.data, ok = appendNumber(v.data, id.Type, e)
		if !ok {
			return ControlValue{}, mismatch
		}
	}
	return v, nil
}

func appendNumber(b []byte, t ControlType, e reflect.Value) ([]byte, bool) {
	var i int64
	var f float64
	isInt, isFloat := false, false
	switch e.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, isInt = e.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u := e.Uint()
		if u > math.MaxInt64 {
			return b, false
		}
		i, isInt = int64(u), true
	case reflect.Float32, reflect.Float64:
		f, isFloat = e.Float(), true
	}
	fits := func(lo, hi int64) bool { return isInt && i >= lo && i <= hi }
	switch t {
	case ControlTypeByte:
		if fits(0, math.MaxUint8) {
			return append(b, uint8(i)), true
		}
	case ControlTypeUint16:
		if fits(0, math.MaxUint16) {
			return appendElem(b, t, uint16(i)), true
		}
	case ControlTypeUint32:
		if fits(0, math.MaxUint32) {
			return appendElem(b, t, uint32(i)), true
		}
	case ControlTypeInt32:
		if fits(math.MinInt32, math.MaxInt32) {
			return appendElem(b, t, int32(i)), true
		}
	case ControlTypeInt64:
		if isInt {
			return appendElem(b, t, i), true
		}
	case ControlTypeFloat:
		if isInt {
			return appendElem(b, t, float32(i)), true
		}
		if isFloat {
			return appendElem(b, t, float32(f)), true
		}
	}
	return b, false
}

// ControlList is a set of control or property values by id, as libcamera's
// ControlList: a request's controls, its metadata, or a camera's properties.
type ControlList struct {
	ids     *idMap
	entries []controlEntry
}

type controlEntry struct {
	id    *ControlID
	value ControlValue
}

// Len returns the number of values in the list.
func (l *ControlList) Len() int { return len(l.entries) }

// Clear removes every value.
func (l *ControlList) Clear() { l.entries = l.entries[:0] }

func (l *ControlList) index(id uint32) int {
	for i := range l.entries {
		if l.entries[i].id.ID == id {
			return i
		}
	}
	return -1
}

// Get returns the value of the named control.
func (l *ControlList) Get(name string) (ControlValue, bool) {
	for _, e := range l.entries {
		if e.id.named(name) {
			return e.value, true
		}
	}
	return ControlValue{}, false
}

// Contains reports whether the list has a value for the named control.
func (l *ControlList) Contains(name string) bool {
	_, ok := l.Get(name)
	return ok
}

// Set sets the named control to x, checking that the list's camera has the
// control and that x has its type and shape (see [NewControlValue]; Go's
// int and float64 are accepted where the number fits).
func (l *ControlList) Set(name string, x any) error {
	if l.ids == nil {
		return errorf("ControlList.Set", syscall.EINVAL, "control %s: list is not bound to a camera", name)
	}
	id, ok := l.ids.byName[name]
	if !ok {
		if _, known := LookupControl(name); known {
			return errorf("ControlList.Set", syscall.EINVAL, "control %s is not supported by this camera", name)
		}
		return errorf("ControlList.Set", syscall.EINVAL, "no control is named %q", name)
	}
	v, err := convertFor(id, x)
	if err != nil {
		return err
	}
	if i := l.index(id.ID); i >= 0 {
		l.entries[i].value = v
	} else {
		l.entries = append(l.entries, controlEntry{id, v})
	}
	return nil
}

// Delete removes the named control's value.
func (l *ControlList) Delete(name string) {
	l.entries = slices.DeleteFunc(l.entries, func(e controlEntry) bool { return e.id.named(name) })
}

// All yields every id and value in the list.
func (l *ControlList) All() iter.Seq2[*ControlID, ControlValue] {
	return func(yield func(*ControlID, ControlValue) bool) {
		for _, e := range l.entries {
			if !yield(e.id, e.value) {
				return
			}
		}
	}
}

func (l *ControlList) String() string {
	var b strings.Builder
	b.WriteString("{")
	for i, e := range l.entries {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %v", e.id.Name, e.value)
	}
	b.WriteString("}")
	return b.String()
}

// encode appends the list in the shim's encoding.
func (l *ControlList) encode(b []byte) []byte {
	if len(l.entries) == 0 {
		return b[:0]
	}
	e := encoder{b: b[:0]}
	e.u32(uint32(len(l.entries)))
	for _, c := range l.entries {
		e.u32(c.id.ID)
		e.u8(uint8(c.value.typ))
		if c.value.array {
			e.u8(1)
		} else {
			e.u8(0)
		}
		e.u16(0)
		e.u32(c.value.n)
		e.u32(uint32(len(c.value.data)))
		e.b = append(e.b, c.value.data...)
		e.pad4()
	}
	return e.b
}

// decodeList reads an encoded list; ids unknown to ids get a generated name.
func decodeList(data []byte, ids *idMap) (*ControlList, error) {
	l := &ControlList{ids: ids}
	if len(data) == 0 {
		return l, nil
	}
	d := &decoder{b: data}
	for n := d.u32(); n > 0 && d.err == nil; n-- {
		num := d.u32()
		v := d.value()
		id, ok := ids.byID[num]
		if !ok {
			id = &ControlID{ID: num, Name: fmt.Sprintf("0x%08x", num), Type: v.typ, IsArray: v.array}
		}
		l.entries = append(l.entries, controlEntry{id, v})
	}
	return l, d.err
}

// ControlInfo is the range of values a camera accepts for one control.
type ControlInfo struct {
	ID       *ControlID
	Min, Max ControlValue
	Default  ControlValue
	Values   []ControlValue // the allowed values, when the camera lists them
}

func (i *ControlInfo) String() string {
	if len(i.Values) > 0 {
		return fmt.Sprintf("%s %v (default %v)", i.ID.Name, i.Values, i.Default)
	}
	return fmt.Sprintf("%s [%v..%v] (default %v)", i.ID.Name, i.Min, i.Max, i.Default)
}

// ControlInfoMap is the set of controls a camera accepts, as libcamera's
// ControlInfoMap.
type ControlInfoMap struct {
	ids   *idMap
	infos []*ControlInfo // sorted by name
}

// Find returns the named control's info.
func (m *ControlInfoMap) Find(name string) (*ControlInfo, bool) {
	if m == nil || m.ids == nil {
		return nil, false
	}
	id, ok := m.ids.byName[name]
	if !ok {
		return nil, false
	}
	for _, info := range m.infos {
		if info.ID == id {
			return info, true
		}
	}
	return nil, false
}

// Len returns the number of controls.
func (m *ControlInfoMap) Len() int { return len(m.infos) }

// All yields every control's info, sorted by name.
func (m *ControlInfoMap) All() iter.Seq[*ControlInfo] {
	return func(yield func(*ControlInfo) bool) {
		for _, info := range m.infos {
			if !yield(info) {
				return
			}
		}
	}
}

// NewControlList returns an empty list for the controls in m.
func (m *ControlInfoMap) NewControlList() *ControlList { return &ControlList{ids: m.ids} }

func decodeInfoMap(data []byte) (*ControlInfoMap, error) {
	m := &ControlInfoMap{ids: newIDMap()}
	d := &decoder{b: data}
	for n := d.u32(); n > 0 && d.err == nil; n-- {
		var kind uint8
		id := d.controlID(&kind)
		info := &ControlInfo{ID: id, Min: d.value(), Max: d.value(), Default: d.value()}
		for k := d.u32(); k > 0 && d.err == nil; k-- {
			info.Values = append(info.Values, d.value())
		}
		m.ids.add(id)
		m.infos = append(m.infos, info)
	}
	slices.SortFunc(m.infos, func(a, b *ControlInfo) int { return strings.Compare(a.ID.Name, b.ID.Name) })
	return m, d.err
}
