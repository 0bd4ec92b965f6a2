package devproxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
)

// Throttling is a token bucket per link and direction, applied to bytes as
// they pass: a body is never read ahead or held whole, only slowed, so a
// throttled download streams, an SSE event still leaves at once (at the
// link's pace), and an upload is read no faster than the rate allows (TCP
// back-pressure slows the browser).
//
// Time is the real clock, read with time.Now and waited on with timers;
// the unit tests run the buckets inside testing/synctest, where both are
// fake and deterministic, and the integration tests measure real sockets.

const (
	// bucketSlice is how much of a second one bucket holds when full: its
	// burst, and the largest piece of a body sent in one go. 50 ms keeps
	// the pace smooth (no multi-second bursts at low rates) while a fast
	// rate still moves pieces large enough to cost nothing.
	bucketSlice = 50 * time.Millisecond
	minChunk    = 512
	maxChunk    = 64 << 10
)

// bucket is a token bucket of bytes. Tokens may go negative: each caller
// reserves what it sends and sleeps until the bucket has refilled past
// it, so concurrent requests on one link share its rate in the order they
// asked (a real link's bandwidth is shared too).
type bucket struct {
	rate  float64 // bytes per second
	burst float64

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newBucket(r config.Rate) *bucket {
	if r <= 0 {
		return nil
	}
	rate := float64(r)
	burst := min(max(rate*bucketSlice.Seconds(), minChunk), maxChunk)
	return &bucket{rate: rate, burst: burst, tokens: burst, last: time.Now()}
}

// reserve takes n bytes from the bucket and returns how long the caller
// must wait before sending them.
func (b *bucket) reserve(n int) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	b.tokens -= float64(n)
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}

// link is the buckets one direction of a request passes: the route's own
// and the one [simulate] shares between every request (either may be nil).
type link [2]*bucket

func (l link) isZero() bool { return l[0] == nil && l[1] == nil }

// chunk is the largest piece to send in one go: one burst of the slowest bucket.
func (l link) chunk() int {
	n := maxChunk
	for _, b := range l {
		if b != nil {
			n = min(n, int(b.burst))
		}
	}
	return n
}

// rate is the slowest bucket's rate, 0 when none limits.
func (l link) rate() config.Rate {
	var r config.Rate
	for _, b := range l {
		if b != nil && (r == 0 || config.Rate(b.rate) < r) {
			r = config.Rate(b.rate)
		}
	}
	return r
}

// reserve takes n bytes from every bucket and returns the longest wait.
func (l link) reserve(n int) time.Duration {
	var d time.Duration
	for _, b := range l {
		if b != nil {
			d = max(d, b.reserve(n))
		}
	}
	return d
}

// sleep waits for d, or until done is closed; it reports whether the whole
// wait passed.
func sleep(done <-chan struct{}, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-done:
		return false
	}
}

// throttledWriter paces a response body through the down link, and wraps a
// hijacked connection (a WebSocket after its 101) so its byte stream is
// paced both ways.
type throttledWriter struct {
	http.ResponseWriter
	down, up link
	done     <-chan struct{} // the request's context: a client that left stops the wait
}

func (w *throttledWriter) Write(p []byte) (int, error) {
	// What was written so far may still sit in net/http's buffer: send it
	// before each wait, so the body arrives at the link's pace instead of
	// in buffer-sized bursts.
	flush := func() { _ = http.NewResponseController(w.ResponseWriter).Flush() }
	return writePaced(w.down, w.done, p, w.ResponseWriter.Write, flush)
}

// writePaced writes p with write in pieces of at most one chunk, each
// once the link has room for it; flush runs before each wait. It stops
// with net.ErrClosed when done is closed during a wait.
func writePaced(l link, done <-chan struct{}, p []byte, write func([]byte) (int, error), flush func()) (int, error) {
	if l.isZero() {
		return write(p)
	}
	chunk, written := l.chunk(), 0
	for len(p) > 0 {
		n := min(len(p), chunk)
		if d := l.reserve(n); d > 0 {
			if flush != nil {
				flush()
			}
			if !sleep(done, d) {
				return written, net.ErrClosed
			}
		}
		m, err := write(p[:n])
		written += m
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

// readPaced reads at most one chunk into p with read and returns once the
// link has room for what was read, or with net.ErrClosed when done is
// closed first.
func readPaced(l link, done <-chan struct{}, p []byte, read func([]byte) (int, error)) (int, error) {
	if l.isZero() {
		return read(p)
	}
	n, err := read(p[:min(len(p), l.chunk())])
	if n > 0 && !sleep(done, l.reserve(n)) {
		return 0, net.ErrClosed
	}
	return n, err
}

// Hijack hands out the browser's connection paced by the links: reads
// (frames from the browser) by up, writes (frames to it) by down. The
// handshake's 101 itself is written by ReverseProxy through the bufio
// writer, unthrottled, as a response's headers are.
func (w *throttledWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return conn, brw, err
	}
	return &throttledConn{Conn: conn, up: w.up, down: w.down, closed: make(chan struct{})}, brw, nil
}

// Unwrap lets http.ResponseController reach Flush and the rest.
func (w *throttledWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// throttledBody paces a request body through the up link: each read takes
// at most one chunk and returns only once the link has room for it.
type throttledBody struct {
	io.ReadCloser
	up   link
	done <-chan struct{}
}

func (b *throttledBody) Read(p []byte) (int, error) {
	return readPaced(b.up, b.done, p, b.ReadCloser.Read)
}

// throttledConn paces a relayed WebSocket's bytes. Close ends any wait, so
// shutdown and a closing peer are not held up by the throttle.
type throttledConn struct {
	net.Conn
	up, down link
	closed   chan struct{}
	once     sync.Once
}

func (c *throttledConn) Read(b []byte) (int, error) {
	return readPaced(c.up, c.closed, b, c.Conn.Read)
}

func (c *throttledConn) Write(b []byte) (int, error) {
	return writePaced(c.down, c.closed, b, c.Conn.Write, nil)
}

func (c *throttledConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}
