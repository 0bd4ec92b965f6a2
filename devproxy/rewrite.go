package devproxy

import (
	"net/http"
	"strings"
)

// rewriteResponse makes what a route's backend sent work at devproxy's
// origin: Set-Cookie (cookies.go), Location, Content-Location and Refresh
// (location.go) unless redirects = "passthrough", and CORS headers for routes with a cors table (cors.go).
// Every change is logged.
func (s *Server) rewriteResponse(rt *route, in *http.Request, res *http.Response) {
	if rt.Cookies != "passthrough" {
		s.rewriteCookies(rt, in, res.Header)
	}
	if rt.Redirects != "passthrough" {
		s.rewriteLocations(rt, in, res.Header)
	}
	s.applyCORS(rt, in, res.Header)
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
