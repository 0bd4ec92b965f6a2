package devproxy

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// The browser harness: a real headless Chromium (Debian's /usr/bin/chromium)
// driven by playwright-core through e2e/driver.mjs, one JSON command per line.
// .ci/run installs chromium and the npm packages; when node_modules is missing
// the harness runs `npm ci` itself, so `go test ./...` works on a fresh clone
// that has chromium.

const chromiumPath = "/usr/bin/chromium"

var npmOnce struct {
	sync.Once
	err error
}

// e2eDir is the absolute path of the e2e/ directory.
func e2eDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../e2e")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// ensureNodeModules installs e2e/'s npm packages once per test binary.
func ensureNodeModules(t *testing.T) {
	t.Helper()
	dir := e2eDir(t)
	npmOnce.Do(func() {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err == nil {
			return
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			npmOnce.err = fmt.Errorf("npm ci in %s: %v\n%s", dir, err, out)
		}
	})
	if npmOnce.err != nil {
		t.Fatal(npmOnce.err)
	}
}

// browser is one headless Chromium session.
type browser struct {
	t    *testing.T
	cmd  *exec.Cmd
	in   *json.Encoder
	out  *bufio.Scanner
	errb *syncBuffer // the driver's stderr, for failure messages
}

type browserAnswer struct {
	OK    bool            `json:"ok"`
	Value json.RawMessage `json:"value"`
	Error string          `json:"error"`
}

// startBrowser launches Chromium; it is closed when the test ends.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("browser tests need Debian's chromium at %s: apt-get install chromium (.ci/run does this)", chromiumPath)
	}
	ensureNodeModules(t)
	cmd := exec.Command("node", filepath.Join(e2eDir(t), "driver.mjs"))
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromiumPath)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errb := newSyncBuffer()
	cmd.Stderr = errb
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting node: %v", err)
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	b := &browser{t: t, cmd: cmd, in: json.NewEncoder(stdin), out: sc, errb: errb}
	t.Cleanup(func() {
		_ = b.in.Encode(map[string]string{"op": "close"})
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }() // exits when node exits
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	b.answer("start", nil) // the driver says "ready" once Chromium is up
	return b
}

// call sends one command and decodes its value into v.
func (b *browser) call(cmd map[string]any, v any) {
	b.t.Helper()
	if err := b.in.Encode(cmd); err != nil {
		b.t.Fatalf("browser: sending %v: %v\nstderr:\n%s", cmd["op"], err, b.errb)
	}
	b.answer(cmd["op"], v)
}

func (b *browser) answer(op any, v any) {
	b.t.Helper()
	cmd := map[string]any{"op": op}
	if !b.out.Scan() {
		b.t.Fatalf("browser: no answer to %v (driver exited?)\nstderr:\n%s", cmd["op"], b.errb)
	}
	var ans browserAnswer
	if err := json.Unmarshal(b.out.Bytes(), &ans); err != nil {
		b.t.Fatalf("browser: bad answer %q: %v", b.out.Text(), err)
	}
	if !ans.OK {
		b.t.Fatalf("browser: %v failed: %s", cmd["op"], ans.Error)
	}
	if v != nil {
		if err := json.Unmarshal(ans.Value, v); err != nil {
			b.t.Fatalf("browser: decoding %s: %v", ans.Value, err)
		}
	}
}

// Goto navigates and returns the document's HTTP status.
func (b *browser) Goto(url string) int {
	b.t.Helper()
	var status int
	b.call(map[string]any{"op": "goto", "url": url}, &status)
	return status
}

// Eval runs js as the body of an async function in the page and decodes
// its return value into v (which may be nil).
func (b *browser) Eval(js string, v any) {
	b.t.Helper()
	b.call(map[string]any{"op": "eval", "js": js}, v)
}

// WaitFor polls js (synchronous code) in the page until it returns a truthy value, failing the
// test after timeout.
func (b *browser) WaitFor(js string, timeout time.Duration, v any) {
	b.t.Helper()
	b.call(map[string]any{"op": "waitFor", "js": js, "timeoutMs": timeout.Milliseconds()}, v)
}

// consoleMessage is one console message or uncaught page error.
type consoleMessage struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Console returns the console messages seen so far.
func (b *browser) Console() []consoleMessage {
	b.t.Helper()
	var msgs []consoleMessage
	b.call(map[string]any{"op": "console"}, &msgs)
	return msgs
}

// Screenshot writes a full-page PNG to path.
func (b *browser) Screenshot(path string) {
	b.t.Helper()
	b.call(map[string]any{"op": "screenshot", "path": path}, nil)
}

// blankPage serves an empty HTML page (with a favicon, so the console stays
// quiet) on its own origin, for scripts that make cross-origin calls.
func blankPage(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html><head><link rel="icon" href="data:,"><title>page</title></head><body></body></html>`)
	}))
	t.Cleanup(srv.Close)
	return srv
}
