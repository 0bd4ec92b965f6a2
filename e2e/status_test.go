package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/process"
	"github.com/devproxy/devproxy/internal/testkit"
	"github.com/gorilla/websocket"
)

// The status page in a real browser: the route table with health, the
// request log from the feed, filtering, and the per-hop header view.
// The screenshot lands in e2e/artifacts/status.png (kept by CI).
func TestBrowserStatusPage(t *testing.T) {
	t.Parallel()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/login":
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "abc123", Path: "/", HttpOnly: true})
			w.Header().Set("Location", "/app")
			w.WriteHeader(http.StatusSeeOther)
		case "/api/missing":
			http.NotFound(w, r)
		default:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"users":[{"id":1,"name":"Ada"},{"id":2,"name":"Grace"}]}`)
		}
	}))
	t.Cleanup(api.Close)
	ws := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := (&websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}))
	t.Cleanup(ws.Close)
	dead := testkit.FreeAddr(t)
	devAddr := testkit.FreeAddr(t)
	sv := startReadyAndFailedProcesses(t, devAddr)
	p := startProxy(t, fmt.Sprintf(`
[frontend]
dev_server = "http://%s"
[routes]
"/api" = %q
"/legacy" = "http://%s"
"/socket" = %q
`, devAddr, api.URL, dead, ws.URL))
	p.ShowProcesses(sv)

	noRedirect := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	send := func(method, path string) {
		t.Helper()
		req, err := http.NewRequest(method, p.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Authorization", "Bearer dev-token-123")
		res, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	// Traffic before the page is open: listed from the backlog.
	send("GET", "/api/users")
	send("GET", "/api/missing")
	send("GET", "/legacy/report")

	b := newPage(t)
	if status := b.Goto(p.URL + config.ReservedPrefix + "/"); status != 200 {
		t.Fatalf("status page: HTTP %d", status)
	}
	var rows int
	b.WaitFor(`return document.querySelectorAll('#log tbody tr').length >= 3 && document.getElementById('live').textContent === 'live' && document.querySelectorAll('#log tbody tr').length`, 10*time.Second, &rows)

	// Traffic while the page is open: headers are captured.
	send("POST", "/api/login")
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+p.Addr+"/socket/live", http.Header{"Origin": {p.URL}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	b.WaitFor(`return document.querySelector('#log tbody tr[data-status="303"]') && document.querySelector('#log tbody tr[data-status="101"]')`, 10*time.Second, nil)

	var log []map[string]string
	b.Eval(`return [...document.querySelectorAll('#log tbody tr')].map(tr => ({
		method: tr.cells[1].textContent, path: tr.cells[2].textContent, route: tr.cells[3].textContent, status: tr.cells[4].textContent }))`, &log)
	want := []string{"GET /socket/live /socket 101 open", "POST /api/login /api 303", "GET /legacy/report /legacy 502", "GET /api/missing /api 404", "GET /api/users /api 200"}
	var got []string
	for _, r := range log {
		got = append(got, strings.TrimSpace(fmt.Sprintf("%s %s %s %s", r["method"], r["path"], r["route"], strings.SplitN(r["status"], " · ", 2)[0])))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("request log, newest first:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The route table shows health from the lazy probe.
	var health map[string]string
	b.WaitFor(`return document.querySelectorAll('#routes tbody tr').length === 4`, 10*time.Second, nil)
	b.Eval(`return Object.fromEntries([...document.querySelectorAll('#routes tbody tr')].map(tr => [tr.dataset.name, tr.dataset.up]))`, &health)
	if health["/api"] != "true" || health["/legacy"] != "false" || health["/socket"] != "true" || health["frontend"] != "true" {
		t.Errorf("route health = %v, want /api, /socket and frontend up, /legacy down", health)
	}
	var procs map[string]string
	b.Eval(`return Object.fromEntries([...document.querySelectorAll('#processes tbody tr')].map(tr => [tr.dataset.name, tr.dataset.state + ' ' + tr.cells[4].textContent]))`, &procs)
	if procs["frontend"] != "ready " || procs["worker"] != "exited exit status 1" {
		t.Errorf("processes = %q, want frontend ready, worker exited with status 1", procs)
	}

	// Filtering by status.
	var filtered int
	b.Eval(`const s = document.getElementById('f-status'); s.value = 'err'; s.dispatchEvent(new Event('change'));
		return document.querySelectorAll('#log tbody tr').length`, &filtered)
	if filtered != 2 {
		t.Errorf("status filter 'errors' shows %d rows, want 2 (404 and 502)", filtered)
	}
	b.Eval(`const s = document.getElementById('f-status'); s.value = ''; s.dispatchEvent(new Event('change'))`, nil)

	// The detail view of the login shows each hop, secrets masked.
	var detail string
	b.Eval(`document.querySelector('#log tbody tr[data-status="303"]').click();
		return document.getElementById('detail-body').innerText`, &detail)
	for _, want := range []string{"request to the backend", "response to the browser", "Bearer •••", "session=•••", "Location", "/app"} {
		if !strings.Contains(detail, want) {
			t.Errorf("detail view lacks %q; got:\n%s", want, detail)
		}
	}
	for _, secret := range []string{"dev-token-123", "abc123"} {
		if strings.Contains(detail, secret) {
			t.Errorf("detail view shows the secret %q", secret)
		}
	}
	b.ExpectNoConsoleErrors()
	b.SaveArtifact("status.png")
}

// startReadyAndFailedProcesses starts a stand-in dev server (this test
// binary) on addr, which gets ready, and a worker that fails at once.
func startReadyAndFailedProcesses(t *testing.T, addr string) *process.Supervisor {
	t.Helper()
	cmd, env := testkit.ListenCommand(t, addr)
	rec := testkit.NewLogRecorder()
	sv, err := process.Start([]config.Process{
		{Name: "frontend", Command: cmd, Env: env, Ready: addr},
		{Name: "worker", Command: "echo 'cannot connect to redis' >&2; exit 1"},
	}, testkit.NewBuffer(), false, rec.Logger(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sv.Stop)
	rec.Wait(t, "process ready", 10*time.Second)
	rec.Wait(t, "process exited; devproxy keeps running and will not restart it", 10*time.Second)
	return sv
}
