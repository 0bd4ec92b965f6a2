package devproxy

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devproxy/devproxy/internal/testkit"
	"github.com/gorilla/websocket"
)

// rawBackend accepts connections and hands each to serve; it is closed
// when the test ends.
func rawBackend(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() { // exits when the listener is closed
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); serve(c) }() // exits when serve returns
		}
	}()
	return ln.Addr().String()
}

// readRequestHead consumes one request's headers.
func readRequestHead(c net.Conn) {
	rd := bufio.NewReader(c)
	for {
		line, err := rd.ReadString('\n')
		if err != nil || line == "\r\n" {
			return
		}
	}
}

// truncatingBackend announces 1000 bytes, sends ten and closes.
func truncatingBackend(t *testing.T) string {
	t.Helper()
	return rawBackend(t, func(c net.Conn) {
		readRequestHead(c)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly ten b")
	})
}

func TestBackendClosesMidBody(t *testing.T) {
	t.Parallel()
	addr := truncatingBackend(t)
	logs := testkit.NewLogRecorder()
	p := startProxyLogged(t, fmt.Sprintf("[routes]\n\"/api\" = \"http://%s\"\n", addr), slog.New(logs))
	client := &http.Client{Timeout: 10 * time.Second}
	var body []byte
	res, err := client.Get(p.URL + "/api/x")
	if err == nil { // headers may or may not have left devproxy before the abort
		body, err = io.ReadAll(res.Body)
		res.Body.Close()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the client hung instead of seeing the truncated response")
	}
	if err == nil || len(body) >= 1000 {
		t.Errorf("client read %d bytes, err %v: want a truncated, aborted body", len(body), err)
	}
	rec := logs.Wait(t, "request", 5*time.Second)
	if !strings.Contains(rec["reason"], "broke off mid-body") {
		t.Errorf("log line does not say the response was cut: %v", rec)
	}
}

func TestBackendSendsInvalidHTTP(t *testing.T) {
	t.Parallel()
	addr := rawBackend(t, func(c net.Conn) {
		readRequestHead(c)
		io.WriteString(c, "SSH-2.0-OpenSSH_9.6\r\n\r\n")
	})
	p := startProxy(t, fmt.Sprintf("[routes]\n\"/api\" = \"http://%s\"\n", addr))
	res, err := http.Get(p.URL + "/api")
	if err != nil {
		t.Fatal(err)
	}
	var prob problem
	_ = jsonDecode(res.Body, &prob)
	res.Body.Close()
	if res.StatusCode != 502 || !strings.Contains(prob.Cause, "did not answer with valid HTTP") {
		t.Errorf("got %d %+v, want 502 explaining the invalid HTTP", res.StatusCode, prob)
	}
}

// TestClientLeavingStopsHugeDownload: a 1 GiB response to a client that
// disconnects after 1 MiB is not read to the end by devproxy.
func TestClientLeavingStopsHugeDownload(t *testing.T) {
	t.Parallel()
	var written atomic.Int64
	stopped := make(chan struct{})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(stopped)
		w.Header().Set("Content-Length", fmt.Sprint(1<<30))
		chunk := make([]byte, 32<<10)
		for written.Load() < 1<<30 {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	t.Cleanup(be.Close)
	p := startProxy(t, fmt.Sprintf("[routes]\n\"/big\" = %q\n", be.URL))
	res, err := http.Get(p.URL + "/big")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(io.Discard, res.Body, 1<<20); err != nil {
		t.Fatal(err)
	}
	res.Body.Close() // the browser tab closes
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatalf("backend still writing 10s after the client left (%d MiB written)", written.Load()>>20)
	}
	if w := written.Load(); w > 256<<20 {
		t.Errorf("backend wrote %d MiB before stopping; devproxy kept reading after the client left", w>>20)
	}
}

// TestIdempotentRequestSurvivesBackendDroppingKeepAlive: when the backend
// closes pooled keep-alive connections (it restarted), a GET is retried
// on a fresh connection instead of failing.
func TestIdempotentRequestSurvivesBackendDroppingKeepAlive(t *testing.T) {
	t.Parallel()
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	t.Cleanup(be.Close)
	p := startProxy(t, fmt.Sprintf("[routes]\n\"/api\" = %q\n", be.URL))
	get := func() (int, error) {
		res, err := http.Get(p.URL + "/api")
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, nil
	}
	for round := range 20 {
		// Fill the pool with a burst, then drop every backend connection.
		errc := make(chan error, 8)
		for range 8 {
			go func() { _, err := get(); errc <- err }() // exits when the request completes
		}
		for range 8 {
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		}
		be.CloseClientConnections()
		if code, err := get(); err != nil || code != 200 {
			t.Fatalf("round %d: GET after the backend dropped its connections: %d %v", round, code, err)
		}
	}
}

// TestManyIdleConnectionsAndWebSockets: 2,000 idle connections and 500 open
// WebSockets do not stop devproxy from serving, and everything is released
// afterwards (goroutines back to the baseline).
func TestManyIdleConnectionsAndWebSockets(t *testing.T) {
	// This process holds both ends of every connection; Go has already raised
	// the soft open-file limit to the hard one at startup (os, Go 1.19+).
	ws, plain := newWSBackend(t, nil), echoBackend(t)
	baseline := stableGoroutines()
	func() {
		p := startProxy(t, fmt.Sprintf("[routes]\n\"/api\" = %q\n\"/ws\" = %q\n", plain.URL, ws.URL))
		var conns []io.Closer
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for i := range 2000 {
			c, err := net.Dial("tcp", p.Addr)
			if err != nil {
				t.Fatalf("idle connection %d: %v", i, err)
			}
			conns = append(conns, c)
		}
		wsURL := "ws://" + p.Addr + "/ws/echo"
		for i := range 500 {
			c, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
			if err != nil {
				t.Fatalf("websocket %d: %v", i, err)
			}
			conns = append(conns, c)
		}
		last := conns[len(conns)-1].(*websocket.Conn)
		if err := last.WriteMessage(websocket.TextMessage, []byte("still alive")); err != nil {
			t.Fatal(err)
		}
		_ = last.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, msg, err := last.ReadMessage(); err != nil || string(msg) != "still alive" {
			t.Fatalf("echo through the 500th socket: %q %v", msg, err)
		}
		res, err := http.Get(p.URL + "/api/plain")
		if err != nil {
			t.Fatalf("plain request with 2,500 connections open: %v", err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("plain request: %d", res.StatusCode)
		}
	}()
	// Every client connection is closed now; devproxy's per-connection
	// goroutines and WebSocket relays must wind down.
	ws.CloseClientConnections()
	plain.CloseClientConnections()
	http.DefaultClient.CloseIdleConnections()
	if n := settledGoroutines(func(n int) bool { return n <= baseline+20 }, 20*time.Second); n > baseline+20 {
		t.Errorf("goroutines: %d after closing everything, baseline %d: something leaked", n, baseline)
	}
}

// TestLogsNeverShowSecrets: even at debug level, Authorization, Cookie and
// ${VAR}-expanded header values do not appear in devproxy's logs.
func TestLogsNeverShowSecrets(t *testing.T) {
	be := echoBackend(t)
	t.Setenv("DEVPROXY_TEST_SECRET", "env-secret-value-123")
	out := testkit.NewBuffer()
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := startProxyLogged(t, fmt.Sprintf("[routes.\"/api\"]\ntarget = %q\nheaders = { \"X-Api-Key\" = \"${DEVPROXY_TEST_SECRET}\" }\n", be.URL), log)
	req := newRequest(t, "GET", p.URL+"/api/x", nil)
	req.Header.Set("Authorization", "Bearer auth-secret-456")
	req.Header.Set("Cookie", "session=cookie-secret-789")
	seen := doJSON(t, req)
	if seen.Header.Get("X-Api-Key") != "env-secret-value-123" {
		t.Fatalf("backend did not get the configured header: %v", seen.Header)
	}
	// Wait for the request's log line, then look for the secrets.
	out.WaitFor(t, regexp.MustCompile(`/api/x`))
	logText := out.String()
	for _, secret := range []string{"env-secret-value-123", "auth-secret-456", "cookie-secret-789"} {
		if strings.Contains(logText, secret) {
			t.Errorf("log shows secret %q:\n%s", secret, logText)
		}
	}
}

func jsonDecode(r io.Reader, v any) error {
	return json.NewDecoder(r).Decode(v)
}

// TestRewriteLogsHideTokens: redirect URLs and cookie values logged when
// devproxy rewrites them never show query tokens or cookie values.
func TestRewriteLogsHideTokens(t *testing.T) {
	t.Parallel()
	var be *httptest.Server
	be = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "cookie-token-123", Domain: "127.0.0.1", Path: "/"})
		http.Redirect(w, r, be.URL+"/callback?code=oauth-code-456", http.StatusFound)
	}))
	t.Cleanup(be.Close)
	out := testkit.NewBuffer()
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := startProxyLogged(t, fmt.Sprintf("[routes]\n\"/auth\" = %q\n", be.URL), log)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for range 2 { // the second time, the cookie note is a debug line with the full Set-Cookie
		res, err := client.Get(p.URL + "/auth/login")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, p.URL+"/callback?code=") {
			t.Fatalf("Location = %q, want it rewritten to the proxy", loc)
		}
	}
	out.WaitFor(t, regexp.MustCompile(`(?s)location rewritten.*location rewritten`))
	text := out.String()
	if !strings.Contains(text, "location rewritten") || !strings.Contains(text, "cookie rewritten") {
		t.Fatalf("rewrites were not logged:\n%s", text)
	}
	for _, secret := range []string{"oauth-code-456", "cookie-token-123"} {
		if strings.Contains(text, secret) {
			t.Errorf("log shows %q:\n%s", secret, text)
		}
	}
}
