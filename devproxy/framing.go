package devproxy

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
)

// net/http's server accepts two things a proxy should refuse (RFC 9112):
// a request with both Content-Length and Transfer-Encoding (it drops the
// Content-Length, processes the chunked body and keeps the connection
// open, where section 6.3 says the connection MUST be closed), and header
// lines folded with obs-fold (section 5.2 allows rejecting them). By the
// time a handler runs, both are invisible: the Content-Length header is
// deleted and folded lines are joined. So devproxy follows the framing of
// each connection's inbound bytes itself, cheaply: header lines are scanned
// byte by byte, body bytes are skipped by count, and the handler refuses a
// request whose header block was flagged.

// framingListener wraps accepted connections in a framingConn.
type framingListener struct{ net.Listener }

func (l framingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &framingConn{Conn: c}, nil
}

type framingConnKey struct{}

// withFramingConn is http.Server.ConnContext: it lets handlers find their connection's scanner.
func withFramingConn(ctx context.Context, c net.Conn) context.Context {
	switch fc := c.(type) {
	case *framingConn:
		return context.WithValue(ctx, framingConnKey{}, fc)
	case *tlsFramingConn:
		return context.WithValue(ctx, framingConnKey{}, fc.framingConn)
	}
	return ctx // HTTP/2 over TLS: no HTTP/1.1 framing to follow (tlslisten.go)
}

// framingConn scans the request framing of the bytes net/http reads.
type framingConn struct {
	net.Conn
	mu      sync.Mutex
	scan    framingScanner
	handled int // requests handed to handlers so far
	// plainOnTLS marks a plain-HTTP connection to an https listener: its
	// requests are redirected to https (tlslisten.go).
	plainOnTLS bool
}

func (c *framingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.mu.Lock()
		c.scan.consume(b[:n])
		c.mu.Unlock()
	}
	return n, err
}

// NetConn returns the wrapped connection (tcpConn finds the socket through it).
func (c *framingConn) NetConn() net.Conn { return c.Conn }

// ReadFrom passes a body copied into the connection to the underlying
// connection's ReadFrom (sendfile from a file on Linux): only reads are
// scanned.
func (c *framingConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{c.Conn}, r)
}

// badFraming reports, for the next request on r's connection, why its
// header block must be refused ("" when it is fine). Handlers on one
// HTTP/1.1 connection run one at a time, in order, so counting calls
// pairs each request with its header block; it must be called exactly
// once per request, first. Once the scanner has lost the framing, every
// later request on the connection is refused: failing open would let a
// smuggled request through.
func badFraming(r *http.Request) string {
	fc, ok := r.Context().Value(framingConnKey{}).(*framingConn)
	if !ok || r.ProtoMajor != 1 {
		return ""
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	i := fc.handled
	fc.handled++
	if why := fc.scan.problems[i]; why != "" {
		return why
	}
	if fc.scan.state == lost && i >= fc.scan.lostAt {
		return "devproxy could not follow this connection's request framing"
	}
	return ""
}

// stopScanning is called when the connection is hijacked (a WebSocket):
// from then on its bytes are another protocol.
func (c *framingConn) stopScanning() {
	c.mu.Lock()
	c.scan.state = stopped
	c.mu.Unlock()
}

// framingScanner is a small state machine over an HTTP/1.1 request stream.
type framingScanner struct {
	state     framingState
	line      []byte // the current header or chunk-size line (capped)
	lineLen   int    // its full length
	lines     int    // lines of the current header block, request line included
	sawCL     bool
	sawTE     bool
	chunked   bool
	http10    bool // the request line says HTTP/1.0, where Transfer-Encoding does not apply
	folded    bool
	remaining int64          // body or chunk bytes still to skip
	index     int            // header blocks seen on this connection
	lostAt    int            // with state lost: the first header block not followed
	problems  map[int]string // header block index → why it must be refused
}

type framingState uint8

const (
	inHeaders   framingState = iota
	inBody                   // skipping Content-Length bytes
	inChunkSize              // reading a chunk-size line
	inChunkData              // skipping chunk bytes
	inChunkEnd               // skipping the CRLF after chunk data
	inTrailers               // trailer lines after the last chunk
	stopped                  // hijacked (upgraded): the bytes are another protocol
	lost                     // framing the scanner cannot follow; later requests are refused
)

// maxScannedLine bounds what is kept of one line; header names and the
// values that matter (Content-Length, Transfer-Encoding) are short.
const maxScannedLine = 128

func (s *framingScanner) consume(b []byte) {
	for len(b) > 0 {
		switch s.state {
		case stopped, lost:
			return
		case inBody, inChunkData:
			n := min(int64(len(b)), s.remaining)
			s.remaining -= n
			b = b[n:]
			if s.remaining == 0 {
				if s.state == inBody {
					s.startHeaders()
				} else {
					s.state, s.remaining = inChunkEnd, 2
				}
			}
		case inChunkEnd:
			if b[0] == '\n' {
				s.state = inChunkSize
			}
			b = b[1:]
		default: // line-oriented states
			i := bytes.IndexByte(b, '\n')
			part := b
			if i >= 0 {
				part = b[:i]
			}
			if room := maxScannedLine - len(s.line); room > 0 {
				s.line = append(s.line, part[:min(room, len(part))]...)
			}
			s.lineLen += len(part)
			if i < 0 {
				return
			}
			b = b[i+1:]
			line := bytes.TrimSuffix(s.line, []byte{'\r'})
			full := s.lineLen
			s.line, s.lineLen = s.line[:0], 0
			s.endLine(line, full)
		}
	}
}

func (s *framingScanner) startHeaders() {
	s.state = inHeaders
	s.lines, s.sawCL, s.sawTE, s.chunked, s.http10, s.folded = 0, false, false, false, false, false
}

func (s *framingScanner) endLine(line []byte, full int) {
	switch s.state {
	case inChunkSize:
		size := line
		if i := bytes.IndexByte(size, ';'); i >= 0 {
			size = size[:i]
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(size)), 16, 64)
		switch {
		case err != nil || n < 0 || full > maxScannedLine:
			s.lose()
		case n == 0:
			s.state = inTrailers
		default:
			s.state, s.remaining = inChunkData, n
		}
	case inTrailers:
		if len(line) == 0 {
			s.startHeaders()
		}
	case inHeaders:
		s.headerLine(line)
	}
}

func (s *framingScanner) headerLine(line []byte) {
	if len(line) == 0 {
		if s.lines == 0 {
			return // RFC 9112 2.2: ignore empty lines before the request line
		}
		s.endHeaders()
		return
	}
	s.lines++
	if s.lines == 1 { // the request line
		s.http10 = bytes.HasSuffix(line, []byte("HTTP/1.0"))
		return
	}
	if line[0] == ' ' || line[0] == '\t' {
		s.folded = true
		return
	}
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		return
	}
	name, value := line[:colon], bytes.TrimSpace(line[colon+1:])
	switch {
	case asciiEqualFold(name, "content-length"):
		s.sawCL = true
		if n, err := strconv.ParseInt(string(value), 10, 64); err == nil && n >= 0 {
			s.remaining = n
		}
	case asciiEqualFold(name, "transfer-encoding"):
		s.sawTE = true
		s.chunked = asciiEqualFold(value, "chunked")
	}
}

func (s *framingScanner) endHeaders() {
	idx := s.index
	s.index++
	switch {
	case s.sawCL && s.sawTE:
		s.flag(idx, "the request has both Content-Length and Transfer-Encoding, a request-smuggling pattern (RFC 9112 section 6.3)")
	case s.folded:
		s.flag(idx, "a header line is folded onto several lines (obs-fold), which RFC 9112 section 5.2 obsoletes")
	}
	if s.http10 { // net/http ignores Transfer-Encoding on HTTP/1.0 (RFC 9112 6.1)
		s.sawTE, s.chunked = false, false
	}
	switch {
	case s.sawTE && !s.chunked:
		s.lose() // net/http answers 501 and closes; refuse anything after it
	case s.chunked:
		s.state = inChunkSize
	case s.sawCL && s.remaining > 0:
		s.state = inBody
	default:
		s.startHeaders()
	}
}

// lose gives up following the framing; requests from the next header
// block on are refused.
func (s *framingScanner) lose() {
	s.state, s.lostAt = lost, s.index
}

func (s *framingScanner) flag(idx int, why string) {
	if s.problems == nil {
		s.problems = map[int]string{}
	}
	s.problems[idx] = why
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
