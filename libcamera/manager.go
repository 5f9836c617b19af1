package libcamera

// #include "cshim.h"
import "C"

import (
	"sync"
	"syscall"
)

// Manager is a handle on libcamera's CameraManager, which lists the cameras.
//
// libcamera allows one CameraManager per process; every Manager shares it and
// it stops when the last Manager is closed. A Manager owns the [Camera]
// values it returns: Close stops and releases them.
type Manager struct {
	mu      sync.Mutex
	h       *C.picam_manager
	cameras []*Camera
}

// NewManager starts libcamera's camera manager, or shares the running one.
func NewManager() (*Manager, error) {
	var h *C.picam_manager
	var e C.picam_error
	if err := cError("NewManager", C.picam_manager_open(&h, &e), &e); err != nil {
		return nil, err
	}
	return &Manager{h: h}, nil
}

// Cameras returns the cameras libcamera found, in libcamera's order. The same
// Camera values are returned on every call.
func (m *Manager) Cameras() ([]*Camera, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.h == nil {
		return nil, errorf("Manager.Cameras", syscall.EBADF, "manager is closed")
	}
	n := int(C.picam_manager_camera_count(m.h))
	for i := len(m.cameras); i < n; i++ {
		c, err := openCamera(m, i)
		if err != nil {
			return nil, err
		}
		m.cameras = append(m.cameras, c)
	}
	return append([]*Camera(nil), m.cameras...), nil
}

// Get returns the camera with the given id.
func (m *Manager) Get(id string) (*Camera, error) {
	cams, err := m.Cameras()
	if err != nil {
		return nil, err
	}
	for _, c := range cams {
		if c.ID() == id {
			return c, nil
		}
	}
	return nil, errorf("Manager.Get", syscall.ENODEV, "no camera has id %s", id)
}

// Close stops and releases the manager's cameras, frees their requests and
// buffers, and drops the manager's share of libcamera's CameraManager.
// Requests and buffers already handed out stay readable: their memory is
// unmapped only once they are freed too. Closing twice is harmless.
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.h == nil {
		return nil
	}
	for _, c := range m.cameras {
		c.close()
	}
	m.cameras = nil
	C.picam_manager_close(m.h)
	m.h = nil
	return nil
}
