package video

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/picamgo/picamgo/pkg/video/codec"
)

// MJPEGHandler is an output of an [MJPEG] recording and an http.Handler
// serving it as multipart/x-mixed-replace, the stream an <img> tag shows
// (Picamera2's mjpeg_server.py). Any number of clients share the one
// encode of each frame: each client is sent the newest frame whenever it
// is ready for one, so a slow client skips frames and never holds up the
// others, the encoder or the camera. A client that does not take a frame
// within WriteTimeout is disconnected.
//
// The handler outlives recordings: a client connected while no recording
// feeds it waits for the next one.
type MJPEGHandler struct {
	// WriteTimeout bounds the sending of one frame to one client; zero
	// means 10 s.
	WriteTimeout time.Duration

	mu     sync.Mutex
	latest *Packet
	part   []byte        // latest as one multipart part, shared by every client
	n      uint64        // frames written so far
	next   chan struct{} // closed when a frame arrives

	clients       atomic.Int64
	sent, skipped atomic.Uint64
}

// NewMJPEGHandler returns a handler with no frame yet.
func NewMJPEGHandler() *MJPEGHandler { return &MJPEGHandler{next: make(chan struct{})} }

// MJPEGStats are the handler's counters.
type MJPEGStats struct {
	Frames  uint64 // frames the recording gave
	Clients int64  // connected now
	Sent    uint64 // frames sent, over all clients
	Skipped uint64 // frames clients missed because they were slow, over all clients
}

// Stats returns the handler's counters.
func (h *MJPEGHandler) Stats() MJPEGStats {
	h.mu.Lock()
	n := h.n
	h.mu.Unlock()
	return MJPEGStats{Frames: n, Clients: h.clients.Load(), Sent: h.sent.Load(), Skipped: h.skipped.Load()}
}

// Open is the Output method: it takes MJPEG streams only.
func (h *MJPEGHandler) Open(info StreamInfo) error {
	if info.Codec != codec.CodecMJPEG {
		return fmt.Errorf("video: MJPEG handler fed %v: %w", info.Codec, ErrUnsupported)
	}
	return nil
}

// WritePacket is the Output method: p becomes the newest frame.
//
// The frame is framed once here, as the whole multipart part (headers,
// JPEG, the next boundary), so that sending it to each client is one
// write (one system call on an HTTP/1 connection) of bytes shared by all.
func (h *MJPEGHandler) WritePacket(p *Packet) error {
	head := "Content-Type: image/jpeg\r\nContent-Length: " + strconv.Itoa(len(p.Data)) + "\r\n\r\n"
	part := make([]byte, 0, len(head)+len(p.Data)+len(mjpegTail))
	part = append(append(append(part, head...), p.Data...), mjpegTail...)
	h.mu.Lock()
	h.latest, h.part = p, part
	h.n++
	close(h.next)
	h.next = make(chan struct{})
	h.mu.Unlock()
	return nil
}

// Close is the Output method; connected clients keep waiting for the next
// recording.
func (h *MJPEGHandler) Close() error { return nil }

// Latest returns the newest JPEG, or nil before the first one: a snapshot
// without another encode.
func (h *MJPEGHandler) Latest() []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.latest == nil {
		return nil
	}
	return h.latest.Data
}

// wait returns the part of a frame newer than frame number have, or
// false when the client's request ends.
func (h *MJPEGHandler) wait(r *http.Request, have uint64) ([]byte, uint64, bool) {
	for {
		h.mu.Lock()
		part, n, next := h.part, h.n, h.next
		h.mu.Unlock()
		if n > have && part != nil {
			return part, n, true
		}
		select {
		case <-next:
		case <-r.Context().Done():
			return nil, 0, false
		}
	}
}

const (
	mjpegBoundary = "frame"
	// Each part ends with the next part's boundary line, so that a client
	// knows the part is whole on arrival, not only when the next frame
	// comes (a frame interval later).
	mjpegTail = "\r\n--" + mjpegBoundary + "\r\n"
)

// ServeHTTP streams the frames to one client until it goes away.
func (h *MJPEGHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.clients.Add(1)
	defer h.clients.Add(-1)
	hdr := w.Header()
	hdr.Set("Content-Type", "multipart/x-mixed-replace; boundary="+mjpegBoundary)
	hdr.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	hdr.Set("Pragma", "no-cache")
	if r.ProtoMajor == 1 {
		// No chunked encoding: the stream never ends, so the connection
		// is not reused, and each part goes out as it is, in one write
		// (net/http ends the connection after such a reply).
		hdr.Set("Transfer-Encoding", "identity")
	}
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	timeout := h.WriteTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if _, err := io.WriteString(w, "--"+mjpegBoundary+"\r\n"); err != nil {
		return
	}
	if err := rc.Flush(); err != nil {
		return
	}
	var have uint64
	for {
		part, n, ok := h.wait(r, have)
		if !ok {
			return
		}
		if have > 0 && n > have+1 {
			h.skipped.Add(n - have - 1)
		}
		have = n
		_ = rc.SetWriteDeadline(time.Now().Add(timeout))
		if _, err := w.Write(part); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		h.sent.Add(1)
	}
}
