package devproxy

import (
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/internal/testkit"
)

// rewriteTestRoute builds a compiled route without a Server, for the pure
// rewriting functions.
func rewriteTestRoute(tb testing.TB, path, target string, strip bool) *route {
	tb.Helper()
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatal(err)
	}
	return &route{Route: config.Route{Path: path, Target: target, StripPrefix: strip, Cookies: "rewrite"}, name: path, target: u}
}

func TestRewriteSetCookie(t *testing.T) {
	t.Parallel()
	plain := rewriteTestRoute(t, "/api", "http://127.0.0.1:8080", false)
	stripped := rewriteTestRoute(t, "/api", "http://127.0.0.1:8080", true)
	based := rewriteTestRoute(t, "/api", "http://127.0.0.1:8080/v1", true)
	basedNoStrip := rewriteTestRoute(t, "/api", "http://127.0.0.1:8080/v1/", false)
	regex := rewriteTestRoute(t, "/api", "http://127.0.0.1:8080", false)
	regex.rewrite = regexp.MustCompile(`^/api/(.*)`)
	regex.Rewrite = &config.Rewrite{From: `^/api/(.*)`, To: "/$1"}

	tests := []struct {
		name    string
		rt      *route
		secure  bool // devproxy's origin is a secure context (http://localhost)
		in      string
		want    string
		changed bool
	}{
		{"foreign domain removed", plain, true,
			"session=abc; Domain=api.example.com; Path=/; HttpOnly",
			"session=abc; Path=/; HttpOnly", true},
		{"domain with leading dot, any case", plain, true,
			"a=1; DOMAIN=.example.com; path=/",
			"a=1; path=/", true},
		{"path / stays / behind a stripped prefix (the page can read it)", stripped, true,
			"session=abc; Path=/",
			"session=abc; Path=/", false},
		{"path already under the prefix left alone (no /api/api)", stripped, true,
			"sessionid=abc; Path=/api; HttpOnly",
			"sessionid=abc; Path=/api; HttpOnly", false},
		{"path deeper under the prefix left alone", stripped, true,
			"s=1; Path=/api/account",
			"s=1; Path=/api/account", false},
		{"path /x behind stripped prefix", stripped, true,
			"session=abc; Path=/x; HttpOnly",
			"session=abc; Path=/api/x; HttpOnly", true},
		{"path without strip is already right", plain, true,
			"session=abc; Path=/api/x",
			"session=abc; Path=/api/x", false},
		{"path / stays / with a target base path", based, true,
			"s=1; Path=/",
			"s=1; Path=/", false},
		{"path equal to the target base path", based, true,
			"s=1; Path=/v1",
			"s=1; Path=/api", true},
		{"path inside the target base path", based, true,
			"s=1; Path=/v1/users",
			"s=1; Path=/api/users", true},
		{"path outside the target base path kept", based, true,
			"s=1; Path=/other",
			"s=1; Path=/other", false},
		{"base path without strip maps to the root", basedNoStrip, true,
			"s=1; Path=/v1",
			"s=1; Path=/", true},
		{"relative path attribute kept (browser uses the default path)", stripped, true,
			"s=1; Path=x",
			"s=1; Path=x", false},
		{"no path attribute kept", stripped, true,
			"s=1; HttpOnly",
			"s=1; HttpOnly", false},
		{"regexp route path kept", regex, true,
			"s=1; Path=/x",
			"s=1; Path=/x", false},
		{"expires with a comma intact", stripped, true,
			"id=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Domain=x.example.com; Path=/",
			"id=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/", true},
		{"quoted value intact", plain, true,
			`token="a,b=="; Domain=api.example.com; Path=/`,
			`token="a,b=="; Path=/`, true},
		{"unknown attributes intact", stripped, true,
			"a=1; Priority=High; X-Thing=on;Path=/x; Max-Age=60",
			"a=1; Priority=High; X-Thing=on; Path=/api/x; Max-Age=60", true},
		{"secure and samesite none kept on a secure context", plain, true,
			"s=1; Domain=api.example.com; Secure; SameSite=None; Partitioned",
			"s=1; Secure; SameSite=None; Partitioned", true},
		{"secure and samesite none adjusted on plain http", plain, false,
			"s=1; Secure; HttpOnly; SameSite=None; Partitioned",
			"s=1; HttpOnly; SameSite=Lax", true},
		{"secure=value treated as secure", plain, false,
			"s=1; secure=yes",
			"s=1", true},
		{"samesite strict kept on plain http", plain, false,
			"s=1; Secure; SameSite=Strict",
			"s=1; SameSite=Strict", true},
		{"samesite none without secure gets secure on a secure context", plain, true,
			"s=1; SameSite=None",
			"s=1; SameSite=None; Secure", true},
		{"__Host- cookie keeps Path=/", stripped, true,
			"__Host-id=1; Path=/; Secure",
			"__Host-id=1; Path=/; Secure", false},
		{"__Secure- cookie keeps Secure on plain http", plain, false,
			"__Secure-id=1; Secure; Domain=api.example.com",
			"__Secure-id=1; Secure", true},
		{"name and value only", stripped, true, "a=b", "a=b", false},
		{"unparseable line passes through", stripped, true, "no equals sign; Path=/", "no equals sign; Path=/", false},
		{"empty domain is left alone", plain, true, "a=1; Domain=", "a=1; Domain=", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, e := rewriteSetCookie(tt.in, tt.rt, tt.secure)
			if got != tt.want {
				t.Errorf("rewriteSetCookie(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if e.changed() != tt.changed {
				t.Errorf("rewriteSetCookie(%q) changed = %v, want %v", tt.in, e.changed(), tt.changed)
			}
			if tt.changed && e.describe("http://localhost:3000") == "" {
				t.Errorf("rewriteSetCookie(%q): changed but no description for the log", tt.in)
			}
		})
	}
}

func TestRewriteSetCookieNeverBreaksHeader(t *testing.T) {
	t.Parallel()
	rt := rewriteTestRoute(t, "/api", "http://127.0.0.1:8080", true)
	got, _ := rewriteSetCookie("a=1; Path=/\r\nX-Injected: 1", rt, true)
	if strings.ContainsAny(got, "\r\n") {
		t.Errorf("rewriteSetCookie kept a line break: %q", got)
	}
}

func TestCookieDescriptionSaysWhy(t *testing.T) {
	t.Parallel()
	rt := rewriteTestRoute(t, "/api", "http://127.0.0.1:8080", true)
	_, e := rewriteSetCookie("s=1; Domain=api.example.com; Path=/account; Secure; SameSite=None", rt, false)
	got := e.describe("http://192.168.1.5:3000")
	for _, want := range []string{"Domain=api.example.com", "Path=/account → Path=/api/account", "removed Secure", "SameSite=None → Lax", "http://192.168.1.5:3000", "http://localhost"} {
		if !strings.Contains(got, want) {
			t.Errorf("describe() = %q, want it to mention %q", got, want)
		}
	}
}

// TestCookiesThroughProxy: a backend that sets cookies for a foreign
// domain, a secure origin and its own root path; through devproxy a real
// cookie jar stores them and sends them back to the backend.
func TestCookiesThroughProxy(t *testing.T) {
	t.Parallel()
	seen := make(chan string, 4)
	backend := newCookieBackend(t, seen)
	p := startProxy(t, `
[routes."/api"]
target = "`+backend.URL+`"
strip_prefix = true
[routes."/raw"]
target = "`+backend.URL+`"
strip_prefix = true
cookies = "passthrough"
`)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar}

	res, err := client.Get(p.URL + "/api/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	got := res.Header.Values("Set-Cookie")
	want := []string{
		"session=s3cret; Path=/; HttpOnly",
		"theme=dark; Expires=Wed, 21 Oct 2099 07:28:00 GMT; Path=/api/prefs",
		`q="a,b"; Path=/; X-Unknown=1`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Set-Cookie through /api =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	res, err = client.Get(p.URL + "/api/me")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if c := <-seen; !strings.Contains(c, "session=s3cret") {
		t.Errorf("backend saw Cookie %q on /me, want session=s3cret", c)
	}

	res, err = http.Get(p.URL + "/raw/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Values("Set-Cookie"); len(got) != 3 || got[0] != cookieBackendLines[0] {
		t.Errorf("Set-Cookie with cookies = \"passthrough\" = %q, want the backend's %q", got, cookieBackendLines)
	}
}

// TestCookiesOnPlainHTTPHost: when the browser reaches devproxy by a LAN
// address over http, Secure cookies would be dropped; devproxy adjusts
// them. At localhost it leaves them alone.
func TestCookiesOnPlainHTTPHost(t *testing.T) {
	t.Parallel()
	backend := newCookieBackend(t, nil)
	p := startProxy(t, `
[routes]
"/api" = "`+backend.URL+`"
`)
	tests := []struct {
		name string
		host string
		want string
	}{
		{"lan address", "192.168.1.5:3000", "secure=1; Path=/; SameSite=Lax"},
		{"localhost", "localhost:3000", "secure=1; Path=/; Secure; SameSite=None"},
		{"ipv6 loopback", "[::1]:3000", "secure=1; Path=/; Secure; SameSite=None"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest("GET", p.URL+"/api/secure", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = tt.host
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if got := res.Header.Get("Set-Cookie"); got != tt.want {
				t.Errorf("Set-Cookie via Host %s = %q, want %q", tt.host, got, tt.want)
			}
		})
	}
}

var cookieBackendLines = []string{
	"session=s3cret; Domain=api.example.com; Path=/; HttpOnly",
	"theme=dark; Expires=Wed, 21 Oct 2099 07:28:00 GMT; Domain=.example.com; Path=/prefs",
	`q="a,b"; Path=/; X-Unknown=1`,
}

// newCookieBackend sets cookieBackendLines on /login, a Secure
// SameSite=None cookie on /secure, and reports the Cookie header of /me on seen.
func newCookieBackend(t *testing.T, seen chan<- string) *httptest.Server {
	return newRewriteBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch strings.TrimPrefix(r.URL.Path, "/api") { // with or without strip_prefix
		case "/login":
			for _, l := range cookieBackendLines {
				w.Header().Add("Set-Cookie", l)
			}
		case "/secure":
			w.Header().Set("Set-Cookie", "secure=1; Domain=api.example.com; Path=/; Secure; SameSite=None")
		case "/me":
			if seen != nil {
				seen <- r.Header.Get("Cookie")
			}
		}
	}))
}

// TestCookiePathRules: behind strip_prefix, a prefix-aware backend's
// cookie Path is not doubled (Django's SESSION_COOKIE_PATH = "/backend"),
// Path=/ stays / so the page at / can read a CSRF token, and a backend
// path maps under the prefix. Every rewrite is logged at debug; the first
// per cookie name also at info with the reason.
func TestCookiePathRules(t *testing.T) {
	be := newRewriteBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "sessionid=s; Path=/backend; HttpOnly")
		w.Header().Add("Set-Cookie", "csrftoken=t; Path=/")
		w.Header().Add("Set-Cookie", "prefs=p; Path=/account")
	}))
	logs := testkit.NewLogRecorder()
	p := startProxyLogged(t, `
[routes."/backend"]
target = "`+be.URL+`"
strip_prefix = true
`, slog.New(logs))
	for range 2 {
		res, err := http.Get(p.URL + "/backend/admin/")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		want := []string{"sessionid=s; Path=/backend; HttpOnly", "csrftoken=t; Path=/", "prefs=p; Path=/backend/account"}
		if got := res.Header.Values("Set-Cookie"); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("Set-Cookie through /backend =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	var debug, info int
	for _, rec := range logs.All("cookie rewritten") {
		if rec["cookie"] != "prefs" {
			t.Errorf("cookie %s logged as rewritten: %v", rec["cookie"], rec)
		}
		switch rec["level"] {
		case "DEBUG":
			debug++
		case "INFO":
			info++
		}
	}
	if debug != 2 || info != 1 {
		t.Errorf("cookie rewrites logged %d times at debug and %d at info, want 2 and 1", debug, info)
	}
}
