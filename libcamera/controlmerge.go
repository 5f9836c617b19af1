package libcamera

// Combining control lists, as libcamera's ControlList::merge: picam keeps
// the controls a program sets as one list and merges it into each request's
// list, instead of carrying the values by name and setting them again.

// MergePolicy says which value wins when both lists of a [ControlList.Merge]
// hold the same control (libcamera's ControlList::MergePolicy).
type MergePolicy uint8

const (
	// MergeKeepExisting keeps the destination's value.
	MergeKeepExisting MergePolicy = iota
	// MergeOverwriteExisting takes the source's value.
	MergeOverwriteExisting
)

// Merge adds src's values to l; a control both hold keeps l's value or
// takes src's as policy says. The values were checked when they were set
// in src, so they are not checked again: merge lists of the same camera.
// A nil src adds nothing.
func (l *ControlList) Merge(src *ControlList, policy MergePolicy) {
	if src == nil || src == l {
		return
	}
	for _, e := range src.entries {
		if i := l.index(e.id.ID); i >= 0 {
			if policy == MergeOverwriteExisting {
				l.entries[i].value = e.value
			}
			continue
		}
		l.entries = append(l.entries, e)
	}
}

// Clone returns a copy of l, bound to the same camera's controls.
func (l *ControlList) Clone() *ControlList {
	if l == nil {
		return nil
	}
	return &ControlList{ids: l.ids, entries: append([]controlEntry(nil), l.entries...)}
}
