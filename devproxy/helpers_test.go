package devproxy

import (
	"context"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/internal/testkit"
)

func TestMain(m *testing.M) {
	testkit.RunHelper() // the status tests run this binary as a stand-in dev server
	os.Exit(m.Run())
}

// testProxy is a real devproxy Server listening on 127.0.0.1:0.
type testProxy struct {
	*Server
	URL  string // http://127.0.0.1:PORT
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
	return &testProxy{Server: srv, URL: "http://" + addr, Addr: addr, File: path}
}

// serveUntilStopped serves cfg on 127.0.0.1:0; stop cancels Serve's
// context, and served receives what Serve returned.
func serveUntilStopped(t *testing.T, cfg *config.Config, log *slog.Logger) (srv *Server, addr string, stop func(), served <-chan error) {
	t.Helper()
	srv, err := New(Options{Config: cfg, Assets: os.DirFS("../static"), Logger: log})
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
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }() // exits when the test ends
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
	return ln.Addr().String()
}
