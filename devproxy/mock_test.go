package devproxy

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/internal/testkit"
)

// connCountingBackend answers "backend" and counts the TCP connections it
// accepts: a mock must never open one.
func connCountingBackend(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	be := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "backend") }))
	be.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	be.Start()
	t.Cleanup(be.Close)
	return be, &conns
}

// startProxyWithFiles writes files (name → content) and the config into
// one directory, as a project keeps mocks beside devproxy.toml, and serves it.
func startProxyWithFiles(t *testing.T, configText string, files map[string]string) (*testProxy, string) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		testkit.WriteFile(t, filepath.Join(dir, name), content)
	}
	path := filepath.Join(dir, config.DefaultFile)
	testkit.WriteFile(t, path, configText)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("config:\n%s\nerror: %v", configText, err)
	}
	return serveConfig(t, cfg, path, slog.New(slog.DiscardHandler)), dir
}

// get sends one request and returns the response with its body read.
func get(t *testing.T, method, url string, header http.Header) (*http.Response, string) {
	t.Helper()
	req := newRequest(t, method, url, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

func TestMockAnswersWithoutTheTarget(t *testing.T) {
	t.Parallel()
	be, conns := connCountingBackend(t)
	p, dir := startProxyWithFiles(t, fmt.Sprintf(`
[routes]
"/api" = %[1]q

[routes."/api/users"]
target = %[1]q
mock = { status = 201, file = "mocks/users.json", headers = { "X-Total-Count" = "2" } }

[routes."/api/inline"]
mock = { status = 418, body = '{"error": "teapot"}' }

[routes."/api/text"]
mock = { body = "plain words" }

[routes."/api/page"]
mock = { file = "mocks/page.html", headers = { "Cache-Control" = "max-age=60" } }

[routes."/api/gone"]
mock = { status = 204 }
`, be.URL), map[string]string{
		"mocks/users.json": `[{"id":1},{"id":2}]`,
		"mocks/page.html":  `<!doctype html><p>mocked</p>`,
	})

	tests := []struct {
		method, path string
		status       int
		ctype, body  string
		header       [2]string
	}{
		{"GET", "/api/users", 201, "application/json", `[{"id":1},{"id":2}]`, [2]string{"X-Total-Count", "2"}},
		{"POST", "/api/users/7?x=1", 201, "application/json", `[{"id":1},{"id":2}]`, [2]string{"Cache-Control", "no-store"}},
		{"HEAD", "/api/users", 201, "application/json", "", [2]string{"Content-Length", "19"}},
		{"DELETE", "/api/inline", 418, "application/json", `{"error": "teapot"}`, [2]string{"Cache-Control", "no-store"}},
		{"GET", "/api/text", 200, "text/plain; charset=utf-8", "plain words", [2]string{"Content-Length", "11"}},
		{"GET", "/api/page", 200, "text/html; charset=utf-8", "<!doctype html><p>mocked</p>", [2]string{"Cache-Control", "max-age=60"}},
		{"GET", "/api/gone", 204, "", "", [2]string{"Content-Length", ""}},
	}
	for _, tt := range tests {
		res, body := get(t, tt.method, p.URL+tt.path, nil)
		if res.StatusCode != tt.status || res.Header.Get("Content-Type") != tt.ctype || body != tt.body {
			t.Errorf("%s %s = %d %q %q, want %d %q %q", tt.method, tt.path, res.StatusCode, res.Header.Get("Content-Type"), body, tt.status, tt.ctype, tt.body)
		}
		if got := res.Header.Get(tt.header[0]); got != tt.header[1] {
			t.Errorf("%s %s: %s = %q, want %q", tt.method, tt.path, tt.header[0], got, tt.header[1])
		}
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("the target accepted %d connections for mocked routes, want 0", n)
	}

	// The file is read on every request: an edit shows on the next one, without a reload.
	testkit.WriteFile(t, filepath.Join(dir, "mocks", "users.json"), `[]`)
	if res, body := get(t, "GET", p.URL+"/api/users", nil); body != "[]" || res.Header.Get("Content-Length") != "2" {
		t.Errorf("after editing the mock file: %q (Content-Length %s), want []", body, res.Header.Get("Content-Length"))
	}

	// The route beside the mocks is proxied: the counter counts.
	if _, body := get(t, "GET", p.URL+"/api/other", nil); body != "backend" || conns.Load() == 0 {
		t.Errorf("GET /api/other = %q with %d backend connections, want the backend", body, conns.Load())
	}
}

func TestMockFileMissingIsA500NamingIt(t *testing.T) {
	t.Parallel()
	p, dir := startProxyWithFiles(t, `
[routes."/api/users"]
mock = { file = "mocks/users.json" }
`, nil)
	for _, tt := range []struct{ accept, ctype string }{{"text/html", "text/html; charset=utf-8"}, {"application/json", "application/json"}} {
		res, body := get(t, "GET", p.URL+"/api/users", http.Header{"Accept": {tt.accept}})
		if res.StatusCode != 500 || res.Header.Get("Content-Type") != tt.ctype {
			t.Errorf("Accept %s: %d %s, want 500 %s", tt.accept, res.StatusCode, res.Header.Get("Content-Type"), tt.ctype)
		}
		for _, want := range []string{"mock file mocks/users.json does not exist", filepath.Join(dir, "mocks", "users.json"), "routes.&#34;/api/users&#34;.mock.file"} {
			if tt.accept == "application/json" {
				want = strings.ReplaceAll(want, "&#34;", `\"`)
			}
			if !strings.Contains(body, want) {
				t.Errorf("Accept %s: the 500 lacks %q:\n%s", tt.accept, want, body)
			}
		}
	}
	// Created later, it is served at once.
	testkit.WriteFile(t, filepath.Join(dir, "mocks", "users.json"), `{"ok":true}`)
	if res, body := get(t, "GET", p.URL+"/api/users", nil); res.StatusCode != 200 || body != `{"ok":true}` {
		t.Errorf("after creating the file: %d %q", res.StatusCode, body)
	}
}

// A mock route with a cors table answers preflights and gets CORS headers,
// as a proxied one does.
func TestMockWithCORS(t *testing.T) {
	t.Parallel()
	p := startProxy(t, `
[routes."/api"]
mock = { body = '{"a":1}' }
[routes."/api".cors]
allow_origins = ["http://localhost:5173"]
`)
	res, _ := get(t, "OPTIONS", p.URL+"/api/x", http.Header{"Origin": {"http://localhost:5173"}, "Access-Control-Request-Method": {"PUT"}})
	if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" {
		t.Errorf("preflight = %d, ACAO %q", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
	}
	res, body := get(t, "GET", p.URL+"/api/x", http.Header{"Origin": {"http://localhost:5173"}})
	if body != `{"a":1}` || res.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" {
		t.Errorf("GET = %q, ACAO %q", body, res.Header.Get("Access-Control-Allow-Origin"))
	}
}
