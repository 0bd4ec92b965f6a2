//go:build unix

package e2e

import (
	"strings"
	"testing"
)

// formApp describes a session-login app (the Flask and Express fixtures)
// as the browser sees it under one public prefix.
type formApp struct {
	login, home, me, echo    string // public paths
	tokenCookie, tokenHeader string // the CSRF token's cookie at / and the header it goes back in
}

// formMatrix is the framework matrix for one session-login app: a plain
// prefix route, a strip_prefix route, change_origin, a foreign page's POST
// and an event stream.
type formMatrix struct {
	app              string                    // the app's URL
	plain, stripped  string                    // the two routes' prefixes
	under            func(base string) formApp // the app's public paths under a base
	plainBase        string                    // the base the plain route serves the app under
	events           string                    // the event stream's path under a base
	foreignStatus    string                    // what the framework answers a foreign page's POST
	foreignReason    string                    // devproxy's reason for it
	strippedCaseName string                    // how the app learns the prefix
}

func runFormMatrix(t *testing.T, m formMatrix) {
	static := pageDir(t)
	plain := func(changeOrigin bool) string { return routeConfig(static, m.plain, m.app, false, changeOrigin) }
	t.Run("plain prefix", func(t *testing.T) {
		t.Parallel()
		formFlow(t, plain(false), m.under(m.plainBase))
	})
	t.Run("strip_prefix with "+m.strippedCaseName, func(t *testing.T) {
		t.Parallel()
		formFlow(t, routeConfig(static, m.stripped, m.app, true, false), m.under(m.stripped))
	})
	t.Run("change_origin", func(t *testing.T) {
		t.Parallel()
		formFlow(t, plain(true), m.under(m.plainBase))
	})
	t.Run("a foreign page is refused by the framework's CSRF check", func(t *testing.T) {
		t.Parallel()
		p, logs := startRecordedProxy(t, plain(true))
		rec := foreignPost(t, logs, p.URL+m.under(m.plainBase).echo)
		if rec["status"] != m.foreignStatus || !strings.Contains(rec["reason"], m.foreignReason) {
			t.Errorf("foreign POST: %s %q, want %s with %q", rec["status"], rec["reason"], m.foreignStatus, m.foreignReason)
		}
	})
	t.Run("closing an event stream is the client's doing", func(t *testing.T) {
		t.Parallel()
		p, logs := startRecordedProxy(t, routeConfig(static, m.stripped, m.app, true, false))
		checkSSEClientClose(t, newPage(t), p, logs, m.stripped+m.events)
	})
}

// formFlow signs in with the app's form, survives a reload, POSTs JSON
// from the page at / with the token read from document.cookie, and signs
// out with a CSRF-protected form — every form action and redirect under
// the app's public prefix.
func formFlow(t *testing.T, configText string, app formApp) {
	t.Helper()
	p, logs := startRecordedProxy(t, configText)
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
