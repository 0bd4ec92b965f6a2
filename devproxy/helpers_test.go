package devproxy

import (
	"bufio"
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

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
	path := filepath.Join(t.TempDir(), DefaultConfigName)
	if err := os.WriteFile(path, []byte(configText), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("config:\n%s\nerror: %v", configText, err)
	}
	return serveConfig(t, cfg, path, log)
}

// serveConfig serves an already-loaded config until the test ends.
func serveConfig(t *testing.T, cfg *Config, path string, log *slog.Logger) *testProxy {
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

// freeAddr returns a loopback address with a port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// waitHTTP polls url until it answers (any status) or the deadline passes.
func waitHTTP(t *testing.T, url string, timeout time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	waitUntil(t, timeout, url+" answering", func() bool {
		res, err := client.Get(url)
		if err != nil {
			return false
		}
		res.Body.Close()
		return true
	})
}

// logRecorder is a slog.Handler that lets tests wait for a log message.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
	notify  chan struct{} // closed and replaced on every record
}

func newLogRecorder() *logRecorder { return &logRecorder{notify: make(chan struct{})} }

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }

func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Clone())
	close(l.notify)
	l.notify = make(chan struct{})
	return nil
}

// find returns the attributes of the first record whose message is msg.
func (l *logRecorder) find(msg string) (map[string]string, bool) {
	if all := l.all(msg); len(all) > 0 {
		return all[0], true
	}
	return nil, false
}

// wait blocks until a record with message msg has been logged.
func (l *logRecorder) wait(t *testing.T, msg string, timeout time.Duration) map[string]string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		l.mu.Lock()
		ch := l.notify
		l.mu.Unlock()
		if attrs, ok := l.find(msg); ok {
			return attrs
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("no %q log record within %s", msg, timeout)
		}
	}
}

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }

// all returns the attributes of every record whose message is msg.
func (l *logRecorder) all(msg string) []map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]string
	for _, r := range l.records {
		if r.Message == msg {
			attrs := map[string]string{"level": r.Level.String()}
			r.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.String(); return true })
			out = append(out, attrs)
		}
	}
	return out
}

// serveUntilStopped serves cfg on 127.0.0.1:0; stop cancels Serve's
// context, and served receives what Serve returned.
func serveUntilStopped(t *testing.T, cfg *Config, log *slog.Logger) (srv *Server, addr string, stop func(), served <-chan error) {
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

// pollInterval is how often pollUntil re-checks a condition.
const pollInterval = 10 * time.Millisecond

// pollUntil re-checks cond until it holds or timeout passes and reports
// whether it held. It is for conditions that send no event to wait on: a
// port closing, goroutines exiting, another process writing a file.
func pollUntil(timeout time.Duration, cond func() bool) bool {
	if cond() {
		return true
	}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case <-deadline.C:
			return cond()
		case <-tick.C:
			if cond() {
				return true
			}
		}
	}
}

// waitUntil is pollUntil that fails the test, naming what did not happen.
func waitUntil(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !pollUntil(timeout, cond) {
		t.Fatalf("%s: not within %s", what, timeout)
	}
}
