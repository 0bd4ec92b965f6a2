package devproxy

import (
	"bytes"
	"strings"
	"testing"
)

// TestMessageCaptureAcrossFramesAndChunks: a message fragmented over
// frames with different mask keys, a ping between its fragments, and a
// stream cut into reads that split headers and payloads anywhere.
func TestMessageCaptureAcrossFramesAndChunks(t *testing.T) {
	long := strings.Repeat("abcdefg", 100) // 700 bytes: a 16-bit length
	var stream []byte
	stream = append(stream, wsFrame(false, 1, []byte{1, 2, 3, 4}, []byte("hello, "))...)
	stream = append(stream, wsFrame(true, 9, []byte{9, 9, 9, 9}, []byte("ping"))...)
	stream = append(stream, wsFrame(true, 0, []byte{0xa0, 0xb1, 0xc2, 0xd3}, []byte("world"))...)
	stream = append(stream, wsFrame(true, 2, []byte{7, 0, 7, 0}, []byte(long))...)
	stream = append(stream, wsFrame(true, 1, []byte{5, 6, 7, 8}, nil)...) // an empty message
	for _, chunk := range []int{1, 3, 5, 7, 4096} {
		var to capturedMessages
		fc := frameCounter{capture: &messageCapture{to: &to, send: true}}
		for rest := stream; len(rest) > 0; {
			n := min(chunk, len(rest))
			fc.count(rest[:n])
			rest = rest[n:]
		}
		msgs, dropped := to.snapshot()
		if len(msgs) != 3 || dropped != 0 || fc.messages.Load() != 3 {
			t.Fatalf("reads of %d bytes: %d messages kept (%d dropped, %d counted), want 3", chunk, len(msgs), dropped, fc.messages.Load())
		}
		for i, want := range []struct {
			opcode byte
			data   string
		}{{1, "hello, world"}, {2, long}, {1, ""}} {
			m := msgs[i]
			if !m.send || m.opcode != want.opcode || !bytes.Equal(m.data, []byte(want.data)) || m.size != len(want.data) {
				t.Errorf("reads of %d bytes, message %d: send %v opcode %d size %d %.40q, want opcode %d %.40q", chunk, i, m.send, m.opcode, m.size, m.data, want.opcode, want.data)
			}
		}
	}
}

// TestMessageCaptureBounds: a connection keeps harBodyCap of payload; a
// longer message is cut there, later ones are counted as left out.
func TestMessageCaptureBounds(t *testing.T) {
	var to capturedMessages
	fc := frameCounter{capture: &messageCapture{to: &to}}
	big := bytes.Repeat([]byte("x"), harBodyCap+10)
	fc.count(wsFrame(true, 1, nil, big))
	fc.count(wsFrame(true, 1, nil, []byte("after")))
	msgs, dropped := to.snapshot()
	if len(msgs) != 1 || len(msgs[0].data) != harBodyCap || msgs[0].size != len(big) || dropped != 1 {
		t.Errorf("kept %d messages (first %d of %d bytes), dropped %d; want the first cut at %d and one dropped",
			len(msgs), len(msgs[0].data), msgs[0].size, dropped, harBodyCap)
	}
}
