package config

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/devproxy/devproxy/devproxy/internal/web"
)

var tlsKeys = []string{"cert", "key"}

// tlsUseCA is the way out of every [tls] problem: devproxy's own CA needs
// no files at all.
const tlsUseCA = "or remove [tls] to let devproxy's local CA issue certificates (run `devproxy trust` once)"

// readTLS reads the optional [tls] table: a certificate and key of the
// user's own. The files are read and checked here, so a typo or a stale
// certificate is a config error with a position, not a failed handshake
// in the browser later.
func (cr *configReader) readTLS(raw map[string]any, cfg *Config) {
	tbl, ok := cr.table(raw, nil, "tls")
	if !ok {
		return
	}
	path := []string{"tls"}
	cr.checkKeys(tbl, path, tlsKeys)
	if !cfg.HTTPS {
		// Pointed at listen, the line that has to change (or at [tls]
		// when listen is the default, not written).
		want := "an https listen for the [tls] certificate, or no [tls] table"
		if fix := cr.fixValue([]string{"listen"}, quote("https://"+cfg.Listen)); fix != "" {
			cr.failValue([]string{"listen"}, "[tls] is set but listen is plain http, so devproxy would never use it", want, fix)
		} else {
			cr.failKey(path, "[tls] is set but listen is plain http, so devproxy would never use it", want+fmt.Sprintf(` (listen = "https://%s")`, cfg.Listen), "")
		}
		return
	}
	cert, certOK := cr.str(tbl, path, "cert")
	key, keyOK := cr.str(tbl, path, "key")
	switch {
	case !certOK && !keyOK:
		cr.failKey(path, "[tls] needs cert and key", `the PEM files of your certificate and its key, relative to devproxy.toml: cert = "localhost.pem" and key = "localhost-key.pem"`, "")
		return
	case !certOK:
		cr.failKey(with(path, "key"), "[tls] has a key but no cert", `the certificate file that goes with this key: cert = "localhost.pem"`, "")
		return
	case !keyOK:
		cr.failKey(with(path, "cert"), "[tls] has a cert but no key", `the private key file written with this certificate (mkcert writes NAME-key.pem): key = "localhost-key.pem"`, "")
		return
	}
	certPath, keyPath := cr.resolve(cert), cr.resolve(key)
	certPEM, certErr := cr.readTLSFile(with(path, "cert"), cert, certPath, "certificate")
	keyPEM, keyErr := cr.readTLSFile(with(path, "key"), key, keyPath, "private key")
	if certErr || keyErr {
		return
	}
	if bytes.Contains(certPEM, []byte("PRIVATE KEY-----")) && !bytes.Contains(certPEM, []byte("CERTIFICATE-----")) {
		cr.failValue(with(path, "cert"), fmt.Sprintf("tls.cert %q holds a private key, not a certificate: cert and key look swapped", cert),
			fmt.Sprintf("cert = the certificate (BEGIN CERTIFICATE), key = its private key: swap them, cert = %q and key = %q", key, cert), "")
		return
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		cr.tlsPairError(path, cert, key, err)
		return
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		cr.failValue(with(path, "cert"), fmt.Sprintf("tls.cert %q: %v", cert, err), "a PEM X.509 certificate", "")
		return
	}
	now := time.Now()
	switch {
	case now.After(leaf.NotAfter):
		cr.failValue(with(path, "cert"), fmt.Sprintf("tls.cert %q expired on %s", cert, leaf.NotAfter.UTC().Format(time.DateOnly)),
			"a certificate that is valid today: make a new one (mkcert localhost), "+tlsUseCA, "")
		return
	case now.Before(leaf.NotBefore):
		cr.failValue(with(path, "cert"), fmt.Sprintf("tls.cert %q is not valid before %s", cert, leaf.NotBefore.UTC().Format(time.DateTime)),
			"a certificate that is valid today: check this machine's clock, "+tlsUseCA, "")
		return
	}
	cfg.TLS = &TLS{Cert: certPath, Key: keyPath}
	host, _, _ := net.SplitHostPort(cfg.Listen)
	if web.IsUnspecifiedHost(host) {
		return // every interface: no one name to check
	}
	if err := leaf.VerifyHostname(host); err != nil {
		cr.warn(with(path, "cert"), fmt.Sprintf("tls.cert %q does not cover the listen host %s (it covers %s): browsers will refuse it there", cert, host, covered(leaf)),
			fmt.Sprintf("a certificate for %s: make one that does (mkcert %s), %s", host, host, tlsUseCA), "")
	}
}

// resolve makes a [tls] path absolute, relative to the config file.
func (cr *configReader) resolve(p string) string {
	if filepath.IsAbs(p) || cr.dir == "" {
		return p
	}
	return filepath.Join(cr.dir, p)
}

// readTLSFile reads one [tls] file; it reports whether it failed.
func (cr *configReader) readTLSFile(path []string, name, abs, what string) ([]byte, bool) {
	data, err := os.ReadFile(abs)
	if err == nil {
		return data, false
	}
	key := DisplayKey(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		cr.failValue(path, fmt.Sprintf("%s: file %q does not exist", key, name),
			fmt.Sprintf("the PEM %s file, relative to the config file (in %s): correct the path, %s", what, filepath.Dir(cr.file), tlsUseCA), "")
	case errors.Is(err, fs.ErrPermission):
		cr.failValue(path, fmt.Sprintf("%s: cannot read %q: permission denied", key, name), "a file devproxy's user can read: chmod u+r "+abs, "")
	default:
		var pe *fs.PathError
		msg := err.Error()
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		cr.failValue(path, fmt.Sprintf("%s: cannot read %q: %s", key, name, msg), fmt.Sprintf("a PEM %s file", what), "")
	}
	return nil, true
}

// tlsPairError explains why crypto/tls refused the pair.
func (cr *configReader) tlsPairError(path []string, cert, key string, err error) {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "does not match"):
		cr.failValue(with(path, "key"), fmt.Sprintf("tls.key %q does not match tls.cert %q", key, cert),
			"the private key written together with this certificate (mkcert writes NAME.pem and NAME-key.pem), "+tlsUseCA, "")
	case strings.Contains(msg, "certificate input"):
		cr.failValue(with(path, "cert"), fmt.Sprintf("tls.cert %q holds no PEM certificate", cert),
			"a file with a -----BEGIN CERTIFICATE----- block", "")
	case strings.Contains(msg, "key input"):
		cr.failValue(with(path, "key"), fmt.Sprintf("tls.key %q holds no PEM private key", key),
			"a file with a -----BEGIN PRIVATE KEY----- (or EC/RSA PRIVATE KEY) block", "")
	default:
		cr.failValue(with(path, "key"), fmt.Sprintf("tls.cert and tls.key: %s", strings.TrimPrefix(msg, "tls: ")), "a PEM certificate and its private key", "")
	}
}

// covered lists the names and addresses a certificate is valid for.
func covered(c *x509.Certificate) string {
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return "no names"
	}
	return strings.Join(names, ", ")
}
