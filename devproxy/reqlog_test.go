package devproxy

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/internal/testkit"
)

func TestOneLogLinePerRequest(t *testing.T) {
	t.Parallel()
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "made")
	}))
	t.Cleanup(be.Close)
	logs := testkit.NewLogRecorder()
	p := startProxyLogged(t, fmt.Sprintf("[routes]\n\"/api\" = %q\n\"/down\" = \"http://%s\"\n", be.URL, testkit.FreeAddr(t)), slog.New(logs))
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
		logs.Wait(t, "request", time.Until(deadline))
		got = logs.All("request")
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
	if !strings.HasPrefix(got[1]["reason"], "nothing is listening on") {
		t.Errorf("failed request logged without its cause: %v", got[1])
	}
}

// TestShutdownLetsInFlightRequestsFinish: Ctrl-C stops accepting but a
// request already being served completes.
func TestShutdownLetsInFlightRequestsFinish(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "finished")
	}))
	t.Cleanup(be.Close)
	cfg, err := config.Parse("t.toml", fmt.Appendf(nil, "[routes]\n\"/slow\" = %q\n", be.URL), nil)
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
	testkit.WaitUntil(t, 10*time.Second, "listener closed after stop", func() bool {
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

// TestAbortedResponseBlamesTheRightSide: a response that stops mid-body is
// logged as the client's doing when the browser left (closed tab,
// es.close(), a killed curl) and as the backend's only when its body broke
// off. Both over real sockets.
func TestAbortedResponseBlamesTheRightSide(t *testing.T) {
	t.Run("client closed", func(t *testing.T) {
		t.Parallel()
		backendDone := make(chan struct{})
		be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer close(backendDone)
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: first\n\n")
			w.(http.Flusher).Flush()
			select { // a healthy stream: it only ends when devproxy cancels it
			case <-r.Context().Done():
			case <-time.After(30 * time.Second):
			}
		}))
		t.Cleanup(be.Close)
		logs := testkit.NewLogRecorder()
		p := startProxyLogged(t, fmt.Sprintf("[routes]\n\"/events\" = %q\n", be.URL), slog.New(logs))
		conn, err := net.Dial("tcp", p.Addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "GET /events HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", p.Addr)
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		rd := bufio.NewReader(conn)
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				t.Fatalf("reading the stream: %v", err)
			}
			if strings.Contains(line, "data: first") {
				break
			}
		}
		conn.Close() // the tab goes away mid-stream
		rec := logs.Wait(t, "request", 10*time.Second)
		if want := "client closed the connection"; rec["reason"] != want || rec["level"] != "INFO" {
			t.Errorf("request line: reason %q at %s, want %q at INFO (all: %v)", rec["reason"], rec["level"], want, rec)
		}
		testkit.Receive(t, backendDone, 10*time.Second, "backend handler ending after the client left")
	})
	t.Run("backend broke off", func(t *testing.T) {
		t.Parallel()
		addr := truncatingBackend(t)
		logs := testkit.NewLogRecorder()
		p := startProxyLogged(t, fmt.Sprintf("[routes]\n\"/api\" = \"http://%s\"\n", addr), slog.New(logs))
		conn, err := net.Dial("tcp", p.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close() // stays open until the log line is written: the client is still there
		fmt.Fprintf(conn, "GET /api/x HTTP/1.1\r\nHost: %s\r\n\r\n", p.Addr)
		rec := logs.Wait(t, "request", 10*time.Second)
		if !strings.Contains(rec["reason"], "backend broke off mid-body") || rec["level"] != "WARN" {
			t.Errorf("request line: reason %q at %s, want the backend blamed at WARN (all: %v)", rec["reason"], rec["level"], rec)
		}
	})
}
