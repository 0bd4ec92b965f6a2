package devproxy

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy/internal/web"
	"github.com/devproxy/devproxy/internal/testkit"
)

// TestCSRFRefusalExplained: a backend's CSRF failure page (Django's, as it
// really answers) is passed to the browser byte for byte, and the request's
// log line says which framework refused, why, and the fix for this route.
// A success body that looks the same is never read.
func TestCSRFRefusalExplained(t *testing.T) {
	page, err := os.ReadFile("internal/web/testdata/csrf/django_origin.html")
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("x"), 64<<10) // longer than what devproxy reads
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/plain", "/co/plain":
			w.WriteHeader(http.StatusForbidden)
			w.Write(page)
			w.Write(big)
		case "/api/gzip":
			w.Header().Set("Content-Encoding", "gzip")
			w.WriteHeader(http.StatusForbidden)
			zw := gzip.NewWriter(w)
			zw.Write(page)
			zw.Close()
		case "/api/ok":
			w.Write(page) // a 200 whose body mentions CSRF: never read
		}
	}))
	t.Cleanup(be.Close)
	logs := testkit.NewLogRecorder()
	p := startProxyLogged(t, fmt.Sprintf(`
[routes]
"/api" = %q
[routes."/co"]
target = %q
change_origin = true
`, be.URL, be.URL), slog.New(logs))

	tests := []struct {
		path     string
		reason   string // "" means none
		fixParts []string
	}{
		{"/api/plain", "Django refused the request: CSRF verification failed (Origin checking failed - http://localhost:3100 does not match any trusted origins.)",
			[]string{"http://localhost:3100", "open the page through devproxy", `CSRF_TRUSTED_ORIGINS = ["http://localhost:3100"]`}},
		{"/api/gzip", "Django refused the request: CSRF verification failed (Origin checking failed", nil},
		{"/co/plain", "Django refused the request", []string{"http://localhost:3100"}},
		{"/api/ok", "", nil},
	}
	for _, tt := range tests {
		n := len(logs.All("request"))
		res, err := http.Get(p.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			t.Fatalf("GET %s: reading the body: %v", tt.path, err)
		}
		if tt.path == "/api/plain" && !bytes.Equal(got, append(append([]byte{}, page...), big...)) {
			t.Errorf("GET %s: the browser got %d bytes, want the backend's %d unchanged", tt.path, len(got), len(page)+len(big))
		}
		testkit.WaitUntil(t, 5*time.Second, "request logged", func() bool { return len(logs.All("request")) > n })
		rec := logs.All("request")[n]
		if tt.reason == "" {
			if rec["reason"] != "" || rec["fix"] != "" {
				t.Errorf("GET %s: reason %q, fix %q; want none for a success body", tt.path, rec["reason"], rec["fix"])
			}
			continue
		}
		if !strings.HasPrefix(rec["reason"], tt.reason) {
			t.Errorf("GET %s: reason %q, want %q", tt.path, rec["reason"], tt.reason)
		}
		for _, part := range tt.fixParts {
			if !strings.Contains(rec["fix"], part) {
				t.Errorf("GET %s: fix %q, want it to contain %q", tt.path, rec["fix"], part)
			}
		}
	}
}

// TestCSRFFixForDevproxysOwnOrigin: when the refused origin is devproxy's
// own, the fix is change_origin (or trusting devproxy's origin), not
// "open the page through devproxy".
func TestCSRFFixForDevproxysOwnOrigin(t *testing.T) {
	rt := rewriteTestRoute(t, "/admin", "http://127.0.0.1:8000", false)
	in := httptest.NewRequest("POST", "http://localhost:3000/admin/login/", nil)
	c := web.CSRFRefusal{Framework: "Django", Kind: web.CSRFOrigin, Origin: "http://localhost:3000", Reason: "Origin checking failed"}
	fix := csrfFix(rt, in, c)
	for _, want := range []string{`change_origin = true in [routes."/admin"]`, `CSRF_TRUSTED_ORIGINS = ["http://localhost:3000"]`} {
		if !strings.Contains(fix, want) {
			t.Errorf("csrfFix = %q, want it to contain %q", fix, want)
		}
	}
}

// A truncated compressed head still yields its beginning, for gzip and
// deflate alike; anything not compressed so is returned as it is.
func TestDecodeHeadTruncated(t *testing.T) {
	page := strings.Repeat("<p>CSRF verification failed. Request aborted.</p>\n", 200)
	var gz, fl bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(page))
	zw.Close()
	fw, _ := flate.NewWriter(&fl, flate.BestCompression)
	fw.Write([]byte(strings.Repeat("x", 50)))
	fw.Flush() // a block boundary, so a cut after it yields these bytes
	fw.Write([]byte(page))
	fw.Close()
	for _, tc := range []struct {
		encoding string
		data     []byte
	}{
		{" GZIP ", gz.Bytes()[:gz.Len()-10]},
		{"x-gzip", gz.Bytes()},
		{"deflate", fl.Bytes()[:fl.Len()-5]},
	} {
		out := decodeHead(tc.data, tc.encoding)
		if !bytes.HasPrefix([]byte(page), bytes.TrimLeft(out, "x")) || !bytes.Contains(out, []byte("CSRF verification failed")) {
			t.Errorf("%q: decodeHead = %.80q, want the page's beginning", tc.encoding, out)
		}
	}
	if _, complete := inflate("deflate", fl.Bytes()[:fl.Len()-5], 1<<20); complete {
		t.Error("a truncated deflate stream inflated as complete")
	}
	for _, enc := range []string{"", "br", "gzip"} {
		head := []byte("not compressed")
		if out := decodeHead(head, enc); !bytes.Equal(out, head) {
			t.Errorf("%q: decodeHead = %q, want the head as it is", enc, out)
		}
	}
}
