package devproxy

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devproxy/devproxy/internal/testkit"
	"github.com/gorilla/websocket"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// httpsListen is the config line of an https devproxy in these tests.
const httpsListen = "listen = \"https://127.0.0.1:0\"\n"

// TestHTTPSServesHTTP2AndHTTP1: over TLS devproxy speaks HTTP/2 to a client
// that offers it and HTTP/1.1 to one that does not; either way the request
// is a TLS one for the rest of devproxy: the backend is told
// X-Forwarded-Proto: https, and Secure; SameSite=None cookies are kept on a
// host name that is not loopback (over plain http they would be dropped).
func TestHTTPSServesHTTP2AndHTTP1(t *testing.T) {
	t.Parallel()
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "1", Path: "/", Secure: true, SameSite: http.SameSiteNoneMode})
		fmt.Fprintf(w, "proto=%s xfp=%s", r.Proto, r.Header.Get("X-Forwarded-Proto"))
	}))
	t.Cleanup(be.Close)
	cfg := fmt.Sprintf("allowed_hosts = [\"myapp.test\"]\n[routes]\n\"/api\" = %q\n", be.URL)
	p := startProxy(t, httpsListen+cfg)
	plain := startProxy(t, cfg)

	get := func(client *http.Client, base string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", base+"/api/x", nil)
		req.Host = "myapp.test"
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	for _, h2 := range []bool{true, false} {
		res, body := get(tlsClient(t, h2), p.URL)
		wantProto := map[bool]string{true: "HTTP/2.0", false: "HTTP/1.1"}[h2]
		if res.Proto != wantProto || res.TLS == nil {
			t.Errorf("h2=%v: response %s (TLS %v), want %s over TLS", h2, res.Proto, res.TLS != nil, wantProto)
		}
		if body != "proto=HTTP/1.1 xfp=https" {
			t.Errorf("h2=%v: backend saw %q, want HTTP/1.1 upstream with X-Forwarded-Proto https", h2, body)
		}
		if sc := res.Header.Get("Set-Cookie"); !strings.Contains(sc, "Secure") || !strings.Contains(sc, "SameSite=None") {
			t.Errorf("h2=%v: Set-Cookie %q, want Secure and SameSite=None kept on https", h2, sc)
		}
	}
	req, _ := http.NewRequest("GET", p.URL+"/api/x", nil)
	req.Host = "attacker.example" // DNS rebinding over https: the Host check is the same
	res, err := tlsClient(t, true).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("foreign Host over HTTP/2: %d, want 403", res.StatusCode)
	}
	res, body := get(http.DefaultClient, plain.URL)
	if sc := res.Header.Get("Set-Cookie"); strings.Contains(sc, "Secure") || body != "proto=HTTP/1.1 xfp=http" {
		t.Errorf("plain http control: Set-Cookie %q body %q, want Secure dropped and X-Forwarded-Proto http", sc, body)
	}
}

// TestPlainHTTPOnHTTPSListenRedirects: the same port answers plain HTTP
// with a 307 to the same URL over https (method and body kept), after the
// Host check; only the root certificate is served in clear, for a phone.
func TestPlainHTTPOnHTTPSListenRedirects(t *testing.T) {
	t.Parallel()
	be, hits := countingBackend(t)
	p := startProxy(t, httpsListen+fmt.Sprintf("[routes]\n\"/api\" = %q\n", be.URL))
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	plainURL := "http://" + p.Addr
	for _, method := range []string{"GET", "POST"} {
		req, _ := http.NewRequest(method, plainURL+"/api/x?q=1&r=%2F", strings.NewReader("body"))
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if want := "https://" + p.Addr + "/api/x?q=1&r=%2F"; res.StatusCode != http.StatusTemporaryRedirect || res.Header.Get("Location") != want {
			t.Errorf("%s over plain http: %d Location %q, want 307 to %s", method, res.StatusCode, res.Header.Get("Location"), want)
		}
	}
	req, _ := http.NewRequest("GET", plainURL+"/api/x", nil)
	req.Host = "attacker.example"
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("foreign Host over plain http: %d, want 403 before any redirect", res.StatusCode)
	}
	res, err = client.Get(plainURL + CAPath)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Equal(pemBytes, sharedCA(t).CertPEM()) || bytes.Contains(pemBytes, []byte("PRIVATE")) {
		t.Errorf("root certificate over plain http: %d, %d bytes, want the CA's public PEM", res.StatusCode, len(pemBytes))
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/x-x509-ca-cert" {
		t.Errorf("root certificate Content-Type %q, want application/x-x509-ca-cert (what phones install from)", ct)
	}
	if hits.Load() != 0 {
		t.Errorf("%d plain-HTTP requests reached the backend", hits.Load())
	}
}

// TestHTTP2RefusesWhatTheScannerLooksFor: HTTP/2 connections get no
// framing scanner (tlslisten.go), because net/http's HTTP/2 server already
// refuses, stream by stream, the requests the scanner refuses in HTTP/1.1.
// Raw frames, so no client library cleans them up first. The server also
// does not offer extended CONNECT, so browsers send WebSockets over
// HTTP/1.1 (checked in Chromium by the e2e tests).
func TestHTTP2RefusesWhatTheScannerLooksFor(t *testing.T) {
	t.Parallel()
	// Stream 5's headers may reach the backend before its overlong DATA
	// frame reaches devproxy (net/http starts the handler on HEADERS), so
	// what must never happen is a request the backend reads to the end, or
	// the smuggled path at all.
	var hits atomic.Int64
	var smuggled atomic.Bool
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/hidden" {
			smuggled.Store(true)
		}
		if _, err := io.ReadAll(r.Body); err == nil {
			hits.Add(1)
		}
	}))
	t.Cleanup(be.Close)
	p := startProxy(t, httpsListen+fmt.Sprintf("[routes]\n\"/api\" = %q\n", be.URL))
	roots := testRoots(t)
	conn, err := tls.Dial("tcp", p.Addr, &tls.Config{RootCAs: roots, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if proto := conn.ConnectionState().NegotiatedProtocol; proto != "h2" {
		t.Fatalf("ALPN chose %q, want h2", proto)
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(conn, conn)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	headers := func(streamID uint32, endStream bool, extra ...hpack.HeaderField) {
		var buf bytes.Buffer
		enc := hpack.NewEncoder(&buf)
		for _, f := range append([]hpack.HeaderField{
			{Name: ":method", Value: "POST"}, {Name: ":scheme", Value: "https"},
			{Name: ":authority", Value: p.Addr}, {Name: ":path", Value: "/api/x"},
		}, extra...) {
			_ = enc.WriteField(f)
		}
		if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: streamID, BlockFragment: buf.Bytes(), EndHeaders: true, EndStream: endStream}); err != nil {
			t.Fatal(err)
		}
	}
	headers(1, true, hpack.HeaderField{Name: "transfer-encoding", Value: "chunked"})
	headers(3, true, hpack.HeaderField{Name: "x-a", Value: "a\r\nx-smuggled: 1"})
	headers(5, false, hpack.HeaderField{Name: "content-length", Value: "4"})
	if err := fr.WriteData(5, true, []byte("0\r\n\r\nGET /api/hidden HTTP/1.1\r\n\r\n")); err != nil {
		t.Fatal(err)
	}

	// Each stream must end in a reset or a 400 from net/http itself (it
	// answers a connection-specific header with 400 without calling the
	// handler); the backend count below proves none was forwarded.
	refused := map[uint32]string{}
	var settings []http2.Setting
	dec := hpack.NewDecoder(4096, nil)
	fr.ReadMetaHeaders = dec
	for len(refused) < 3 {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("reading frames (refused so far %v): %v", refused, err)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			_ = f.ForeachSetting(func(s http2.Setting) error { settings = append(settings, s); return nil })
		case *http2.RSTStreamFrame:
			refused[f.StreamID] = "reset " + f.ErrCode.String()
		case *http2.MetaHeadersFrame:
			refused[f.StreamID] = "status " + f.PseudoValue("status")
		case *http2.GoAwayFrame:
			t.Fatalf("connection closed with GOAWAY %v before every stream was answered", f.ErrCode)
		}
	}
	for id, how := range refused {
		if !strings.HasPrefix(how, "reset") && how != "status 400" {
			t.Errorf("stream %d: %s, want a reset or 400", id, how)
		}
	}
	for _, s := range settings {
		if s.ID == http2.SettingEnableConnectProtocol && s.Val != 0 {
			t.Error("devproxy offers extended CONNECT (RFC 8441): browsers would send WebSockets as CONNECT over HTTP/2, which its relay does not carry")
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d malformed HTTP/2 requests reached the backend whole", n)
	}
	if smuggled.Load() {
		t.Error("the request smuggled in stream 5's body reached the backend")
	}
}

// TestUntrustedCertificateLoggedOnce: a client that does not trust the CA
// aborts the handshake with an alert; devproxy says what to run, once.
func TestUntrustedCertificateLoggedOnce(t *testing.T) {
	t.Parallel()
	be, _ := countingBackend(t)
	logs := testkit.NewLogRecorder()
	p := startProxyLogged(t, httpsListen+fmt.Sprintf("[routes]\n\"/api\" = %q\n", be.URL), logs.Logger())
	const msg = "the browser does not trust devproxy's CA yet: run `devproxy trust`"
	for range 3 {
		if _, err := http.Get(p.URL + "/api/x"); err == nil { // the system roots do not hold the test CA
			t.Fatal("a client without devproxy's CA completed the handshake")
		}
	}
	attrs := logs.Wait(t, msg, 5*time.Second)
	if attrs["level"] != "WARN" || attrs["reason"] != "bad certificate" {
		t.Errorf("log %v, want a warning with reason bad certificate (what Go's client sends)", attrs)
	}
	testkit.WaitUntil(t, 5*time.Second, "the later refusals at debug level", func() bool {
		return len(logs.All("tls handshake refused by the client")) == 2
	})
	if n := len(logs.All(msg)); n != 1 {
		t.Errorf("logged %d times, want once", n)
	}
}

// TestCertificateOnlyForNamesDevproxyAnswers: the local CA signs nothing
// for a name outside the Host check's names; allowed_hosts extends both.
func TestCertificateOnlyForNamesDevproxyAnswers(t *testing.T) {
	t.Parallel()
	be, _ := countingBackend(t)
	logs := testkit.NewLogRecorder()
	p := startProxyLogged(t, httpsListen+fmt.Sprintf("allowed_hosts = [\".corp.test\"]\n[routes]\n\"/api\" = %q\n", be.URL), logs.Logger())
	roots := testRoots(t)
	dial := func(name string) error {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", p.Addr, &tls.Config{RootCAs: roots, ServerName: name})
		if err == nil {
			c.Close()
		}
		return err
	}
	for _, name := range []string{"localhost", "app.localhost", "api.corp.test", "127.0.0.1"} {
		if err := dial(name); err != nil {
			t.Errorf("handshake for %s: %v", name, err)
		}
	}
	if err := dial("bank.example"); err == nil {
		t.Error("devproxy's CA signed a certificate for bank.example")
	}
	attrs := logs.Wait(t, "refused a TLS connection: no certificate for this name", 5*time.Second)
	if attrs["host"] != "bank.example" || attrs["fix"] != `allowed_hosts = ["bank.example"]` {
		t.Errorf("log %v, want the name and the allowed_hosts line to add", attrs)
	}
}

// TestWebSocketAndSSEOverHTTPS: a wss:// handshake (HTTP/1.1 over TLS, as
// browsers send it) from devproxy's https origin is relayed; a foreign
// origin is refused; an event stream over HTTP/2 arrives event by event.
func TestWebSocketAndSSEOverHTTPS(t *testing.T) {
	t.Parallel()
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	next := make(chan struct{})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/events" {
			w.Header().Set("Content-Type", "text/event-stream")
			for i := range 3 {
				fmt.Fprintf(w, "data: %d\n\n", i)
				w.(http.Flusher).Flush()
				select { // the next event only once the client has read this one
				case <-next:
				case <-r.Context().Done():
					return
				}
			}
			return
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for { // exits when the connection closes
			mt, b, err := c.ReadMessage()
			if err != nil || c.WriteMessage(mt, b) != nil {
				return
			}
		}
	}))
	t.Cleanup(be.Close)
	p := startProxy(t, httpsListen+fmt.Sprintf("[routes]\n\"/ws\" = %q\n\"/events\" = %q\n", be.URL, be.URL))

	roots := testRoots(t)
	d := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: roots}, HandshakeTimeout: 5 * time.Second}
	wsURL := "wss://" + p.Addr + "/ws/echo"
	c, _, err := d.Dial(wsURL, http.Header{"Origin": {"https://" + p.Addr}})
	if err != nil {
		t.Fatalf("wss handshake from devproxy's own https origin: %v", err)
	}
	msg := make([]byte, 64<<10)
	_, _ = rand.Read(msg)
	if err := c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
		t.Fatal(err)
	}
	_, got, err := c.ReadMessage()
	c.Close()
	if err != nil || !bytes.Equal(got, msg) {
		t.Errorf("echo over wss: %d bytes, err %v; want the 64 KiB sent", len(got), err)
	}
	if _, res, err := d.Dial(wsURL, http.Header{"Origin": {"https://evil.example"}}); err == nil || res == nil || res.StatusCode != 403 {
		t.Errorf("wss handshake from a foreign origin: %v, want 403", err)
	}

	res, err := tlsClient(t, true).Get(p.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.ProtoMajor != 2 {
		t.Fatalf("event stream over %s, want HTTP/2", res.Proto)
	}
	rd := bufio.NewReader(res.Body)
	for i := range 3 {
		line, err := rd.ReadString('\n')
		if err != nil || line != fmt.Sprintf("data: %d\n", i) {
			t.Fatalf("event %d: %q %v", i, line, err)
		}
		_, _ = rd.ReadString('\n')
		next <- struct{}{} // the backend writes the next event only now: this one was not held back
	}
}

// TestLargeTransfersOverHTTP2: 16 MiB each way through devproxy over
// HTTP/2 arrive intact (flow control on both sides of the proxy).
func TestLargeTransfersOverHTTP2(t *testing.T) {
	t.Parallel()
	blob := make([]byte, 16<<20)
	_, _ = rand.Read(blob)
	want := sha256.Sum256(blob)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "PUT" {
			h := sha256.New()
			n, _ := io.Copy(h, r.Body)
			_ = json.NewEncoder(w).Encode(map[string]any{"n": n, "sum": fmt.Sprintf("%x", h.Sum(nil))})
			return
		}
		http.ServeContent(w, r, "blob", time.Time{}, bytes.NewReader(blob))
	}))
	t.Cleanup(be.Close)
	p := startProxy(t, httpsListen+fmt.Sprintf("[routes]\n\"/files\" = %q\n", be.URL))
	client := tlsClient(t, true)

	res, err := client.Get(p.URL + "/files/blob")
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.Copy(h, res.Body)
	res.Body.Close()
	if err != nil || res.ProtoMajor != 2 || n != int64(len(blob)) || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Errorf("download over %s: %d bytes, err %v; want %d intact bytes over HTTP/2", res.Proto, n, err, len(blob))
	}
	req, _ := http.NewRequest("PUT", p.URL+"/files/upload", bytes.NewReader(blob))
	res, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		N   int64  `json:"n"`
		Sum string `json:"sum"`
	}
	_ = json.NewDecoder(res.Body).Decode(&got)
	res.Body.Close()
	if got.N != int64(len(blob)) || got.Sum != fmt.Sprintf("%x", want) {
		t.Errorf("upload over HTTP/2: backend got %d bytes (sum %s), want %d intact", got.N, got.Sum, len(blob))
	}
}

// TestOwnCertificateFromTLSTable: with [tls] devproxy serves that
// certificate instead of issuing one, and offers no CA for download.
func TestOwnCertificateFromTLSTable(t *testing.T) {
	t.Parallel()
	be, _ := countingBackend(t)
	dir := "config/testdata/tls/"
	p := startProxy(t, fmt.Sprintf("listen = \"https://localhost:0\"\n[tls]\ncert = %q\nkey = %q\n[routes]\n\"/api\" = %q\n",
		mustAbs(t, dir+"localhost.pem"), mustAbs(t, dir+"localhost-key.pem"), be.URL))
	pemBytes, err := os.ReadFile(dir + "localhost.pem")
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pemBytes)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: true}}
	res, err := client.Get(p.URL + "/api/x")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.ProtoMajor != 2 {
		t.Errorf("GET with the [tls] certificate: %d %s, want 200 over HTTP/2", res.StatusCode, res.Proto)
	}
	res, err = client.Get(p.URL + CAPath)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Errorf("%s with [tls] files: %d, want 404 (no local CA in use)", CAPath, res.StatusCode)
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// TestExtendedConnectGodebugFallsBackToHTTP1: with GODEBUG=http2xconnect=1
// net/http's HTTP/2 server offers RFC 8441 and browsers would send
// WebSockets as CONNECT, which devproxy does not relay; devproxy serves
// https as HTTP/1.1 then, and says why. (Not parallel: it sets GODEBUG.)
func TestExtendedConnectGodebugFallsBackToHTTP1(t *testing.T) {
	t.Setenv("GODEBUG", "http2xconnect=1")
	logs := testkit.NewLogRecorder()
	p := startProxyLogged(t, httpsListen+"[routes]\n\"/api\" = \"http://127.0.0.1:1\"\n", logs.Logger())
	conn, err := tls.Dial("tcp", p.Addr, &tls.Config{RootCAs: testRoots(t), NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if proto := conn.ConnectionState().NegotiatedProtocol; proto != "http/1.1" {
		t.Errorf("ALPN chose %q with GODEBUG=http2xconnect=1, want http/1.1", proto)
	}
	logs.Wait(t, "GODEBUG has http2xconnect=1: serving https as HTTP/1.1 only, so browsers keep opening WebSockets devproxy can relay; unset it for HTTP/2", 5*time.Second)
}
