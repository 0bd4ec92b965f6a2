package devproxy

import (
	"net/http"
	"strings"
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
