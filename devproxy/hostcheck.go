package devproxy

import (
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// refuseForeign rejects requests devproxy must never serve, before any
// routing: forward-proxy requests (absolute-form targets, CONNECT), and
// Hosts that are not a name devproxy answers to (DNS rebinding: a page on
// attacker.example whose name now resolves to 127.0.0.1 would otherwise be
// same-origin with your backends). It reports whether it answered.
func (s *Server) refuseForeign(w http.ResponseWriter, r *http.Request, t *table) bool {
	// First, for every request: badFraming pairs requests with header blocks by counting calls.
	if why := badFraming(r); why != "" {
		noteRoute(r, "refused")
		w.Header().Set("Connection", "close") // RFC 9112 6.3: never read another request from this connection
		s.log.Warn("refused a malformed request", "method", r.Method, "path", r.URL.Path, "reason", why)
		s.writeProblem(w, r, s.pages.badGateway, problem{Status: http.StatusBadRequest, Error: "Bad Request", Cause: why})
		return true
	}
	if r.Method == http.MethodConnect || (r.RequestURI != "" && !strings.HasPrefix(r.RequestURI, "/")) {
		noteRoute(r, "refused")
		s.log.Warn("refused a forward-proxy request", "method", r.Method, "target", r.RequestURI)
		s.writeProblem(w, r, s.pages.badGateway, problem{Status: http.StatusBadRequest, Error: "Bad Request",
			Cause: "devproxy is a reverse proxy for its configured routes, not a forward proxy: it never connects to a host named in the request",
			Fix:   "request a path (GET /api/...) and configure the backend as a route target"})
		return true
	}
	if strings.IndexByte(r.URL.Path, 0) >= 0 {
		// A NUL byte in a path is never legitimate and truncates paths in
		// C-based backends; refuse it rather than forward it.
		noteRoute(r, "refused")
		w.Header().Set("Connection", "close")
		s.writeProblem(w, r, s.pages.badGateway, problem{Status: http.StatusBadRequest, Error: "Bad Request",
			Cause: "the request path contains a NUL byte (%00)"})
		return true
	}
	host := web.HostOnly(r.Host)
	if allowedHost(host, t) {
		return false
	}
	noteRoute(r, "refused")
	fix := fmt.Sprintf("allowed_hosts = [%q]", host)
	s.log.Warn("refused a request for a foreign Host", "host", r.Host, "path", r.URL.Path, "key", "allowed_hosts", "fix", fix)
	noteOutcome(r, "Host "+r.Host+" not allowed")
	s.writeProblem(w, r, s.pages.badGateway, problem{Status: http.StatusForbidden, Error: "Forbidden",
		Cause: fmt.Sprintf("Host %q is not a name devproxy answers to; a page from another site can point such a name at 127.0.0.1 (DNS rebinding)", r.Host),
		Fix:   "if you use this name on purpose, add it to devproxy.toml: " + fix})
	return true
}

// allowedHost reports whether devproxy answers to host: an empty Host
// (HTTP/1.0 tools), IP literals (not rebindable), localhost and its
// subdomains, the listen host, and allowed_hosts.
func allowedHost(host string, t *table) bool {
	if host == "" || net.ParseIP(host) != nil || web.IsLoopbackHost(host) || host == t.listenHost {
		return true
	}
	for _, a := range t.cfg.AllowedHosts {
		switch {
		case a == "*", a == host:
			return true
		case strings.HasPrefix(a, ".") && (host == a[1:] || strings.HasSuffix(host, a)):
			return true
		}
	}
	return false
}
