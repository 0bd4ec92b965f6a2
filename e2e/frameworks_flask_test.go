//go:build unix

package e2e

import (
	"testing"
)

// Flask 2.2 with Flask-WTF's CSRFProtect (Debian's python3-flask and
// python3-flaskext.wtf) behind devproxy. One process serves every case: a
// plain /api route, and a strip_prefix route whose prefix Flask learns
// from X-Forwarded-Prefix through ProxyFix(x_prefix=1).
var flaskApp framework

func startFlask(t *testing.T) string {
	t.Helper()
	return pythonApp{fixture: "flask", check: "import flask, flask_wtf, sys; sys.exit(tuple(map(int, flask.__version__.split('.')[:2])) < (2, 2))",
		install: "Flask 2.2 and Flask-WTF for /usr/bin/python3 not found; install them: apt-get install python3-flask python3-flaskext.wtf",
	}.start(t, &flaskApp, "flask", nil)
}

func flaskUnder(base string) formApp {
	return formApp{login: base + "/api/login", home: base + "/api/", me: base + "/api/me", echo: base + "/api/echo",
		tokenCookie: "XSRF-TOKEN", tokenHeader: "X-CSRFToken"}
}

func TestFlaskBehindDevproxy(t *testing.T) {
	t.Parallel()
	app := startFlask(t)
	runFormMatrix(t, formMatrix{app: app, plain: "/api", stripped: "/flask", under: flaskUnder, events: "/api/events",
		foreignStatus: "400", foreignReason: "Flask-WTF refused the request: The CSRF token is missing.", strippedCaseName: "ProxyFix(x_prefix=1)"})
	t.Run("absolute redirect on devproxy's origin stays under the prefix", func(t *testing.T) {
		t.Parallel()
		p := startProxy(t, routeConfig(pageDir(t), "/flask", app, true, false))
		b := newPage(t)
		b.Goto(p.URL + "/flask/api/to-home") // url_for(_external=True): devproxy's host from X-Forwarded-Host
		if got := pathOf(t, b.URL()); got != "/flask/api/login" {
			t.Errorf("landed on %s, want /flask/api/login (via /flask/api/)", got)
		}
	})
}
