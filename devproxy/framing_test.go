package devproxy

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestFramingScannerFlagsOnlyBadHeaderBlocks(t *testing.T) {
	t.Parallel()
	stream := "" +
		"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 27\r\n\r\n" + "Transfer-Encoding: chunked\r\n" + // 0: body looks like a header
		"\r\nPOST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + // 1 (after an empty line)
		"5;ext=1\r\nhello\r\n18\r\nContent-Length: 5\r\n\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n" +
		"GET /c HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + // 2: CL+TE
		"GET /d HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n" + // 3: obs-fold
		"GET /e HTTP/1.1\nHost: x\n\n" + // 4: bare LF
		"POST /f HTTP/1.0\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n" // 5: HTTP/1.0 ignores TE: no body
	want := map[int]string{2: "Content-Length and Transfer-Encoding", 3: "obs-fold"}
	stream += "GET /g HTTP/1.1\r\nHost: x\r\n\r\n" // 6: read as a request, not as a chunk size
	for _, step := range []int{1, 2, 7, 64, len(stream)} {
		t.Run(fmt.Sprintf("reads of %d bytes", step), func(t *testing.T) {
			var s framingScanner
			for i := 0; i < len(stream); i += step {
				s.consume([]byte(stream[i:min(i+step, len(stream))]))
			}
			if s.index != 7 || s.state != inHeaders {
				t.Errorf("saw %d header blocks (state %d), want 7 and still following", s.index, s.state)
			}
			if len(s.problems) != len(want) {
				t.Errorf("problems %v, want blocks %v", s.problems, want)
			}
			for i, w := range want {
				if !strings.Contains(s.problems[i], w) {
					t.Errorf("block %d: %q, want it to mention %q", i, s.problems[i], w)
				}
			}
		})
	}
}

// TestKeepAliveBodiesNotMistakenForHeaders: many requests with bodies on
// one connection, some chunked, none refused.
func TestKeepAliveBodiesNotMistakenForHeaders(t *testing.T) {
	t.Parallel()
	overBothSchemes(t, testKeepAliveBodiesNotMistakenForHeaders)
}

func testKeepAliveBodiesNotMistakenForHeaders(t *testing.T, listen string) {
	be := echoBackend(t)
	p := startProxy(t, fmt.Sprintf("%s[routes]\n\"/api\" = %q\n", listen, be.URL))
	conn := dialProxy(t, p)
	defer conn.Close()
	rd := bufio.NewReader(conn)
	for i := range 50 {
		body := fmt.Sprintf("Transfer-Encoding: chunked\r\n X-Fold: %d\r\n\r\n", i) // header-like bytes in the body
		if i%2 == 0 {
			fmt.Fprintf(conn, "POST /api/%d HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n%s", i, p.Addr, len(body), body)
		} else {
			fmt.Fprintf(conn, "POST /api/%d HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", i, p.Addr, len(body), body)
		}
		res, err := http.ReadResponse(rd, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(b), fmt.Sprintf("X-Fold: %d", i)) {
			t.Fatalf("request %d: %d %s", i, res.StatusCode, b)
		}
	}
}

// TestFramingCheckCannotBeSidestepped: requests devproxy answers itself or
// that announce an upgrade that does not happen must not make the check
// lose track of which header block belongs to which request.
func TestFramingCheckCannotBeSidestepped(t *testing.T) {
	t.Parallel()
	overBothSchemes(t, testFramingCheckCannotBeSidestepped)
}

func testFramingCheckCannotBeSidestepped(t *testing.T, listen string) {
	be, hits := countingBackend(t)
	p := startProxy(t, fmt.Sprintf("%s[routes]\n\"/api\" = %q\n", listen, be.URL))
	host := "Host: " + p.Addr + "\r\n"
	smuggle := "POST /api/x HTTP/1.1\r\n" + host + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
	for name, first := range map[string]string{
		"after an absolute-form request": "GET http://other.example/ HTTP/1.1\r\n" + host + "\r\n",
		"after OPTIONS *":                "OPTIONS * HTTP/1.1\r\n" + host + "\r\n",
		"after an h2c upgrade offer":     "GET /api/y HTTP/1.1\r\n" + host + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
		"after a refused WebSocket":      "GET /api/ws HTTP/1.1\r\n" + host + "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://evil.example\r\n\r\n",
		"after HTTP/1.0 with chunked TE": "POST /api/z HTTP/1.0\r\n" + host + "Connection: keep-alive\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			conn := dialProxy(t, p)
			defer conn.Close()
			rd := bufio.NewReader(conn)
			io.WriteString(conn, first)
			res, err := http.ReadResponse(rd, nil)
			if err != nil {
				return // the first request already closed the connection: nothing can follow it
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.Close {
				return
			}
			before := hits.Load()
			io.WriteString(conn, smuggle)
			res, err = http.ReadResponse(rd, nil)
			if err != nil {
				t.Fatalf("second request: %v", err)
			}
			res.Body.Close()
			if res.StatusCode != 400 {
				t.Errorf("CL+TE request %s: status %d, want 400", name, res.StatusCode)
			}
			if hits.Load() != before {
				t.Error("the CL+TE request reached the backend")
			}
		})
	}
}

func FuzzFramingScanner(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n\r\n"))
	f.Add([]byte("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s framingScanner
		s.consume(data)
		if s.remaining < 0 {
			t.Fatalf("negative remaining %d", s.remaining)
		}
	})
}
