package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/internal/testkit"
)

// harApp is a static page that loads a stylesheet, a script and an image,
// and whose script calls a mocked route, a proxied one and POSTs JSON.
var harApp = map[string]string{
	"index.html": `<!doctype html><html><head><link rel="icon" href="data:,"><link rel="stylesheet" href="/style.css">
<title>app</title></head><body><img src="/logo.svg" alt=""><pre id="out"></pre><script src="/app.js"></script></body></html>`,
	"style.css": `body { font: 14px system-ui; }`,
	"logo.svg":  `<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>`,
	"app.js": `(async () => {
  const users = await (await fetch('/api/users')).json();
  const hello = await (await fetch('/api/hello?lang=en')).text();
  const saved = await (await fetch('/api/save', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'Ada' }) })).text();
  document.getElementById('out').textContent = JSON.stringify({ users, hello, saved });
  window.done = true;
})();`,
}

// A page session recorded through devproxy while its status page is
// open, exported with the page's Export HAR button: the file is HAR 1.2,
// lists every request the page made (its navigation and every resource
// timing entry), and Chromium replays the page from it alone. Then the
// status page's switches take a route offline and slow it, live.
func TestBrowserExportHARAndSwitches(t *testing.T) {
	t.Parallel()
	var backendHits atomic.Int64
	api := backend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		backendHits.Add(1)
		switch r.URL.Path {
		case "/api/save":
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"saved": %s}`, body)
		default:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			fmt.Fprintf(w, "hello %s", r.URL.Query().Get("lang"))
		}
	}))
	dir := t.TempDir()
	for name, content := range harApp {
		testkit.WriteFile(t, filepath.Join(dir, "dist", name), content)
	}
	testkit.WriteFile(t, filepath.Join(dir, "mocks", "users.json"), `[{"id":1,"name":"Ada"},{"id":2,"name":"Grace"}]`)
	p := startProxyIn(t, dir, fmt.Sprintf(`
[frontend]
static = "dist"

[routes."/api"]
target = %[1]q

[routes."/api/users"]
target = %[1]q
mock = { file = "mocks/users.json", headers = { "X-Total-Count" = "2" } }

[routes."/api/slow"]
target = %[1]q
delay = "250ms"
throttle = "1Mbps"
`, api.URL), slog.New(slog.DiscardHandler))

	status := newPage(t)
	if code := status.Goto(p.URL + config.ReservedPrefix + "/"); code != 200 {
		t.Fatalf("status page: HTTP %d", code)
	}
	status.WaitFor(`return document.getElementById('live').textContent === 'live' && document.querySelectorAll('#routes tbody tr').length === 4`, 10*time.Second, nil) // three routes and the static build

	app := newPage(t)
	if code := app.Goto(p.URL + "/"); code != 200 {
		t.Fatalf("app: HTTP %d", code)
	}
	var out string
	app.WaitFor(`return window.done && document.getElementById('out').textContent`, 10*time.Second, &out)
	if !strings.Contains(out, `"name":"Grace"`) || !strings.Contains(out, `"hello":"hello en"`) || !strings.Contains(out, `"saved":"{\"saved\": {\"name\":\"Ada\"}}"`) {
		t.Fatalf("the page shows %s", out)
	}
	var made []string
	app.Eval(`return [performance.getEntriesByType('navigation')[0].name, ...performance.getEntriesByType('resource').map(e => e.name)]`, &made)
	if len(made) != 7 {
		t.Errorf("the page made %d requests, want 7 (page, css, svg, js, 3 fetches): %v", len(made), made)
	}
	hitsBefore := backendHits.Load()
	status.WaitFor(fmt.Sprintf(`return document.querySelectorAll('#log tbody tr').length >= %d`, len(made)), 10*time.Second, nil)

	harPath := filepath.Join(t.TempDir(), "session.har")
	if name := status.Download("#export-har", harPath); !strings.HasPrefix(name, "devproxy-") || !strings.HasSuffix(name, ".har") {
		t.Errorf("the download is called %q, want devproxy-….har", name)
	}
	data, err := os.ReadFile(harPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := testkit.ValidateHAR(data); err != nil {
		t.Fatalf("the exported file is not HAR 1.2:\n%v", err)
	}
	var h struct {
		Log struct {
			Entries []struct {
				Request struct {
					Method, URL string
					PostData    *struct{ Text string } `json:"postData"`
				}
				Response struct {
					Status  int
					Content struct{ Text, MimeType string }
				}
			}
		}
	}
	if err := json.Unmarshal(data, &h); err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, e := range h.Log.Entries {
		listed = append(listed, e.Request.URL)
		switch {
		case strings.HasSuffix(e.Request.URL, "/api/users") && e.Response.Content.Text != `[{"id":1,"name":"Ada"},{"id":2,"name":"Grace"}]`:
			t.Errorf("the mock's entry has content %q", e.Response.Content.Text)
		case e.Request.Method == "POST" && (e.Request.PostData == nil || e.Request.PostData.Text != `{"name":"Ada"}`):
			t.Errorf("the POST's entry has postData %+v", e.Request.PostData)
		}
	}
	for _, u := range made {
		if !slices.Contains(listed, u) {
			t.Errorf("the page requested %s, which the HAR does not list; it lists:\n%s", u, strings.Join(listed, "\n"))
		}
	}

	// Chromium replays the page from the HAR alone: devproxy's backend sees nothing.
	replay := newPageFromHAR(t, harPath)
	if code := replay.Goto(p.URL + "/"); code != 200 {
		t.Fatalf("replay: HTTP %d", code)
	}
	var replayed string
	replay.WaitFor(`return window.done && document.getElementById('out').textContent`, 10*time.Second, &replayed)
	if replayed != out || backendHits.Load() != hitsBefore {
		t.Errorf("replayed from the HAR the page shows %s (backend hits %d → %d); want %s and no backend request", replayed, hitsBefore, backendHits.Load(), out)
	}

	// The switches: /api offline with a 503, /api/slow on a preset, applied at once.
	flip := func(route, kind, value string) {
		t.Helper()
		status.Eval(fmt.Sprintf(`const s = document.querySelector('#routes tr[data-name=%q] select[data-switch=%q]');
			s.value = %q; s.dispatchEvent(new Event('change'))`, route, kind, value), nil)
		status.WaitFor(fmt.Sprintf(`return document.querySelector('#routes tr[data-name=%q]').dataset.override === %q`, route, fmt.Sprint(value != "")), 10*time.Second, nil)
	}
	flip("/api", "offline", "503")
	var answer struct {
		Status int
		Text   string
	}
	app.Eval(`const r = await fetch('/api/hello', { headers: { Accept: 'application/json' } }); return { status: r.status, text: await r.text() }`, &answer)
	if answer.Status != 503 || !strings.Contains(answer.Text, "switched offline on the status page") {
		t.Errorf("/api switched offline answers %d %s", answer.Status, answer.Text)
	}
	flip("/api/slow", "network", "fast-4g")
	app.Eval(`const t0 = performance.now(); const r = await fetch('/api/slow/x'); await r.text(); return { status: r.status, text: String(performance.now() - t0) }`, &answer)
	if ms, _ := strconv.ParseFloat(answer.Text, 64); answer.Status != 200 || ms < 165 {
		t.Errorf("/api/slow on fast-4g answers %d after %s ms, want 200 after its 165 ms delay", answer.Status, answer.Text)
	}
	status.WaitFor(`return document.getElementById('overrides-note').hidden === false &&
		[...document.querySelectorAll('#log tbody tr')].some(tr => tr.cells[4].textContent.includes('simulated'))`, 10*time.Second, nil)
	status.ExpectNoConsoleErrors()
	status.SaveArtifact("simulate.png")

	flip("/api", "offline", "")
	app.Eval(`const r = await fetch('/api/hello?lang=fr'); return { status: r.status, text: await r.text() }`, &answer)
	if answer.Status != 200 || answer.Text != "hello fr" {
		t.Errorf("/api back online answers %d %q", answer.Status, answer.Text)
	}
}
