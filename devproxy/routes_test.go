package devproxy

import (
	"fmt"
	"os"
	"testing"

	"github.com/devproxy/devproxy/devproxy/config"
)

// newTestServer compiles config text into a Server without listening.
func newTestServer(t testing.TB, text string) *Server {
	t.Helper()
	cfg, err := config.Parse("t.toml", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Config: cfg, Assets: os.DirFS("../static")})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMatchLongestPrefixOnSegments(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, `
[routes]
"/api" = "http://localhost:1"
"/api/v2" = "http://localhost:2"
"/api/v2/admin/" = "http://localhost:3"
"/static.files" = "http://localhost:4"
`)
	tbl := s.table.Load()
	tests := []struct {
		path, want string
	}{
		{"/api", "/api"},
		{"/api/", "/api"},
		{"/api/users", "/api"},
		{"/apix", ""},
		{"/api2/x", ""},
		{"/api/v2", "/api/v2"},
		{"/api/v2/x", "/api/v2"},
		{"/api/v2x", "/api"},
		{"/api/v2/admin", "/api/v2/admin"},
		{"/api/v2/admin/users/1", "/api/v2/admin"},
		{"/static.files/a.js", "/static.files"},
		{"/", ""},
		{"", ""},
		{"/API", ""}, // paths are case-sensitive
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got := ""
			if rt := tbl.match(tt.path); rt != nil {
				got = rt.Path
			}
			if got != tt.want {
				t.Errorf("match(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

func TestMatchRootRoute(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, `
[routes]
"/" = "http://localhost:1"
"/api" = "http://localhost:2"
`)
	tbl := s.table.Load()
	for path, want := range map[string]string{"/": "/", "/x/y": "/", "/apix": "/", "/api/x": "/api"} {
		if rt := tbl.match(path); rt == nil || rt.Path != want {
			t.Errorf("match(%q) = %v, want %q", path, rt, want)
		}
	}
}

func TestUpstreamPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, route, path, rawPath, want, wantRaw string
	}{
		{"plain", `target = "http://h"`, "/api/users", "", "/api/users", ""},
		{"strip", `target = "http://h"` + "\nstrip_prefix = true", "/api/users", "", "/users", ""},
		{"strip exact", `target = "http://h"` + "\nstrip_prefix = true", "/api", "", "/", ""},
		{"strip trailing", `target = "http://h"` + "\nstrip_prefix = true", "/api/", "", "/", ""},
		{"base path", `target = "http://h/base"`, "/api/users", "", "/base/api/users", ""},
		{"base path slash", `target = "http://h/base/"`, "/api/users", "", "/base/api/users", ""},
		{"strip and base", `target = "http://h/v1"` + "\nstrip_prefix = true", "/api/users", "", "/v1/users", ""},
		{"rewrite", `target = "http://h"` + "\nrewrite = { from = '^/api/v1/(.*)$', to = '/v2/$1' }", "/api/v1/users", "", "/v2/users", ""},
		{"rewrite no match", `target = "http://h"` + "\nrewrite = { from = '^/api/v1/(.*)$', to = '/v2/$1' }", "/api/other", "", "/api/other", ""},
		{"strip then rewrite", `target = "http://h"` + "\nstrip_prefix = true\nrewrite = { from = '^/v1', to = '/v2' }", "/api/v1/x", "", "/v2/x", ""},
		{"strip rewrite base", `target = "http://h/root"` + "\nstrip_prefix = true\nrewrite = { from = '^/v1', to = '/v2' }", "/api/v1/x", "", "/root/v2/x", ""},
		{"rewrite without slash", `target = "http://h"` + "\nrewrite = { from = '^/api/', to = '' }", "/api/x", "", "/x", ""},
		{"escaped kept", `target = "http://h"` + "\nstrip_prefix = true", "/api/a/b", "/api/a%2Fb", "/a/b", "/a%2Fb"},
		{"escaped base", `target = "http://h/base"`, "/api/a/b", "/api/a%2Fb", "/base/api/a/b", "/base/api/a%2Fb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, "[routes.\"/api\"]\n"+tt.route+"\n")
			rt := s.table.Load().match("/api")
			got, gotRaw := rt.upstreamPath(tt.path, tt.rawPath)
			if got != tt.want || gotRaw != tt.wantRaw {
				t.Errorf("upstreamPath(%q, %q) = %q, %q, want %q, %q", tt.path, tt.rawPath, got, gotRaw, tt.want, tt.wantRaw)
			}
		})
	}
}

func TestPublicPathInvertsUpstreamPath(t *testing.T) {
	t.Parallel()
	for _, route := range []string{
		`target = "http://h"`,
		`target = "http://h"` + "\nstrip_prefix = true",
		`target = "http://h/base"`,
		`target = "http://h/base/"` + "\nstrip_prefix = true",
	} {
		s := newTestServer(t, "[routes.\"/api\"]\n"+route+"\n")
		rt := s.table.Load().match("/api")
		for _, p := range []string{"/api", "/api/x", "/api/x/y/"} {
			up, _ := rt.upstreamPath(p, "")
			back, ok := rt.publicPath(up)
			if !ok || back != p {
				t.Errorf("%s: publicPath(upstreamPath(%q) = %q) = %q, %v; want %q", route, p, up, back, ok, p)
			}
		}
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	s := newTestServer(t, fiftyRoutes())
	tbl := s.table.Load()
	allocs := testing.AllocsPerRun(1000, func() {
		if tbl.match("/svc37/users/42/orders") == nil {
			t.Fatal("no match")
		}
	})
	if allocs != 0 {
		t.Errorf("match allocates %.1f times per call, want 0", allocs)
	}
}

func fiftyRoutes() string {
	text := "[routes]\n"
	for i := range 50 {
		text += fmt.Sprintf("\"/svc%d\" = \"http://localhost:%d\"\n", i, 9000+i)
	}
	return text
}

// BenchmarkMatch50Routes measures the per-request route lookup on a
// 50-route table (target: 0 allocs/op).
func BenchmarkMatch50Routes(b *testing.B) {
	s := newTestServer(b, fiftyRoutes())
	tbl := s.table.Load()
	b.ReportAllocs()
	for b.Loop() {
		if tbl.match("/svc37/users/42/orders") == nil {
			b.Fatal("no match")
		}
	}
}
