package web

import (
	"context"
	"net"
	"strings"
)

// IsLoopbackHost reports whether host names only this machine: localhost,
// a *.localhost name (RFC 6761 §6.3) or a loopback IP, bracketed or not.
func IsLoopbackHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if IsLocalhostName(host) {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// IsLocalhostName reports whether host is localhost or a name under it, as
// opposed to a loopback IP address.
func IsLocalhostName(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

// SameLocalAddr reports whether two host:port addresses are the same
// socket: the same port, and the same host or two loopback spellings.
func SameLocalAddr(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil || errB != nil || pa != pb {
		return false
	}
	return strings.EqualFold(ha, hb) || (IsLoopbackHost(ha) && IsLoopbackHost(hb))
}

// DialLocal dials addr with d, treating a localhost name as both loopback
// addresses whatever the resolver says (RFC 6761), so a server listening
// only on ::1 or only on 127.0.0.1 is found (Node's "ECONNREFUSED ::1").
// Other hosts are dialled as they are.
func DialLocal(ctx context.Context, d *net.Dialer, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || !IsLocalhostName(host) {
		return d.DialContext(ctx, network, addr)
	}
	// IPv4 first, then IPv6: a refused loopback dial fails in microseconds.
	conn, err4 := d.DialContext(ctx, "tcp4", net.JoinHostPort("127.0.0.1", port))
	if err4 == nil {
		return conn, nil
	}
	conn, err6 := d.DialContext(ctx, "tcp6", net.JoinHostPort("::1", port))
	if err6 == nil {
		return conn, nil
	}
	return nil, err4
}
