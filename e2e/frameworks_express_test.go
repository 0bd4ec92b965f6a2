//go:build unix

package e2e

import (
	"os/exec"
	"testing"
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
	return expressApp.start(t, "express", func(string) *exec.Cmd {
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
	runFormMatrix(t, formMatrix{app: startExpress(t), plain: "/express", plainBase: "/express", stripped: "/node", under: expressUnder, events: "/events",
		foreignStatus: "403", foreignReason: "Express refused the request: invalid csrf token", strippedCaseName: "the prefix from X-Forwarded-Prefix"})
}
