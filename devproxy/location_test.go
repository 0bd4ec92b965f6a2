package devproxy

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/devproxy/devproxy/internal/testkit"
)

func TestPublicPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		rt     *route
		in     string
		want   string
		wantOK bool
	}{
		{"identity", rewriteTestRoute(t, "/api", "http://h:1", false), "/api/x", "/api/x", true},
		{"strip root", rewriteTestRoute(t, "/api", "http://h:1", true), "/", "/api", true},
		{"strip sub", rewriteTestRoute(t, "/api", "http://h:1", true), "/x/y/", "/api/x/y/", true},
		{"base path", rewriteTestRoute(t, "/api", "http://h:1/v1", true), "/v1/x", "/api/x", true},
		{"base path itself", rewriteTestRoute(t, "/api", "http://h:1/v1/", true), "/v1", "/api", true},
		{"base path with slash", rewriteTestRoute(t, "/api", "http://h:1/v1/", true), "/v1/", "/api", true},
		{"outside base path", rewriteTestRoute(t, "/api", "http://h:1/v1", true), "/v10/x", "", false},
		{"base path no strip", rewriteTestRoute(t, "/api", "http://h:1/v1", false), "/v1/api/x", "/api/x", true},
		{"root route", rewriteTestRoute(t, "/", "http://h:1", true), "/x", "/x", true},
		{"relative path", rewriteTestRoute(t, "/api", "http://h:1", true), "x", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.rt.publicPath(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("publicPath(%q) = %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
			if ok { // round trip: the browser's path reaches the same backend path
				back, _ := tt.rt.upstreamPath(got, "")
				if strings.TrimSuffix(back, "/") != strings.TrimSuffix(tt.in, "/") && !(tt.in == "/" && back == "/") {
					t.Errorf("upstreamPath(publicPath(%q)) = %q", tt.in, back)
				}
			}
		})
	}
}

func TestRewriteLocation(t *testing.T) {
	t.Parallel()
	const origin = "http://localhost:3000"
	stripped := rewriteTestRoute(t, "/api", "http://127.0.0.1:8080", true)
	plain := rewriteTestRoute(t, "/api", "http://127.0.0.1:8080", false)
	based := rewriteTestRoute(t, "/api", "http://127.0.0.1:8080/v1", true)
	named := rewriteTestRoute(t, "/ext", "https://api.example.com", true)
	regex := rewriteTestRoute(t, "/api", "http://127.0.0.1:8080", false)
	regex.rewrite = regexp.MustCompile(`^/api/(.*)`)

	tests := []struct {
		name string
		rt   *route
		in   string
		want string // "" means unchanged
	}{
		{"target origin, stripped prefix", stripped, "http://127.0.0.1:8080/login?next=/a#top", origin + "/api/login?next=/a#top"},
		{"target origin, path already under the stripped prefix", stripped, "http://127.0.0.1:8080/api/items/?x=1", origin + "/api/items/?x=1"},
		{"target origin, the prefix itself", stripped, "http://127.0.0.1:8080/api", origin + "/api"},
		{"target origin, no strip", plain, "http://127.0.0.1:8080/api/login", origin + "/api/login"},
		{"localhost alias of a loopback target", stripped, "http://localhost:8080/x", origin + "/api/x"},
		{"ipv6 loopback alias", stripped, "http://[::1]:8080/x", origin + "/api/x"},
		{"host in upper case", stripped, "HTTP://LOCALHOST:8080/x", origin + "/api/x"},
		{"scheme-relative", stripped, "//127.0.0.1:8080/x", origin + "/api/x"},
		{"no path", stripped, "http://127.0.0.1:8080", origin + "/api"},
		{"query without path", stripped, "http://127.0.0.1:8080?x=1", origin + "/api?x=1"},
		{"escaped path kept", stripped, "http://127.0.0.1:8080/a%2Fb?q=%20", origin + "/api/a%2Fb?q=%20"},
		{"inside base path", based, "http://127.0.0.1:8080/v1/users", origin + "/api/users"},
		{"outside base path", based, "http://127.0.0.1:8080/other", ""},
		{"default https port", named, "https://api.example.com:443/cb", origin + "/ext/cb"},
		{"path-absolute behind strip_prefix", stripped, "/login?next=//x#f", "/api/login?next=//x#f"},
		{"path-absolute already public", stripped, "/api/login", ""},
		{"path-absolute, no strip, no base", plain, "/login", ""},
		{"path-absolute inside base path", based, "/v1/users", "/api/users"},
		{"path-absolute outside base path", based, "/other", ""},
		{"path-absolute root", stripped, "/", "/api"},
		{"relative no slash", stripped, "login?x=//y", ""},
		{"foreign origin", stripped, "https://accounts.example.com/o?redirect_uri=http://127.0.0.1:8080/cb", ""},
		{"other port", stripped, "http://127.0.0.1:8081/x", ""},
		{"other scheme", stripped, "https://127.0.0.1:8080/x", ""},
		{"userinfo", stripped, "http://u:p@127.0.0.1:8080/x", ""},
		{"not a url", stripped, "http://[::1/x", ""},
		{"regexp route", regex, "http://127.0.0.1:8080/x", ""},
		// One rule for a backend path, however it is written: an absolute
		// URL on devproxy's own origin (Flask's url_for(_external=True)
		// behind ProxyFix(x_host=1)) maps as the path-absolute one does.
		{"own origin, behind strip_prefix", stripped, origin + "/login?next=/a", origin + "/api/login?next=/a"},
		{"own host, other port", stripped, "http://localhost:3001/login", ""},
		{"own origin, scheme-relative", stripped, "//localhost:3000/login", "//localhost:3000/api/login"},
		{"own origin, no path", stripped, origin, origin + "/api"},
		{"own origin, already public", stripped, origin + "/api/login", ""},
		{"own origin, no strip, no base", plain, origin + "/login", ""},
		{"own origin, other scheme", stripped, "https://localhost:3000/login", ""},
	}
	in := httptest.NewRequest("GET", origin+"/api/x", nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == "" {
				want = tt.in
			}
			got, edit := rewriteLocation(tt.in, tt.rt, in)
			if got != want || (edit != locationKept) != (tt.want != "") {
				t.Errorf("rewriteLocation(%q) = %q, %v, want %q, changed %v", tt.in, got, edit, want, tt.want != "")
			}
		})
	}
}

func TestRewriteRefresh(t *testing.T) {
	t.Parallel()
	const origin = "http://localhost:3000"
	rt := rewriteTestRoute(t, "/api", "http://127.0.0.1:8080", true)
	tests := []struct {
		name string
		in   string
		want string // "" means unchanged
	}{
		{"url=", "5; url=http://127.0.0.1:8080/done", "5; url=" + origin + "/api/done"},
		{"URL= quoted", "0;URL='http://127.0.0.1:8080/x' ", "0;URL='" + origin + "/api/x' "},
		{"spaces around =", "1; url = http://127.0.0.1:8080/", "1; url = " + origin + "/api"},
		{"comma, no url=", "1, http://127.0.0.1:8080/y", "1, " + origin + "/api/y"},
		{"delay only", "3", ""},
		{"empty url", "3; url=", ""},
		{"path-absolute url behind strip_prefix", "3; url=/next", "3; url=/api/next"},
		{"relative url", "3; url=next", ""},
		{"foreign url", "3; url=https://example.com/", ""},
	}
	in := httptest.NewRequest("GET", origin+"/api/x", nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == "" {
				want = tt.in
			}
			got, edit := rewriteRefresh(tt.in, rt, in)
			if got != want || (edit != locationKept) != (tt.want != "") {
				t.Errorf("rewriteRefresh(%q) = %q, %v, want %q, changed %v", tt.in, got, edit, want, tt.want != "")
			}
		})
	}
}

// TestRedirectThroughProxy: a backend redirecting to its own absolute URL
// keeps a following client on devproxy's origin; devproxy itself never
// follows the redirect.
func TestRedirectThroughProxy(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	var backendURL string
	backend := newRewriteBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/old":
			w.Header().Set("Content-Location", backendURL+"/old.json")
			w.Header().Set("Refresh", "5; url="+backendURL+"/later")
			http.Redirect(w, r, backendURL+"/new?x=1", http.StatusFound)
		case "/away":
			http.Redirect(w, r, "https://example.com/elsewhere", http.StatusFound)
		case "/rel":
			w.Header().Set("Location", "/somewhere")
			w.WriteHeader(http.StatusSeeOther)
		default:
			w.Write([]byte("at " + r.URL.RequestURI()))
		}
	}))
	backendURL = backend.URL
	p := startProxy(t, `
[routes."/api"]
target = "`+backend.URL+`"
strip_prefix = true
`)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		path, header, want string
	}{
		{"/api/old", "Location", p.URL + "/api/new?x=1"},
		{"/api/old", "Content-Location", p.URL + "/api/old.json"},
		{"/api/old", "Refresh", "5; url=" + p.URL + "/api/later"},
		{"/api/away", "Location", "https://example.com/elsewhere"},
		{"/api/rel", "Location", "/api/somewhere"}, // the backend's own /somewhere, behind the stripped prefix
	}
	for _, tt := range tests {
		hits.Store(0)
		res, err := noFollow.Get(p.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get(tt.header); got != tt.want {
			t.Errorf("GET %s: %s = %q, want %q", tt.path, tt.header, got, tt.want)
		}
		if n := hits.Load(); n != 1 {
			t.Errorf("GET %s: backend saw %d requests, want 1 (devproxy must not follow redirects)", tt.path, n)
		}
	}

	var visited []string
	follow := &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
		visited = append(visited, req.URL.String())
		if len(via) > 3 {
			return errors.New("too many redirects")
		}
		return nil
	}}
	res, err := follow.Get(p.URL + "/api/old")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if want := []string{p.URL + "/api/new?x=1"}; strings.Join(visited, " ") != strings.Join(want, " ") {
		t.Errorf("client followed %q, want %q", visited, want)
	}
	if res.Request.URL.Host != p.Addr {
		t.Errorf("client ended at %s, want devproxy at %s", res.Request.URL, p.Addr)
	}
}

// TestRedirectsOneRuleAndEscapeHatch: a redirect to a backend path is
// mapped under the route whether the backend wrote it path-absolute or
// absolute on devproxy's own origin (Flask's url_for(_external=True)
// behind ProxyFix(x_host=1)); the log names the switch that turns it off,
// and redirects = "passthrough" leaves every Location alone.
func TestRedirectsOneRuleAndEscapeHatch(t *testing.T) {
	var proxyURL, backendURL atomic.Value
	backend := newRewriteBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch strings.TrimPrefix(r.URL.Path, "/raw") {
		case "/own":
			w.Header().Set("Location", proxyURL.Load().(string)+"/login?next=/x")
		case "/path":
			w.Header().Set("Location", "/login")
		case "/target":
			w.Header().Set("Location", backendURL.Load().(string)+"/login")
		}
		w.WriteHeader(http.StatusFound)
	}))
	backendURL.Store(backend.URL)
	logs := testkit.NewLogRecorder()
	p := startProxyLogged(t, `
[routes."/api"]
target = "`+backend.URL+`"
strip_prefix = true
[routes."/raw"]
target = "`+backend.URL+`"
strip_prefix = true
redirects = "passthrough"
`, slog.New(logs))
	proxyURL.Store(p.URL)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct{ path, want string }{
		{"/api/own", p.URL + "/api/login?next=/x"},
		{"/api/path", "/api/login"},
		{"/api/target", p.URL + "/api/login"},
		{"/raw/own", p.URL + "/login?next=/x"},
		{"/raw/path", "/login"},
		{"/raw/target", backend.URL + "/login"},
	}
	for _, tt := range tests {
		res, err := noFollow.Get(p.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get("Location"); got != tt.want {
			t.Errorf("GET %s: Location %q, want %q", tt.path, got, tt.want)
		}
	}
	var hatch int
	for _, rec := range logs.All("location rewritten") {
		if rec["turn_off"] == `routes."/api".redirects = "passthrough"` {
			hatch++
		}
	}
	if hatch != 2 {
		t.Errorf("%d location log lines name redirects = \"passthrough\", want 2 (the mapped backend paths): %v", hatch, logs.All("location rewritten"))
	}
}
