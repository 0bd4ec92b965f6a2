package devproxy

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// browserKey masks the test frames a browser sends.
var browserKey = []byte{1, 2, 3, 4}

// wsFrame builds one frame as a browser sends it (masked with key) or a
// server does (key nil).
func wsFrame(fin bool, opcode byte, key, payload []byte) []byte {
	b0 := opcode
	if fin {
		b0 |= 0x80
	}
	var f []byte
	switch n := len(payload); {
	case n < 126:
		f = []byte{b0, byte(n)}
	case n < 1<<16:
		f = []byte{b0, 126, 0, 0}
		binary.BigEndian.PutUint16(f[2:], uint16(n))
	default:
		f = []byte{b0, 127, 0, 0, 0, 0, 0, 0, 0, 0}
		binary.BigEndian.PutUint64(f[2:], uint64(n))
	}
	if key == nil {
		return append(f, payload...)
	}
	f[1] |= 0x80
	f = append(f, key...)
	for i, c := range payload {
		f = append(f, c^key[i&3])
	}
	return f
}

func TestFrameCounter(t *testing.T) {
	t.Parallel()
	var stream []byte
	stream = append(stream, wsFrame(true, 1, browserKey, []byte("hello"))...)          // 1 message
	stream = append(stream, wsFrame(false, 2, browserKey, make([]byte, 300))...)       // fragment…
	stream = append(stream, wsFrame(true, 9, browserKey, nil)...)                      // a ping in between: not a message
	stream = append(stream, wsFrame(true, 0, browserKey, make([]byte, 70000))...)      // …last fragment: 2 messages
	stream = append(stream, wsFrame(true, 2, nil, bytes.Repeat([]byte{0x81}, 125))...) // payload bytes that look like headers: 3
	stream = append(stream, wsFrame(true, 8, browserKey, []byte{3, 232})...)           // close: not a message
	for _, chunk := range []int{1, 2, 7, 4096, len(stream)} {
		var fc frameCounter
		for rest := stream; len(rest) > 0; {
			n := min(chunk, len(rest))
			fc.count(rest[:n])
			rest = rest[n:]
		}
		if got := fc.messages.Load(); got != 3 {
			t.Errorf("chunks of %d bytes: %d messages, want 3", chunk, got)
		}
	}
}
