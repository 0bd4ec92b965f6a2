package devproxy

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"
)

// TestBrowserWebSocketOriginCheck: in Chromium, a page served through
// devproxy opens its WebSocket; a page from another origin (another site
// the developer visits) cannot, and its handshake never reaches the backend.
func TestBrowserWebSocketOriginCheck(t *testing.T) {
	var handshakes atomic.Int64
	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }} // the backend trusts everyone: devproxy must not
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handshakes.Add(1)
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			mt, msg, err := c.ReadMessage()
			if err != nil || c.WriteMessage(mt, msg) != nil {
				return
			}
		}
	}))
	t.Cleanup(be.Close)
	p := startProxy(t, fmt.Sprintf("[frontend]\nstatic = %q\n[routes]\n\"/ws\" = %q\n", pageDir(t), be.URL))
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><html><head><link rel="icon" href="data:,"></head><body>elsewhere</body></html>`)
	}))
	t.Cleanup(foreign.Close)

	wsURL := strings.Replace(p.URL, "http://", "ws://", 1) + "/ws/echo"
	// Resolves to "open:<echo>" or "closed" (the handshake failed).
	openAndEcho := fmt.Sprintf(`return await new Promise((resolve) => {
		const ws = new WebSocket(%q);
		ws.onopen = () => ws.send('hi');
		ws.onmessage = (e) => { resolve('open:' + e.data); ws.close(); };
		ws.onerror = () => resolve('closed');
		setTimeout(() => resolve('timeout'), 5000);
	});`, wsURL)

	b := startBrowser(t)
	if status := b.Goto(p.URL + "/"); status != 200 {
		t.Fatalf("page through devproxy: %d", status)
	}
	var got string
	b.Eval(openAndEcho, &got)
	if got != "open:hi" {
		t.Fatalf("WebSocket from devproxy's own origin: %q, want open:hi", got)
	}
	before := handshakes.Load()

	if status := b.Goto(foreign.URL + "/"); status != 200 {
		t.Fatalf("foreign page: %d", status)
	}
	b.Eval(openAndEcho, &got)
	if got != "closed" {
		t.Errorf("WebSocket from a foreign origin (%s): %q, want the handshake refused", foreign.URL, got)
	}
	if n := handshakes.Load() - before; n != 0 {
		t.Errorf("the refused handshake reached the backend %d time(s)", n)
	}
}
