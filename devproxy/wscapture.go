package devproxy

import (
	"sync"
	"time"
)

// A WebSocket's messages for a HAR export, captured only while a status page
// is open, as bodies are. They go into the HAR as Chrome's DevTools writes
// them (_webSocketMessages), so a HAR of an app's session shows what its
// sockets said. frameCounter (wscount.go) finds the frames; this keeps the
// data messages, unmasked, within harBodyCap per connection.

// wsMessage is one data message, in one direction.
type wsMessage struct {
	send       bool // from the browser
	at         time.Time
	opcode     byte // 1 text, 2 binary
	data       []byte
	size       int  // the whole payload; data may hold less
	compressed bool // permessage-deflate: data is not decoded
}

// capturedMessages are one connection's messages, both directions.
type capturedMessages struct {
	mu      sync.Mutex
	list    []wsMessage
	kept    int // payload bytes held
	dropped int // messages left out once harBodyCap was reached
}

func (c *capturedMessages) add(m wsMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := harBodyCap - c.kept; room < len(m.data) || room == 0 {
		c.dropped++
		return
	}
	c.kept += len(m.data)
	c.list = append(c.list, m)
}

// snapshot returns the messages so far and how many were left out.
func (c *capturedMessages) snapshot() ([]wsMessage, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.list[:len(c.list):len(c.list)], c.dropped
}

func (c *capturedMessages) keptBytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.kept
}

// messageCapture follows the payloads of one direction's data frames for
// a frameCounter. Only that direction's copier calls it.
type messageCapture struct {
	to   *capturedMessages
	send bool

	inMessage bool // a data frame's payload is passing
	fin       bool // the current frame ends its message
	masked    bool
	key       [4]byte
	keyAt     int // position in the key of the next payload byte
	msg       wsMessage
}

// frame starts a frame's payload: hdr is its whole header.
func (mc *messageCapture) frame(hdr []byte) {
	fin, opcode := hdr[0]&0x80 != 0, hdr[0]&0x0f
	mc.inMessage = opcode < 8 // data frames; control frames are not messages
	if !mc.inMessage {
		return
	}
	if opcode != 0 { // the first frame of a message (0 continues one)
		mc.msg = wsMessage{send: mc.send, opcode: opcode, compressed: hdr[0]&0x40 != 0} // RSV1: permessage-deflate
	}
	mc.fin = fin
	mc.masked, mc.keyAt = hdr[1]&0x80 != 0, 0
	if mc.masked {
		copy(mc.key[:], hdr[len(hdr)-4:])
	}
}

// payload takes the next bytes of the current frame's payload.
func (mc *messageCapture) payload(p []byte) {
	if !mc.inMessage {
		return
	}
	mc.msg.size += len(p)
	room := harBodyCap - len(mc.msg.data)
	if mc.msg.compressed || room <= 0 {
		mc.keyAt += len(p)
		return
	}
	for i, c := range p[:min(room, len(p))] {
		if mc.masked {
			c ^= mc.key[(mc.keyAt+i)&3]
		}
		mc.msg.data = append(mc.msg.data, c)
	}
	mc.keyAt += len(p)
}

// frameDone ends the current frame's payload; a final frame ends its message.
func (mc *messageCapture) frameDone() {
	if mc.inMessage && mc.fin {
		mc.msg.at = time.Now()
		mc.to.add(mc.msg)
		mc.msg = wsMessage{}
	}
	mc.inMessage = false
}
