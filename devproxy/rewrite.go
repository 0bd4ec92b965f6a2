package devproxy

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
)

// rewriteResponse makes what a route's backend sent work at devproxy's
// origin: Set-Cookie (cookies.go), Location, Content-Location and Refresh
// (location.go), and CORS headers for routes with a cors table (cors.go).
// Every change is logged.
func (s *Server) rewriteResponse(rt *route, res *http.Response) {
	st := stateFrom(res.Request.Context())
	if st == nil || st.in == nil {
		return
	}
	if rt.Cookies != "passthrough" {
		s.rewriteCookies(rt, st.in, res.Header)
	}
	s.rewriteLocations(rt, st.in, res.Header)
	if rt.CORS != nil {
		s.applyCORS(rt, st.in, res.Header)
	}
}

// proxyOrigin is devproxy's origin as the browser addressed it.
func proxyOrigin(in *http.Request) string {
	if in.TLS != nil {
		return "https://" + in.Host
	}
	return "http://" + in.Host
}

// isSecureContext reports whether a page at in's origin is a secure
// context: https, or a loopback host, which Chromium and Firefox treat as
// potentially trustworthy (W3C Secure Contexts §3.1), so they store and
// send Secure cookies there even over plain http.
func isSecureContext(in *http.Request) bool {
	if in.TLS != nil {
		return true
	}
	return isLoopbackHost((&url.URL{Host: in.Host}).Hostname()) // isLoopbackHost: configread.go
}

// sanitizeHeaderValue replaces CR and LF with spaces, as net/http does when
// it writes a header, so no rewrite can ever produce a header break.
func sanitizeHeaderValue(v string) string {
	if !strings.ContainsAny(v, "\r\n") {
		return v
	}
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, v)
}

// onceLogMax bounds a route's one-time log memory: a client sending
// endless distinct Origins must not grow it without limit.
const onceLogMax = 1024

// onceLog remembers which one-time log lines a route has written, so a
// cookie rewritten on every response is explained once, not per request.
// It lives on the compiled route, so a config reload explains again.
type onceLog struct {
	seen sync.Map
	n    atomic.Int32
}

// first reports whether key is new, remembering it.
func (o *onceLog) first(key string) bool {
	if _, ok := o.seen.Load(key); ok || o.n.Load() >= onceLogMax {
		return false
	}
	if _, loaded := o.seen.LoadOrStore(key, struct{}{}); loaded {
		return false
	}
	o.n.Add(1)
	return true
}
