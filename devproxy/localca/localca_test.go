package localca

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// openTestCA makes a CA in a fresh temp directory.
func openTestCA(t *testing.T) *CA {
	t.Helper()
	ca, created, err := Open(filepath.Join(t.TempDir(), "devproxy"))
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Fatal("Open in an empty directory did not create a CA")
	}
	return ca
}

// allowLocal is the policy of a devproxy on localhost.
func allowLocal(name string) error {
	if name == "localhost" || strings.HasSuffix(name, ".localhost") || name == "127.0.0.1" || name == "::1" {
		return nil
	}
	return errors.New("not a name devproxy answers to")
}

func TestOpenCreatesThenLoadsTheSameCA(t *testing.T) {
	t.Parallel()
	ca := openTestCA(t)
	for path, want := range map[string]fs.FileMode{ca.Dir(): 0o700, filepath.Join(ca.Dir(), KeyFile): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if runtime.GOOS != "windows" && fi.Mode().Perm() != want {
			t.Errorf("%s has mode %#o, want %#o", path, fi.Mode().Perm(), want)
		}
	}
	c := ca.Cert()
	if !c.IsCA || !c.BasicConstraintsValid || !c.MaxPathLenZero || c.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("root is not a leaf-only CA: IsCA %v MaxPathLenZero %v KeyUsage %v", c.IsCA, c.MaxPathLenZero, c.KeyUsage)
	}
	if life := c.NotAfter.Sub(c.NotBefore); life < 9*365*24*time.Hour {
		t.Errorf("root valid for %v, want about ten years", life)
	}
	again, created, err := Open(ca.Dir())
	if err != nil || created {
		t.Fatalf("second Open: created %v err %v, want the existing CA", created, err)
	}
	if again.Cert().SerialNumber.Cmp(c.SerialNumber) != 0 {
		t.Error("second Open made a new root instead of loading the first")
	}
	entries, _ := os.ReadDir(ca.Dir())
	if len(entries) != 2 {
		t.Errorf("CA directory holds %d entries, want root.crt and root.key only", len(entries))
	}
}

func TestLooseCAPermissionsRefused(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix mode bits to loosen, and devproxy checks them only elsewhere (ca.go)")
	}
	ca := openTestCA(t)
	keyPath := filepath.Join(ca.Dir(), KeyFile)
	if err := os.Chmod(keyPath, 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := Open(ca.Dir())
	var pe *PermissionError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "run chmod 600 "+keyPath) {
		t.Errorf("Open with a 0644 key: %v, want a PermissionError saying chmod 600 %s", err, keyPath)
	}
	if err := os.Chmod(keyPath, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(ca.Dir(), 0o755); err != nil {
		t.Fatal(err)
	}
	_, _, err = Open(ca.Dir())
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "the CA directory "+ca.Dir()+" is open to other users (mode 0755): run chmod 700 "+ca.Dir()) {
		t.Errorf("Open with a 0755 directory: %v, want the chmod 700 to run", err)
	}
}

func TestBrokenCARefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		damage func(dir string) error
		want   string
	}{
		{"certificate missing", func(dir string) error { return os.Remove(filepath.Join(dir, CertFile)) }, "reading the CA certificate"},
		{"key of another CA", func(dir string) error {
			other := filepath.Join(filepath.Dir(dir), "other")
			if err := create(other, time.Now()); err != nil {
				return err
			}
			key, err := os.ReadFile(filepath.Join(other, KeyFile))
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, KeyFile), key, 0o600)
		}, "does not belong to"},
		{"expired", func(dir string) error {
			for _, f := range []string{KeyFile, CertFile} {
				if err := os.Remove(filepath.Join(dir, f)); err != nil {
					return err
				}
			}
			return create(dir, time.Now().Add(-rootLifetime-24*time.Hour))
		}, "expired on"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ca := openTestCA(t)
			if err := tt.damage(ca.Dir()); err != nil {
				t.Fatal(err)
			}
			if _, _, err := Open(ca.Dir()); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestLeafPerNameVerifiesAgainstTheRoot(t *testing.T) {
	t.Parallel()
	ca := openTestCA(t)
	is := NewIssuer(ca, allowLocal)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert())
	for _, name := range []string{"localhost", "app.localhost", "API.Localhost.", "127.0.0.1", "[::1]"} {
		c, err := is.Certificate(name)
		if err != nil {
			t.Fatalf("Certificate(%q): %v", name, err)
		}
		want := canonicalName(name)
		if _, err := c.Leaf.Verify(x509.VerifyOptions{DNSName: want, Roots: roots}); err != nil {
			t.Errorf("leaf for %q does not verify: %v", name, err)
		}
		if len(c.Leaf.DNSNames)+len(c.Leaf.IPAddresses) != 1 {
			t.Errorf("leaf for %q covers %v %v, want exactly that name (no *.localhost wildcard)", name, c.Leaf.DNSNames, c.Leaf.IPAddresses)
		}
		if life := c.Leaf.NotAfter.Sub(c.Leaf.NotBefore); life > LeafLifetime+2*clockSkew {
			t.Errorf("leaf for %q valid for %v, want at most %v", name, life, LeafLifetime)
		}
	}
	for _, name := range []string{"example.com", "localhost.example.com", "192.0.2.1", ""} {
		_, err := is.Certificate(name)
		var re *RefusedError
		if !errors.As(err, &re) {
			t.Errorf("Certificate(%q) = %v, want a refusal", name, err)
		}
	}
}

func TestLeafCachedThenRenewed(t *testing.T) {
	t.Parallel()
	ca := openTestCA(t)
	is := NewIssuer(ca, allowLocal)
	t0 := time.Now()
	now := t0
	is.now = func() time.Time { return now }
	first, err := is.Certificate("localhost")
	if err != nil {
		t.Fatal(err)
	}
	now = t0.Add(LeafLifetime - renewBefore - time.Minute)
	if c, _ := is.Certificate("localhost"); c != first {
		t.Error("a leaf well within its lifetime was reissued instead of served from the cache")
	}
	now = t0.Add(LeafLifetime - renewBefore + time.Minute)
	renewed, err := is.Certificate("localhost")
	if err != nil {
		t.Fatal(err)
	}
	if renewed == first || !renewed.Leaf.NotAfter.After(first.Leaf.NotAfter) {
		t.Errorf("a leaf close to expiry was not renewed: NotAfter %v, first %v", renewed.Leaf.NotAfter, first.Leaf.NotAfter)
	}
	for i := range maxLeaves + 10 {
		if _, err := is.Certificate(fmt.Sprintf("n%d.localhost", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(is.leaves); n > maxLeaves {
		t.Errorf("cache holds %d leaves, want at most %d", n, maxLeaves)
	}
}

// TestHandshakeWithIssuer: a real TLS handshake on loopback trusts the leaf
// through the root alone; a client that connects to the IP (no server
// name) gets the IP's certificate; a foreign name gets no certificate.
func TestHandshakeWithIssuer(t *testing.T) {
	t.Parallel()
	ca := openTestCA(t)
	is := NewIssuer(ca, allowLocal)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{GetCertificate: is.GetCertificate})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // exits when the listener closes
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _ = c.(*tls.Conn).Handshake(); c.Close() }() // exits after one handshake
		}
	}()
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert())
	dial := func(serverName string) error {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ln.Addr().String(), &tls.Config{RootCAs: roots, ServerName: serverName})
		if err == nil {
			c.Close()
		}
		return err
	}
	for _, name := range []string{"localhost", "shop.localhost", "127.0.0.1"} {
		if err := dial(name); err != nil {
			t.Errorf("handshake as %q: %v", name, err)
		}
	}
	if err := dial("evil.example"); err == nil {
		t.Error("handshake as evil.example succeeded, want no certificate for it")
	}
}
