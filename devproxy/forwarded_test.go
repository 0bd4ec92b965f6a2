package devproxy

import (
	"fmt"
	"strings"
	"testing"
)

// TestXForwardedPrefix: behind strip_prefix the backend learns the public
// prefix devproxy removed (ProxyFix(x_prefix=1), Spring's forwarded
// headers); a browser's own X-Forwarded-Prefix never reaches any backend.
func TestXForwardedPrefix(t *testing.T) {
	be := echoBackend(t)
	p := startProxy(t, fmt.Sprintf(`
[routes."/backend"]
target = %q
strip_prefix = true
[routes."/based"]
target = "%s/app"
strip_prefix = true
[routes."/api"]
target = %q
`, be.URL, be.URL, be.URL))
	tests := []struct {
		name, path, clientValue, want, wantPath string
	}{
		{"strip_prefix", "/backend/admin/login/", "", "/backend", "/admin/login/"},
		{"strip_prefix replaces the client's value", "/backend/x", "/evil", "/backend", "/x"},
		{"strip_prefix with a base path", "/based/x", "", "/based", "/app/x"},
		{"plain route drops the client's value", "/api/x", "/evil", "", "/api/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, "GET", p.URL+tt.path, nil)
			if tt.clientValue != "" {
				req.Header.Set("X-Forwarded-Prefix", tt.clientValue)
			}
			seen := doJSON(t, req)
			if got := strings.Join(seen.Header.Values("X-Forwarded-Prefix"), ", "); got != tt.want || seen.Path != tt.wantPath {
				t.Errorf("backend saw path %q with X-Forwarded-Prefix %q, want %q with %q", seen.Path, got, tt.wantPath, tt.want)
			}
		})
	}
}

// TestChangeOriginPresentsTargetOrigin: with change_origin the backend sees
// its own Host, so a same-origin request's Origin and Referer must name the
// target too (Django 4+ compares Origin with Host); a foreign Origin passes
// unchanged, so the backend's CSRF check still refuses it. Without
// change_origin nothing is rewritten.
func TestChangeOriginPresentsTargetOrigin(t *testing.T) {
	be := echoBackend(t)
	p := startProxy(t, fmt.Sprintf(`
[routes."/co"]
target = %q
change_origin = true
[routes."/plain"]
target = %q
`, be.URL, be.URL))
	tests := []struct {
		name, path, origin, referer, wantOrigin, wantReferer string
	}{
		{"own origin", "/co/admin/login/", p.URL, p.URL + "/co/admin/login/?next=/co/", be.URL, be.URL + "/co/admin/login/?next=/co/"},
		{"foreign origin unchanged", "/co/x", "http://evil.example", "http://evil.example/page", "http://evil.example", "http://evil.example/page"},
		{"referer without origin", "/co/x", "", p.URL + "/page", "", be.URL + "/page"},
		{"null origin unchanged", "/co/x", "null", "", "null", ""},
		{"no change_origin", "/plain/x", p.URL, p.URL + "/page", p.URL, p.URL + "/page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, "POST", p.URL+tt.path, strings.NewReader("{}"))
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if tt.referer != "" {
				req.Header.Set("Referer", tt.referer)
			}
			seen := doJSON(t, req)
			if got, got2 := seen.Header.Get("Origin"), seen.Header.Get("Referer"); got != tt.wantOrigin || got2 != tt.wantReferer {
				t.Errorf("backend saw Origin %q Referer %q, want %q %q", got, got2, tt.wantOrigin, tt.wantReferer)
			}
		})
	}
}
