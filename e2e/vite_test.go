//go:build unix

package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devproxy/devproxy/internal/testkit"
)

// startVite runs a real Vite dev server (from e2e/testdata/node_modules) on a
// minimal app in a temp dir and returns its URL and the app directory.
func startVite(t *testing.T) (url, dir string) {
	t.Helper()
	requireNodeModules(t, "vite")
	dir = t.TempDir()
	files := map[string]string{
		"index.html": `<!doctype html><html><head><link rel="icon" href="data:,"><link rel="stylesheet" href="/style.css"></head>` +
			`<body><h1 id="title">vite app</h1><p id="api">loading</p><script type="module" src="/main.js"></script></body></html>`,
		"main.js": `const r = await fetch('/api/hello'); document.getElementById('api').textContent = await r.text();` +
			"\nwindow.__loadedOnce = (window.__loadedOnce || 0) + 1;\n",
		"style.css": "#title { color: rgb(255, 0, 0); }\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	addr := testkit.FreeAddr(t)
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	cmd := exec.Command("node", filepath.Join(testdataDir(t), "node_modules", "vite", "bin", "vite.js"),
		"--port", port, "--strictPort", "--host", "127.0.0.1", "--clearScreen", "false")
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // so cleanup ends Vite and anything it spawned
	logs := testkit.NewBuffer()
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting vite: %v", err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }() // exits when vite exits
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			t.Logf("vite output:\n%s", logs)
		}
	})
	url = "http://" + addr
	testkit.WaitHTTP(t, url+"/", 30*time.Second)
	return url, dir
}

// TestViteThroughProxyInBrowser loads a real Vite app through devproxy in
// headless Chromium: the page, its modules and an /api call come through one
// origin, and an edit to a CSS file arrives as an HMR update over the
// proxied WebSocket without a full reload. A second tab opens the app on
// app.localhost (Chromium resolves *.localhost to loopback): its HMR socket
// too goes through devproxy, the only one it opens, with no fallback to a
// direct connection to Vite.
func TestViteThroughProxyInBrowser(t *testing.T) {
	t.Parallel()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from the API at %s", r.URL.Path)
	}))
	t.Cleanup(api.Close)
	viteURL, dir := startVite(t)
	p := startProxy(t, fmt.Sprintf(`
[frontend]
dev_server = %q
[routes]
"/api" = %q
`, viteURL, api.URL))

	b := newPage(t)
	if status := b.Goto(p.URL + "/"); status != http.StatusOK {
		t.Fatalf("GET / through devproxy = %d, want 200", status)
	}
	var apiText string
	b.WaitFor(`const t = document.getElementById('api').textContent; return t !== 'loading' && t;`, 10*time.Second, &apiText)
	if want := "hello from the API at /api/hello"; apiText != want {
		t.Errorf("page shows %q from /api, want %q", apiText, want)
	}
	_, port, _ := strings.Cut(p.Addr, ":")
	sub := newPage(t)
	subURL := "http://app.localhost:" + port
	if status := sub.Goto(subURL + "/"); status != http.StatusOK {
		t.Fatalf("GET %s/ through devproxy = %d, want 200", subURL, status)
	}
	for _, tab := range []*page{b, sub} {
		tab.WaitConsole(0, "[vite] connected.", 10*time.Second)
	}

	// HMR: Vite's client connected its socket to the page's origin, devproxy.
	if err := os.WriteFile(filepath.Join(dir, "style.css"), []byte("#title { color: rgb(0, 128, 0); }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tab := range []struct {
		*page
		origin string
	}{{b, p.URL}, {sub, subURL}} {
		var color string
		tab.WaitFor(`const c = getComputedStyle(document.getElementById('title')).color; return c === 'rgb(0, 128, 0)' && c;`, 15*time.Second, &color)
		var loads int
		tab.Eval(`return window.__loadedOnce;`, &loads)
		if loads != 1 {
			t.Errorf("%s loaded main.js %d times, want 1: the CSS change should be a hot update, not a full reload", tab.origin, loads)
		}
		sockets := tab.WebSockets()
		if len(sockets) != 1 || !strings.HasPrefix(sockets[0], "ws"+strings.TrimPrefix(tab.origin, "http")+"/") {
			t.Errorf("page on %s opened WebSockets %q, want exactly one, its HMR socket through devproxy", tab.origin, sockets)
		}
		tab.ExpectNoConsoleErrors()
		for _, m := range tab.Console() {
			if strings.Contains(m.Text, "fallback") {
				t.Errorf("browser console on %s: %s: %s (Vite fell back to a direct connection)", tab.origin, m.Type, m.Text)
			}
		}
	}
}
