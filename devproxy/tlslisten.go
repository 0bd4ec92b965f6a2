package devproxy

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// An https listen serves TLS and plain HTTP on one port, and the framing
// scanner (framing.go) must only ever see plaintext HTTP/1.1. net/http
// treats a connection as TLS — Request.TLS set, HTTP/2 through
// TLSNextProto — only when it is exactly a *tls.Conn, so wrapping a
// *tls.Conn in a framingConn would lose HTTP/2 and Request.TLS, and
// wrapping the raw conn would feed the scanner ciphertext. So devproxy
// terminates TLS itself, before net/http sees the connection, and routes
// each connection by what it turned out to be:
//
//   - first byte not 0x16 (no TLS handshake record): plain HTTP on the
//     https port; a framingConn marked plainOnTLS, whose requests get a
//     redirect to https (redirectToHTTPS).
//   - TLS, ALPN "h2": the *tls.Conn itself, so net/http serves HTTP/2 on it
//     and sets Request.TLS. HTTP/2 needs no framing scanner: every frame
//     carries its length, and net/http's HTTP/2 server already refuses what
//     the scanner looks for in HTTP/1.1 — Transfer-Encoding and the other
//     connection-specific headers (RFC 9113 §8.2.2), a content-length that
//     the DATA frames contradict (§8.1.1), and CR, LF or NUL in a field
//     value (§8.2.1); obs-fold cannot be expressed at all. The upstream
//     request is written anew by the transport, so nothing of the
//     browser's framing reaches a backend (tested in tls_test.go).
//   - TLS, ALPN "http/1.1" or none: a tlsFramingConn, the framingConn over
//     the decrypted stream, so HTTP/1.1 over TLS gets exactly the checks
//     plain HTTP/1.1 gets; its ConnectionState method makes net/http set
//     Request.TLS for it (server.go's connectionStater).

// tlsRecordHandshake is the first byte of every TLS connection: the
// content type of a handshake record (RFC 8446 §5.1). No HTTP/1.x method
// starts with it.
const tlsRecordHandshake = 0x16

// tlsListener accepts raw connections and hands net/http connections that
// are ready to serve: handshaken TLS, or plain HTTP marked as such. The
// sniff and handshake run on a goroutine per connection, bounded by the
// header timeout, so a slow client never holds up Accept.
type tlsListener struct {
	net.Listener
	s       *Server
	config  *tls.Config
	timeout time.Duration // sniff + handshake

	ready chan net.Conn
	errc  chan error // accept errors, for net/http to see and handle
	done  chan struct{}
	once  sync.Once

	mu      sync.Mutex
	pending map[net.Conn]struct{} // connections still in the sniff or handshake
}

func (s *Server) newTLSListener(ln net.Listener) *tlsListener {
	l := &tlsListener{Listener: ln, s: s, config: s.tlsConfig, timeout: s.readHeaderTimeout,
		ready: make(chan net.Conn), errc: make(chan error), done: make(chan struct{}), pending: map[net.Conn]struct{}{}}
	go l.acceptLoop() // exits when the listener is closed
	return l
}

// Accept returns the next connection that is ready for net/http.
func (l *tlsListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case err := <-l.errc:
		return nil, err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting and cuts the connections still in their handshake
// (net/http's Shutdown does not know them yet).
func (l *tlsListener) Close() error {
	l.once.Do(func() { close(l.done) })
	err := l.Listener.Close()
	l.mu.Lock()
	for c := range l.pending {
		c.Close()
	}
	l.mu.Unlock()
	return err
}

func (l *tlsListener) acceptLoop() {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			select {
			case l.errc <- err: // net/http retries a temporary error after a pause, so this loop is throttled by it
			case <-l.done:
				return
			}
			if isTemporary(err) {
				continue
			}
			return
		}
		l.mu.Lock()
		select {
		case <-l.done:
			l.mu.Unlock()
			c.Close()
			return
		default:
		}
		l.pending[c] = struct{}{}
		l.mu.Unlock()
		go l.prepare(c) // exits after the sniff and handshake, bounded by l.timeout or Close
	}
}

// isTemporary is net/http's test for an accept error worth retrying (EMFILE and the like).
func isTemporary(err error) bool {
	te, ok := err.(interface{ Temporary() bool })
	return ok && te.Temporary()
}

// prepare sniffs the first byte, handshakes TLS when it is one, and hands
// the connection on as what it turned out to be.
func (l *tlsListener) prepare(c net.Conn) {
	ready := l.sniffAndHandshake(c)
	l.mu.Lock()
	delete(l.pending, c)
	l.mu.Unlock()
	if ready == nil {
		c.Close()
		return
	}
	select {
	case l.ready <- ready:
	case <-l.done:
		c.Close()
	}
}

func (l *tlsListener) sniffAndHandshake(c net.Conn) net.Conn {
	_ = c.SetDeadline(time.Now().Add(l.timeout))
	var first [1]byte
	if _, err := io.ReadFull(c, first[:]); err != nil {
		return nil // closed or silent until the timeout: nothing to serve
	}
	pc := &prefixConn{Conn: c, prefix: first[:]}
	if first[0] != tlsRecordHandshake {
		_ = c.SetDeadline(time.Time{})
		return &framingConn{Conn: pc, plainOnTLS: true}
	}
	tc := tls.Server(pc, l.config)
	if err := tc.Handshake(); err != nil { // bounded by the deadline set above
		l.s.handshakeFailed(c, err)
		return nil
	}
	_ = c.SetDeadline(time.Time{})
	st := tc.ConnectionState()
	if st.NegotiatedProtocol == "h2" {
		return tc
	}
	return &tlsFramingConn{framingConn: &framingConn{Conn: tc}, state: st}
}

// prefixConn gives back the byte the sniff read before the rest of the stream.
type prefixConn struct {
	net.Conn
	prefix []byte
}

// NetConn returns the wrapped connection.
func (c *prefixConn) NetConn() net.Conn { return c.Conn }

func (c *prefixConn) Read(b []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(b, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}

// tlsFramingConn is HTTP/1.1 over TLS: the framing scanner on the
// decrypted bytes, and the TLS state net/http puts in Request.TLS.
type tlsFramingConn struct {
	*framingConn
	state tls.ConnectionState
}

// ConnectionState makes net/http set Request.TLS for this connection.
func (c *tlsFramingConn) ConnectionState() tls.ConnectionState { return c.state }

// plainOnTLS reports whether r came in clear on an https listener.
func plainOnTLS(r *http.Request) bool {
	fc, ok := r.Context().Value(framingConnKey{}).(*framingConn)
	return ok && fc.plainOnTLS
}
