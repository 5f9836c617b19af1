package libcamera

import "testing"

// TestControlListMerge checks Merge's two policies and that Clone copies:
// picam merges a program's pending controls into each request this way.
func TestControlListMerge(t *testing.T) {
	cam := getCamera(t, newManager(t), linesID)
	infos := cam.Controls()
	set := func(l *ControlList, name string, x any) {
		t.Helper()
		if err := l.Set(name, x); err != nil {
			t.Fatal(err)
		}
	}
	dst := infos.NewControlList()
	set(dst, "FrameDurationLimits", []int64{40000, 40000})
	src := infos.NewControlList()
	set(src, "FrameDurationLimits", []int64{50000, 50000})
	set(src, "FaceDetectMode", 0)

	keep := dst.Clone()
	keep.Merge(src, MergeKeepExisting)
	if got := keep.String(); got != "{FrameDurationLimits: [40000 40000], FaceDetectMode: 0}" {
		t.Errorf("MergeKeepExisting = %s", got)
	}
	over := dst.Clone()
	over.Merge(src, MergeOverwriteExisting)
	if got := over.String(); got != "{FrameDurationLimits: [50000 50000], FaceDetectMode: 0}" {
		t.Errorf("MergeOverwriteExisting = %s", got)
	}
	if got := dst.String(); got != "{FrameDurationLimits: [40000 40000]}" {
		t.Errorf("merging into clones changed the original: %s", got)
	}
	over.Merge(nil, MergeOverwriteExisting)
	over.Merge(over, MergeOverwriteExisting)
	if over.Len() != 2 {
		t.Errorf("merging nil or itself changed the list: %s", over)
	}
	// A merged list is what a request carries: the shim takes it.
	if err := cam.Acquire(); err != nil {
		t.Fatal(err)
	}
	defer cam.Release()
	cfg, err := cam.GenerateConfiguration(RoleViewfinder)
	if err != nil {
		t.Fatal(err)
	}
	if err := cam.Configure(cfg); err != nil {
		t.Fatal(err)
	}
	if err := cam.Start(over); err != nil {
		t.Fatalf("Start with a merged list: %v", err)
	}
	if err := cam.Stop(); err != nil {
		t.Fatal(err)
	}
}
