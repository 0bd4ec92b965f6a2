package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDoctorCookieWarningMatchesChromium: a credentialed call that passes
// CORS can still lose its session cookie. Chromium drops a SameSite=Lax
// cookie set by a cross-site response (page on localhost, API on
// 127.0.0.1) and keeps it for a same-site one (both on 127.0.0.1); doctor
// must warn in the first case only.
func TestDoctorCookieWarningMatchesChromium(t *testing.T) {
	t.Parallel()
	page := blankPage(t)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		w.Header().Set("Vary", "Origin")
		switch r.URL.Path {
		case "/login":
			w.Header().Set("Set-Cookie", "sid=s1; Path=/") // SameSite not set: Lax in Chromium
			fmt.Fprint(w, "ok")
		case "/me":
			if _, err := r.Cookie("sid"); err == nil {
				fmt.Fprint(w, "cookie")
			} else {
				fmt.Fprint(w, "no cookie")
			}
		}
	}))
	t.Cleanup(api.Close)
	port := page.URL[strings.LastIndexByte(page.URL, ':')+1:]
	b := newPage(t)
	for _, tt := range []struct {
		name, origin, wantBrowser string
		wantWarning               bool
	}{
		{"cross-site", "http://localhost:" + port, "no cookie", true},
		{"same-site", "http://127.0.0.1:" + port, "cookie", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if status := b.Goto(tt.origin + "/"); status != 200 {
				t.Fatalf("page: %d", status)
			}
			var got string
			b.Eval(fmt.Sprintf(`await fetch(%q, {credentials: 'include'}); const r = await fetch(%q, {credentials: 'include'}); return await r.text();`,
				api.URL+"/login", api.URL+"/me"), &got)
			if got != tt.wantBrowser {
				t.Fatalf("Chromium: the API saw %q on the second call, want %q", got, tt.wantBrowser)
			}
			code, out, errOut := runCLI(t, "doctor", api.URL+"/login", "--origin", tt.origin, "--credentials", "include")
			warned := strings.Contains(out, `Chromium will not store cookie "sid"`)
			if code != 0 || warned != tt.wantWarning {
				t.Errorf("doctor: exit %d, cookie warning %v, want exit 0 and warning %v\n%s%s", code, warned, tt.wantWarning, out, errOut)
			}
		})
	}
}
