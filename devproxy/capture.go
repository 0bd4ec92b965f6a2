package devproxy

import (
	"io"
	"sync"
)

// Bodies for a HAR export are captured only while a status page is open,
// as headers are: when nobody looks, a request costs no copy. What is kept
// is bounded per body and across the feed's ring, so an open page with a
// busy app costs a few MiB at most.
const (
	// harBodyCap is how much of each request and response body is kept.
	harBodyCap = 64 << 10
	// harTotalCap bounds the bodies the ring holds together; when it is
	// reached, the oldest entries lose theirs.
	harTotalCap = 8 << 20
)

// capturedBody is the start of one body and the size of all of it.
type capturedBody struct {
	mu   sync.Mutex // a request body may still be read by the transport while the log reads it
	data []byte
	size int64
}

func (c *capturedBody) add(p []byte) {
	if len(p) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.size += int64(len(p))
	if room := harBodyCap - len(c.data); room > 0 {
		c.data = append(c.data, p[:min(room, len(p))]...)
	}
}

// snapshot returns the kept bytes and the full size.
func (c *capturedBody) snapshot() (data []byte, size int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.data, c.size
}

// kept is how many bytes the capture holds.
func (c *capturedBody) kept() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.data)
}

// capturedBodies are one request's two bodies.
type capturedBodies struct {
	req, res capturedBody
	ws       capturedMessages // a WebSocket's messages (wscapture.go)
}

func (b *capturedBodies) kept() int {
	if b == nil {
		return 0
	}
	return b.req.kept() + b.res.kept() + b.ws.keptBytes()
}

// capturingBody copies what is read of a request body.
type capturingBody struct {
	io.ReadCloser
	c *capturedBody
}

func (b *capturingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.c.add(p[:n])
	return n, err
}
