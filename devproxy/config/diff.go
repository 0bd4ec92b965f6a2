package config

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// RestartKey is a saved setting that only takes effect after a restart.
type RestartKey struct {
	Key, Running, Saved string
}

// KeepRunning applies running's command-line overrides to saved, then
// copies the settings that cannot change while devproxy runs (the
// listeners are bound once, the commands started once) from running into
// saved, so the applied config describes what is actually served. It
// returns the saved settings that differ and wait for a restart.
func KeepRunning(running, saved *Config) []RestartKey {
	saved.Override(running.Overrides)
	var keys []RestartKey
	if saved.ListenURL() != running.ListenURL() {
		keys = append(keys, RestartKey{"listen", running.ListenURL(), saved.ListenURL()})
		saved.Listen, saved.HTTPS = running.Listen, running.HTTPS
	}
	// The listeners' certificate is loaded once, at start.
	if tlsFiles(saved.TLS) != tlsFiles(running.TLS) {
		keys = append(keys, RestartKey{"tls", tlsFiles(running.TLS), tlsFiles(saved.TLS)})
		saved.TLS = running.TLS
	}
	if saved.AllowRemote != running.AllowRemote {
		keys = append(keys, RestartKey{"allow_remote", fmt.Sprint(running.AllowRemote), fmt.Sprint(saved.AllowRemote)})
		saved.AllowRemote = running.AllowRemote
	}
	// The commands devproxy started keep running as they were started.
	if saved.Frontend.Command != running.Frontend.Command {
		keys = append(keys, RestartKey{"frontend.command", running.Frontend.Command, saved.Frontend.Command})
		saved.Frontend.Command = running.Frontend.Command
	}
	if !sameProcesses(running.Processes, saved.Processes) {
		keys = append(keys, RestartKey{"process", processNames(running.Processes), processNames(saved.Processes)})
		saved.Processes = running.Processes
	}
	return keys
}

// tlsFiles describes a [tls] table for a restart message.
func tlsFiles(t *TLS) string {
	if t == nil {
		return "devproxy's local CA"
	}
	return t.Cert + " + " + t.Key
}

// Diff is what a reload changed, one line per change, in the form
// "+ /admin → http://localhost:9000", "~ /api target A → B", "- /legacy".
type Diff struct {
	Lines []string
	// Retargeted is set when a route was removed or now points elsewhere:
	// WebSockets opened through it stay on the old backend until they close.
	Retargeted bool
}

func (d *Diff) add(format string, args ...any) {
	d.Lines = append(d.Lines, fmt.Sprintf(format, args...))
}

// change adds "~ what key old → new" when old and new differ; what is
// empty for top-level keys.
func (d *Diff) change(what, key string, old, new any) {
	o, n := fmt.Sprint(old), fmt.Sprint(new)
	if o == n {
		return
	}
	if what != "" {
		key = what + " " + key
	}
	d.add("~ %s %s → %s", key, o, n)
}

// Compare lists what changed between two configs: global settings,
// the frontend, then routes in path order.
func Compare(old, new *Config) Diff {
	var d Diff
	d.change("", "timeout", old.Timeout, new.Timeout)
	d.change("", "retry", old.Retry, new.Retry)
	d.change("", "allowed_origins", old.AllowedOrigins, new.AllowedOrigins)
	d.change("", "allowed_hosts", old.AllowedHosts, new.AllowedHosts)
	d.change("", "simulate", old.Simulate, new.Simulate)
	diffFrontend(&d, old.Frontend, new.Frontend)

	oldRoutes := make(map[string]Route, len(old.Routes))
	for _, rt := range old.Routes {
		oldRoutes[rt.Path] = rt
	}
	newRoutes := make(map[string]Route, len(new.Routes))
	for _, rt := range new.Routes {
		newRoutes[rt.Path] = rt
	}
	paths := slices.Sorted(maps.Keys(oldRoutes))
	for p := range newRoutes {
		if _, ok := oldRoutes[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		o, inOld := oldRoutes[p]
		n, inNew := newRoutes[p]
		switch {
		case !inOld:
			d.add("+ %s → %s", p, n.Answer())
		case !inNew:
			d.add("- %s", p)
			d.Retargeted = true
		default:
			diffRoute(&d, o, n)
		}
	}
	return d
}

func diffFrontend(d *Diff, old, new Frontend) {
	describe := func(fe Frontend) string {
		switch {
		case fe.DevServer != "":
			return "dev server " + fe.DevServer
		case fe.Static != "":
			return "static " + fe.Static
		}
		return ""
	}
	o, n := describe(old), describe(new)
	switch {
	case o == n:
	case o == "":
		d.add("+ frontend → %s", n)
	case n == "":
		d.add("- frontend")
	default:
		d.add("~ frontend %s → %s", o, n)
	}
	if old.DevServer != new.DevServer && old.DevServer != "" {
		d.Retargeted = true // the dev server's HMR socket stays on the old one
	}
	if old.Static != "" && old.Static == new.Static {
		d.change("frontend", "spa", old.SPA, new.SPA)
		d.change("frontend", "dotfiles", old.Dotfiles, new.Dotfiles)
	}
}

func diffRoute(d *Diff, o, n Route) {
	p := o.Path
	if o.Target != n.Target {
		d.Retargeted = true
	}
	d.change(p, "target", o.Target, n.Target)
	d.change(p, "strip_prefix", o.StripPrefix, n.StripPrefix)
	d.change(p, "change_origin", o.ChangeOrigin, n.ChangeOrigin)
	d.change(p, "rewrite", describeRewrite(o.Rewrite), describeRewrite(n.Rewrite))
	d.change(p, "insecure", o.Insecure, n.Insecure)
	d.change(p, "timeout", o.Timeout, n.Timeout)
	d.change(p, "retry", o.Retry, n.Retry)
	d.change(p, "allowed_origins", o.AllowedOrigins, n.AllowedOrigins)
	d.change(p, "cookies", o.Cookies, n.Cookies)
	d.change(p, "redirects", o.Redirects, n.Redirects)
	d.change(p, "cors", describeCORS(o.CORS), describeCORS(n.CORS))
	diffHeaders(d, p, o, n)
	d.change(p, "mock", describeMock(o.Mock), describeMock(n.Mock))
	d.change(p, "delay", o.Delay, n.Delay)
	d.change(p, "throttle", o.Throttle, n.Throttle)
	d.change(p, "fail", o.Fail, n.Fail)
}

// diffHeaders reports header changes; values that came from the
// environment are web.Masked, as everywhere else.
func diffHeaders(d *Diff, p string, o, n Route) {
	show := func(rt Route, name string) string {
		if rt.SecretHeaders[name] {
			return web.Masked
		}
		return rt.Headers[name]
	}
	names := slices.Sorted(maps.Keys(o.Headers))
	for name := range n.Headers {
		if _, ok := o.Headers[name]; !ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		ov, inOld := o.Headers[name]
		nv, inNew := n.Headers[name]
		switch {
		case !inOld:
			d.add("~ %s header + %s: %s", p, name, show(n, name))
		case !inNew:
			d.add("~ %s header - %s", p, name)
		case ov != nv:
			d.add("~ %s header %s: %s → %s", p, name, show(o, name), show(n, name))
		}
	}
}

func describeRewrite(rw *Rewrite) string {
	if rw == nil {
		return "none"
	}
	return rw.From + " → " + rw.To
}

func describeCORS(c *CORS) string {
	if c == nil {
		return "off"
	}
	return fmt.Sprintf("origins=%s credentials=%t methods=%s headers=%s expose=%s max_age=%d",
		strings.Join(c.AllowOrigins, ","), c.AllowCredentials, strings.Join(c.AllowMethods, ","),
		strings.Join(c.AllowHeaders, ","), strings.Join(c.ExposeHeaders, ","), c.MaxAge)
}

// describeMock is a mock's answer, or "none"; the headers are part of it.
func describeMock(m *Mock) string {
	if m == nil {
		return "none"
	}
	s := m.String()
	if len(m.Headers) > 0 {
		names := slices.Sorted(maps.Keys(m.Headers))
		for i, name := range names {
			names[i] = name + ": " + m.Headers[name]
		}
		s += " {" + strings.Join(names, ", ") + "}"
	}
	return s
}

// Answer is what answers the route: its target, or its mock, which wins
// over a target ("mock 200 mocks/users.json (instead of http://localhost:8080)").
func (rt Route) Answer() string {
	switch {
	case rt.Mock == nil:
		return rt.Target
	case rt.Target == "":
		return "mock " + rt.Mock.String()
	}
	return fmt.Sprintf("mock %s (instead of %s)", rt.Mock.String(), rt.Target)
}
