package devproxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// staticSite writes a small build into a temp dir, with a secret beside it
// that a traversal would reach.
func staticSite(t *testing.T) (root string) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "dist")
	files := map[string]string{
		"index.html":          "<h1>app shell</h1>",
		"assets/app.js":       "console.log('app')",
		"assets/style.css":    "body{}",
		"docs/index.html":     "<h1>docs</h1>",
		"emptydir/.keep":      "",
		".env":                "SECRET=1",
		".git/config":         "[core]",
		".well-known/x.txt":   "well known",
		"../secret.txt":       "outside the root",
		"assets/data.json":    `{"a":1}`,
		"assets/logo.svg":     "<svg/>",
		"nested/deep/page.js": "1",
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(base, "secret.txt"), filepath.Join(root, "link.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(base, filepath.Join(root, "linkdir")); err != nil {
		t.Fatal(err)
	}
	return root
}

// rawGet sends a request line exactly as written (no client-side cleaning).
func rawGet(t *testing.T, addr, target string, headers ...string) (status int, body string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n%s\r\n", target, addr, strings.Join(headers, ""))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res.StatusCode, string(b)
}

func TestStaticServesBuild(t *testing.T) {
	t.Parallel()
	p := startProxy(t, fmt.Sprintf("[frontend]\nstatic = %q\n", staticSite(t)))
	tests := []struct {
		path       string
		wantStatus int
		wantBody   string
		wantType   string
	}{
		{"/", 200, "<h1>app shell</h1>", "text/html; charset=utf-8"},
		{"/assets/app.js", 200, "console.log('app')", "text/javascript; charset=utf-8"},
		{"/assets/style.css", 200, "body{}", "text/css; charset=utf-8"},
		{"/assets/logo.svg", 200, "<svg/>", "image/svg+xml"},
		{"/docs/", 200, "<h1>docs</h1>", "text/html; charset=utf-8"},
		{"/users/42", 200, "<h1>app shell</h1>", "text/html; charset=utf-8"}, // SPA fallback
		{"/missing.js", 404, "", ""},                                         // no fallback for assets
		{"/assets/missing.css", 404, "", ""},
		{"/emptydir/", 200, "<h1>app shell</h1>", ""}, // no directory listing: the SPA shell instead
		{"/.well-known/x.txt", 200, "well known", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, err := http.Get(p.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("GET %s = %d, want %d", tt.path, res.StatusCode, tt.wantStatus)
			}
			if tt.wantBody != "" && string(body) != tt.wantBody {
				t.Errorf("GET %s body %q, want %q", tt.path, body, tt.wantBody)
			}
			if tt.wantType != "" && res.Header.Get("Content-Type") != tt.wantType {
				t.Errorf("GET %s Content-Type %q, want %q", tt.path, res.Header.Get("Content-Type"), tt.wantType)
			}
			if res.StatusCode == 200 && res.Header.Get("Cache-Control") != "no-cache" {
				t.Errorf("GET %s Cache-Control %q, want no-cache", tt.path, res.Header.Get("Cache-Control"))
			}
		})
	}
}

func TestStaticRefusesEscapesAndHiddenFiles(t *testing.T) {
	t.Parallel()
	p := startProxy(t, fmt.Sprintf("[frontend]\nstatic = %q\nspa = false\n", staticSite(t)))
	for _, target := range []string{
		"/../secret.txt",
		"/%2e%2e/secret.txt",
		"/%2E%2E%2Fsecret.txt",
		"/assets/..%2f..%2fsecret.txt",
		"/..%5csecret.txt",
		"/link.txt",           // symlink to a file outside the root
		"/linkdir/secret.txt", // symlinked directory outside the root
		"/.env",               // dotfiles
		"/.git/config",
		"/assets/%2e%2e/.env",
		"/a%00b",
		"/emptydir/", // no directory listings
	} {
		t.Run(target, func(t *testing.T) {
			status, body := rawGet(t, p.Addr, target)
			if status != 404 && status != 400 {
				t.Errorf("GET %s = %d, want 404 (or 400)", target, status)
			}
			if strings.Contains(body, "outside the root") || strings.Contains(body, "SECRET") || strings.Contains(body, "[core]") {
				t.Errorf("GET %s leaked a file: %q", target, body)
			}
		})
	}
}

func TestStaticConditionalAndRange(t *testing.T) {
	t.Parallel()
	p := startProxy(t, fmt.Sprintf("[frontend]\nstatic = %q\n", staticSite(t)))
	res, err := http.Get(p.URL + "/assets/app.js")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	etag, lastMod := res.Header.Get("ETag"), res.Header.Get("Last-Modified")
	if etag == "" || lastMod == "" {
		t.Fatalf("ETag %q Last-Modified %q: want both", etag, lastMod)
	}
	for name, h := range map[string][2]string{
		"If-None-Match":     {"If-None-Match", etag},
		"If-Modified-Since": {"If-Modified-Since", lastMod},
	} {
		req := newRequest(t, "GET", p.URL+"/assets/app.js", nil)
		req.Header.Set(h[0], h[1])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotModified {
			t.Errorf("%s: status %d, want 304", name, res.StatusCode)
		}
	}
	req := newRequest(t, "GET", p.URL+"/assets/app.js", nil)
	req.Header.Set("Range", "bytes=0-6")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusPartialContent || string(b) != "console" {
		t.Errorf("Range: %d %q, want 206 \"console\"", res.StatusCode, b)
	}
	// A rebuilt file gets a new ETag, so the browser's revalidation picks it up.
	post, err := http.Post(p.URL+"/assets/app.js", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if post.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST to static = %d, want 405", post.StatusCode)
	}
}

func TestStaticETagChangesOnRebuild(t *testing.T) {
	t.Parallel()
	root := staticSite(t)
	p := startProxy(t, fmt.Sprintf("[frontend]\nstatic = %q\n", root))
	etag := func() string {
		res, err := http.Get(p.URL + "/assets/app.js")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.Header.Get("ETag")
	}
	before := etag()
	if err := os.WriteFile(filepath.Join(root, "assets/app.js"), []byte("console.log('rebuilt, longer')"), 0o644); err != nil {
		t.Fatal(err)
	}
	if after := etag(); after == before {
		t.Errorf("ETag unchanged after a rebuild (%s)", after)
	}
}

func TestStaticDirectoryRedirectKeepsQuery(t *testing.T) {
	t.Parallel()
	p := startProxy(t, fmt.Sprintf("[frontend]\nstatic = %q\n", staticSite(t)))
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(p.URL + "/docs?x=1")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/docs/?x=1" {
		t.Errorf("GET /docs = %d Location %q, want 301 /docs/?x=1", res.StatusCode, res.Header.Get("Location"))
	}
}
