package web

import (
	"net"
	"net/url"
	"strings"
)

// HostPort returns u's host:port, adding the scheme's default port, as a
// transport spells the address it dials.
func HostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// DialAddr is the host:port to dial for s: a URL's host and port, or s
// itself when it is already host:port. It is "" for a URL without a host.
func DialAddr(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return ""
	}
	return HostPort(u)
}

// HostOnly strips the port from a Host header value and lower-cases it,
// without brackets or a trailing dot.
func HostOnly(hostport string) string {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
}

// IsUnspecifiedHost reports whether a listen host means every interface:
// empty (":3000"), 0.0.0.0 or [::].
func IsUnspecifiedHost(host string) bool {
	if host == "" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsUnspecified()
}

// IsPort reports whether s is a decimal port number from 0 to 65535.
func IsPort(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n <= 65535
}
