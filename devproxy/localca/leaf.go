package localca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

const (
	// LeafLifetime is how long an issued certificate is valid: short, so a
	// leaf that leaked (they live only in devproxy's memory) is soon
	// worthless, and long enough for a phone that loaded a page yesterday.
	LeafLifetime = 7 * 24 * time.Hour
	// renewBefore: a cached leaf this close to expiry is replaced at the
	// next handshake, so a devproxy that runs for weeks never serves an
	// expired one.
	renewBefore = 2 * 24 * time.Hour
	// maxLeaves bounds the cache: every *.localhost name is allowed, and a
	// local client could ask for a new one on each handshake.
	maxLeaves = 256
)

// Issuer hands out leaf certificates signed by a CA, one per server name,
// issued on first use and cached until close to expiry. Its zero value is
// not usable; see NewIssuer.
type Issuer struct {
	ca    *CA
	allow func(name string) error
	now   func() time.Time

	mu     sync.Mutex // held while issuing, so one name is issued once
	leaves map[string]*tls.Certificate
}

// NewIssuer issues leaves signed by ca for the names allow accepts (it
// returns why it refuses one). allow sees lower-case DNS names without a
// trailing dot, and IP addresses in their canonical form.
func NewIssuer(ca *CA, allow func(name string) error) *Issuer {
	return &Issuer{ca: ca, allow: allow, now: time.Now, leaves: map[string]*tls.Certificate{}}
}

// RefusedError is a server name the Issuer would not certify.
type RefusedError struct {
	Name   string
	Reason error
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("no certificate for %q: %v", e.Name, e.Reason)
}

func (e *RefusedError) Unwrap() error { return e.Reason }

// GetCertificate is tls.Config.GetCertificate. A client that connects to
// an IP address sends no server name (RFC 6066 §3); it gets a certificate
// for the address it connected to.
func (is *Issuer) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := hello.ServerName
	if name == "" && hello.Conn != nil {
		if ta, ok := hello.Conn.LocalAddr().(*net.TCPAddr); ok {
			name = ta.IP.String()
		}
	}
	return is.Certificate(name)
}

// Certificate returns the cached leaf for name, issuing a new one when
// there is none or it is close to expiry.
func (is *Issuer) Certificate(name string) (*tls.Certificate, error) {
	name = canonicalName(name)
	if name == "" {
		return nil, &RefusedError{Name: name, Reason: errors.New("the client named no server")}
	}
	if err := is.allow(name); err != nil {
		return nil, &RefusedError{Name: name, Reason: err}
	}
	now := is.now()
	is.mu.Lock()
	defer is.mu.Unlock()
	if c, ok := is.leaves[name]; ok && now.Before(c.Leaf.NotAfter.Add(-renewBefore)) {
		return c, nil
	}
	c, err := is.ca.issue(name, now)
	if err != nil {
		return nil, err
	}
	if len(is.leaves) >= maxLeaves {
		for k := range is.leaves { // evict one; a name asked for again is simply reissued
			delete(is.leaves, k)
			break
		}
	}
	is.leaves[name] = c
	return c, nil
}

// canonicalName lower-cases a DNS name and drops its trailing dot; IP
// addresses come out in their canonical form (no brackets, ::1 not 0:0:…:1).
func canonicalName(name string) string {
	name = strings.Trim(strings.ToLower(strings.TrimSuffix(name, ".")), "[]")
	if ip := net.ParseIP(name); ip != nil {
		return ip.String()
	}
	return name
}

// issue signs a leaf for exactly name. Chromium refuses a *.localhost
// wildcard (ERR_CERT_COMMON_NAME_INVALID: localhost is treated as a
// registry-controlled name), so every name gets a certificate of its own.
func (ca *CA) issue(name string, now time.Time) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name, Organization: []string{"devproxy development certificate"}},
		NotBefore:    now.Add(-clockSkew),
		NotAfter:     now.Add(LeafLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(name); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{name}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("signing a certificate for %s: %w", name, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}
