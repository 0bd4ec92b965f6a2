//go:build unix

package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// Django 4.2 (Debian's python3-django from bookworm-backports) behind
// devproxy: the admin's session login and CSRF-protected forms, a JSON
// POST with the token read from document.cookie on the page at /, and a
// server-sent event stream. Two processes: one serving at the root, one
// told its public prefix with FORCE_SCRIPT_NAME = "/backend".
var djangoRoot, djangoPrefixed framework

var djangoApp = pythonApp{fixture: "django", check: "import django, sys; sys.exit(django.VERSION < (4, 2))",
	install: "Django 4.2 for /usr/bin/python3 not found; install it from Debian's bookworm-backports: apt-get install -t bookworm-backports python3-django"}

// startDjango starts (once) the Django app, at the root or behind scriptName.
func startDjango(t *testing.T, f *framework, scriptName string) string {
	t.Helper()
	return djangoApp.start(t, f, "django"+scriptName, func(dir string) []string {
		args := []string{filepath.Join(dir, "db.sqlite3")}
		if scriptName != "" {
			args = append(args, scriptName)
		}
		return args
	})
}

func TestDjangoBehindDevproxy(t *testing.T) {
	t.Parallel()
	root := startDjango(t, &djangoRoot, "")
	prefixed := startDjango(t, &djangoPrefixed, "/backend")
	static := pageDir(t)

	// Plain prefix routes: Django's own paths are the public paths.
	plain := func(changeOrigin bool) string {
		var b strings.Builder
		fmt.Fprintf(&b, "[frontend]\nstatic = %q\n", static)
		for _, prefix := range []string{"/admin", "/static", "/api"} {
			fmt.Fprintf(&b, "[routes.%q]\ntarget = %q\nchange_origin = %t\n", prefix, root, changeOrigin)
		}
		return b.String()
	}
	t.Run("plain prefix", func(t *testing.T) {
		t.Parallel()
		djangoFlow(t, plain(false), "")
	})
	t.Run("strip_prefix with FORCE_SCRIPT_NAME", func(t *testing.T) {
		t.Parallel()
		djangoFlow(t, routeConfig(static, "/backend", prefixed, true, false), "/backend")
	})
	t.Run("change_origin needs no CSRF_TRUSTED_ORIGINS", func(t *testing.T) {
		t.Parallel()
		djangoFlow(t, plain(true), "")
	})
	t.Run("a foreign page is refused by Django's CSRF check", func(t *testing.T) {
		t.Parallel()
		p, logs := startRecordedProxy(t, plain(true))
		rec := foreignPost(t, logs, p.URL+"/api/echo")
		// Through change_origin too, the foreign Origin reaches Django unchanged.
		if rec["status"] != "403" || !strings.Contains(rec["reason"], "Django refused the request: CSRF verification failed (Origin checking failed - http://127.0.0.1:") {
			t.Errorf("foreign POST: %s %q, want 403 with Django's Origin check named", rec["status"], rec["reason"])
		}
		if !strings.Contains(rec["fix"], "open the page through devproxy") {
			t.Errorf("foreign POST: fix %q, want it to say the page is not devproxy's", rec["fix"])
		}
	})
	t.Run("closing an event stream is the client's doing", func(t *testing.T) {
		t.Parallel()
		p, logs := startRecordedProxy(t, plain(false))
		checkSSEClientClose(t, newPage(t), p, logs, "/api/events")
	})
}

// djangoFlow logs in to the admin, survives a reload, POSTs JSON with the
// token from document.cookie from the page at /, and logs out, all through
// devproxy; base is the public prefix ("" or "/backend"), under which
// every form action and redirect must stay.
func djangoFlow(t *testing.T, configText, base string) {
	t.Helper()
	p, logs := startRecordedProxy(t, configText)
	b := newPage(t)
	if status := b.Goto(p.URL + base + "/admin/"); status != 200 {
		t.Fatalf("GET %s/admin/ = %d", base, status)
	}
	if got, want := pathOf(t, b.URL()), base+"/admin/login/?next="+base+"/admin/"; got != want {
		t.Errorf("redirected to %s, want %s", got, want)
	}
	var action string
	b.Eval(`return document.getElementById('login-form').getAttribute('action');`, &action)
	if !strings.HasPrefix(action, base+"/admin/login/") {
		t.Errorf("login form action %q, want it under %s/admin/login/", action, base)
	}
	b.Fill("#id_username", "admin")
	b.Fill("#id_password", "devproxy-e2e")
	if status := b.Submit("input[type=submit]"); status != 200 {
		t.Fatalf("admin login POST landed on %d", status)
	}
	if got := pathOf(t, b.URL()); got != base+"/admin/" {
		t.Fatalf("after login at %s, want %s/admin/", got, base)
	}
	if b.Goto(p.URL+base+"/admin/") != 200 || pathOf(t, b.URL()) != base+"/admin/" {
		t.Errorf("reload: at %s, want still signed in at %s/admin/", b.URL(), base)
	}
	var stylesheets int // the admin's CSS came through the same routes
	b.Eval(`return [...document.styleSheets].filter((s) => { try { return s.cssRules.length > 0; } catch { return false; } }).length;`, &stylesheets)
	if stylesheets == 0 {
		t.Errorf("the admin page has no stylesheet loaded from %s/static/", base)
	}
	for _, c := range b.Cookies() {
		want := map[string]string{"sessionid": "/", "csrftoken": "/"}
		if base != "" {
			want["sessionid"] = base // SESSION_COOKIE_PATH, already under the prefix: not doubled
		}
		if w, ok := want[c.Name]; ok && c.Path != w {
			t.Errorf("cookie %s has Path %s, want %s", c.Name, c.Path, w)
		}
	}

	wantUser(t, "JSON POST from the page at / with the csrftoken cookie", postJSONWithCookieToken(t, b, p.URL, base+"/api/echo", "csrftoken", "X-CSRFToken"), "admin")

	b.Goto(p.URL + base + "/admin/")
	b.Eval(`return document.getElementById('logout-form').getAttribute('action');`, &action)
	if action != base+"/admin/logout/" {
		t.Errorf("logout form action %q, want %s/admin/logout/", action, base)
	}
	if status := b.Submit("#logout-form button"); status != 200 {
		t.Errorf("logout POST landed on %d", status)
	}
	b.Goto(p.URL + base + "/admin/")
	if got := pathOf(t, b.URL()); !strings.HasPrefix(got, base+"/admin/login/") {
		t.Errorf("after logout /admin/ is at %s, want the login page", got)
	}
	for _, rec := range logs.All("request") {
		if rec["status"] == "403" {
			t.Errorf("devproxy logged a refusal: %v", rec)
		}
	}
}
