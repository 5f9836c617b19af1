package video

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
	"github.com/picamgo/picamgo/pkg/video/internal/bars"
)

// smallDisk mounts a tmpfs of size bytes at a new directory and returns
// it: a real file system that fills up. It needs root (the test roots run
// as root, in a mount namespace of their own); elsewhere the test skips.
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		if errors.Is(err, syscall.EPERM) {
			t.Skipf("mounting a %d-byte tmpfs for a full disk: %v (needs root)", size, err)
		}
		t.Fatalf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// TestFullDisk: an MP4 file on a file system that fills up (a 64 kB tmpfs)
// ends with an error matching ENOSPC, written by libavformat's own file
// I/O; the recording, its other outputs and the camera go on.
func TestFullDisk(t *testing.T) {
	bars.Need(t)
	const w, h = 640, 480
	full := filepath.Join(smallDisk(t, 64<<10), "rec.mp4")
	c := startCamera(t, picam.Size{Width: w, Height: h}, 0)
	path := filepath.Join(t.TempDir(), "rec.mkv")
	col := &collector{}
	r, err := Start(ctxT(t), c, Options{Encoder: H264{}, Outputs: []Output{File(full), File(path), col}})
	if err != nil {
		t.Fatal(err)
	}
	for r.Stats().Outputs[0].Err == nil {
		select {
		case <-r.Done():
			t.Fatalf("recording ended: %v", r.Err())
		case <-time.After(time.Millisecond):
		}
	}
	waitFrames(t, r, r.Stats().Frames+10) // goes on
	if !c.Started() {
		t.Fatal("the camera stopped")
	}
	err = r.Stop()
	st := r.Stats()
	t.Logf("Stop: %v; the full disk's output wrote %d of %d packets", err, st.Outputs[0].Packets, st.Packets)
	if !errors.Is(st.Outputs[0].Err, syscall.ENOSPC) || !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("output error %v, Stop %v: want ENOSPC", st.Outputs[0].Err, err)
	}
	if st.Outputs[1].Err != nil || st.Outputs[1].Packets != st.Frames {
		t.Errorf("the other file %+v, want every of %d frames", st.Outputs[1], st.Frames)
	}
	checkRecorded(t, path, w, h, col.packets(), false)
}

// TestMJPEGClientLeavesMidFrame: a client that reads part of a frame and
// hangs up is let go (its handler returns), and the clients after it get
// whole frames.
func TestMJPEGClientLeavesMidFrame(t *testing.T) {
	_, h, col, r, srv := startMJPEG(t)
	defer r.Stop()
	for i := range 3 {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(conn)
		// The response's headers and the start of the first JPEG (the
		// 640x480 bars are about 20 kB).
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if line == "\r\n" {
				break
			}
		}
		if _, err := io.ReadFull(br, make([]byte, 1000+i*3000)); err != nil {
			t.Fatal(err)
		}
		conn.Close()
	}
	deadline := time.Now().Add(30 * time.Second)
	for h.Stats().Clients != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("clients that hung up still served: %+v", h.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	if err := readParts(t, srv.URL, 10, col.seqOf); err != nil {
		t.Fatal(err)
	}
}
