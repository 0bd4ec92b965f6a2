package web

import (
	"net/http"
	"net/url"
	"strings"
)

// NormalizeOrigin returns o as a browser serialises an origin (RFC 6454
// §6.1): lower-case scheme and host, no default port, nothing after the
// host. ok is false when o is not an http or https origin.
func NormalizeOrigin(o string) (string, bool) {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(o, "/") {
		return "", false
	}
	return OriginOf(u), true
}

// OriginOf serialises u's origin: lower-case scheme and host, default port dropped.
func OriginOf(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := u.Port(); p != "" && !(scheme == "http" && p == "80") && !(scheme == "https" && p == "443") {
		host += ":" + p
	}
	return scheme + "://" + host
}

// RequestOrigin is the origin a request was addressed to: its scheme and
// Host, as the browser that sent it sees the server.
func RequestOrigin(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// IsSecureContext reports whether a page at r's origin is a secure
// context: https, or a loopback host, which Chromium and Firefox treat as
// potentially trustworthy (W3C Secure Contexts §3.1), so they store and
// send Secure cookies there even over plain http.
func IsSecureContext(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return IsLoopbackHost(HostOnly(r.Host))
}

// SameOrigin reports whether origin is the origin r was addressed to: a
// same-origin request, which browsers also send Origin on.
func SameOrigin(origin string, r *http.Request) bool {
	norm, ok := NormalizeOrigin(origin)
	if !ok {
		return false
	}
	own, ok := NormalizeOrigin(RequestOrigin(r))
	return ok && norm == own
}
