package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestBackendPageStylesheetFallsThrough: a backend page under /admin links
// its stylesheet at /static/…, which no route covers, so the static build
// answers 404. Chromium's console must show that 404 — not a MIME-type
// refusal of a JSON error body — and the body names the route to add.
func TestBackendPageStylesheetFallsThrough(t *testing.T) {
	t.Parallel()
	be := backend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html><head><link rel="icon" href="data:,"><link rel="stylesheet" href="/static/admin/base.css"></head><body>admin</body></html>`)
	}))
	p := startProxy(t, fmt.Sprintf("[frontend]\nstatic = %q\n[routes]\n\"/admin\" = %q\n", pageDir(t), be.URL))
	b := newPage(t)
	if status := b.Goto(p.URL + "/admin/"); status != 200 {
		t.Fatalf("GET /admin/ = %d", status)
	}
	b.WaitConsole(0, "404", 10*time.Second) // fails the test when the stylesheet's 404 never shows
	var body string
	b.Eval(`const r = await fetch('/static/admin/base.css'); return await r.text();`, &body)
	if !strings.Contains(body, `[routes.\"/static\"]`) && !strings.Contains(body, `[routes."/static"]`) {
		t.Errorf("404 body %q, want it to suggest [routes.\"/static\"]", body)
	}
	// By now, a round trip after the stylesheet's answer, any refusal of it is logged.
	for _, m := range b.Console() {
		if strings.Contains(m.Text, "MIME type") {
			t.Errorf("console: %s (want the 404, not a MIME-type error)", m.Text)
		}
	}
}
