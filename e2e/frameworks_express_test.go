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

// Express 5 with express-session and csrf-sync (from e2e/testdata's npm
// packages) behind devproxy. One process serves every case: its router is
// mounted at /express for a plain route, and at / for a strip_prefix route
// whose prefix it reads from X-Forwarded-Prefix.
var expressApp framework

func startExpress(t *testing.T) string {
	t.Helper()
	requireBrowser(t)
	for _, pkg := range []string{"express", "express-session", "csrf-sync"} {
		requireNodeModules(t, pkg)
	}
	return expressApp.start(t, "express", func() *exec.Cmd {
		cmd := exec.Command("node", fixturePath(t, "express", "serve.mjs"))
		cmd.Dir = testdataDir(t)
		return cmd
	})
}

func expressUnder(base string) formApp {
	return formApp{login: base + "/login", home: base + "/", me: base + "/me", echo: base + "/echo",
		tokenCookie: "XSRF-TOKEN", tokenHeader: "X-CSRF-Token"}
}

func TestExpressBehindDevproxy(t *testing.T) {
	t.Parallel()
	app := startExpress(t)
	static := pageDir(t)
	plain := func(changeOrigin bool) string {
		return fmt.Sprintf("[frontend]\nstatic = %q\n[routes.\"/express\"]\ntarget = %q\nchange_origin = %t\n", static, app, changeOrigin)
	}
	stripped := fmt.Sprintf("[frontend]\nstatic = %q\n[routes.\"/node\"]\ntarget = %q\nstrip_prefix = true\n", static, app)
	t.Run("plain prefix", func(t *testing.T) {
		t.Parallel()
		formFlow(t, plain(false), expressUnder("/express"))
	})
	t.Run("strip_prefix with the prefix from X-Forwarded-Prefix", func(t *testing.T) {
		t.Parallel()
		formFlow(t, stripped, expressUnder("/node"))
	})
	t.Run("change_origin", func(t *testing.T) {
		t.Parallel()
		formFlow(t, plain(true), expressUnder("/express"))
	})
	t.Run("a foreign page is refused by csrf-sync", func(t *testing.T) {
		t.Parallel()
		logs := testkit.NewLogRecorder()
		p := startProxyLogged(t, plain(true), slog.New(logs))
		rec := foreignPost(t, logs, p.URL+"/express/echo")
		if rec["status"] != "403" || !strings.Contains(rec["reason"], "Express refused the request: invalid csrf token") {
			t.Errorf("foreign POST: %s %q, want 403 with the CSRF middleware's reason", rec["status"], rec["reason"])
		}
	})
	t.Run("closing an event stream is the client's doing", func(t *testing.T) {
		t.Parallel()
		logs := testkit.NewLogRecorder()
		p := startProxyLogged(t, stripped, slog.New(logs))
		checkSSEClientClose(t, newPage(t), p, logs, "/node/events")
	})
}
