package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devproxy/devproxy/internal/testkit"
)

// The browser harness: one real headless Chromium (Debian's) per test
// binary, driven by playwright-core through testdata/driver.mjs. Every test
// gets its own page in its own browser context, so tests run in parallel
// without sharing cookies. .ci/run installs chromium and runs npm ci in
// testdata/; a missing one skips the browser tests (fails them with CI set).

// chromiumEnv overrides where Chromium is looked for.
const chromiumEnv = "DEVPROXY_CHROMIUM"

// browserCallTimeout bounds one driver call; the driver's own waits
// (goto, waitFor) time out before it.
const browserCallTimeout = 60 * time.Second

func chromiumPath() string {
	if p := os.Getenv(chromiumEnv); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// testdataDir is the absolute path of e2e/testdata.
func testdataDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// requireNodeModules skips (fails in CI) when testdata's npm packages are missing.
func requireNodeModules(t testing.TB, pkg string) {
	t.Helper()
	_, err := os.Stat(filepath.Join(testdataDir(t), "node_modules", pkg))
	testkit.Require(t, err == nil, fmt.Sprintf("e2e/testdata/node_modules/%s not found; run: (cd e2e/testdata && npm ci)", pkg))
}

// requireBrowser skips (fails in CI) when Chromium or the driver's packages are missing.
func requireBrowser(t testing.TB) {
	t.Helper()
	_, err := os.Stat(chromiumPath())
	testkit.Require(t, err == nil, fmt.Sprintf("chromium not found at %s; install Debian's chromium or set %s", chromiumPath(), chromiumEnv))
	_, err = exec.LookPath("node")
	testkit.Require(t, err == nil, "node not found; install Node.js 18 or later")
	requireNodeModules(t, "playwright-core")
}

// browser is the shared Chromium: the driver process and the calls in flight.
type browser struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	errb *testkit.Buffer // the driver's stderr, for failure messages

	mu      sync.Mutex // guards writes to in and the fields below
	nextID  int
	pending map[int]chan browserAnswer
	dead    error // set once the driver has exited
}

type browserAnswer struct {
	ID    int             `json:"id"`
	OK    bool            `json:"ok"`
	Value json.RawMessage `json:"value"`
	Error string          `json:"error"`
}

var shared struct {
	once sync.Once
	b    *browser
	err  error
}

// sharedBrowser starts Chromium on first use; closeSharedBrowser (from
// TestMain) ends it after the last test.
func sharedBrowser(t testing.TB) *browser {
	t.Helper()
	requireBrowser(t)
	shared.once.Do(func() { shared.b, shared.err = launchBrowser(testdataDir(t)) })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.b
}

// launchBrowser starts the driver and its Chromium; env is added to the
// driver's environment, which Chromium inherits (HOME picks its NSS database).
func launchBrowser(dir string, env ...string) (*browser, error) {
	cmd := exec.Command("node", filepath.Join(dir, "driver.mjs"))
	cmd.Env = append(append(os.Environ(), "CHROMIUM="+chromiumPath()), env...)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	b := &browser{cmd: cmd, in: in, errb: testkit.NewBuffer(), pending: map[int]chan browserAnswer{}}
	cmd.Stderr = b.errb
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting node: %w", err)
	}
	ready := make(chan browserAnswer, 1)
	b.pending[0] = ready
	go b.readAnswers(out) // exits when the driver exits
	select {
	case a := <-ready:
		if !a.OK {
			return nil, fmt.Errorf("chromium did not start: %s\n%s", a.Error, b.errb)
		}
	case <-time.After(browserCallTimeout):
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("chromium did not start within %s\n%s", browserCallTimeout, b.errb)
	}
	return b, nil
}

// readAnswers hands each answer to the call waiting for its id.
func (b *browser) readAnswers(out io.Reader) {
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var a browserAnswer
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			continue // not an answer (a stray line from node)
		}
		b.mu.Lock()
		ch := b.pending[a.ID]
		delete(b.pending, a.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- a
		}
	}
	b.mu.Lock()
	b.dead = fmt.Errorf("the browser driver exited\n%s", b.errb)
	for id, ch := range b.pending {
		ch <- browserAnswer{ID: id, Error: b.dead.Error()}
		delete(b.pending, id)
	}
	b.mu.Unlock()
}

// call sends one request and returns its answer's value.
func (b *browser) call(req map[string]any) (json.RawMessage, error) {
	ch := make(chan browserAnswer, 1)
	b.mu.Lock()
	if b.dead != nil {
		b.mu.Unlock()
		return nil, b.dead
	}
	b.nextID++
	id := b.nextID
	req["id"] = id
	b.pending[id] = ch
	line, _ := json.Marshal(req)
	_, err := b.in.Write(append(line, '\n'))
	b.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("sending %v: %w", req["op"], err)
	}
	select {
	case a := <-ch:
		if !a.OK {
			return nil, fmt.Errorf("%v failed: %s", req["op"], a.Error)
		}
		return a.Value, nil
	case <-time.After(browserCallTimeout):
		return nil, fmt.Errorf("%v: no answer within %s\n%s", req["op"], browserCallTimeout, b.errb)
	}
}

// closeSharedBrowser ends Chromium, if a test started it.
func closeSharedBrowser() { closeBrowser(shared.b) }

// closeBrowser ends one driver and its Chromium.
func closeBrowser(b *browser) {
	if b == nil {
		return
	}
	done := make(chan error, 1)
	go func() { done <- b.cmd.Wait() }() // exits when node exits
	_, _ = b.call(map[string]any{"op": "close"})
	b.in.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-done
	}
}

// page is one test's tab, in a browser context of its own.
type page struct {
	t  testing.TB
	b  *browser
	id int
}

// newPage opens a fresh page (own cookies and storage), closed when the test ends.
func newPage(t testing.TB) *page {
	t.Helper()
	return openPage(t, sharedBrowser(t))
}

// openPage opens a fresh page in b, closed when the test ends.
func openPage(t testing.TB, b *browser) *page {
	t.Helper()
	return openPageBy(t, b, map[string]any{"op": "newPage"})
}

// openPageBy sends req, which opens a page in b, and returns that page,
// closed when the test ends.
func openPageBy(t testing.TB, b *browser, req map[string]any) *page {
	t.Helper()
	v, err := b.call(req)
	if err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, b: b}
	if err := json.Unmarshal(v, &p.id); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = b.call(map[string]any{"op": "closePage", "page": p.id}) })
	return p
}

// do sends op with args for this page and decodes the value into v (which may be nil).
func (p *page) do(op string, args map[string]any, v any) {
	p.t.Helper()
	req := map[string]any{"op": op, "page": p.id}
	for k, x := range args {
		req[k] = x
	}
	raw, err := p.b.call(req)
	if err != nil {
		p.t.Fatalf("browser: %v", err)
	}
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			p.t.Fatalf("browser: decoding %s: %v", raw, err)
		}
	}
}

// Goto navigates and returns the document's HTTP status.
func (p *page) Goto(url string) int {
	p.t.Helper()
	var status int
	p.do("goto", map[string]any{"url": url}, &status)
	return status
}

// GotoErr navigates and returns the browser's error (net::ERR_…) instead
// of failing the test when the navigation fails.
func (p *page) GotoErr(url string) (int, error) {
	p.t.Helper()
	raw, err := p.b.call(map[string]any{"op": "goto", "page": p.id, "url": url})
	if err != nil {
		return 0, err
	}
	var status int
	_ = json.Unmarshal(raw, &status)
	return status, nil
}

// Eval runs js as the body of an async function in the page and decodes
// its return value into v (which may be nil).
func (p *page) Eval(js string, v any) {
	p.t.Helper()
	p.do("eval", map[string]any{"js": js}, v)
}

// WaitFor polls js (synchronous code) in the page until it returns a
// truthy value, failing the test after timeout.
func (p *page) WaitFor(js string, timeout time.Duration, v any) {
	p.t.Helper()
	p.do("waitFor", map[string]any{"js": js, "timeoutMs": timeout.Milliseconds()}, v)
}

// consoleMessage is one console message or uncaught page error.
type consoleMessage struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Console returns the console messages seen so far.
func (p *page) Console() []consoleMessage {
	p.t.Helper()
	var msgs []consoleMessage
	p.do("console", nil, &msgs)
	return msgs
}

// WebSockets returns the URL of every WebSocket the page has opened.
func (p *page) WebSockets() []string {
	p.t.Helper()
	var urls []string
	p.do("websockets", nil, &urls)
	return urls
}

// WaitConsole waits for a console message from index from on whose text
// contains match and returns it with its index.
func (p *page) WaitConsole(from int, match string, timeout time.Duration) (int, consoleMessage) {
	p.t.Helper()
	var m struct {
		Index int `json:"index"`
		consoleMessage
	}
	p.do("waitConsole", map[string]any{"from": from, "match": match, "timeoutMs": timeout.Milliseconds()}, &m)
	return m.Index, m.consoleMessage
}

// Fill types value into the input matching selector.
func (p *page) Fill(selector, value string) {
	p.t.Helper()
	p.do("fill", map[string]any{"selector": selector, "value": value}, nil)
}

// Submit clicks selector (a form's button) and waits for the navigation it
// starts; it returns the HTTP status of the document it lands on.
func (p *page) Submit(selector string) int {
	p.t.Helper()
	var status int
	p.do("submit", map[string]any{"selector": selector}, &status)
	return status
}

// URL returns the page's current URL.
func (p *page) URL() string {
	p.t.Helper()
	var u string
	p.do("url", nil, &u)
	return u
}

// browserCookie is one cookie as the browser stored it.
type browserCookie struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Path     string `json:"path"`
	HTTPOnly bool   `json:"httpOnly"`
	Secure   bool   `json:"secure"`
	SameSite string `json:"sameSite"`
}

// Cookies returns the cookies of the page's browser context.
func (p *page) Cookies() []browserCookie {
	p.t.Helper()
	var cs []browserCookie
	p.do("cookies", nil, &cs)
	return cs
}

// Download clicks selector and saves the download it starts to path; it
// returns the file name the page suggested.
func (p *page) Download(selector, path string) string {
	p.t.Helper()
	var name string
	p.do("download", map[string]any{"selector": selector, "path": path}, &name)
	return name
}

// newPageFromHAR opens a page in a fresh context that answers every
// request from the HAR file at path, as Playwright replays one in
// Chromium; a request the file does not hold fails.
func newPageFromHAR(t testing.TB, path string) *page {
	t.Helper()
	return openPageBy(t, sharedBrowser(t), map[string]any{"op": "newPageFromHAR", "har": path})
}

// SaveArtifact writes a full-page screenshot to e2e/artifacts/name (CI
// keeps that directory) and checks it holds an image of some size.
func (p *page) SaveArtifact(name string) {
	p.t.Helper()
	artifacts, err := filepath.Abs("artifacts")
	if err != nil {
		p.t.Fatal(err)
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		p.t.Fatal(err)
	}
	shot := filepath.Join(artifacts, name)
	p.Screenshot(shot)
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 10<<10 {
		p.t.Errorf("screenshot %s: %v (size %v)", shot, err, fi)
	}
}

// ExpectNoConsoleErrors fails the test for each console error and
// uncaught exception the page has had, but those containing one of
// expected (a status the test provoked: "status of 422").
func (p *page) ExpectNoConsoleErrors(expected ...string) {
	p.t.Helper()
	for _, m := range p.Console() {
		if (m.Type == "error" || m.Type == "pageerror") && !slices.ContainsFunc(expected, func(e string) bool { return strings.Contains(m.Text, e) }) {
			p.t.Errorf("console %s: %s", m.Type, m.Text)
		}
	}
}

// Screenshot writes a full-page PNG to path.
func (p *page) Screenshot(path string) {
	p.t.Helper()
	p.do("screenshot", map[string]any{"path": path}, nil)
}
