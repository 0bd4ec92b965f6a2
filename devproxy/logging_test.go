package devproxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestOneLogLinePerRequest(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "made")
	}))
	t.Cleanup(be.Close)
	logs := newLogRecorder()
	p := startProxyLogged(t, fmt.Sprintf("[routes]\n\"/api\" = %q\n\"/down\" = \"http://%s\"\n", be.URL, freeAddr(t)), slog.New(logs))
	for _, path := range []string{"/api/things", "/down/x"} {
		res, err := http.Post(p.URL+path, "text/plain", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	var got []map[string]string
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < 2 && time.Now().Before(deadline) {
		logs.wait(t, "request", time.Until(deadline))
		got = logs.all("request")
	}
	if len(got) != 2 {
		t.Fatalf("%d request log records, want 2", len(got))
	}
	want := []map[string]string{
		{"method": "POST", "path": "/api/things", "route": "/api", "status": "201", "bytes": "4"},
		{"method": "POST", "path": "/down/x", "route": "/down", "status": "502"},
	}
	for i, w := range want {
		for k, v := range w {
			if got[i][k] != v {
				t.Errorf("record %d: %s = %q, want %q (all: %v)", i, k, got[i][k], v, got[i])
			}
		}
		if got[i]["dur"] == "" {
			t.Errorf("record %d has no duration", i)
		}
	}
	if !strings.HasPrefix(got[1]["err"], "nothing is listening on") {
		t.Errorf("failed request logged without its cause: %v", got[1])
	}
}

func TestConsoleHandlerFormatsRequests(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewConsoleHandler(&buf, slog.LevelInfo, false))
	log.Info("request", "method", "GET", "path", "/api/users", "route", "/api", "status", 200, "dur", 3*time.Millisecond, "bytes", int64(2048))
	log.Info("config reloaded", "routes", 3)
	log.Debug("hidden")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), buf.String())
	}
	if got := lines[0][9:]; got != "GET    /api/users → /api 200 3ms 2.0kB" {
		t.Errorf("request line = %q", got)
	}
	if got := lines[1][9:]; got != "config reloaded routes=3" {
		t.Errorf("other line = %q", got)
	}
	if strings.Contains(buf.String(), "\x1b[") {
		t.Error("colour codes without a terminal")
	}
	buf.Reset()
	slog.New(NewConsoleHandler(&buf, slog.LevelInfo, true)).Info("request", "method", "GET", "path", "/", "route", "frontend", "status", 502)
	if !strings.Contains(buf.String(), ansiRed+"502") {
		t.Errorf("a 502 is not red on a terminal: %q", buf.String())
	}
}

func TestJSONLogFormat(t *testing.T) {
	var out bytes.Buffer
	log, closeLog, err := newLogger(CLI{Stdout: &out}, "json", false, false)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("request", "method", "GET", "status", 200)
	closeLog() // flushes the batched writer
	var rec map[string]any
	if err := json.Unmarshal(out.Bytes(), &rec); err != nil || rec["msg"] != "request" || rec["method"] != "GET" {
		t.Errorf("json log %q: %v", out.String(), err)
	}
	if _, _, err := newLogger(CLI{Stdout: &out}, "yaml", false, false); err == nil {
		t.Error("unknown --log-format accepted")
	}
}

// TestShutdownLetsInFlightRequestsFinish: Ctrl-C stops accepting but a
// request already being served completes.
func TestShutdownLetsInFlightRequestsFinish(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "finished")
	}))
	t.Cleanup(be.Close)
	cfg, err := Parse("t.toml", fmt.Appendf(nil, "[routes]\n\"/slow\" = %q\n", be.URL), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, ln, stop, served := serveUntilStopped(t, cfg, slog.New(slog.DiscardHandler))
	type result struct {
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() { // exits when the request completes
		res, err := http.Get("http://" + ln + "/slow")
		if err != nil {
			done <- result{"", err}
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		done <- result{string(b), nil}
	}()
	<-entered
	stop()
	// Release the backend only once shutdown is under way (the listener
	// refuses new connections), so the request is in flight during it.
	waitUntil(t, 10*time.Second, "listener closed after stop", func() bool {
		conn, err := net.Dial("tcp", ln)
		if err != nil {
			return true
		}
		conn.Close()
		return false
	})
	close(release)
	select {
	case r := <-done:
		if r.err != nil || r.body != "finished" {
			t.Errorf("in-flight request: %q %v, want it to finish", r.body, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("in-flight request never finished")
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve returned %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
}

// TestLogLinesCannotBeForged: a page can request any path; control bytes
// in it must not reach the terminal raw (fake lines, escape sequences).
func TestLogLinesCannotBeForged(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewConsoleHandler(&buf, slog.LevelInfo, false))
	evil := "/x\n12:00:00 GET /admin → /api 200 1ms 0B\x1b[31m"
	log.Info("request", "method", "GET", "path", evil, "route", "/api", "status", 404, "err", "no such \x1b]0;title\x07")
	log.Warn("websocket origin refused", "path", evil, "origin", "http://e.test")
	log.Warn("config rejected; keeping previous", "err", "a.toml:1:1: bad\n    want: x")
	out := buf.String()
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("raw control bytes in the log: %q", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 5 { // the config error keeps its own lines; each forged path stays on one
		t.Errorf("got %d lines, want 5:\n%s", len(lines), out)
	}
	for _, l := range lines[:2] {
		if strings.HasPrefix(l, "12:00:00 GET /admin") {
			t.Errorf("forged log line: %q", l)
		}
	}
}
