package devproxy

import (
	"encoding/binary"
	"net"
	"sync/atomic"
)

// wsCountingConn counts the WebSocket messages relayed over a hijacked
// browser connection, for the status page: Read sees the browser's frames,
// Write the backend's. It reads only frame headers (RFC 6455 §5.2) and
// skips payloads by length, so it costs a few comparisons per chunk.
type wsCountingConn struct {
	net.Conn
	in, out frameCounter
}

// NetConn returns the browser's connection.
func (c *wsCountingConn) NetConn() net.Conn { return c.Conn }

func (c *wsCountingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.in.count(b[:n])
	return n, err
}

func (c *wsCountingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.out.count(b[:n])
	return n, err
}

// frameCounter follows one direction of a WebSocket stream. count is only
// ever called from one goroutine (each relay direction has one copier);
// messages is read by others.
type frameCounter struct {
	hdr      [14]byte // the longest header: 2 + 8 (length) + 4 (mask key)
	have     int      // header bytes collected so far
	need     int      // header length, known once 2 bytes are in; 0 before
	skip     uint64   // payload bytes still to pass over
	messages atomic.Int64
	// capture keeps the data messages for a HAR while a status page is
	// open (wscapture.go); nil otherwise.
	capture *messageCapture
}

func (fc *frameCounter) count(b []byte) {
	for len(b) > 0 {
		if fc.skip > 0 {
			n := min(uint64(len(b)), fc.skip)
			if fc.capture != nil {
				fc.capture.payload(b[:n])
			}
			fc.skip -= n
			b = b[n:]
			if fc.skip == 0 && fc.capture != nil {
				fc.capture.frameDone()
			}
			continue
		}
		fc.hdr[fc.have] = b[0]
		fc.have++
		b = b[1:]
		if fc.have == 2 {
			fc.need = 2
			switch fc.hdr[1] & 0x7f {
			case 126:
				fc.need += 2
			case 127:
				fc.need += 8
			}
			if fc.hdr[1]&0x80 != 0 { // web.Masked: browser-to-server frames
				fc.need += 4
			}
		}
		if fc.have >= 2 && fc.have == fc.need {
			fc.frameDone()
		}
	}
}

// frameDone counts a finished message and sets up the payload skip.
func (fc *frameCounter) frameDone() {
	fin, opcode := fc.hdr[0]&0x80 != 0, fc.hdr[0]&0x0f
	if fin && opcode < 8 { // the last frame of a data message; control frames (close, ping, pong) are not messages
		fc.messages.Add(1)
	}
	switch l := fc.hdr[1] & 0x7f; l {
	case 126:
		fc.skip = uint64(binary.BigEndian.Uint16(fc.hdr[2:4]))
	case 127:
		fc.skip = binary.BigEndian.Uint64(fc.hdr[2:10])
	default:
		fc.skip = uint64(l)
	}
	if fc.capture != nil {
		fc.capture.frame(fc.hdr[:fc.need])
		if fc.skip == 0 {
			fc.capture.frameDone()
		}
	}
	fc.have, fc.need = 0, 0
}
