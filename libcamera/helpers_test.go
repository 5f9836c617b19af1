package libcamera

import (
	"context"
	"testing"
	"time"

	"github.com/picamgo/picamgo/internal/testenv"
)

// The cameras of testdata/virtual.yaml.
const (
	barsID  = "picamgo-bars"
	linesID = "picamgo-lines"
)

// TestMain sets up the virtual pipeline and quiet logs (see
// [testenv.Setup]; PICAMGO_LOG='*:DEBUG' asks for libcamera's log).
func TestMain(m *testing.M) { testenv.Main(m) }

// env counts what a leak would grow. testenv must not import this package
// (its internal tests import testenv), so the mapping count comes in as a func.
var env = testenv.Env{LiveMappings: LiveMappings}

func newManager(t testing.TB) *Manager {
	t.Helper()
	m, err := NewManager()
	if err != nil {
		t.Fatalf("NewManager: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func getCamera(t testing.TB, m *Manager, id string) *Camera {
	t.Helper()
	c, err := m.Get(id)
	if err != nil {
		t.Fatalf("Get(%s): %v (is testdata/virtual.yaml installed? run the tests with make test)", id, err)
	}
	return c
}

// rig is an acquired, configured camera with buffers and one request per buffer.
type rig struct {
	m        *Manager
	cam      *Camera
	stream   *Stream
	alloc    *FrameBufferAllocator
	requests []*Request
}

func newRig(t testing.TB, id string, size Size, kind AllocatorKind) *rig {
	t.Helper()
	m := newManager(t)
	cam := getCamera(t, m, id)
	if err := cam.Acquire(); err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	cfg, err := cam.GenerateConfiguration(RoleViewfinder)
	if err != nil {
		t.Fatalf("GenerateConfiguration: %v", err)
	}
	cfg.At(0).Size = size
	if status, adj, err := cfg.Validate(); err != nil || status != ConfigurationValid {
		t.Fatalf("Validate %v: %v %v %v", size, status, adj, err)
	}
	if err := cam.Configure(cfg); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	r := &rig{m: m, cam: cam, stream: cam.Streams()[0], alloc: NewFrameBufferAllocator(cam, kind)}
	if _, err := r.alloc.Allocate(r.stream); err != nil {
		t.Fatalf("Allocate: %v", err)
	}
	for i, b := range r.alloc.Buffers(r.stream) {
		req, err := cam.CreateRequest(uint64(100 + i))
		if err != nil {
			t.Fatalf("CreateRequest: %v", err)
		}
		if err := req.AddBuffer(r.stream, b); err != nil {
			t.Fatalf("AddBuffer: %v", err)
		}
		r.requests = append(r.requests, req)
	}
	return r
}

func (r *rig) start(t testing.TB) {
	t.Helper()
	if err := r.cam.Start(nil); err != nil {
		t.Fatalf("Start: %v", err)
	}
	for _, req := range r.requests {
		if err := r.cam.QueueRequest(req); err != nil {
			t.Fatalf("QueueRequest: %v", err)
		}
	}
}

func (r *rig) next(t testing.TB) *Request {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := r.cam.WaitRequest(ctx)
	if err != nil {
		t.Fatalf("WaitRequest: %v", err)
	}
	return req
}

func (r *rig) requeue(t testing.TB, req *Request) {
	t.Helper()
	if err := req.Reuse(ReuseBuffers); err != nil {
		t.Fatalf("Reuse: %v", err)
	}
	if err := r.cam.QueueRequest(req); err != nil {
		t.Fatalf("QueueRequest: %v", err)
	}
}

// stopAndDrain stops the camera and collects every request that comes back.
func (r *rig) stopAndDrain(t testing.TB) []*Request {
	t.Helper()
	if err := r.cam.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	var back []*Request
	for {
		select {
		case req := <-r.cam.RequestCompleted():
			back = append(back, req)
		default:
			return back
		}
	}
}

// resources is what a leak would grow, as this package's tests read it.
type resources struct {
	fds, mappings, memfdMaps, goroutines int
}

func countResources() resources {
	c := env.Count()
	return resources{fds: c.FDs, mappings: c.Mappings, memfdMaps: c.MemfdMaps, goroutines: c.Goroutines}
}

// checkLeaks returns a function that fails the test if fds, mappings or
// goroutines grew since checkLeaks was called (see [testenv.Env.CheckLeaks]).
// Run it after everything the test opened is closed.
func checkLeaks(t testing.TB) func() {
	t.Helper()
	done := env.CheckLeaks(t)
	return func() {
		t.Helper()
		done()
	}
}
