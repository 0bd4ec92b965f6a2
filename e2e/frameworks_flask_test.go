//go:build unix

package e2e

import (
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"testing"

	"github.com/devproxy/devproxy/internal/testkit"
)

// Flask 2.2 with Flask-WTF's CSRFProtect (Debian's python3-flask and
// python3-flaskext.wtf) behind devproxy. One process serves every case: a
// plain /api route, and a strip_prefix route whose prefix Flask learns
// from X-Forwarded-Prefix through ProxyFix(x_prefix=1).
var flaskApp framework

func startFlask(t *testing.T) string {
	t.Helper()
	requireBrowser(t)
	requirePython(t, "import flask, flask_wtf, sys; sys.exit(tuple(map(int, flask.__version__.split('.')[:2])) < (2, 2))",
		"Flask 2.2 and Flask-WTF for /usr/bin/python3 not found; install them: apt-get install python3-flask python3-flaskext.wtf")
	return flaskApp.start(t, "flask", func() *exec.Cmd {
		return exec.Command(debianPython, fixturePath(t, "flask", "serve.py"))
	})
}

func flaskUnder(base string) formApp {
	return formApp{login: base + "/api/login", home: base + "/api/", me: base + "/api/me", echo: base + "/api/echo",
		tokenCookie: "XSRF-TOKEN", tokenHeader: "X-CSRFToken"}
}

func TestFlaskBehindDevproxy(t *testing.T) {
	t.Parallel()
	app := startFlask(t)
	static := pageDir(t)
	plain := func(changeOrigin bool) string {
		return fmt.Sprintf("[frontend]\nstatic = %q\n[routes.\"/api\"]\ntarget = %q\nchange_origin = %t\n", static, app, changeOrigin)
	}
	stripped := fmt.Sprintf("[frontend]\nstatic = %q\n[routes.\"/flask\"]\ntarget = %q\nstrip_prefix = true\n", static, app)
	t.Run("plain prefix", func(t *testing.T) {
		t.Parallel()
		formFlow(t, plain(false), flaskUnder(""))
	})
	t.Run("strip_prefix with ProxyFix(x_prefix=1)", func(t *testing.T) {
		t.Parallel()
		formFlow(t, stripped, flaskUnder("/flask"))
	})
	t.Run("change_origin", func(t *testing.T) {
		t.Parallel()
		formFlow(t, plain(true), flaskUnder(""))
	})
	t.Run("absolute redirect on devproxy's origin stays under the prefix", func(t *testing.T) {
		t.Parallel()
		p := startProxy(t, stripped)
		b := newPage(t)
		b.Goto(p.URL + "/flask/api/to-home") // url_for(_external=True): devproxy's host from X-Forwarded-Host
		if got := pathOf(t, b.URL()); got != "/flask/api/login" {
			t.Errorf("landed on %s, want /flask/api/login (via /flask/api/)", got)
		}
	})
	t.Run("a foreign page is refused by Flask-WTF", func(t *testing.T) {
		t.Parallel()
		logs := testkit.NewLogRecorder()
		p := startProxyLogged(t, plain(true), slog.New(logs))
		rec := foreignPost(t, logs, p.URL+"/api/echo")
		if rec["status"] != "400" || !strings.Contains(rec["reason"], "Flask-WTF refused the request: The CSRF token is missing.") {
			t.Errorf("foreign POST: %s %q, want 400 with Flask-WTF's reason", rec["status"], rec["reason"])
		}
	})
	t.Run("closing an event stream is the client's doing", func(t *testing.T) {
		t.Parallel()
		logs := testkit.NewLogRecorder()
		p := startProxyLogged(t, stripped, slog.New(logs))
		checkSSEClientClose(t, newPage(t), p, logs, "/flask/api/events")
	})
}
