package devproxy

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/devproxy/devproxy/devproxy/internal/web"
)

func FuzzRewriteSetCookie(f *testing.F) {
	for _, seed := range []string{
		"session=abc; Domain=api.example.com; Path=/; Secure; HttpOnly; SameSite=None",
		"id=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/x",
		`q="a,b"; Path=/; X-Unknown=1; Partitioned`,
		"__Host-id=1; Path=/; Secure",
		"a=1;;;Path=;Domain",
		"a=1; Path=/\r\nX: y",
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	routes := []*route{
		rewriteTestRoute(f, "/api", "http://127.0.0.1:8080", true),
		rewriteTestRoute(f, "/api", "http://127.0.0.1:8080/v1/", false),
	}
	f.Fuzz(func(t *testing.T, line string, secure bool) {
		for _, rt := range routes {
			out, e := rewriteSetCookie(line, rt, secure)
			if strings.ContainsAny(out, "\r\n") {
				t.Fatalf("rewriteSetCookie(%q) = %q: contains CR or LF", line, out)
			}
			if !e.changed() && out != sanitizeHeaderValue(line) {
				t.Fatalf("rewriteSetCookie(%q) = %q but reports no change", line, out)
			}
		}
	})
}

func FuzzRewriteLocation(f *testing.F) {
	for _, seed := range []string{
		"http://127.0.0.1:8080/login?next=/a#top",
		"//localhost:8080/x",
		"/relative",
		"https://example.com/",
		"http://[::1]:8080",
		"http://127.0.0.1:8080/v1/%2F?x\r\nSet-Cookie: a=b",
		"5; url='http://127.0.0.1:8080/x'",
	} {
		f.Add(seed)
	}
	routes := []*route{
		rewriteTestRoute(f, "/api", "http://127.0.0.1:8080", true),
		rewriteTestRoute(f, "/api", "http://127.0.0.1:8080/v1", false),
	}
	const origin = "http://localhost:3000"
	in := httptest.NewRequest("GET", origin+"/api/x", nil)
	f.Fuzz(func(t *testing.T, loc string) {
		for _, rt := range routes {
			out, edit := rewriteLocation(loc, rt, in)
			if strings.ContainsAny(out, "\r\n") {
				t.Fatalf("rewriteLocation(%q) = %q: contains CR or LF", loc, out)
			}
			// A rewrite lands on devproxy's origin, or stays a path on it.
			if edit != locationKept && !onOrigin(out, origin) {
				t.Fatalf("rewriteLocation(%q) = %q: rewritten but not onto devproxy's origin", loc, out)
			}
			out, _ = rewriteRefresh(loc, rt, in)
			if strings.ContainsAny(out, "\r\n") {
				t.Fatalf("rewriteRefresh(%q) = %q: contains CR or LF", loc, out)
			}
		}
	})
}

func BenchmarkRewriteSetCookie(b *testing.B) {
	rt := rewriteTestRoute(b, "/api", "http://127.0.0.1:8080", true)
	for _, bc := range []struct{ name, line string }{
		{"rewritten", "session=abc123; Expires=Wed, 21 Oct 2099 07:28:00 GMT; Domain=api.example.com; Path=/; Secure; HttpOnly; SameSite=None"},
		{"unchanged", "session=abc123; HttpOnly; SameSite=Lax"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rewriteSetCookie(bc.line, rt, true)
			}
		})
	}
}

func BenchmarkRewriteLocation(b *testing.B) {
	rt := rewriteTestRoute(b, "/api", "http://127.0.0.1:8080", true)
	in := httptest.NewRequest("GET", "http://localhost:3000/api/x", nil)
	for _, bc := range []struct{ name, loc string }{
		{"rewritten", "http://127.0.0.1:8080/login?next=%2Fdashboard"},
		{"relative", "/login?next=%2Fdashboard"},
		{"foreign", "https://accounts.example.com/o/oauth2/auth?client_id=x"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rewriteLocation(bc.loc, rt, in)
			}
		})
	}
}

// onOrigin reports whether a rewritten URL stays on devproxy's origin: a
// path on it, or an absolute URL whose origin is devproxy's (as written,
// so scheme-relative and upper-case spellings count).
func onOrigin(out, origin string) bool {
	if strings.HasPrefix(out, "/") && !strings.HasPrefix(out, "//") {
		return true
	}
	u, err := url.Parse(out)
	if err != nil {
		return false
	}
	if u.Scheme == "" {
		u.Scheme = "http"
	}
	return web.OriginOf(u) == origin
}
