package devproxy

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/devproxy/devproxy/internal/testkit"
)

// TestStaticFallthroughHints: requests that fall through to the static
// build although a routed backend's page asked for them get the real fix.
func TestStaticFallthroughHints(t *testing.T) {
	be := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(be.Close)
	p := startProxy(t, fmt.Sprintf(`
[frontend]
static = %q
[routes]
"/admin" = %q
[routes."/backend"]
target = %q
strip_prefix = true
`, staticSite(t), be.URL, be.URL))

	tests := []struct {
		name        string
		method      string
		path        string
		referer     string // a path on devproxy's origin
		header      map[string]string
		status      int
		contentType string
		want        []string
		notWant     []string
	}{
		{"stylesheet of a routed backend page", "GET", "/static/admin/css/base.css", "/admin/login/",
			map[string]string{"Sec-Fetch-Dest": "style", "Accept": "text/css,*/*;q=0.1"},
			404, "text/plain", []string{"404 Not Found", `[routes."/static"]`, be.URL}, []string{"run your build again"}},
		{"fetch from a routed backend page", "GET", "/static/app.js", "/admin/", nil,
			404, "application/json", []string{`[routes.\"/static\"]`}, nil},
		{"image without a referer", "GET", "/missing.png", "",
			map[string]string{"Sec-Fetch-Dest": "image"},
			404, "text/plain", []string{"no file /missing.png"}, []string{"{"}},
		{"form posted without the stripped prefix", "POST", "/admin2/login/", "/backend/admin2/login/",
			map[string]string{"Accept": "text/html"},
			405, "text/html", []string{"405 Method Not Allowed", "X-Forwarded-Prefix: /backend", "FORCE_SCRIPT_NAME", "x_prefix=1"},
			[]string{"add a route for /admin2/login/"}},
		{"post to the static build from a script", "POST", "/login", "", nil,
			405, "application/json", []string{"only GET and HEAD", `[routes.\"/login\"]`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, tt.method, p.URL+tt.path, nil)
			if tt.referer != "" {
				req.Header.Set("Referer", p.URL+tt.referer)
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			body := string(b)
			if res.StatusCode != tt.status || !strings.HasPrefix(res.Header.Get("Content-Type"), tt.contentType) {
				t.Errorf("%s %s = %d %s, want %d %s\n%s", tt.method, tt.path, res.StatusCode, res.Header.Get("Content-Type"), tt.status, tt.contentType, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s %s: body does not say %q:\n%s", tt.method, tt.path, w, body)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(body, w) {
					t.Errorf("%s %s: body says %q:\n%s", tt.method, tt.path, w, body)
				}
			}
		})
	}
}

// TestDevServerMissHint: the dev server's 404 for a URL a routed backend's
// page asked for is explained in devproxy's log line.
func TestDevServerMissHint(t *testing.T) {
	dev := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(dev.Close)
	be := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(be.Close)
	logs := testkit.NewLogRecorder()
	p := startProxyLogged(t, fmt.Sprintf("[frontend]\ndev_server = %q\n[routes]\n\"/admin\" = %q\n", dev.URL, be.URL), slog.New(logs))
	req := newRequest(t, "GET", p.URL+"/static/admin/css/base.css", nil)
	req.Header.Set("Referer", p.URL+"/admin/")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	rec := logs.Wait(t, "request", 5*time.Second)
	if !strings.Contains(rec["fix"], `[routes."/static"]`) {
		t.Errorf("log line fix = %q, want it to suggest [routes.\"/static\"] (all: %v)", rec["fix"], rec)
	}
}
