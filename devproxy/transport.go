package devproxy

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/devproxy/devproxy/devproxy/internal/web"
)

const (
	// A dev page loads hundreds of modules in parallel; Go's default of 2
	// idle connections per host would close and redial most of them.
	maxIdleConnsPerHost = 256
	idleConnTimeout     = 90 * time.Second
	dialTimeout         = 10 * time.Second // the route timeout usually fires first
	// retryInterval is how often a refused dial is retried while a backend restarts.
	retryInterval = 100 * time.Millisecond
	// recentlyUpWindow: a backend that answered within it and now refuses
	// connections is assumed to be restarting, so requests wait for it.
	recentlyUpWindow = 2 * time.Minute
)

// transports holds the two shared upstream transports (verified TLS and
// insecure), so connection pools survive config reloads.
type transports struct {
	verified, insecure *http.Transport
}

func newTransports(h *health, log *slog.Logger) *transports {
	d := &dialer{health: h, log: log, net: net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}}
	mk := func(insecure bool) *http.Transport {
		return &http.Transport{
			DialContext:           d.dialContext,
			MaxIdleConns:          4 * maxIdleConnsPerHost,
			MaxIdleConnsPerHost:   maxIdleConnsPerHost,
			IdleConnTimeout:       idleConnTimeout,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
			ForceAttemptHTTP2:     true,
			// Forward Accept-Encoding as the browser sent it: otherwise the
			// transport asks for gzip itself and inflates the answer, which
			// costs CPU and hides the backend's real encoding.
			DisableCompression: true,
			TLSClientConfig:    &tls.Config{InsecureSkipVerify: insecure}, //nolint:gosec // only with insecure = true on the route
		}
	}
	return &transports{verified: mk(false), insecure: mk(true)}
}

func (ts *transports) forRoute(rt *route) *http.Transport {
	if rt.Insecure {
		return ts.insecure
	}
	return ts.verified
}

func (ts *transports) closeIdle() {
	ts.verified.CloseIdleConnections()
	ts.insecure.CloseIdleConnections()
}

type retryKey struct{}

// dialer connects to backends: localhost as both loopback addresses
// (web.DialLocal), and a refused dial held while a backend restarts.
type dialer struct {
	net    net.Dialer
	health *health
	log    *slog.Logger
}

func (d *dialer) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := d.dialOnce(ctx, network, addr)
	if err == nil {
		d.health.dialed(addr)
		return conn, nil
	}
	if !isRefused(err) {
		return nil, err
	}
	retry, _ := ctx.Value(retryKey{}).(time.Duration)
	if retry <= 0 || !d.health.recentlyUp(addr) {
		return nil, err
	}
	// The dial context outlives the request (net/http detaches it), so the
	// loop is bounded by retry alone.
	d.log.Info("backend refused the connection; waiting for it to restart", "addr", addr, "retry", retry)
	deadline := time.Now().Add(retry)
	t := time.NewTimer(retryInterval)
	defer t.Stop()
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return nil, err
		case <-t.C:
		}
		conn, err = d.dialOnce(ctx, network, addr)
		if err == nil {
			d.health.dialed(addr)
			d.log.Info("backend is back", "addr", addr)
			return conn, nil
		}
		if !isRefused(err) {
			return nil, err
		}
		t.Reset(retryInterval)
	}
	// It did not come back: until it answers again, fail at once rather
	// than hold every request for the whole retry time.
	d.health.gaveUp(addr)
	d.log.Info("backend did not come back; failing requests at once until it answers", "addr", addr, "retry", retry)
	return nil, err
}

func (d *dialer) dialOnce(ctx context.Context, network, addr string) (net.Conn, error) {
	return web.DialLocal(ctx, &d.net, network, addr)
}

func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// health remembers when each backend last answered, for the restart retry
// and the status page, and which backends are down for good.
type health struct {
	lastOK sync.Map // host:port → *atomic.Int64 (unix nanoseconds)
	// down holds the backends whose restart hold ran out or whose command
	// exited: requests fail at once until a dial to them succeeds again. A
	// dial, not an answer, clears it, because an answer read after the
	// command's exit was reported is no sign that it is back.
	down sync.Map // host:port → struct{}
}

func (h *health) answered(hostport string) { stamp(&h.lastOK, hostport) }

// gaveUp marks hostport down until a dial to it succeeds.
func (h *health) gaveUp(hostport string) { h.down.Store(hostport, struct{}{}) }

// dialed records that hostport accepted a connection: it is not down.
func (h *health) dialed(hostport string) {
	if _, isDown := h.down.Load(hostport); isDown { // a load first: most dials find nothing to delete
		h.down.Delete(hostport)
	}
}

// stamp records now for key in m.
func stamp(m *sync.Map, key string) {
	now := time.Now().UnixNano()
	if v, ok := m.Load(key); ok {
		v.(*atomic.Int64).Store(now)
		return
	}
	n := new(atomic.Int64)
	n.Store(now)
	m.Store(key, n)
}

// recentlyUp reports whether hostport answered within recentlyUpWindow
// and is not down.
func (h *health) recentlyUp(hostport string) bool {
	if _, isDown := h.down.Load(hostport); isDown {
		return false
	}
	v, ok := h.lastOK.Load(hostport)
	if !ok {
		return false
	}
	return time.Since(time.Unix(0, v.(*atomic.Int64).Load())) < recentlyUpWindow
}

// lastAnswered returns when hostport last answered, or the zero time.
func (h *health) lastAnswered(hostport string) time.Time {
	v, ok := h.lastOK.Load(hostport)
	if !ok {
		return time.Time{}
	}
	return time.Unix(0, v.(*atomic.Int64).Load())
}
