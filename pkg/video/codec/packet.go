package codec

import "time"

// Packet is one encoded frame: an H.264 access unit (Annex B, start codes)
// or a JPEG image. Its Data is Go memory owned by the packet: outputs may
// keep it.
type Packet struct {
	Data []byte
	// PTS and DTS are the presentation and decoding times from the start
	// of the stream; they differ only with B-frames. Duration is the
	// frame's nominal interval.
	PTS, DTS, Duration time.Duration
	// Key marks a frame that decodes on its own (an IDR frame; every JPEG).
	Key bool
}

// nalUnits calls fn with each NAL unit of an Annex B stream, start code
// excluded.
func nalUnits(b []byte, fn func(nal []byte)) {
	start := -1
	i := 0
	for i+2 < len(b) {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				end := i
				if end > start && b[end-1] == 0 {
					end-- // a 4-byte start code's leading zero
				}
				fn(b[start:end])
			}
			i += 3
			start = i
			continue
		}
		i++
	}
	if start >= 0 && start < len(b) {
		fn(b[start:])
	}
}

// H.264 NAL unit types.
const (
	nalIDR = 5
	nalSPS = 7
	nalPPS = 8
)

// ParameterSets returns the SPS and PPS NAL units of an Annex B access
// unit, each with a 4-byte start code, or nil if it has none.
func ParameterSets(au []byte) []byte {
	var out []byte
	nalUnits(au, func(nal []byte) {
		if len(nal) > 0 && (nal[0]&0x1f == nalSPS || nal[0]&0x1f == nalPPS) {
			out = append(append(out, 0, 0, 0, 1), nal...)
		}
	})
	return out
}

// HasParameterSets tells whether an Annex B access unit carries an SPS.
func HasParameterSets(au []byte) bool {
	has := false
	nalUnits(au, func(nal []byte) {
		if len(nal) > 0 && nal[0]&0x1f == nalSPS {
			has = true
		}
	})
	return has
}
