package devproxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// After the handshake devproxy relays WebSocket bytes untouched: the
// route's httputil.ReverseProxy hijacks the browser's connection on a 101
// and copies both ways (handleUpgradeResponse). A raw relay keeps what the
// two ends negotiated intact — permessage-deflate with its compression
// context, fragmentation, ping/pong, close codes and reasons, and any
// future extension — and costs two io.Copy loops, no frame parsing and no
// per-message buffering (a 16 MiB message never sits in devproxy's
// memory). Terminating the socket and re-framing it through gorilla would
// have to re-negotiate extensions on each side and could only offer what
// gorilla implements. So devproxy only judges the handshake (allowUpgrade,
// Server.route) and tracks the relayed connections (upgradeTracker).

// viteHMRProtocol is the subprotocol Vite's client asks for on its HMR socket.
const viteHMRProtocol = "vite-hmr"

// isViteHMR reports whether r is the handshake of Vite's HMR client.
func isViteHMR(r *http.Request) bool {
	return web.IsUpgrade(r) && web.HeaderHasToken(r.Header, "Sec-WebSocket-Protocol", viteHMRProtocol)
}

// originPolicy is what one route's WebSocket handshakes are checked against,
// fixed when the table is compiled.
type originPolicy struct {
	allowed []string // normalised allowed_origins, or "*"
	key     string   // the config key that would allow another origin
}

// newOriginPolicy picks the route's own allowed_origins when it has the key
// (even an empty list), else the top-level list.
func newOriginPolicy(cfg *config.Config, rc config.Route, isFrontend bool) originPolicy {
	p := originPolicy{allowed: cfg.AllowedOrigins, key: "allowed_origins"}
	if rc.AllowedOrigins != nil && !isFrontend {
		p.allowed, p.key = rc.AllowedOrigins, config.DisplayKey([]string{"routes", rc.Path, "allowed_origins"})
	}
	return p
}

// allowUpgrade checks a handshake's Origin before anything is dialled;
// when it refuses, it has written a 403. WebSockets are outside CORS: the
// browser sends Origin (RFC 6455 §4.1, §10.2) and leaves the check to the
// server, so without this any page the developer visits could open a
// socket to their local backends through devproxy.
func (s *Server) allowUpgrade(w http.ResponseWriter, r *http.Request, rt *route) bool {
	vals := r.Header.Values("Origin")
	if len(vals) == 0 {
		return true // not a browser: curl, wscat, a backend's own client
	}
	origin := vals[0]
	if len(vals) == 1 && (rt.hosts.ownOrigin(r, origin) || rt.origins.listed(origin)) {
		return true
	}
	p := rt.origins
	fix := fmt.Sprintf("%s = [%q]", p.key, origin)
	if norm, ok := web.NormalizeOrigin(origin); !ok {
		fix = "" // "null" (sandboxed and file:// pages) or not an origin at all: nothing to list
	} else if norm != origin {
		fix = "" // not how a browser spells an origin (RFC 6454 §6.1), so not a browser
	}
	attrs := []any{"origin", origin, "route", rt.name, "path", r.URL.Path, "key", p.key}
	if fix != "" {
		attrs = append(attrs, "fix", fix)
	}
	s.log.Warn("websocket origin refused", attrs...)
	noteOutcome(r, fmt.Sprintf("origin %q is not allowed (%s)", origin, p.key))
	how := "This Origin cannot be allowed by listing it: it is not an origin as a browser sends it."
	if fix != "" {
		how = "To allow it, add it in devproxy.toml:\n    " + fix
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, fmt.Sprintf("devproxy refused this WebSocket handshake for route %s: Origin %q is not allowed.\n"+
		"Allowed: this proxy's own origins (localhost, *.localhost, loopback addresses, the listen host and allowed_hosts, on its port), handshakes without an Origin, and %s.\n%s",
		rt.name, origin, p.key, how), http.StatusForbidden)
	return false
}

// listed reports whether origin is in allowed_origins. Matching is exact:
// the list is normalised at load time and browsers always send the
// lower-case serialisation without a default port (RFC 6454 §6.1), so
// anything spelled differently did not come from a browser.
func (p originPolicy) listed(origin string) bool {
	for _, o := range p.allowed {
		if o == "*" || o == origin {
			return true
		}
	}
	return false
}

// errShuttingDown cancels relayed WebSockets when the server stops.
var errShuttingDown = errors.New("devproxy is shutting down")

// upgradeTracker knows every upgrade in flight so shutdown can close them:
// http.Server.Shutdown neither waits for nor closes hijacked connections.
// It belongs to the Server, not the route table, so a reload leaves open
// sockets alone.
type upgradeTracker struct {
	mu      sync.Mutex
	closing bool
	active  map[*trackedUpgrade]struct{}
	wg      sync.WaitGroup // one per active upgrade handler
}

// trackedUpgrade is the ResponseWriter of one upgrade request; its Hijack
// records the browser's connection so shutdown can close it.
type trackedUpgrade struct {
	http.ResponseWriter
	t      *upgradeTracker
	cancel context.CancelCauseFunc // cancels the upstream request, which closes the backend side
	conn   net.Conn                // the hijacked browser connection; guarded by t.mu
}

// open returns how many relayed WebSockets are open.
func (t *upgradeTracker) open() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.active)
}

// track registers an upgrade whose request context cancel cancels. It
// returns the writer to proxy with and the func to call when the handler
// returns, or ok=false when the server is shutting down.
func (t *upgradeTracker) track(w http.ResponseWriter, cancel context.CancelCauseFunc) (tw http.ResponseWriter, done func(), ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closing {
		return nil, nil, false
	}
	if t.active == nil {
		t.active = make(map[*trackedUpgrade]struct{})
	}
	u := &trackedUpgrade{ResponseWriter: w, t: t, cancel: cancel}
	t.active[u] = struct{}{}
	t.wg.Add(1)
	return u, func() {
		t.mu.Lock()
		delete(t.active, u)
		t.mu.Unlock()
		t.wg.Done()
	}, true
}

// Hijack is called by ReverseProxy once the backend has answered 101.
func (u *trackedUpgrade) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(u.ResponseWriter).Hijack()
	if err != nil {
		return conn, brw, err
	}
	u.t.mu.Lock()
	closing := u.t.closing
	u.conn = conn
	u.t.mu.Unlock()
	if closing {
		conn.Close() // shutdown began between the dial and the 101
		return nil, nil, errShuttingDown
	}
	return conn, brw, nil
}

// Unwrap lets http.ResponseController reach the writer's other methods.
func (u *trackedUpgrade) Unwrap() http.ResponseWriter { return u.ResponseWriter }

// closeAll refuses new upgrades and closes every tracked one: the upstream
// request is cancelled (ReverseProxy then closes the backend connection)
// and the browser's connection is closed, so both relay copies end.
func (t *upgradeTracker) closeAll() {
	t.mu.Lock()
	t.closing = true
	conns := make([]net.Conn, 0, len(t.active))
	for u := range t.active {
		u.cancel(errShuttingDown)
		if u.conn != nil {
			conns = append(conns, u.conn)
		}
	}
	t.mu.Unlock()
	for _, c := range conns { // outside the lock: no mutex across network I/O
		c.Close()
	}
}

// wait blocks until every upgrade handler has returned or ctx is done.
func (t *upgradeTracker) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { t.wg.Wait(); close(done) }() // exits when the last handler returns; closeAll has made that prompt
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
