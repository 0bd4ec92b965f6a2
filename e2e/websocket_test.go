package e2e

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
	t.Parallel()
	be, handshakes := echoWebSocket(t) // it accepts every Origin: only devproxy stands in the way
	p := startProxy(t, fmt.Sprintf("[frontend]\nstatic = %q\n[routes]\n\"/ws\" = %q\n", pageDir(t), be.URL))
	foreign := blankPage(t)

	wsURL := strings.Replace(p.URL, "http://", "ws://", 1) + "/ws/echo"
	// Resolves to "open:<echo>" or "closed" (the handshake failed).
	openAndEcho := fmt.Sprintf(`return await new Promise((resolve) => {
		const ws = new WebSocket(%q);
		ws.onopen = () => ws.send('hi');
		ws.onmessage = (e) => { resolve('open:' + e.data); ws.close(); };
		ws.onerror = () => resolve('closed');
		setTimeout(() => resolve('timeout'), 5000);
	});`, wsURL)

	b := newPage(t)
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

// echoWebSocket is a WebSocket echo backend that accepts every Origin and
// counts the handshakes that reach it.
func echoWebSocket(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	srv := backend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for { // exits when the connection closes
			mt, data, err := c.ReadMessage()
			if err != nil || c.WriteMessage(mt, data) != nil {
				return
			}
		}
	}))
	return srv, &n
}
