package devproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/internal/web"
	"github.com/devproxy/devproxy/internal/testkit"
	"github.com/gorilla/websocket"
)

// wsWait bounds every wait for something to happen over a socket.
const wsWait = 5 * time.Second

// wsHandshake is what the backend saw of one handshake.
type wsHandshake struct {
	Path, RawQuery, Host string
	Header               http.Header
}

// wsClose is a close frame the backend received.
type wsClose struct {
	Code int
	Text string
}

// wsBackend is a gorilla echo server that records what reaches it. Text
// messages starting with "cmd:" make it act instead of echoing.
type wsBackend struct {
	*httptest.Server
	upgrader websocket.Upgrader
	conns    atomic.Int64 // TCP connections accepted
	mu       sync.Mutex
	seen     []wsHandshake
	closes   chan wsClose // close frames from the client
	dropped  chan error   // reads that ended without a close frame
	pongs    chan string  // pongs answering the backend's pings
}

// newWSBackend starts an echo backend; configure adjusts its Upgrader
// (by default: subprotocols chat.v2 and vite-hmr, compression on, any Origin).
func newWSBackend(t testing.TB, configure func(*websocket.Upgrader)) *wsBackend {
	t.Helper()
	b := &wsBackend{closes: make(chan wsClose, 16), dropped: make(chan error, 16), pongs: make(chan string, 16)}
	b.upgrader = websocket.Upgrader{
		Subprotocols:      []string{"chat.v2", viteHMRProtocol},
		EnableCompression: true,
		CheckOrigin:       func(*http.Request) bool { return true },
	}
	if configure != nil {
		configure(&b.upgrader)
	}
	b.Server = httptest.NewUnstartedServer(http.HandlerFunc(b.serve))
	b.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			b.conns.Add(1)
		}
	}
	b.Start()
	t.Cleanup(b.Close)
	return b
}

func (b *wsBackend) serve(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.seen = append(b.seen, wsHandshake{Path: r.URL.Path, RawQuery: r.URL.RawQuery, Host: r.Host, Header: r.Header.Clone()})
	b.mu.Unlock()
	c, err := b.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered with the reason
	}
	defer c.Close()
	c.SetPongHandler(func(s string) error { trySend(b.pongs, s); return nil })
	for { // exits when the connection fails or closes
		mt, data, err := c.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure { // 1006 is gorilla's name for "no close frame"
				trySend(b.closes, wsClose{ce.Code, ce.Text})
			} else {
				trySend(b.dropped, err)
			}
			return
		}
		switch cmd := string(data); {
		case mt == websocket.TextMessage && cmd == "cmd:close":
			_ = c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4002, "server says bye"))
		case mt == websocket.TextMessage && cmd == "cmd:ping":
			_ = c.WriteControl(websocket.PingMessage, []byte("srv-ping"), time.Now().Add(wsWait))
		case mt == websocket.TextMessage && cmd == "cmd:drop":
			c.NetConn().Close() // no close frame: the TCP connection just ends
			return
		default:
			if err := c.WriteMessage(mt, data); err != nil {
				return
			}
		}
	}
}

// lastHandshake returns the most recent handshake the backend saw.
func (b *wsBackend) lastHandshake(t *testing.T) wsHandshake {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.seen) == 0 {
		t.Fatal("the backend saw no handshake")
	}
	return b.seen[len(b.seen)-1]
}

func (b *wsBackend) handshakes() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.seen)
}

// wsURL turns an http:// base URL into ws:// plus path.
func (b *wsBackend) wsURL(path string) string { return "ws" + strings.TrimPrefix(b.URL, "http") + path }

func trySend[T any](ch chan T, v T) {
	select {
	case ch <- v:
	default: // a test that does not read this channel must not block the backend
	}
}

func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(wsWait):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// wsProxy is a real devproxy Server on 127.0.0.1:0.
type wsProxy struct {
	srv      *Server
	port     string
	cancel   context.CancelFunc
	done     chan error
	stopOnce sync.Once
}

// startWSProxy parses configText (fmt verbs filled from args) and serves it
// until the test ends.
func startWSProxy(t testing.TB, configText string, args ...any) *wsProxy {
	t.Helper()
	cfg, err := config.Parse("devproxy.toml", []byte(fmt.Sprintf(configText, args...)), nil)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	srv, err := New(Options{Config: cfg, Assets: os.DirFS("../static"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &wsProxy{srv: srv, cancel: cancel, done: make(chan error, 1)}
	_, p.port, _ = net.SplitHostPort(ln.Addr().String())
	go func() { p.done <- srv.Serve(ctx, ln) }() // exits when ctx is cancelled (stop or cleanup)
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop cancels Serve and waits for it to return.
func (p *wsProxy) stop(t testing.TB) {
	t.Helper()
	p.stopOnce.Do(func() {
		p.cancel()
		select {
		case err := <-p.done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
}

func (p *wsProxy) url(path string) string { return "ws://127.0.0.1:" + p.port + path }

// origin spells the proxy's own origin under host.
func (p *wsProxy) origin(scheme, host string) string {
	return scheme + "://" + net.JoinHostPort(host, p.port)
}

var wsDialer = &websocket.Dialer{HandshakeTimeout: wsWait}

// dialWS dials url with headers and fails the test on error.
func dialWS(t *testing.T, d *websocket.Dialer, url string, h http.Header) (*websocket.Conn, *http.Response) {
	t.Helper()
	c, res, err := d.Dial(url, h)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", url, err, status)
	}
	t.Cleanup(func() { c.Close() })
	return c, res
}

// echo sends one message and checks the same bytes come back.
func echo(t *testing.T, c *websocket.Conn, mt int, msg []byte) {
	t.Helper()
	c.SetWriteDeadline(time.Now().Add(4 * wsWait))
	if err := c.WriteMessage(mt, msg); err != nil {
		t.Fatalf("write: %v", err)
	}
	expectMessage(t, c, mt, msg)
}

func expectMessage(t *testing.T, c *websocket.Conn, mt int, msg []byte) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(4 * wsWait))
	gotType, got, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if gotType != mt || !bytes.Equal(got, msg) {
		t.Fatalf("echo of %d-byte type-%d message = %d bytes type %d, not equal", len(msg), mt, len(got), gotType)
	}
}

func randomBytes(r *rand.ChaCha8, n int) []byte {
	b := make([]byte, n)
	_, _ = r.Read(b)
	return b
}

func randomText(r *rand.ChaCha8, n int) []byte {
	const letters = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789{}" // 64 ASCII bytes: valid UTF-8
	b := randomBytes(r, n)
	for i := range b {
		b[i] = letters[b[i]%64]
	}
	return b
}

func TestWebSocketMessagesRelayedUnchanged(t *testing.T) {
	t.Parallel()
	be := newWSBackend(t, nil)
	p := startWSProxy(t, "[routes]\n\"/ws\" = %q\n", be.URL)
	rnd := rand.NewChaCha8([32]byte{1})

	c, _ := dialWS(t, wsDialer, p.url("/ws"), nil)
	for _, n := range []int{0, 1, 125, 126, 127, 65535, 65536, 1 << 20} {
		echo(t, c, websocket.TextMessage, randomText(rnd, n))
		echo(t, c, websocket.BinaryMessage, randomBytes(rnd, n))
	}

	t.Run("fragmented", func(t *testing.T) {
		// A small write buffer makes gorilla send each flush as its own
		// continuation frame.
		d := &websocket.Dialer{HandshakeTimeout: wsWait, WriteBufferSize: 256}
		fc, _ := dialWS(t, d, p.url("/ws"), nil)
		var want []byte
		w, err := fc.NextWriter(websocket.BinaryMessage)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 7 {
			chunk := randomBytes(rnd, 300+i*997)
			want = append(want, chunk...)
			if _, err := w.Write(chunk); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		expectMessage(t, fc, websocket.BinaryMessage, want)
	})

	t.Run("16MiB", func(t *testing.T) {
		// Binary only: the relay copies bytes whatever the opcode, and text
		// messages up to 1 MiB passed above.
		echo(t, c, websocket.BinaryMessage, randomBytes(rnd, 16<<20))
	})
}

func TestWebSocketSubprotocolNegotiatedByBackend(t *testing.T) {
	t.Parallel()
	be := newWSBackend(t, nil)
	p := startWSProxy(t, "[routes]\n\"/ws\" = %q\n", be.URL)
	tests := []struct {
		name  string
		offer []string
		want  string
	}{
		{"backend picks its protocol", []string{"chat.v1", "chat.v2"}, "chat.v2"},
		{"no common protocol", []string{"chat.v9"}, ""},
		{"none offered", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &websocket.Dialer{HandshakeTimeout: wsWait, Subprotocols: tt.offer}
			c, res := dialWS(t, d, p.url("/ws"), nil)
			if got := c.Subprotocol(); got != tt.want {
				t.Errorf("Subprotocol() = %q, want %q", got, tt.want)
			}
			if got := res.Header.Get("Sec-WebSocket-Protocol"); got != tt.want {
				t.Errorf("Sec-WebSocket-Protocol = %q, want %q", got, tt.want)
			}
			if got := be.lastHandshake(t).Header.Get("Sec-WebSocket-Protocol"); got != strings.Join(tt.offer, ", ") {
				t.Errorf("backend saw Sec-WebSocket-Protocol %q, want %q", got, strings.Join(tt.offer, ", "))
			}
			echo(t, c, websocket.TextMessage, []byte("hello"))
		})
	}
}

func TestWebSocketCompressionEndToEnd(t *testing.T) {
	t.Parallel()
	deflate := newWSBackend(t, nil)
	plain := newWSBackend(t, func(u *websocket.Upgrader) { u.EnableCompression = false })
	p := startWSProxy(t, "[routes]\n\"/deflate\" = %q\n\"/plain\" = %q\n", deflate.URL, plain.URL)
	rnd := rand.NewChaCha8([32]byte{2})
	tests := []struct {
		name, path string
		want       bool
	}{
		{"negotiated", "/deflate", true},
		{"declined by backend", "/plain", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &websocket.Dialer{HandshakeTimeout: wsWait, EnableCompression: true}
			c, res := dialWS(t, d, p.url(tt.path), nil)
			ext := res.Header.Get("Sec-WebSocket-Extensions")
			if got := strings.Contains(ext, "permessage-deflate"); got != tt.want {
				t.Errorf("Sec-WebSocket-Extensions = %q, want permessage-deflate %v", ext, tt.want)
			}
			c.EnableWriteCompression(true)
			echo(t, c, websocket.TextMessage, bytes.Repeat([]byte("compress me please "), 50000))
			echo(t, c, websocket.BinaryMessage, randomBytes(rnd, 1<<20))
			echo(t, c, websocket.TextMessage, []byte("x"))
		})
	}
}

// TestWebSocketAnyHostIsNotAnyOrigin: allowed_hosts = ["*"] makes devproxy
// answer any Host, but a page on any name is still not one of its own
// origins.
func TestWebSocketAnyHostIsNotAnyOrigin(t *testing.T) {
	t.Parallel()
	be := newWSBackend(t, nil)
	p := startWSProxy(t, "allowed_hosts = [\"*\"]\n[routes]\n\"/ws\" = %q\n", be.URL)
	c, res, err := wsDialer.Dial(p.url("/ws"), http.Header{"Origin": {p.origin("http", "evil.test")}})
	if err == nil {
		c.Close()
		t.Fatal("a handshake from http://evil.test on devproxy's port was accepted")
	}
	if res == nil || res.StatusCode != http.StatusForbidden || be.handshakes() != 0 {
		t.Errorf("handshake: %v, want 403 before the backend", err)
	}
}

func TestWebSocketOriginCheck(t *testing.T) {
	t.Parallel()
	be := newWSBackend(t, nil)
	p := startWSProxy(t, `allowed_origins = ["http://localhost:5173", "http://app.test"]
allowed_hosts = ["myapp.test", ".dev.test"]
[routes."/ws"]
target = %[1]q
[routes."/strict"]
target = %[1]q
allowed_origins = ["http://app.test:8080"]
[routes."/open"]
target = %[1]q
allowed_origins = ["*"]
`, be.URL)
	own := func(scheme, host string) string { return p.origin(scheme, host) }
	tests := []struct {
		name    string
		path    string
		origins []string // nil: no Origin header
		allowed bool
		key     string // the config key a refusal must name
	}{
		{"no Origin header", "/ws", nil, true, ""},
		{"own localhost", "/ws", []string{own("http", "localhost")}, true, ""},
		{"own 127.0.0.1", "/ws", []string{own("http", "127.0.0.1")}, true, ""},
		{"own [::1]", "/ws", []string{own("http", "::1")}, true, ""},
		{"own https", "/ws", []string{own("https", "localhost")}, true, ""},
		{"own *.localhost", "/ws", []string{own("http", "app.localhost")}, true, ""},
		{"own loopback address", "/ws", []string{own("http", "127.0.0.2")}, true, ""},
		{"own name from allowed_hosts", "/ws", []string{own("http", "myapp.test")}, true, ""},
		{"own subdomain from allowed_hosts", "/ws", []string{own("https", "api.dev.test")}, true, ""},
		{"own origin on a strict route", "/strict", []string{own("http", "localhost")}, true, ""},
		{"allowed_origins", "/ws", []string{"http://localhost:5173"}, true, ""},
		{"allowed_origins default port", "/ws", []string{"http://app.test"}, true, ""},
		{"route list", "/strict", []string{"http://app.test:8080"}, true, ""},
		{"star", "/open", []string{"http://evil.com"}, true, ""},

		{"foreign site", "/ws", []string{"http://evil.com"}, false, "allowed_origins"},
		{"different port", "/ws", []string{"http://localhost:5174"}, false, "allowed_origins"},
		{"different scheme", "/ws", []string{"https://localhost:5173"}, false, "allowed_origins"},
		{"own host other port", "/ws", []string{"http://localhost:1"}, false, "allowed_origins"},
		{"*.localhost other port", "/ws", []string{"http://app.localhost:1"}, false, "allowed_origins"},
		{"foreign name on own port", "/ws", []string{own("http", "evil.test")}, false, "allowed_origins"},
		{"an IP address on own port (a LAN page)", "/ws", []string{own("http", "192.0.2.7")}, false, "allowed_origins"},
		{"no port", "/ws", []string{"http://localhost"}, false, "allowed_origins"},
		{"suffix trick", "/ws", []string{own("http", "localhost") + ".evil.com"}, false, "allowed_origins"},
		{"query trick", "/ws", []string{"http://evil.com/?" + net.JoinHostPort("localhost", p.port)}, false, "allowed_origins"},
		{"path trick", "/ws", []string{own("http", "localhost") + "/"}, false, "allowed_origins"},
		{"user info trick", "/ws", []string{"http://" + net.JoinHostPort("localhost", p.port) + "@evil.com"}, false, "allowed_origins"},
		{"null", "/ws", []string{"null"}, false, "allowed_origins"},
		{"empty", "/ws", []string{""}, false, "allowed_origins"},
		{"uppercase own", "/ws", []string{strings.ToUpper(own("http", "localhost"))}, false, "allowed_origins"},
		{"uppercase host listed", "/ws", []string{"http://LOCALHOST:5173"}, false, "allowed_origins"},
		{"uppercase scheme listed", "/ws", []string{"HTTP://localhost:5173"}, false, "allowed_origins"},
		{"default port spelled out", "/ws", []string{"http://app.test:80"}, false, "allowed_origins"},
		{"two Origin headers", "/ws", []string{"http://evil.com", own("http", "localhost")}, false, "allowed_origins"},
		{"top-level list replaced", "/strict", []string{"http://localhost:5173"}, false, `routes."/strict".allowed_origins`},
		{"other site on strict route", "/strict", []string{"http://app.test:8081"}, false, `routes."/strict".allowed_origins`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, o := range tt.origins {
				h.Add("Origin", o)
			}
			connsBefore, seenBefore := be.conns.Load(), be.handshakes()
			c, res, err := wsDialer.Dial(p.url(tt.path), h)
			if tt.allowed {
				if err != nil {
					t.Fatalf("dial with Origin %q: %v, want allowed", tt.origins, err)
				}
				defer c.Close()
				echo(t, c, websocket.TextMessage, []byte("hi"))
				if got := be.lastHandshake(t).Header.Values("Origin"); strings.Join(got, ",") != strings.Join(tt.origins, ",") {
					t.Errorf("backend saw Origin %q, want %q", got, tt.origins)
				}
				return
			}
			if err == nil {
				c.Close()
				t.Fatalf("dial with Origin %q succeeded, want 403", tt.origins)
			}
			if res == nil || res.StatusCode != http.StatusForbidden {
				t.Fatalf("dial with Origin %q: %v, want status 403", tt.origins, err)
			}
			body, _ := io.ReadAll(res.Body)
			if len(tt.origins) > 0 && !strings.Contains(string(body), fmt.Sprintf("%q", tt.origins[0])) {
				t.Errorf("403 body does not name the Origin %q:\n%s", tt.origins[0], body)
			}
			if !strings.Contains(string(body), tt.key) {
				t.Errorf("403 body does not name the config key %s:\n%s", tt.key, body)
			}
			if len(tt.origins) == 1 {
				fix := fmt.Sprintf("%s = [%q]", tt.key, tt.origins[0])
				norm, ok := web.NormalizeOrigin(tt.origins[0])
				if canAllow := ok && norm == tt.origins[0]; strings.Contains(string(body), fix) != canAllow {
					t.Errorf("403 body offers fix %s: %v, want %v:\n%s", fix, !canAllow, canAllow, body)
				}
			}
			if got := be.conns.Load(); got != connsBefore {
				t.Errorf("backend accepted %d connections for a refused handshake, want 0", got-connsBefore)
			}
			if got := be.handshakes(); got != seenBefore {
				t.Errorf("backend saw %d handshakes for a refused one, want 0", got-seenBefore)
			}
		})
	}
}

func TestWebSocketChangeOriginRewritesOrigin(t *testing.T) {
	t.Parallel()
	// gorilla's default CheckOrigin requires Origin's host to equal Host.
	be := newWSBackend(t, func(u *websocket.Upgrader) { u.CheckOrigin = nil })
	p := startWSProxy(t, `[routes."/co"]
target = %[1]q
change_origin = true
[routes."/plain"]
target = %[1]q
`, be.URL)
	browser := http.Header{"Origin": {p.origin("http", "localhost")}}

	c, _ := dialWS(t, wsDialer, p.url("/co"), browser)
	echo(t, c, websocket.TextMessage, []byte("accepted"))
	if got := be.lastHandshake(t).Header.Get("Origin"); got != be.URL {
		t.Errorf("with change_origin the backend saw Origin %q, want the target's %q", got, be.URL)
	}

	_, res, err := wsDialer.Dial(p.url("/plain"), browser)
	if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("without change_origin: err %v, want the backend's own 403", err)
	}
	if got := be.lastHandshake(t).Header.Get("Origin"); got != browser.Get("Origin") {
		t.Errorf("without change_origin the backend saw Origin %q, want the browser's %q", got, browser.Get("Origin"))
	}

	// No Origin (a non-browser client) stays without one.
	c, _ = dialWS(t, wsDialer, p.url("/co"), nil)
	echo(t, c, websocket.TextMessage, []byte("no origin"))
	if got := be.lastHandshake(t).Header.Values("Origin"); len(got) != 0 {
		t.Errorf("backend saw Origin %q for a handshake without one", got)
	}
}

func TestWebSocketPingPong(t *testing.T) {
	t.Parallel()
	be := newWSBackend(t, nil)
	p := startWSProxy(t, "[routes]\n\"/ws\" = %q\n", be.URL)
	c, _ := dialWS(t, wsDialer, p.url("/ws"), nil)
	pongs := make(chan string, 4)
	c.SetPongHandler(func(s string) error { trySend(pongs, s); return nil })
	readErr := make(chan error, 1)
	go func() { // exits when the connection is closed at cleanup
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				readErr <- err
				return
			}
		}
	}()

	if err := c.WriteControl(websocket.PingMessage, []byte("cli-ping"), time.Now().Add(wsWait)); err != nil {
		t.Fatal(err)
	}
	if got := waitFor(t, pongs, "the backend's pong"); got != "cli-ping" {
		t.Errorf("pong = %q, want %q", got, "cli-ping")
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte("cmd:ping")); err != nil {
		t.Fatal(err)
	}
	if got := waitFor(t, be.pongs, "the client's pong"); got != "srv-ping" {
		t.Errorf("backend got pong %q, want %q", got, "srv-ping")
	}
	select {
	case err := <-readErr:
		t.Fatalf("client read failed: %v", err)
	default:
	}
}

func TestWebSocketCloseCodeAndReason(t *testing.T) {
	t.Parallel()
	be := newWSBackend(t, nil)
	p := startWSProxy(t, "[routes]\n\"/ws\" = %q\n", be.URL)

	t.Run("client to backend", func(t *testing.T) {
		c, _ := dialWS(t, wsDialer, p.url("/ws"), nil)
		if err := c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4001, "client says bye")); err != nil {
			t.Fatal(err)
		}
		if got := waitFor(t, be.closes, "the backend to see the close"); got != (wsClose{4001, "client says bye"}) {
			t.Errorf("backend got close %+v, want 4001 %q", got, "client says bye")
		}
		expectClose(t, c, 4001, "") // gorilla's close handler echoes the code without the reason
	})
	t.Run("backend to client", func(t *testing.T) {
		c, _ := dialWS(t, wsDialer, p.url("/ws"), nil)
		if err := c.WriteMessage(websocket.TextMessage, []byte("cmd:close")); err != nil {
			t.Fatal(err)
		}
		expectClose(t, c, 4002, "server says bye")
	})
}

func expectClose(t *testing.T, c *websocket.Conn, code int, text string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(wsWait))
	_, _, err := c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != code || ce.Text != text {
		t.Errorf("read = %v, want close %d %q", err, code, text)
	}
}

func TestWebSocketDropClosesOtherSide(t *testing.T) {
	t.Parallel()
	be := newWSBackend(t, nil)
	p := startWSProxy(t, "[routes]\n\"/ws\" = %q\n", be.URL)

	t.Run("client drops", func(t *testing.T) {
		c, _ := dialWS(t, wsDialer, p.url("/ws"), nil)
		echo(t, c, websocket.TextMessage, []byte("up"))
		c.NetConn().Close() // no close frame
		waitFor(t, be.dropped, "the backend's connection to be closed")
	})
	t.Run("backend drops", func(t *testing.T) {
		c, _ := dialWS(t, wsDialer, p.url("/ws"), nil)
		echo(t, c, websocket.TextMessage, []byte("up"))
		if err := c.WriteMessage(websocket.TextMessage, []byte("cmd:drop")); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(wsWait))
		_, _, err := c.ReadMessage()
		var ne net.Error
		if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
			t.Fatalf("read after the backend dropped = %v, want the connection closed", err)
		}
	})
}

func TestWebSocketUpstreamRefusedIs502(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close()
	p := startWSProxy(t, "[routes]\n\"/ws\" = \"http://%s\"\n", down)

	_, res, err := wsDialer.Dial(p.url("/ws"), http.Header{"Origin": {p.origin("http", "localhost")}})
	if err == nil || res == nil || res.StatusCode != http.StatusBadGateway {
		t.Fatalf("dial with the backend down: %v, want status 502", err)
	}
	body, _ := io.ReadAll(res.Body)
	if want := "nothing is listening on " + down; !strings.Contains(string(body), want) {
		t.Errorf("502 body = %s, want it to say %q", body, want)
	}
}

func TestWebSocketHandshakePathAndHeaders(t *testing.T) {
	t.Parallel()
	be := newWSBackend(t, nil)
	p := startWSProxy(t, `[routes."/strip"]
target = "%[1]s/base"
strip_prefix = true
[routes."/rw"]
target = %[1]q
rewrite = { from = "^/rw/v1/(.*)$", to = "/v2/$1" }
[routes."/keep"]
target = %[1]q
`, be.URL)
	tests := []struct {
		name, path          string
		wantPath, wantQuery string
	}{
		{"strip_prefix and base path", "/strip/socket?x=1", "/base/socket", "x=1"},
		{"rewrite", "/rw/v1/chat?room=a%20b&t=2", "/v2/chat", "room=a%20b&t=2"},
		{"path kept", "/keep/live/feed", "/keep/live/feed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"Cookie": {"session=abc; theme=dark"}, "Authorization": {"Bearer t0k"}}
			c, _ := dialWS(t, wsDialer, p.url(tt.path), h)
			echo(t, c, websocket.TextMessage, []byte("path"))
			hs := be.lastHandshake(t)
			if hs.Path != tt.wantPath || hs.RawQuery != tt.wantQuery {
				t.Errorf("backend saw %s?%s, want %s?%s", hs.Path, hs.RawQuery, tt.wantPath, tt.wantQuery)
			}
			for k, v := range h {
				if got := hs.Header.Get(k); got != v[0] {
					t.Errorf("backend saw %s %q, want %q", k, got, v[0])
				}
			}
			if want := "127.0.0.1:" + p.port; hs.Host != want {
				t.Errorf("backend saw Host %q, want the browser's %q", hs.Host, want)
			}
		})
	}
}

func TestWebSocketTLSTarget(t *testing.T) {
	t.Parallel()
	be := &wsBackend{closes: make(chan wsClose, 1), dropped: make(chan error, 1), pongs: make(chan string, 1)}
	be.upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	be.Server = httptest.NewTLSServer(http.HandlerFunc(be.serve))
	t.Cleanup(be.Close)
	p := startWSProxy(t, "[routes.\"/secure\"]\ntarget = \"wss://%s\"\ninsecure = true\n", be.Listener.Addr())

	c, _ := dialWS(t, wsDialer, p.url("/secure/x"), nil)
	echo(t, c, websocket.BinaryMessage, []byte{0, 1, 2, 255})
	if got := be.lastHandshake(t).Path; got != "/secure/x" {
		t.Errorf("backend saw path %q, want /secure/x", got)
	}
}

func TestWebSocketViteHMRGoesToDevServer(t *testing.T) {
	t.Parallel()
	vite := newWSBackend(t, nil)
	api := newWSBackend(t, nil)
	p := startWSProxy(t, "[frontend]\ndev_server = %q\n[routes]\n\"/\" = %q\n", vite.URL, api.URL)
	origin := http.Header{"Origin": {p.origin("http", "localhost")}}

	d := &websocket.Dialer{HandshakeTimeout: wsWait, Subprotocols: []string{viteHMRProtocol}}
	c, _ := dialWS(t, d, p.url("/?token=abc"), origin)
	echo(t, c, websocket.TextMessage, []byte(`{"type":"ping"}`))
	if c.Subprotocol() != viteHMRProtocol {
		t.Errorf("Subprotocol() = %q, want %q", c.Subprotocol(), viteHMRProtocol)
	}
	if vite.handshakes() != 1 || api.handshakes() != 0 {
		t.Fatalf("vite-hmr handshake reached dev server %d times, route %d times; want 1, 0", vite.handshakes(), api.handshakes())
	}
	hs := vite.lastHandshake(t)
	if hs.RawQuery != "token=abc" {
		t.Errorf("dev server saw query %q, want token=abc", hs.RawQuery)
	}
	if got := hs.Header.Get("Origin"); got != vite.URL {
		t.Errorf("dev server saw Origin %q, want its own %q (the frontend always changes origin)", got, vite.URL)
	}

	c2, _ := dialWS(t, wsDialer, p.url("/?token=abc"), origin)
	echo(t, c2, websocket.TextMessage, []byte("app socket"))
	if vite.handshakes() != 1 || api.handshakes() != 1 {
		t.Errorf("plain handshake reached dev server %d, route %d times; want the route", vite.handshakes()-1, api.handshakes())
	}
}

func TestWebSocketReloadKeepsShutdownClosesConnections(t *testing.T) {
	t.Parallel()
	be := newWSBackend(t, nil)
	other := newWSBackend(t, nil)
	p := startWSProxy(t, "[routes]\n\"/ws\" = %q\n", be.URL)
	c, _ := dialWS(t, wsDialer, p.url("/ws"), nil)
	echo(t, c, websocket.TextMessage, []byte("before reload"))

	cfg, err := config.Parse("devproxy.toml", []byte(fmt.Sprintf("[routes]\n\"/other\" = %q\n", other.URL)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.srv.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	echo(t, c, websocket.TextMessage, []byte("after reload"))

	p.stop(t)
	c.SetReadDeadline(time.Now().Add(wsWait))
	_, _, err = c.ReadMessage()
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("read after shutdown = %v, want the connection closed", err)
	}
	waitFor(t, be.dropped, "the backend's connection to be closed at shutdown")
}

func TestWebSocketNoGoroutineLeak(t *testing.T) {
	be := newWSBackend(t, nil)
	p := startWSProxy(t, "[routes]\n\"/ws\" = %q\n", be.URL)
	origin := http.Header{"Origin": {p.origin("http", "localhost")}}
	cycle := func(i int) error {
		c, _, err := wsDialer.Dial(p.url("/ws"), origin)
		if err != nil {
			return fmt.Errorf("cycle %d: %w", i, err)
		}
		defer c.Close()
		_ = c.SetWriteDeadline(time.Now().Add(4 * wsWait))
		_ = c.SetReadDeadline(time.Now().Add(4 * wsWait))
		if err := c.WriteMessage(websocket.TextMessage, []byte("x")); err != nil {
			return fmt.Errorf("cycle %d: write: %w", i, err)
		}
		if _, msg, err := c.ReadMessage(); err != nil || string(msg) != "x" {
			return fmt.Errorf("cycle %d: echo %q, %v", i, msg, err)
		}
		if i%2 == 0 { // half close cleanly, half just drop the connection
			_ = c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
		}
		return nil
	}
	if err := cycle(0); err != nil { // starts every long-lived goroutine (accept loops) before the baseline
		t.Fatal(err)
	}
	base := stableGoroutines()

	// 1,000 cycles, four at a time: the two cores stay busy, and closes
	// overlap with handshakes as they do when a page reloads.
	const cycles, workers = 1000, 4
	var next atomic.Int64
	errc := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { // exits after the last cycle or the first error
			for i := int(next.Add(1)); i <= cycles; i = int(next.Add(1)) {
				if err := cycle(i); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	// Refused handshakes must not leak either.
	for range 50 {
		if _, _, err := wsDialer.Dial(p.url("/ws"), http.Header{"Origin": {"http://evil.com"}}); err == nil {
			t.Fatal("foreign origin accepted")
		}
	}
	if n := settledGoroutines(func(n int) bool { return n <= base }, 10*time.Second); n > base {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines after 1,000 cycles, baseline %d:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

// stableGoroutines returns runtime.NumGoroutine once it has not changed
// for several polls (bounded), so the baseline excludes goroutines still exiting.
func stableGoroutines() int {
	n, same := runtime.NumGoroutine(), 0
	testkit.PollUntil(2*time.Second, func() bool {
		if m := runtime.NumGoroutine(); m == n {
			same++
		} else {
			n, same = m, 0
		}
		return same >= 5
	})
	return n
}

// settledGoroutines polls runtime.NumGoroutine until ok or the deadline,
// returning the last count; goroutines exit asynchronously after a close.
func settledGoroutines(ok func(int) bool, timeout time.Duration) int {
	n := runtime.NumGoroutine()
	testkit.PollUntil(timeout, func() bool {
		n = runtime.NumGoroutine()
		return ok(n)
	})
	return n
}

func TestWebSocketOutlivesRouteTimeout(t *testing.T) {
	t.Parallel()
	be := newWSBackend(t, nil)
	const timeout = 100 * time.Millisecond
	p := startWSProxy(t, "[routes.\"/ws\"]\ntarget = %q\ntimeout = \"%s\"\n", be.URL, timeout)
	c, _ := dialWS(t, wsDialer, p.url("/ws"), nil)
	// The route timeout bounds the handshake only; an idle socket must
	// survive it. Letting it elapse is the point here, not synchronisation.
	<-time.After(3 * timeout)
	echo(t, c, websocket.TextMessage, []byte("still here"))
}
