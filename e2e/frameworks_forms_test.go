//go:build unix

package e2e

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/devproxy/devproxy/internal/testkit"
)

// formApp describes a session-login app (the Flask and Express fixtures)
// as the browser sees it under one public prefix.
type formApp struct {
	login, home, me, echo    string // public paths
	tokenCookie, tokenHeader string // the CSRF token's cookie at / and the header it goes back in
}

// formFlow signs in with the app's form, survives a reload, POSTs JSON
// from the page at / with the token read from document.cookie, and signs
// out with a CSRF-protected form — every form action and redirect under
// the app's public prefix.
func formFlow(t *testing.T, configText string, app formApp) {
	t.Helper()
	logs := testkit.NewLogRecorder()
	p := startProxyLogged(t, configText, slog.New(logs))
	defer func() {
		if t.Failed() {
			for _, rec := range logs.All("request") {
				t.Logf("devproxy: %s %s → %s %s %s %s", rec["method"], rec["path"], rec["route"], rec["status"], rec["reason"], rec["fix"])
			}
		}
	}()
	b := newPage(t)
	if status := b.Goto(p.URL + app.home); status != 200 {
		t.Fatalf("GET %s = %d", app.home, status)
	}
	if got := pathOf(t, b.URL()); got != app.login {
		t.Errorf("signed out, %s redirected to %s, want %s", app.home, got, app.login)
	}
	var action string
	b.Eval(`return document.getElementById('login').getAttribute('action');`, &action)
	if action != app.login {
		t.Errorf("login form action %q, want %q", action, app.login)
	}
	b.Fill("#username", "ada")
	if status := b.Submit("#submit"); status != 200 {
		t.Fatalf("login POST landed on %d", status)
	}
	if got := pathOf(t, b.URL()); got != app.home {
		t.Errorf("after login at %s, want %s", got, app.home)
	}
	var who string
	b.Goto(p.URL + app.home) // a reload keeps the session
	b.Eval(`const e = document.getElementById('who'); return e ? e.textContent : document.body.innerText.slice(0, 200);`, &who)
	if who != "signed in as ada" {
		t.Errorf("after a reload the home page says %q, want \"signed in as ada\"", who)
	}

	wantUser(t, "JSON POST from the page at / with the "+app.tokenCookie+" cookie", postJSONWithCookieToken(t, b, p.URL, app.echo, app.tokenCookie, app.tokenHeader), "ada")

	b.Goto(p.URL + app.home)
	b.Eval(`return document.getElementById('logout').getAttribute('action');`, &action)
	if !strings.HasPrefix(action, strings.TrimSuffix(app.home, "/")+"/") {
		t.Errorf("logout form action %q, want it under %s", action, app.home)
	}
	if status := b.Submit("#signout"); status != 200 {
		t.Errorf("logout POST landed on %d", status)
	}
	if got := pathOf(t, b.URL()); got != app.login {
		t.Errorf("after logout at %s, want %s", got, app.login)
	}
	var me fetchResult
	b.Eval(`const r = await fetch(`+jsString(app.me)+`); return { status: r.status, text: await r.text() };`, &me)
	if !strings.Contains(me.Text, `"user":null`) && !strings.Contains(me.Text, `"user": null`) {
		t.Errorf("after logout %s says %s, want no user", app.me, me.Text)
	}
	for _, c := range b.Cookies() {
		if c.Path != "/" {
			t.Errorf("cookie %s has Path %s, want / (the app sets Path=/)", c.Name, c.Path)
		}
	}
	for _, rec := range logs.All("request") {
		if rec["status"] == "400" || rec["status"] == "403" {
			t.Errorf("devproxy logged a refusal: %v", rec)
		}
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
