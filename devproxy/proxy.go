package devproxy

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"sync"
	"sync/atomic"
	"time"

	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// errUpstreamTimeout is the cancel cause when a backend takes longer than
// the route's timeout to connect and send response headers.
var errUpstreamTimeout = errors.New("upstream timeout")

// proxyState travels with one proxied request in its context.
type proxyState struct {
	rt    *route
	in    *http.Request // as the browser sent it: its Host and scheme are devproxy's origin for response rewriting
	timer *time.Timer   // fires the route timeout; stopped once headers arrive
	// answered is set once response headers arrive; from then on the
	// upload's progress no longer restarts the timer.
	answered atomic.Bool
}

type proxyStateKey struct{}

// proxyCtx carries a proxied request's state and its route's retry budget
// in one allocation rather than a chain of context.WithValue.
type proxyCtx struct {
	context.Context
	st proxyState
}

func (c *proxyCtx) Value(key any) any {
	switch key.(type) {
	case proxyStateKey:
		return &c.st
	case retryKey:
		return c.st.rt.Retry
	}
	return c.Context.Value(key)
}

func stateFrom(ctx context.Context) *proxyState {
	st, _ := ctx.Value(proxyStateKey{}).(*proxyState)
	return st
}

// newRouteProxy builds the handler that forwards requests for rt.
func (s *Server) newRouteProxy(rt *route) http.Handler {
	rp := &httputil.ReverseProxy{
		Rewrite:        func(pr *httputil.ProxyRequest) { s.rewriteRequest(rt, pr) },
		Transport:      s.transports.forRoute(rt),
		BufferPool:     copyBuffers,
		ModifyResponse: func(res *http.Response) error { return s.modifyResponse(rt, res) },
		ErrorHandler:   s.proxyError,
		ErrorLog:       s.stdErrorLog(),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.answerCORS(w, r, rt) {
			return // a preflight devproxy answered itself
		}
		upgrade := web.IsUpgrade(r)
		if upgrade && !s.allowUpgrade(w, r, rt) {
			return // refused before any upstream connection is made
		}
		ctx, cancel := context.WithCancelCause(r.Context())
		defer cancel(nil)
		if upgrade {
			tw, done, ok := s.upgrades.track(w, cancel)
			if !ok {
				http.Error(w, "devproxy is shutting down", http.StatusServiceUnavailable)
				return
			}
			defer done()
			w = tw
		}
		pc := &proxyCtx{Context: ctx, st: proxyState{rt: rt, in: r}}
		// Bounds the wait for the backend to connect and answer with
		// headers; response bodies and streams (SSE, downloads,
		// WebSockets) are never cut by it. While a request body is still
		// being sent, each chunk restarts it, so a slow upload is cut only
		// when it stalls for the whole timeout.
		pc.st.timer = time.AfterFunc(rt.Timeout, func() {
			if !pc.st.answered.Load() { // a Reset racing the headers' arrival must not cut the response
				cancel(errUpstreamTimeout)
			}
		})
		defer pc.st.timer.Stop()
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &progressBody{ReadCloser: r.Body, st: &pc.st, timeout: rt.Timeout}
		}
		rp.ServeHTTP(w, r.WithContext(pc))
	})
}

// progressBody restarts the route timeout whenever request body bytes
// move, so the timeout measures a stall, not the length of an upload.
type progressBody struct {
	io.ReadCloser
	st      *proxyState
	timeout time.Duration
}

func (b *progressBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if (n > 0 || err == io.EOF) && !b.st.answered.Load() {
		b.st.timer.Reset(b.timeout)
	}
	return n, err
}

// rewriteRequest shapes the outbound request: target, path, Host,
// X-Forwarded-*, configured headers.
func (s *Server) rewriteRequest(rt *route, pr *httputil.ProxyRequest) {
	out := pr.Out
	out.URL.Scheme = rt.target.Scheme
	out.URL.Host = rt.target.Host
	out.URL.Path, out.URL.RawPath = rt.upstreamPath(pr.In.URL.Path, pr.In.URL.RawPath)

	// Keep a chain of proxies visible: ReverseProxy drops inbound
	// X-Forwarded-* before Rewrite; SetXForwarded appends to what is here.
	if xff := pr.In.Header["X-Forwarded-For"]; len(xff) > 0 {
		out.Header["X-Forwarded-For"] = xff
	}
	pr.SetXForwarded()

	// Only devproxy says which prefix it removed: a backend that trusts
	// X-Forwarded-Prefix (Werkzeug's ProxyFix, Spring) must never build
	// URLs from a value the browser made up.
	out.Header.Del("X-Forwarded-Prefix")
	if rt.StripPrefix && rt.Path != "/" {
		out.Header.Set("X-Forwarded-Prefix", rt.Path)
	}

	if rt.ChangeOrigin {
		out.Host = rt.target.Host
		switch {
		case web.IsUpgrade(pr.In) && pr.In.Header.Get("Origin") != "":
			// A backend that compares Origin with Host on the handshake
			// (gorilla/websocket's default, Django Channels, Socket.IO
			// cors) must see its own origin; allowUpgrade has already
			// checked the browser's.
			out.Header.Set("Origin", rt.targetOrigin)
		case !rt.isFrontend:
			// The dev server keeps the browser's Origin: Next's Server
			// Actions compare it with X-Forwarded-Host, which is devproxy's.
			presentTargetOrigin(rt, pr.In, out.Header)
		}
	} else {
		out.Host = pr.In.Host
	}
	for k, v := range rt.Headers {
		out.Header.Set(k, v)
	}
	noteUpstreamRequest(pr.In, out, rt.SecretHeaders) // for the status page; a no-op unless one is open
}

// modifyResponse runs once the backend's response headers have arrived.
func (s *Server) modifyResponse(rt *route, res *http.Response) error {
	st := stateFrom(res.Request.Context())
	if st != nil {
		st.answered.Store(true)
		st.timer.Stop()
	}
	s.health.answered(rt.addr)
	noteUpstreamResponse(res) // before rewriting, so the status page can show both
	switch {
	case st == nil:
	case rt.isFrontend:
		s.noteFrontendMiss(st.in, res)
	default:
		s.rewriteResponse(rt, st.in, res)
		s.sniffCSRF(rt, st.in, res)
	}
	return nil
}

// copyBuffers recycles the 32 KiB buffers ReverseProxy copies bodies with,
// so a burst of downloads does not allocate one per response.
var copyBuffers = &bufferPool{pool: sync.Pool{New: func() any { b := make([]byte, 32*1024); return &b }}}

type bufferPool struct{ pool sync.Pool }

func (p *bufferPool) Get() []byte  { return *p.pool.Get().(*[]byte) }
func (p *bufferPool) Put(b []byte) { p.pool.Put(&b) }
