package localca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"time"
)

// The files of a CA directory.
const (
	CertFile = "root.crt" // the public root certificate: safe to share, install and download
	KeyFile  = "root.key" // the root's private key: 0600, never leaves the directory
)

const (
	// rootLifetime is how long the root is valid; like mkcert's and
	// Caddy's, long enough that `devproxy trust` is a one-time step.
	rootLifetime = 10 * 365 * 24 * time.Hour
	// clockSkew backdates every certificate, so a phone whose clock runs a
	// little behind does not see it as not yet valid.
	clockSkew = time.Hour
	dirMode   = 0o700
	keyMode   = 0o600
)

// CA is a loaded root: its certificate, and its key for signing leaves.
type CA struct {
	dir     string
	cert    *x509.Certificate
	certPEM []byte
	key     crypto.Signer
}

// PermissionError is a CA directory or key that other users could read:
// devproxy refuses to use it, since whoever holds the key can make
// certificates every browser on this machine that trusts the root accepts.
type PermissionError struct {
	Path string
	Mode fs.FileMode
	Want fs.FileMode
}

func (e *PermissionError) Error() string {
	what := "the CA key"
	if e.Want == dirMode {
		what = "the CA directory"
	}
	return fmt.Sprintf("%s %s is open to other users (mode %#o): run chmod %o %s", what, e.Path, e.Mode.Perm(), e.Want, e.Path)
}

// Open loads the CA in dir, creating the directory and a new root when
// there is none yet; created says whether it did.
func Open(dir string) (ca *CA, created bool, err error) {
	ca, err = Load(dir)
	if !errors.Is(err, fs.ErrNotExist) {
		return ca, false, err
	}
	if err := create(dir, time.Now()); err != nil {
		if !errors.Is(err, fs.ErrExist) {
			return nil, false, err
		}
		// Another devproxy created it first: use that one.
	} else {
		created = true
	}
	ca, err = Load(dir)
	return ca, created, err
}

// Load loads the CA in dir without creating anything. Its error wraps
// fs.ErrNotExist when dir holds no CA.
func Load(dir string) (*CA, error) {
	if err := checkMode(dir, dirMode); err != nil {
		return nil, err
	}
	keyPath, certPath := filepath.Join(dir, KeyFile), filepath.Join(dir, CertFile)
	if err := checkMode(keyPath, keyMode); err != nil {
		return nil, err
	}
	keyPEM, keyErr := os.ReadFile(keyPath)
	certPEM, certErr := os.ReadFile(certPath)
	switch {
	case errors.Is(keyErr, fs.ErrNotExist) && errors.Is(certErr, fs.ErrNotExist):
		return nil, fmt.Errorf("no CA in %s: %w", dir, fs.ErrNotExist)
	case keyErr != nil:
		return nil, fmt.Errorf("reading the CA key: %w (remove %s to make a new CA)", keyErr, dir)
	case certErr != nil:
		return nil, fmt.Errorf("reading the CA certificate: %w (remove %s to make a new CA)", certErr, dir)
	}
	ca := &CA{dir: dir, certPEM: certPEM}
	var err error
	if ca.cert, err = parseCert(certPEM); err != nil {
		return nil, fmt.Errorf("%s: %w", certPath, err)
	}
	if ca.key, err = parseKey(keyPEM); err != nil {
		return nil, fmt.Errorf("%s: %w", keyPath, err)
	}
	if !publicKeysEqual(ca.cert.PublicKey, ca.key.Public()) {
		return nil, fmt.Errorf("%s does not belong to %s: remove %s to make a new CA (and run `devproxy trust` again)", keyPath, certPath, dir)
	}
	if time.Now().After(ca.cert.NotAfter) {
		return nil, fmt.Errorf("devproxy's CA in %s expired on %s: run `devproxy trust --uninstall`, remove %s, then `devproxy trust` for a new one",
			dir, ca.cert.NotAfter.Format(time.DateOnly), dir)
	}
	return ca, nil
}

// checkMode refuses a path other users can read or write. Windows has no
// such mode bits (the directory sits in the user's own profile).
func checkMode(path string, want fs.FileMode) error {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // Load reports a missing CA itself
		}
		return err
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return &PermissionError{Path: path, Mode: fi.Mode(), Want: want}
	}
	return nil
}

// create makes a new root in dir. The key is linked into place only if no
// key is there yet, so two devproxies starting at once cannot each write a
// root and end up with a certificate that does not match its key.
func create(dir string, now time.Time) error {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return fmt.Errorf("creating the CA directory: %w", err)
	}
	if err := checkMode(dir, dirMode); err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := randomSerial()
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:         "devproxy local CA " + hex.EncodeToString(serial.Bytes()[:4]),
			Organization:       []string{"devproxy development CA"},
			OrganizationalUnit: []string{owner()},
		},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(rootLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true, // it signs leaves only, never another CA
		// SubjectKeyId is filled in by CreateCertificate for a CA.
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	keyTmp, err := writeTemp(dir, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		return err
	}
	defer os.Remove(keyTmp)
	certTmp, err := writeTemp(dir, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	if err != nil {
		return err
	}
	defer os.Remove(certTmp)
	if err := os.Link(keyTmp, filepath.Join(dir, KeyFile)); err != nil {
		return fmt.Errorf("creating the CA key: %w", err) // fs.ErrExist: another devproxy won
	}
	return os.Rename(certTmp, filepath.Join(dir, CertFile))
}

// writeTemp writes data to a new 0600 file in dir.
func writeTemp(dir string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, ".tmp-")
	if err != nil {
		return "", err
	}
	if err := f.Chmod(keyMode); err != nil && runtime.GOOS != "windows" {
		f.Close()
		return f.Name(), err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return f.Name(), err
	}
	return f.Name(), f.Close()
}

func randomSerial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
}

// owner names who made the CA, so a root seen in a trust store says whose it is.
func owner() string {
	name := "unknown user"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if h, err := os.Hostname(); err == nil {
		name += "@" + h
	}
	return name
}

func parseCert(data []byte) (*x509.Certificate, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate")
	}
	return x509.ParseCertificate(b.Bytes)
}

func parseKey(data []byte) (crypto.Signer, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, errors.New("no PEM key")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("the key cannot sign")
	}
	return s, nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}

// Dir is the directory the CA lives in.
func (ca *CA) Dir() string { return ca.dir }

// CertPath is the root certificate's file, for NODE_EXTRA_CA_CERTS and the
// trust stores.
func (ca *CA) CertPath() string { return filepath.Join(ca.dir, CertFile) }

// Cert is the root certificate.
func (ca *CA) Cert() *x509.Certificate { return ca.cert }

// CertPEM is the root certificate in PEM form: public, safe to serve.
func (ca *CA) CertPEM() []byte { return ca.certPEM }

// Name is how the root is called in trust stores: its common name, which
// carries part of its serial, so a re-created CA is a different entry.
func (ca *CA) Name() string { return ca.cert.Subject.CommonName }
