package devproxy

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
)

// TestMalformedRequestsRefused: smuggling attempts and broken requests are
// refused by the server before anything reaches a backend, over plain
// HTTP/1.1 and over HTTP/1.1 in TLS.
func TestMalformedRequestsRefused(t *testing.T) {
	t.Parallel()
	overBothSchemes(t, testMalformedRequestsRefused)
}

func testMalformedRequestsRefused(t *testing.T, listen string) {
	be, hits := countingBackend(t)
	p := startProxy(t, fmt.Sprintf("%s[routes]\n\"/api\" = %q\n", listen, be.URL))
	host := "Host: " + p.Addr + "\r\n"
	tests := []struct {
		name string
		raw  string
		want int
	}{
		{"CL and TE together", "POST /api/x HTTP/1.1\r\n" + host + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"two different Content-Lengths", "POST /api/x HTTP/1.1\r\n" + host + "Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde", 400},
		{"unknown transfer coding", "POST /api/x HTTP/1.1\r\n" + host + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
		{"obs-fold header", "GET /api/x HTTP/1.1\r\n" + host + "X-A: a\r\n  folded\r\n\r\n", 400},
		{"invalid header name", "GET /api/x HTTP/1.1\r\n" + host + "Bad Header: v\r\n\r\n", 400},
		{"header with NUL", "GET /api/x HTTP/1.1\r\n" + host + "X-A: a\x00b\r\n\r\n", 400},
		{"oversized headers", "GET /api/x HTTP/1.1\r\n" + host + "X-Big: " + strings.Repeat("a", 128<<10) + "\r\n\r\n", 431},
		{"absurd URL", "GET /api/" + strings.Repeat("a", 128<<10) + " HTTP/1.1\r\n" + host + "\r\n", 431},
		{"invalid percent-encoding", "GET /api/%zz HTTP/1.1\r\n" + host + "\r\n", 400},
		{"NUL in path", "GET /api/a%00b HTTP/1.1\r\n" + host + "\r\n", 400},
		{"raw NUL in request line", "GET /api/a\x00b HTTP/1.1\r\n" + host + "\r\n", 400},
		{"no Host in HTTP/1.1", "GET /api/x HTTP/1.1\r\n\r\n", 400},
		{"two Hosts", "GET /api/x HTTP/1.1\r\n" + host + host + "\r\n", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rawRequest(t, p, tt.raw); got != tt.want {
				t.Errorf("status %d, want %d", got, tt.want)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d malformed requests reached the backend", n)
	}
}

// TestSmuggledSecondRequestNotForwarded: after a refused CL+TE request the
// connection is closed, so bytes meant as a hidden second request are
// never parsed as one.
func TestSmuggledSecondRequestNotForwarded(t *testing.T) {
	t.Parallel()
	overBothSchemes(t, testSmuggledSecondRequestNotForwarded)
}

func testSmuggledSecondRequestNotForwarded(t *testing.T, listen string) {
	be, hits := countingBackend(t)
	p := startProxy(t, fmt.Sprintf("%s[routes]\n\"/api\" = %q\n", listen, be.URL))
	conn := dialProxy(t, p)
	defer conn.Close()
	smuggled := "GET /api/hidden HTTP/1.1\r\nHost: " + p.Addr + "\r\n\r\n"
	fmt.Fprintf(conn, "POST /api/x HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n%s", p.Addr, 5, smuggled)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	rd := bufio.NewReader(conn)
	res, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 400 || !res.Close {
		t.Fatalf("status %d close %v, want 400 and Connection: close", res.StatusCode, res.Close)
	}
	if _, err := http.ReadResponse(rd, nil); !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("after the refused request the connection should close, got %v", err)
	}
	if hits.Load() != 0 {
		t.Error("the smuggled request reached the backend")
	}
}

// TestSlowlorisIsCut: a client trickling its headers is disconnected after
// the header timeout while other clients are served normally.
func TestSlowlorisIsCut(t *testing.T) {
	t.Parallel()
	be, _ := countingBackend(t)
	cfg, err := config.Parse("t.toml", fmt.Appendf(nil, "[routes]\n\"/api\" = %q\n", be.URL), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Config: cfg, Assets: testAssets(), Logger: slog.New(slog.DiscardHandler), ReadHeaderTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveServer(t, srv)

	slow := make([]net.Conn, 20)
	for i := range slow {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET /api/x HTTP/1.1\r\nHost: %s\r\nX-Slow: ", addr) // never finished
		slow[i] = c
	}
	res, err := http.Get("http://" + addr + "/api/ok")
	if err != nil {
		t.Fatalf("a normal client was starved: %v", err)
	}
	res.Body.Close()
	for i, c := range slow {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := io.ReadAll(c) // returns when the server closes the connection
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("slow client %d still connected after 10s: the header timeout did not cut it", i)
		}
	}
}
