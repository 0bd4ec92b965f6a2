package devproxy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/localca"
)

// CAPath is where the status page offers the local CA's public root
// certificate for download (a phone installs it from there). It is served
// over plain HTTP too, so a phone that does not trust the CA yet can fetch
// it without a certificate warning; the key is never served.
const CAPath = config.ReservedPrefix + "/root.crt"

// extendedConnectOn reports whether GODEBUG turns on net/http's RFC 8441
// support (read as net/http reads it: anywhere in the variable).
func extendedConnectOn() bool { return strings.Contains(os.Getenv("GODEBUG"), "http2xconnect=1") }

// setupTLS prepares the TLS side of an https listen: the [tls] certificate
// when the config names one, else leaves issued by ca for the names devproxy
// answers to. The listen settings are fixed for the life of the Server
// (a changed listen or [tls] waits for a restart), so this runs once.
func (s *Server) setupTLS(cfg *config.Config, ca *localca.CA) error {
	if !cfg.HTTPS {
		return nil
	}
	tc := &tls.Config{
		NextProtos: []string{"h2", "http/1.1"}, // HTTP/2 first; WebSockets come over http/1.1 (see Serve)
		MinVersion: tls.VersionTLS12,
	}
	if extendedConnectOn() {
		// Go's HTTP/2 server would then offer RFC 8441, and browsers would
		// send WebSockets as HTTP/2 CONNECT, which devproxy does not relay.
		tc.NextProtos = []string{"http/1.1"}
		s.log.Warn("GODEBUG has http2xconnect=1: serving https as HTTP/1.1 only, so browsers keep opening WebSockets devproxy can relay; unset it for HTTP/2")
	}
	switch {
	case cfg.TLS != nil:
		pair, err := tls.LoadX509KeyPair(cfg.TLS.Cert, cfg.TLS.Key)
		if err != nil {
			return fmt.Errorf("[tls]: %w", err)
		}
		tc.Certificates = []tls.Certificate{pair}
	case ca != nil:
		s.ca = ca
		tc.GetCertificate = localca.NewIssuer(ca, s.certAllowed).GetCertificate
	default:
		return errors.New("devproxy: an https listen needs Options.CA or a [tls] certificate")
	}
	s.tlsConfig = tc
	return nil
}

// certAllowed is the local CA's issuing policy: a certificate only for a
// name devproxy answers to (the Host check's names, without the "*" of
// allowed_hosts: a trusted certificate for any name at all is more than a
// development proxy should mint) and for this machine's own addresses.
func (s *Server) certAllowed(name string) error {
	t := s.table.Load()
	if ip := net.ParseIP(name); ip != nil {
		switch {
		case ip.IsLoopback():
			return nil
		case !t.cfg.AllowRemote:
			return errors.New("a non-loopback address, and allow_remote is off")
		case isLocalIP(ip):
			return nil
		}
		return errors.New("not an address of this machine")
	}
	if t.hosts.isName(name) { // without allowed_hosts' "*"
		return nil
	}
	return errors.New("not localhost, a *.localhost name, the listen host or in allowed_hosts")
}

// handshakeFailed logs a failed TLS handshake: once, loudly, when the
// browser said it does not trust the certificate (the one step left is
// `devproxy trust`); once per name for a name devproxy will not certify;
// at debug level for the rest (scanners, closed tabs, timeouts).
func (s *Server) handshakeFailed(c net.Conn, err error) {
	addr := c.RemoteAddr().String()
	var refused *localca.RefusedError
	switch {
	case errors.As(err, &refused):
		if !s.refusedNames.first(refused.Name) {
			return
		}
		attrs := []any{"host", refused.Name, "addr", addr, "reason", refused.Reason.Error()}
		if net.ParseIP(refused.Name) != nil {
			attrs = append(attrs, "key", "allow_remote", "fix", "allow_remote = true")
		} else if refused.Name != "" {
			attrs = append(attrs, "key", "allowed_hosts", "fix", fmt.Sprintf("allowed_hosts = [%q]", refused.Name))
		}
		s.log.Warn("refused a TLS connection: no certificate for this name", attrs...)
	case untrustedAlert(err) != "":
		if !s.untrusted.CompareAndSwap(false, true) {
			s.log.Debug("tls handshake refused by the client", "addr", addr, "reason", untrustedAlert(err))
			return
		}
		if s.ca != nil {
			s.log.Warn("the browser does not trust devproxy's CA yet: run `devproxy trust`", "addr", addr, "reason", untrustedAlert(err),
				"path", s.ca.CertPath())
		} else {
			s.log.Warn("the browser does not trust the [tls] certificate: install the CA that signed it (mkcert -install)", "addr", addr, "reason", untrustedAlert(err))
		}
	default:
		s.log.Debug("tls handshake failed", "addr", addr, "err", err)
	}
}

// untrustedAlert returns the alert a client sent because it does not trust
// the certificate (RFC 8446 §6.2: bad_certificate, certificate_unknown,
// unknown_ca), or "". crypto/tls reports a received alert as a net.OpError
// whose Op is "remote error"; the alert type itself is unexported.
func untrustedAlert(err error) string {
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "remote error" || oe.Err == nil {
		return ""
	}
	switch msg := oe.Err.Error(); msg {
	case "tls: bad certificate", "tls: unknown certificate authority", "tls: unknown certificate": // the last is certificate_unknown, what Chromium sends
		return strings.TrimPrefix(msg, "tls: ")
	}
	return ""
}

// redirectToHTTPS answers a plain-HTTP request that reached an https
// listen, so an old bookmark or a typed http:// URL still lands. 307, not
// 301/308: a permanent redirect is cached by the browser with no expiry,
// so after switching listen back to http the browser would keep going to
// https on that port; and 307 keeps the method and body, where 301 and 302
// turn a POST into a GET.
func (s *Server) redirectToHTTPS(w http.ResponseWriter, r *http.Request) {
	noteRoute(r, "https")
	host := r.Host
	if host == "" { // HTTP/1.0 without Host: the address it connected to
		if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
			host = la.String()
		}
	}
	w.Header().Set("Connection", "close") // the browser comes back over TLS on a new connection
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusTemporaryRedirect)
}

// isCADownload reports whether r fetches the root certificate, which plain
// HTTP may do on an https listen (CAPath).
func isCADownload(r *http.Request) bool {
	return r.URL.Path == CAPath && (r.Method == http.MethodGet || r.Method == http.MethodHead)
}

// serveCA sends the local CA's root certificate: public, PEM, with the
// type that makes iOS offer a profile and Android a CA certificate.
func (s *Server) serveCA(w http.ResponseWriter, r *http.Request) {
	if s.ca == nil {
		s.notFound(w, r, "devproxy's local CA is not in use (listen is not https, or [tls] names your own certificate)",
			"open the status page at "+config.ReservedPrefix+"/")
		return
	}
	w.Header().Set("Content-Type", "application/x-x509-ca-cert")
	w.Header().Set("Content-Disposition", `attachment; filename="devproxy-root.crt"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(s.ca.CertPEM())
}
