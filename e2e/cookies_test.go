package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// These tests load pages in headless Chromium (browser_test.go) and check
// what a real browser does with the cookies, redirects and CORS answers
// that come through devproxy.

// loginBackend sets a session cookie the way a production API would (its
// own Domain, Secure, SameSite=None) at loginPath with cookie Path
// cookiePath, and reports the Cookie header of every request to mePath.
func loginBackend(t *testing.T, loginPath, cookiePath, mePath string) (url string, seen <-chan string) {
	t.Helper()
	ch := make(chan string, 4)
	srv := backend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case loginPath:
			w.Header().Add("Set-Cookie", "session=s3cret; Domain=api.example.com; Path="+cookiePath+"; HttpOnly; Secure; SameSite=None")
			w.Write([]byte("logged in"))
		case mePath:
			ch <- r.Header.Get("Cookie")
			w.Write([]byte("me"))
		default:
			http.NotFound(w, r)
		}
	}))
	return srv.URL, ch
}

// loginThenMe logs in from the page and fetches the "me" endpoint; it
// returns the Cookie header the backend saw on the second call.
func loginThenMe(t *testing.T, b *page, loginURL, meURL string, seen <-chan string) string {
	t.Helper()
	var text string
	b.Eval(fmt.Sprintf(`await fetch(%q, {method: 'POST'}); const r = await fetch(%q); return await r.text();`, loginURL, meURL), &text)
	if text != "me" {
		t.Fatalf("second fetch answered %q, want \"me\"", text)
	}
	select {
	case c := <-seen:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("backend never saw the second fetch")
		return ""
	}
}

// TestBrowserCookieForeignDomain: a cookie for the backend's production
// domain lands on devproxy's origin and comes back on the next call; with
// cookies = "passthrough" Chromium drops it, which shows the rewrite is
// what makes it work.
func TestBrowserCookieForeignDomain(t *testing.T) {
	t.Parallel()
	up, seen := loginBackend(t, "/api/login", "/", "/api/me")
	static := pageDir(t)
	for _, tt := range []struct {
		name       string
		cookies    string
		wantCookie bool
	}{
		{"rewrite", "rewrite", true},
		{"passthrough", "passthrough", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := startProxy(t, fmt.Sprintf(`
[frontend]
static = %q
[routes."/api"]
target = %q
cookies = %q
`, static, up, tt.cookies))
			b := newPage(t) // its own cookie store: cookies ignore ports, so proxies on 127.0.0.1 share one
			b.Goto(p.URL + "/")
			got := loginThenMe(t, b, "/api/login", "/api/me", seen)
			if has := strings.Contains(got, "session=s3cret"); has != tt.wantCookie {
				t.Errorf("cookies = %q: backend saw Cookie %q, want session cookie: %v", tt.cookies, got, tt.wantCookie)
			}
		})
	}
}

// TestBrowserCookieStripPrefix: behind a stripped /api the backend scopes
// its cookie to Path=/auth; the browser must send it to /api/auth/me.
func TestBrowserCookieStripPrefix(t *testing.T) {
	t.Parallel()
	up, seen := loginBackend(t, "/auth/login", "/auth", "/auth/me")
	p := startProxy(t, fmt.Sprintf(`
[frontend]
static = %q
[routes."/api"]
target = %q
strip_prefix = true
`, pageDir(t), up))
	b := newPage(t)
	b.Goto(p.URL + "/")
	if got := loginThenMe(t, b, "/api/auth/login", "/api/auth/me", seen); !strings.Contains(got, "session=s3cret") {
		t.Errorf("backend saw Cookie %q on /auth/me, want the session cookie set with Path=/auth", got)
	}
}

// TestBrowserRedirectStaysOnProxy: the backend redirects to its own
// absolute URL; the browser must end up on devproxy's origin, not the
// backend's.
func TestBrowserRedirectStaysOnProxy(t *testing.T) {
	t.Parallel()
	var upURL string
	up := backend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/start":
			http.Redirect(w, r, upURL+"/landed?from=start", http.StatusFound)
		case "/landed":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(`<!doctype html><link rel="icon" href="data:,"><p>landed</p>`))
		}
	}))
	upURL = up.URL
	p := startProxy(t, fmt.Sprintf(`
[routes."/app"]
target = %q
strip_prefix = true
`, up.URL))
	b := newPage(t)
	if status := b.Goto(p.URL + "/app/start"); status != http.StatusOK {
		t.Fatalf("GET /app/start through devproxy = %d, want 200 after the redirect", status)
	}
	var href string
	b.Eval(`return location.href;`, &href)
	if want := p.URL + "/app/landed?from=start"; href != want {
		t.Errorf("browser is at %s, want %s (on devproxy's origin)", href, want)
	}
}

// TestBrowserCORSFromSecondOrigin: a page on another origin calls a route
// with a cors table using credentials, a PUT and a custom header. The
// backend's own CORS headers (a wildcard, useless with credentials) are
// replaced by devproxy's. With the origin missing from allow_origins,
// Chromium blocks the call and says so in the console.
func TestBrowserCORSFromSecondOrigin(t *testing.T) {
	t.Parallel()
	seen := make(chan string, 8)
	api := backend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Method + " " + r.Header.Get("X-Token")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Write([]byte("stored"))
	}))
	second := backend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<!doctype html><link rel="icon" href="data:,"><p>second origin</p>`))
	}))
	const call = `try {
		const r = await fetch(%q, {method: 'PUT', credentials: 'include', headers: {'X-Token': 't1', 'Content-Type': 'application/json'}, body: '{}'});
		return r.status + ' ' + await r.text();
	} catch (e) { return 'failed: ' + e; }`

	for _, tt := range []struct {
		name    string
		origins string
		want    string
	}{
		{"allowed", fmt.Sprintf("%q", second.URL), "200 stored"},
		{"not allowed", `"http://localhost:1"`, "failed: TypeError: Failed to fetch"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := startProxy(t, fmt.Sprintf(`
[routes."/api"]
target = %q
[routes."/api".cors]
allow_origins = [%s]
allow_credentials = true
`, api.URL, tt.origins))
			b := newPage(t)
			b.Goto(second.URL + "/")
			var got string
			b.Eval(fmt.Sprintf(call, p.URL+"/api/items"), &got)
			if got != tt.want {
				t.Errorf("PUT from %s = %q, want %q", second.URL, got, tt.want)
			}
			select {
			case req := <-seen:
				if tt.want != "200 stored" {
					t.Errorf("backend saw %q, want nothing: the preflight must be refused by devproxy", req)
				} else if req != "PUT t1" {
					t.Errorf("backend saw %q, want \"PUT t1\" (the preflight answered by devproxy, the PUT forwarded)", req)
				}
			default:
				if tt.want == "200 stored" {
					t.Error("backend never saw the PUT")
				}
			}
			var corsErr string
			for _, m := range b.Console() {
				if m.Type == "error" && strings.Contains(m.Text, "blocked by CORS policy") {
					corsErr = m.Text
				}
			}
			if blocked := tt.want != "200 stored"; (corsErr != "") != blocked {
				t.Errorf("console CORS error = %q, want one: %v", corsErr, blocked)
			}
		})
	}
}
