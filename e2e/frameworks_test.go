//go:build unix

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/devproxy/devproxy/internal/testkit"
)

// The framework matrix (frameworks_django_test.go, _flask_, _express_)
// drives real Django, Flask and Express apps (fixtures in testdata/django,
// testdata/flask, testdata/express) through devproxy in Chromium. Each app
// is started once per test binary, on first use, and serves every test that
// needs it: the tests differ in devproxy's routes, not in the app. TestMain
// stops them (stopFrameworks).

// frameworkStartTimeout bounds an app's start: Django migrates a fresh
// SQLite database first.
const frameworkStartTimeout = 60 * time.Second

// debianPython is Debian's interpreter: python3-django and python3-flask
// are installed for it, not for a pyenv python3 earlier on PATH.
const debianPython = "/usr/bin/python3"

// framework is one app process shared by the tests of this binary.
type framework struct {
	once sync.Once
	url  string // http://127.0.0.1:PORT
	err  error
	cmd  *exec.Cmd
	out  *testkit.Buffer // its output, for failure messages
	// dir holds its files (Django's database): it lives as long as the
	// process, not as long as the test that happened to start it.
	dir string
}

var frameworks struct {
	mu      sync.Mutex
	started []*framework
}

// start runs cmd once (later calls return the first result) and waits for
// its "listening on 127.0.0.1:PORT" line. cmd gets a directory for the
// app's files, removed by stopFrameworks.
func (f *framework) start(t *testing.T, name string, cmd func(dir string) *exec.Cmd) string {
	t.Helper()
	f.once.Do(func() {
		if f.dir, f.err = os.MkdirTemp("", "devproxy-e2e-"+strings.ReplaceAll(name, "/", "-")+"-"); f.err == nil {
			f.url, f.err = f.launch(name, cmd(f.dir))
			if f.cmd == nil { // it never started, so stopFrameworks will not see it
				os.RemoveAll(f.dir)
			}
		}
	})
	if f.err != nil {
		t.Fatal(f.err)
	}
	return f.url
}

func (f *framework) launch(name string, cmd *exec.Cmd) (string, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // so stopFrameworks ends it and its threads
	f.out = testkit.NewBuffer()
	cmd.Stderr = f.out
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("starting %s: %w", name, err)
	}
	f.cmd = cmd
	frameworks.mu.Lock()
	frameworks.started = append(frameworks.started, f)
	frameworks.mu.Unlock()
	addr := make(chan string, 1)
	go func() { // exits when the app closes its stdout (it exits)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if a, ok := strings.CutPrefix(line, "listening on "); ok {
				addr <- a
			}
			fmt.Fprintln(f.out, line)
		}
		close(addr)
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			return "", fmt.Errorf("%s exited before listening:\n%s", name, f.out)
		}
		return "http://" + a, nil
	case <-time.After(frameworkStartTimeout):
		return "", fmt.Errorf("%s did not listen within %s:\n%s", name, frameworkStartTimeout, f.out)
	}
}

// stopFrameworks ends every app a test started (SIGTERM to its process
// group, SIGKILL after 5 s).
func stopFrameworks() {
	frameworks.mu.Lock()
	defer frameworks.mu.Unlock()
	for _, f := range frameworks.started {
		pid := f.cmd.Process.Pid
		_ = syscall.Kill(-pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = f.cmd.Wait(); close(done) }() // exits when the app exits
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			<-done
		}
	}
	for _, f := range frameworks.started {
		os.RemoveAll(f.dir)
	}
}

// pythonApp is a fixture app, e2e/testdata/<fixture>/serve.py, run by
// Debian's python3.
type pythonApp struct {
	fixture string
	check   string // python that exits 0 when the packages it needs are there
	install string // the skip (or CI failure) line when they are not
}

// start starts (once, as name) the app with args, which may name files in
// the framework's directory; it skips (fails in CI), naming what to
// install, unless Chromium and the app's packages are there.
func (a pythonApp) start(t *testing.T, f *framework, name string, args func(dir string) []string) string {
	t.Helper()
	requireBrowser(t)
	err := exec.Command(debianPython, "-c", a.check).Run()
	testkit.Require(t, err == nil, a.install)
	return f.start(t, name, func(dir string) *exec.Cmd {
		argv := []string{fixturePath(t, a.fixture, "serve.py")}
		if args != nil {
			argv = append(argv, args(dir)...)
		}
		return exec.Command(debianPython, argv...)
	})
}

// fixturePath is a file under e2e/testdata.
func fixturePath(t *testing.T, parts ...string) string {
	t.Helper()
	return filepath.Join(append([]string{testdataDir(t)}, parts...)...)
}

// startRecordedProxy serves configText with a recorded log, which is
// printed when the test fails.
func startRecordedProxy(t *testing.T, configText string) (*proxy, *testkit.LogRecorder) {
	t.Helper()
	logs := testkit.NewLogRecorder()
	p := startProxyLogged(t, configText, slog.New(logs))
	t.Cleanup(func() {
		if t.Failed() {
			for _, rec := range logs.All("request") {
				t.Logf("devproxy: %s %s → %s %s %s %s", rec["method"], rec["path"], rec["route"], rec["status"], rec["reason"], rec["fix"])
			}
		}
	})
	return p, logs
}

// routeConfig is a devproxy.toml with the static page at / and one route.
func routeConfig(static, prefix, target string, strip, changeOrigin bool) string {
	return fmt.Sprintf("[frontend]\nstatic = %q\n[routes.%q]\ntarget = %q\nstrip_prefix = %t\nchange_origin = %t\n", static, prefix, target, strip, changeOrigin)
}

// requestLine waits for devproxy's log line of a request whose path ends
// with suffix and returns it.
func requestLine(t *testing.T, logs *testkit.LogRecorder, method, suffix string) map[string]string {
	t.Helper()
	var found map[string]string
	testkit.WaitUntil(t, 15*time.Second, "a log line for "+method+" …"+suffix, func() bool {
		for _, rec := range logs.All("request") {
			if rec["method"] == method && strings.HasSuffix(rec["path"], suffix) {
				found = rec
				return true
			}
		}
		return false
	})
	return found
}

// fetchResult is what a fetch() in the page saw.
type fetchResult struct {
	Status int             `json:"status"`
	JSON   json.RawMessage `json:"json"`
	Text   string          `json:"text"`
}

// postJSONWithCookieToken loads devproxy's page at / (the SPA), reads the
// CSRF token from document.cookie as axios and Angular do, and POSTs JSON
// to path with it in header.
func postJSONWithCookieToken(t *testing.T, b *page, proxyURL, path, cookie, header string) fetchResult {
	t.Helper()
	if status := b.Goto(proxyURL + "/"); status != 200 {
		t.Fatalf("the page at / = %d", status)
	}
	var r fetchResult
	b.Eval(fmt.Sprintf(`
const token = (document.cookie.split('; ').find((c) => c.startsWith(%q)) || '').slice(%d);
if (!token) return { status: 0, text: 'no %s cookie readable at /: ' + document.cookie };
const res = await fetch(%q, { method: 'POST', headers: { 'Content-Type': 'application/json', %q: decodeURIComponent(token) }, body: JSON.stringify({ n: 1 }) });
const text = await res.text();
let json = null;
try { json = JSON.parse(text); } catch {}
return { status: res.status, json, text: text.slice(0, 300) };`, cookie+"=", len(cookie)+1, cookie, path, header), &r)
	return r
}

// wantUser checks a JSON answer {"user": …}.
func wantUser(t *testing.T, what string, r fetchResult, user string) {
	t.Helper()
	var got struct {
		User *string `json:"user"`
	}
	_ = json.Unmarshal(r.JSON, &got)
	if r.Status != 200 || got.User == nil || *got.User != user {
		t.Errorf("%s: %d %s, want 200 with user %q", what, r.Status, r.Text, user)
	}
}

// pathOf is the path (and query) of an absolute URL.
func pathOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.RequestURI()
}

// checkSSEClientClose opens an EventSource on path from devproxy's page,
// waits for the first event, closes it, and wants devproxy to log the
// stream's end as the browser leaving, not as a backend fault.
func checkSSEClientClose(t *testing.T, b *page, p *proxy, logs *testkit.LogRecorder, path string) {
	t.Helper()
	if status := b.Goto(p.URL + "/"); status != 200 {
		t.Fatalf("the page at / = %d", status)
	}
	var data string
	b.Eval(fmt.Sprintf(`
return await new Promise((resolve, reject) => {
  const es = new EventSource(%q);
  es.onmessage = (e) => { es.close(); resolve(e.data); };
  setTimeout(() => { es.close(); reject(new Error('no event within 10 s')); }, 10000);
});`, path), &data)
	if data != "hello" {
		t.Errorf("first event = %q, want hello", data)
	}
	rec := requestLine(t, logs, "GET", path)
	if rec["reason"] != "client closed the connection" || rec["level"] != "INFO" {
		t.Errorf("closing the EventSource logged reason %q at %s, want \"client closed the connection\" at INFO (%v)", rec["reason"], rec["level"], rec)
	}
}

// foreignPost POSTs to target from a page on another origin (a page the
// developer happens to have open) with the browser's cookies, as a CSRF
// attack would, and returns devproxy's log line for it.
func foreignPost(t *testing.T, logs *testkit.LogRecorder, target string) map[string]string {
	t.Helper()
	evil := blankPage(t)
	b := newPage(t)
	b.Goto(evil.URL + "/")
	b.Eval(fmt.Sprintf(`await fetch(%q, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'Content-Type': 'text/plain' }, body: 'x' }); return null;`, target), nil)
	return requestLine(t, logs, "POST", pathOf(t, target))
}
