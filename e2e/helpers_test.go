package e2e

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy"
	"github.com/devproxy/devproxy/devproxy/cli"
	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/internal/testkit"
)

func TestMain(m *testing.M) {
	testkit.RunHelper() // the status page test runs this binary as a stand-in dev server
	runCLIHelper()      // the https tests run `devproxy trust` as its own process, with their own HOME
	code := m.Run()
	closeSharedBrowser()
	closeTrustedBrowser()
	stopFrameworks()
	os.Exit(code)
}

// assets is the static/ directory, as main.go embeds it.
var assets = os.DirFS(filepath.Join("..", "static"))

// proxy is a real devproxy serving a config on 127.0.0.1:0.
type proxy struct {
	*devproxy.Server
	URL  string // http://127.0.0.1:PORT
	Addr string // 127.0.0.1:PORT
}

// startProxy writes configText to a devproxy.toml in a temp dir and serves
// it, as `devproxy` would, until the test ends.
func startProxy(t testing.TB, configText string) *proxy {
	t.Helper()
	return startProxyLogged(t, configText, slog.New(slog.DiscardHandler))
}

// startProxyLogged is startProxy with a logger of the test's choosing.
func startProxyLogged(t testing.TB, configText string, log *slog.Logger) *proxy {
	t.Helper()
	return startProxyIn(t, t.TempDir(), configText, log)
}

// startProxyIn writes configText to devproxy.toml in dir, where the files
// it names (a static build, mock files) are, and serves it.
func startProxyIn(t testing.TB, dir, configText string, log *slog.Logger) *proxy {
	t.Helper()
	path := filepath.Join(dir, config.DefaultFile)
	if err := os.WriteFile(path, []byte(configText), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("config:\n%s\nerror: %v", configText, err)
	}
	srv, err := devproxy.New(devproxy.Options{Config: cfg, Assets: assets, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	testkit.ServeUntilDone(t, 10*time.Second, func(ctx context.Context) error { return srv.Serve(ctx, ln) })
	addr := ln.Addr().String()
	return &proxy{Server: srv, URL: "http://" + addr, Addr: addr}
}

// backend serves h on 127.0.0.1:0 until the test ends.
func backend(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// pageDir writes an index.html (and a favicon, so the console stays quiet)
// to a temp dir for [frontend] static.
func pageDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte(`<!doctype html><html><head><link rel="icon" href="data:,"></head><body>page</body></html>`), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// blankPage serves an empty HTML page (with a favicon, so the console stays
// quiet) on its own origin, for scripts that make cross-origin calls.
func blankPage(t testing.TB) *httptest.Server {
	t.Helper()
	return backend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html><head><link rel="icon" href="data:,"><title>page</title></head><body></body></html>`)
	}))
}

// runCLI runs the devproxy command line and returns its exit status and output.
func runCLI(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cli.Main(context.Background(), args, cli.Options{Stdout: &out, Stderr: &errOut, Assets: assets})
	return code, out.String(), errOut.String()
}
