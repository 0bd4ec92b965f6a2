//go:build unix

package e2e

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/devproxy/devproxy/internal/testkit"
	"github.com/gorilla/websocket"
)

// TestHTTPSInTrustedChromium: Chromium that trusts devproxy's CA through
// its NSS database (no --ignore-certificate-errors) loads
// https://localhost:PORT over HTTP/2, gets a secure context on
// app.localhost too, keeps a Secure; SameSite=None cookie from a backend
// and sends it back, opens a WebSocket route over wss, reads the status
// page's live feed, makes a CORS-mode call across the two names, and is
// sent from http:// to https:// on the same port.
func TestHTTPSInTrustedChromium(t *testing.T) {
	t.Parallel()
	_, ca := trustedBrowser(t)
	be, _ := echoWebSocket(t)
	api := backend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/login":
			w.Header().Add("Set-Cookie", "sid=abc; Path=/; Secure; SameSite=None; HttpOnly")
			fmt.Fprint(w, "ok")
		case "/api/me":
			fmt.Fprintf(w, "cookie=%s proto=%s", r.Header.Get("Cookie"), r.Header.Get("X-Forwarded-Proto"))
		default:
			fmt.Fprint(w, "cors ok")
		}
	}))
	p := startHTTPSProxy(t, fmt.Sprintf(`
[frontend]
static = %q
[routes]
"/api" = %q
"/ws" = %q
[routes."/cors"]
target = %q
[routes."/cors".cors]
allow_origins = ["https://localhost:%%[1]s"]
`, pageDir(t), api.URL, be.URL, api.URL), ca, slog.New(slog.DiscardHandler))
	appURL := "https://app.localhost:" + p.Port

	b := newTrustedPage(t)
	if status := b.Goto(p.URL + "/"); status != http.StatusOK {
		t.Fatalf("GET %s/ = %d, want 200", p.URL, status)
	}
	var protos []string
	b.Eval(`await (await fetch('/api/me')).text(); return performance.getEntries().filter(e => e.nextHopProtocol !== undefined).map(e => e.name + ' ' + e.nextHopProtocol);`, &protos)
	if len(protos) < 2 {
		t.Fatalf("performance entries %v, want the document and the fetch", protos)
	}
	for _, e := range protos {
		if !strings.HasSuffix(e, " h2") {
			t.Errorf("performance entry %q, want nextHopProtocol h2", e)
		}
	}

	// A secure context on a *.localhost name, with its own exact certificate.
	if status := b.Goto(appURL + "/"); status != http.StatusOK {
		t.Fatalf("GET %s/ = %d", appURL, status)
	}
	var secure string
	b.Eval(`return location.protocol + ' ' + window.isSecureContext + ' ' + typeof crypto.subtle;`, &secure)
	if secure != "https: true object" {
		t.Errorf("on %s: %q, want https: true object (a secure context)", appURL, secure)
	}
	var me string
	b.Eval(`await fetch('/api/login', {credentials: 'include'}); return await (await fetch('/api/me', {credentials: 'include'})).text();`, &me)
	if me != "cookie=sid=abc proto=https" {
		t.Errorf("/api/me saw %q, want the Secure; SameSite=None cookie sent back and X-Forwarded-Proto https", me)
	}
	var sid *browserCookie
	for _, c := range b.Cookies() {
		if c.Name == "sid" {
			c := c
			sid = &c
		}
	}
	if sid == nil || !sid.Secure || sid.SameSite != "None" {
		t.Errorf("stored cookie %+v, want sid with Secure and SameSite=None", sid)
	}

	var echo string
	b.Eval(fmt.Sprintf(`return await new Promise((resolve) => {
		const ws = new WebSocket(%q);
		ws.onopen = () => ws.send('hi');
		ws.onmessage = (e) => { resolve('open:' + e.data); ws.close(); };
		ws.onerror = () => resolve('error');
		setTimeout(() => resolve('timeout'), 5000);
	});`, "wss://app.localhost:"+p.Port+"/ws/echo"), &echo)
	if echo != "open:hi" {
		t.Errorf("WebSocket over wss: %q, want open:hi", echo)
	}

	// CORS mode across the two names (two origins, one devproxy).
	var cors string
	b.Goto(p.URL + "/")
	b.Eval(fmt.Sprintf(`try { return await (await fetch(%q, {method: 'PUT'})).text(); } catch (e) { return String(e); }`, appURL+"/cors/x"), &cors)
	if cors != "cors ok" {
		t.Errorf("cross-origin PUT to the CORS route: %q, want it allowed", cors)
	}

	// The status page and its live feed (a WebSocket on the https origin).
	if status := b.Goto(p.URL + "/__devproxy/"); status != http.StatusOK {
		t.Fatalf("status page = %d", status)
	}
	b.WaitFor(`return document.getElementById('live').textContent === 'live' && document.querySelectorAll('#log tbody tr').length > 0;`, 10*time.Second, nil)

	// An error page is a page over https too.
	if status := b.Goto(p.URL + "/no/such/file.png"); status != http.StatusNotFound {
		t.Errorf("missing file over https = %d, want 404", status)
	}

	// The same port answers http:// with a redirect to https://.
	b.Goto("http://localhost:" + p.Port + "/?from=bookmark")
	if u := b.URL(); u != p.URL+"/?from=bookmark" {
		t.Errorf("http://localhost:%s/?from=bookmark ended at %q, want %s/?from=bookmark", p.Port, u, p.URL)
	}
	for _, m := range b.Console() {
		if m.Type == "pageerror" {
			t.Errorf("page error: %s", m.Text)
		}
	}
}

// TestViteHMROverHTTPS: a Vite app through devproxy over https — modules
// over HTTP/2, the HMR WebSocket over wss — applies a CSS change without a
// reload.
func TestViteHMROverHTTPS(t *testing.T) {
	t.Parallel()
	_, ca := trustedBrowser(t)
	api := backend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from the API at %s", r.URL.Path)
	}))
	viteURL, dir := startVite(t)
	p := startHTTPSProxy(t, fmt.Sprintf("[frontend]\ndev_server = %q\n[routes]\n\"/api\" = %q\n", viteURL, api.URL), ca, slog.New(slog.DiscardHandler))

	b := newTrustedPage(t)
	if status := b.Goto(p.URL + "/"); status != http.StatusOK {
		t.Fatalf("GET / through devproxy over https = %d", status)
	}
	b.WaitFor(`return document.getElementById('api').textContent.startsWith('hello');`, 10*time.Second, nil)
	var proto string
	b.Eval(`return performance.getEntriesByType('resource').find(e => e.name.endsWith('/main.js')).nextHopProtocol;`, &proto)
	if proto != "h2" {
		t.Errorf("main.js came over %q, want h2", proto)
	}
	// An edit made before the HMR socket is up is never announced to the page.
	b.WaitConsole(0, "[vite] connected.", 10*time.Second)
	if err := os.WriteFile(filepath.Join(dir, "style.css"), []byte("#title { color: rgb(0, 128, 0); }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.WaitFor(`return getComputedStyle(document.getElementById('title')).color === 'rgb(0, 128, 0)';`, 15*time.Second, nil)
	var loads int
	b.Eval(`return window.__loadedOnce;`, &loads)
	if loads != 1 {
		t.Errorf("main.js ran %d times, want 1: the CSS change should be a hot update over wss", loads)
	}
	b.ExpectNoConsoleErrors()
}

// TestUntrustedBrowserToldToRunTrust: the shared Chromium has never been
// told about the CA; it refuses the certificate, and devproxy says, once,
// what to run.
func TestUntrustedBrowserToldToRunTrust(t *testing.T) {
	t.Parallel()
	_, ca := trustedBrowser(t)
	logs := testkit.NewLogRecorder()
	p := startHTTPSProxy(t, fmt.Sprintf("[frontend]\nstatic = %q\n", pageDir(t)), ca, logs.Logger())
	b := newPage(t)
	if _, err := b.GotoErr(p.URL + "/"); err == nil || !strings.Contains(err.Error(), "ERR_CERT_AUTHORITY_INVALID") {
		t.Fatalf("untrusted Chromium loading %s: %v, want net::ERR_CERT_AUTHORITY_INVALID", p.URL, err)
	}
	attrs := logs.Wait(t, "the browser does not trust devproxy's CA yet: run `devproxy trust`", 10*time.Second)
	t.Logf("Chromium's alert: %s", attrs["reason"])
	_, _ = b.GotoErr(p.URL + "/again")
	// The second refusal is logged at debug level once its handshake ends.
	testkit.WaitUntil(t, 10*time.Second, "devproxy to log the second refused handshake", func() bool {
		return len(logs.All("tls handshake refused by the client")) > 0
	})
	if n := len(logs.All("the browser does not trust devproxy's CA yet: run `devproxy trust`")); n != 1 {
		t.Errorf("logged %d times, want once", n)
	}
}

// TestWebSocketFallsBackToHTTP1: with the page on HTTP/2, Chromium still
// opens its WebSocket: devproxy's HTTP/2 does not offer extended CONNECT
// (RFC 8441; see TestHTTP2RefusesWhatTheScannerLooksFor for the SETTINGS),
// so Chromium makes the handshake as an HTTP/1.1 GET with Upgrade on a TLS
// connection of its own — an extended CONNECT would have been refused as
// a forward-proxy request.
func TestWebSocketFallsBackToHTTP1(t *testing.T) {
	t.Parallel()
	_, ca := trustedBrowser(t)
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	be := backend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.WriteMessage(websocket.TextMessage, []byte(r.Header.Get("X-Forwarded-Proto")))
		_, _, _ = c.ReadMessage()
	}))
	logs := testkit.NewLogRecorder()
	p := startHTTPSProxy(t, fmt.Sprintf("[frontend]\nstatic = %q\n[routes]\n\"/ws\" = %q\n", pageDir(t), be.URL), ca, logs.Logger())
	b := newTrustedPage(t)
	b.Goto(p.URL + "/")
	var got string
	b.Eval(fmt.Sprintf(`const nav = performance.getEntriesByType('navigation')[0].nextHopProtocol;
	return nav + ' ' + await new Promise((resolve) => {
		const ws = new WebSocket(%q);
		ws.onmessage = (e) => { resolve(e.data); ws.close(); };
		ws.onerror = () => resolve('error');
		setTimeout(() => resolve('timeout'), 5000);
	});`, "wss://localhost:"+p.Port+"/ws"), &got)
	if got != "h2 https" {
		t.Fatalf("page protocol and WebSocket echo: %q, want h2 https (the page on HTTP/2, the socket relayed with X-Forwarded-Proto https)", got)
	}
	var handshake map[string]string
	testkit.WaitUntil(t, 10*time.Second, "the WebSocket's request log line (written when it closes)", func() bool {
		for _, rec := range logs.All("request") {
			if strings.HasPrefix(rec["path"], "/ws") {
				handshake = rec
				return true
			}
		}
		return false
	})
	if handshake["method"] != "GET" {
		t.Errorf("WebSocket handshake arrived as %s, want an HTTP/1.1 GET", handshake["method"])
	}
}
