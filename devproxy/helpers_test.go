package devproxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/localca"
	"github.com/devproxy/devproxy/internal/testkit"
)

func TestMain(m *testing.M) {
	testkit.RunHelper() // the status tests run this binary as a stand-in dev server
	code := m.Run()
	if testCA.dir != "" {
		os.RemoveAll(testCA.dir)
	}
	os.Exit(code)
}

// testCA is one local CA for every https test of the binary.
var testCA struct {
	once sync.Once
	dir  string
	ca   *localca.CA
	err  error
}

// sharedCA opens (creating on first use) the test binary's CA.
func sharedCA(t testing.TB) *localca.CA {
	t.Helper()
	testCA.once.Do(func() {
		if testCA.dir, testCA.err = os.MkdirTemp("", "devproxy-ca-"); testCA.err == nil {
			testCA.ca, _, testCA.err = localca.Open(filepath.Join(testCA.dir, "devproxy"))
		}
	})
	if testCA.err != nil {
		t.Fatal(testCA.err)
	}
	return testCA.ca
}

// caFor is the CA a test server for cfg needs: the shared one for an https
// listen without [tls] files, else none.
func caFor(t testing.TB, cfg *config.Config) *localca.CA {
	if cfg.HTTPS && cfg.TLS == nil {
		return sharedCA(t)
	}
	return nil
}

// testRoots is a pool holding only the shared CA's root.
func testRoots(t testing.TB) *x509.CertPool {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(sharedCA(t).Cert())
	return roots
}

// tlsClient trusts the shared CA; with h2 it offers HTTP/2, else only HTTP/1.1.
func tlsClient(t testing.TB, h2 bool) *http.Client {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: testRoots(t)}, ForceAttemptHTTP2: h2}
	if !h2 {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{} // the documented way to turn HTTP/2 off
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// testProxy is a real devproxy Server listening on 127.0.0.1:0.
type testProxy struct {
	*Server
	URL  string // http://127.0.0.1:PORT, or https:// for an https listen
	Addr string // 127.0.0.1:PORT
	File string // the config file
}

// startProxy writes configText to devproxy.toml in a temp dir, loads it and
// serves it until the test ends.
func startProxy(t *testing.T, configText string) *testProxy {
	t.Helper()
	return startProxyLogged(t, configText, slog.New(slog.DiscardHandler))
}

// startProxyLogged is startProxy with a logger of the test's choosing.
func startProxyLogged(t *testing.T, configText string, log *slog.Logger) *testProxy {
	t.Helper()
	path := filepath.Join(t.TempDir(), config.DefaultFile)
	if err := os.WriteFile(path, []byte(configText), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("config:\n%s\nerror: %v", configText, err)
	}
	return serveConfig(t, cfg, path, log)
}

// serveConfig serves an already-loaded config until the test ends.
func serveConfig(t *testing.T, cfg *config.Config, path string, log *slog.Logger) *testProxy {
	t.Helper()
	srv, addr, stop, served := serveUntilStopped(t, cfg, log)
	t.Cleanup(func() {
		stop()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
	scheme := "http://"
	if cfg.HTTPS {
		scheme = "https://"
	}
	return &testProxy{Server: srv, URL: scheme + addr, Addr: addr, File: path}
}

// serveUntilStopped serves cfg on 127.0.0.1:0; stop cancels Serve's
// context, and served receives what Serve returned.
func serveUntilStopped(t *testing.T, cfg *config.Config, log *slog.Logger) (srv *Server, addr string, stop func(), served <-chan error) {
	t.Helper()
	srv, err := New(Options{Config: cfg, Assets: os.DirFS("../static"), Logger: log, CA: caFor(t, cfg)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }() // exits when stop is called or the test ends
	return srv, ln.Addr().String(), cancel, done
}

// testAssets is the static/ directory as the Server's Assets.
func testAssets() fs.FS { return os.DirFS("../static") }

// serveServer serves an already-built Server on 127.0.0.1:0 until the test
// ends and returns its address.
func serveServer(t *testing.T, srv *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	testkit.ServeUntilDone(t, 10*time.Second, func(ctx context.Context) error { return srv.Serve(ctx, ln) })
	return ln.Addr().String()
}

// overBothSchemes runs test as two subtests: devproxy listening on plain
// HTTP, and on https (where test's raw connections speak HTTP/1.1 over
// TLS). listen is the config line that selects the scheme.
func overBothSchemes(t *testing.T, test func(t *testing.T, listen string)) {
	t.Run("http", func(t *testing.T) { t.Parallel(); test(t, "") })
	t.Run("https", func(t *testing.T) { t.Parallel(); test(t, "listen = \"https://127.0.0.1:0\"\n") })
}

// dialProxy opens a raw connection to p for hand-written HTTP/1.1: plain
// TCP, or TLS offering only http/1.1 when p listens on https.
func dialProxy(t testing.TB, p *testProxy) net.Conn {
	t.Helper()
	if !strings.HasPrefix(p.URL, "https://") {
		conn, err := net.Dial("tcp", p.Addr)
		if err != nil {
			t.Fatal(err)
		}
		return conn
	}
	conn, err := tls.Dial("tcp", p.Addr, &tls.Config{RootCAs: testRoots(t), NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	return conn
}
