package devproxy

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// Listen opens the listeners for addr. "localhost:PORT" binds both
// 127.0.0.1 and [::1] on the same port, so http://localhost:PORT works
// whichever address the browser resolves first; when the machine has no
// IPv6 loopback, IPv4 alone is used.
func Listen(addr string) ([]net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen %q: %w", addr, err)
	}
	if !strings.EqualFold(host, "localhost") {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, listenError(addr, port, err)
		}
		return []net.Listener{ln}, nil
	}
	ln4, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		return nil, listenError(addr, port, err)
	}
	// Bind IPv6 on the port IPv4 got (port 0 picks one).
	_, actual, _ := net.SplitHostPort(ln4.Addr().String())
	ln6, err := net.Listen("tcp6", net.JoinHostPort("::1", actual))
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			ln4.Close()
			return nil, listenError(addr, port, err)
		}
		return []net.Listener{ln4}, nil // no IPv6 loopback on this machine
	}
	return []net.Listener{ln4, ln6}, nil
}

func listenError(addr, port string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("listen = %q: port %s is already in use (another devproxy or dev server?); stop it, or choose another port in the listen key", addr, port)
	}
	if errors.Is(err, syscall.EACCES) {
		return fmt.Errorf("listen = %q: permission denied for port %s; ports below 1024 need privileges, use e.g. 3000", addr, port)
	}
	return fmt.Errorf("listen = %q: %w", addr, err)
}

// URL returns the address to open in a browser for cfg's listeners:
// https:// for an https listen.
func URL(cfg *config.Config, lns []net.Listener) string {
	host, _, _ := net.SplitHostPort(cfg.Listen)
	_, port, _ := net.SplitHostPort(lns[0].Addr().String())
	if web.IsUnspecifiedHost(host) {
		host = "localhost"
	}
	scheme := "http://"
	if cfg.HTTPS {
		scheme = "https://"
	}
	return scheme + net.JoinHostPort(host, port) + "/"
}
