package e2e

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/devproxy/devproxy/internal/testkit"
)

// TestWaitingPageInBrowser: while the dev server is down, Chromium gets the
// waiting page, which reloads itself every second without asking for
// /favicon.ico (and a 5xx for it), and shows the app once the dev server
// listens.
func TestWaitingPageInBrowser(t *testing.T) {
	t.Parallel()
	addr := testkit.FreeAddr(t)
	logs := testkit.NewLogRecorder()
	p := startProxyLogged(t, fmt.Sprintf("[frontend]\ndev_server = \"http://%s\"\n", addr), logs.Logger())
	b := newPage(t)
	if status := b.Goto(p.URL + "/"); status != http.StatusServiceUnavailable {
		t.Fatalf("page while the dev server is down: status %d, want 503", status)
	}
	pageLoads := func() int {
		n := 0
		for _, r := range logs.All("request") {
			if r["path"] == "/" {
				n++
			}
		}
		return n
	}
	testkit.WaitUntil(t, 15*time.Second, "the waiting page to reload itself twice", func() bool { return pageLoads() >= 3 })
	for _, r := range logs.All("request") {
		if status, _ := strconv.Atoi(r["status"]); r["path"] != "/" || status != http.StatusServiceUnavailable {
			t.Errorf("request while waiting: %s %s → %s, want only GET / → 503", r["method"], r["path"], r["status"])
		}
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	dev := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><link rel="icon" href="data:,"><title>app</title><h1 id="app">the app</h1>`)
	})}
	go func() { _ = dev.Serve(ln) }() // exits when dev is closed
	t.Cleanup(func() { _ = dev.Close() })
	var app string
	b.WaitFor(`const e = document.getElementById('app'); return e && e.textContent;`, 10*time.Second, &app)
}
