package devproxy

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/devproxy/devproxy/devproxy/config"

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
	if t.hosts.allows(host) {
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

// hostPolicy is which names devproxy answers to, fixed when a table is
// compiled. The Host check and the definition of devproxy's own origins
// (WebSocket Origin check, CORS mode) both come from it.
type hostPolicy struct {
	listenHost string   // the host of listen, lower-cased; "" when it is every interface
	allowed    []string // allowed_hosts: names, ".suffix" patterns, "*"
	anyHost    bool     // "*" is in allowed_hosts
}

func newHostPolicy(cfg *config.Config) *hostPolicy {
	hp := &hostPolicy{allowed: cfg.AllowedHosts, anyHost: slices.Contains(cfg.AllowedHosts, "*")}
	if host, _, err := net.SplitHostPort(cfg.Listen); err == nil {
		if !web.IsUnspecifiedHost(host) {
			hp.listenHost = strings.ToLower(host)
		}
	}
	return hp
}

// allows is the Host check: devproxy answers to an empty Host (HTTP/1.0
// tools), IP literals (not rebindable), and its names (see isName), with
// "*" in allowed_hosts admitting any.
func (hp *hostPolicy) allows(host string) bool {
	return host == "" || net.ParseIP(host) != nil || hp.isName(host) || hp.anyHost
}

// isName reports whether host is one of devproxy's names: localhost and
// its subdomains, a loopback IP, the listen host, or an allowed_hosts
// entry other than "*".
func (hp *hostPolicy) isName(host string) bool {
	host = strings.ToLower(host)
	if web.IsLoopbackHost(host) || (hp.listenHost != "" && host == hp.listenHost) {
		return true
	}
	for _, a := range hp.allowed {
		if a == host || (strings.HasPrefix(a, ".") && (host == a[1:] || strings.HasSuffix(host, a))) {
			return true
		}
	}
	return false
}

// ownOrigin reports whether origin is one of devproxy's own: http or
// https, on the port this connection was accepted on, with a host that
// names devproxy (isName) or is the address the connection arrived at. A
// page there is served by devproxy itself, so its calls and sockets are
// same-site in all but name: app.localhost:3000 calling localhost:3000.
// Two kinds of host the Host check accepts are left out: "*" in
// allowed_hosts means "answer any Host", not "trust every origin"; and an
// arbitrary IP literal, which the Host check accepts because it cannot be
// rebound, could be a page on another machine of the LAN. The Host header
// is never trusted for this: any page can point a DNS name at 127.0.0.1
// and send Host: evil.example.
func (hp *hostPolicy) ownOrigin(r *http.Request, origin string) bool {
	la, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr)
	if !ok {
		return false
	}
	// Browsers serialise an origin one way (RFC 6454 §6.1); anything
	// spelled differently did not come from one.
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || web.OriginOf(u) != origin {
		return false
	}
	if portOrDefault(u, "") != strconv.Itoa(la.Port) {
		return false
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); ip != nil && ip.Equal(la.IP) {
		return true
	}
	return hp.isName(host)
}
