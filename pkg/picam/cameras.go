package picam

// The cameras libcamera finds, listed and ordered as Picamera2 lists them.

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/picamgo/picamgo/libcamera"
)

// CameraInfo describes a camera, as an entry of Picamera2's
// global_camera_info.
type CameraInfo struct {
	Model    string
	Location CameraLocation
	Rotation int    // degrees
	ID       string // libcamera's id; open it with [OpenID]
	Index    int    // position in [GlobalCameraInfo]'s list; open it with [Open]
}

// GlobalCameraInfo lists the cameras, sorted as Picamera2 sorts them: USB
// cameras after the others, otherwise in libcamera's order.
func GlobalCameraInfo() ([]CameraInfo, error) {
	m, err := libcamera.NewManager()
	if err != nil {
		return nil, fmt.Errorf("picam: %w", err)
	}
	defer m.Close()
	cams, err := sortedCameras(m)
	if err != nil {
		return nil, err
	}
	out := make([]CameraInfo, len(cams))
	for i, c := range cams {
		out[i] = infoOf(c, i)
	}
	return out, nil
}

func infoOf(c *libcamera.Camera, index int) CameraInfo {
	return CameraInfo{Model: c.Model(), Location: c.Location(), Rotation: c.Rotation(), ID: c.ID(), Index: index}
}

func sortedCameras(m *libcamera.Manager) ([]*libcamera.Camera, error) {
	cams, err := m.Cameras()
	if err != nil {
		return nil, fmt.Errorf("picam: %w", err)
	}
	usb := func(c *libcamera.Camera) int {
		if strings.Contains(c.ID(), "/usb") {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(cams, func(a, b *libcamera.Camera) int { return cmp.Compare(usb(a), usb(b)) })
	return cams, nil
}
