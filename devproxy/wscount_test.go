package devproxy

import (
	"bytes"
	"testing"
)

// wsFrame builds one frame as a peer would send it.
func wsFrame(fin bool, opcode byte, masked bool, payload []byte) []byte {
	var b bytes.Buffer
	h0 := opcode
	if fin {
		h0 |= 0x80
	}
	b.WriteByte(h0)
	m := byte(0)
	if masked {
		m = 0x80
	}
	switch n := len(payload); {
	case n < 126:
		b.WriteByte(m | byte(n))
	case n < 1<<16:
		b.WriteByte(m | 126)
		b.Write([]byte{byte(n >> 8), byte(n)})
	default:
		b.WriteByte(m | 127)
		b.Write([]byte{0, 0, 0, 0, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
	}
	if masked {
		b.Write([]byte{1, 2, 3, 4})
	}
	b.Write(payload)
	return b.Bytes()
}

func TestFrameCounter(t *testing.T) {
	t.Parallel()
	var stream []byte
	stream = append(stream, wsFrame(true, 1, true, []byte("hello"))...)                  // 1 message
	stream = append(stream, wsFrame(false, 2, true, make([]byte, 300))...)               // fragment…
	stream = append(stream, wsFrame(true, 9, true, nil)...)                              // a ping in between: not a message
	stream = append(stream, wsFrame(true, 0, true, make([]byte, 70000))...)              // …last fragment: 2 messages
	stream = append(stream, wsFrame(true, 2, false, bytes.Repeat([]byte{0x81}, 125))...) // payload bytes that look like headers: 3
	stream = append(stream, wsFrame(true, 8, true, []byte{3, 232})...)                   // close: not a message
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
