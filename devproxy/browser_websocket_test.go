package devproxy

import (
	"fmt"
	"strings"
	"testing"
)

// TestBrowserWebSocketOriginCheck: in Chromium, a page served through
// devproxy opens its WebSocket; a page from another origin (another site
// the developer visits) cannot, and its handshake never reaches the backend.
func TestBrowserWebSocketOriginCheck(t *testing.T) {
	be := newWSBackend(t, nil) // it accepts every Origin: only devproxy stands in the way
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

	b := startBrowser(t)
	if status := b.Goto(p.URL + "/"); status != 200 {
		t.Fatalf("page through devproxy: %d", status)
	}
	var got string
	b.Eval(openAndEcho, &got)
	if got != "open:hi" {
		t.Fatalf("WebSocket from devproxy's own origin: %q, want open:hi", got)
	}
	before := be.handshakes()

	if status := b.Goto(foreign.URL + "/"); status != 200 {
		t.Fatalf("foreign page: %d", status)
	}
	b.Eval(openAndEcho, &got)
	if got != "closed" {
		t.Errorf("WebSocket from a foreign origin (%s): %q, want the handshake refused", foreign.URL, got)
	}
	if n := be.handshakes() - before; n != 0 {
		t.Errorf("the refused handshake reached the backend %d time(s)", n)
	}
}
