package e2e

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy/cli"
	"github.com/devproxy/devproxy/internal/testkit"
)

// TestDemoInBrowser runs the README's first command (devproxy demo) and
// uses it as a newcomer would: open the page, sign in, ask who is signed in.
func TestDemoInBrowser(t *testing.T) {
	t.Parallel()
	out, errOut := testkit.NewBuffer(), testkit.NewBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go func() { // exits when ctx is cancelled
		exited <- cli.Main(ctx, []string{"demo", "--listen", "localhost:0"}, cli.Options{Stdout: out, Stderr: errOut, Assets: assets})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-exited:
			if code != 0 {
				t.Errorf("demo exited %d: %s", code, errOut)
			}
		case <-time.After(10 * time.Second):
			t.Error("demo did not exit after cancel")
		}
	})
	m := out.WaitFor(t, regexp.MustCompile(`Open (http://localhost:\d+/)`))
	url := m[1]

	b := newPage(t)
	if status := b.Goto(url); status != 200 {
		t.Fatalf("demo page: status %d", status)
	}
	b.Eval(`document.getElementById('login').click(); return null;`, nil)
	var out1 string
	b.WaitFor(`const t = document.getElementById('out').textContent; return t.includes('POST /api/login → 200') && t;`, 10*time.Second, &out1)
	b.Eval(`document.getElementById('me').click(); return null;`, nil)
	var verdict string
	b.WaitFor(`const v = document.getElementById('verdict').textContent; return v !== '' && v;`, 10*time.Second, &verdict)
	if verdict != "The session cookie came back: same-origin works." {
		t.Errorf("demo verdict %q: the cookie set by the API did not come back", verdict)
	}
	// The page has its own icon; one asked for anyway is a 404, not the page.
	res, err := http.Get(url + "favicon.ico")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound || strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("demo /favicon.ico: %d %s, want a 404, not the page", res.StatusCode, res.Header.Get("Content-Type"))
	}
	b.ExpectNoConsoleErrors()
}
