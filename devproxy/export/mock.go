package export

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/devproxy/devproxy/devproxy/config"
)

// Mocks and network simulation in an export. A route that only mocks (no
// target) answers the same fixed response from the web server: nginx's
// return or a file it serves, Caddy's respond or file_server. A route with
// a target and a mock forwards to the target, as production should: the
// mock stands in for a backend that does not exist yet. delay, throttle,
// fail and [simulate] make development slow or flaky on purpose and are
// never exported; a comment and a warning say so.

// mockOnly reports whether the route answers with its mock alone.
func (rt *route) mockOnly() bool { return rt.Mock != nil && rt.Target == "" }

// mockNote is the comment above a route with both a mock and a target.
func (s *site) mockNote(rt *route) string {
	if rt.Mock == nil || rt.mockOnly() {
		return ""
	}
	return s.warn.add(rt.key("mock"), fmt.Sprintf("devproxy answers %s with its mock (%s); this forwards to the target, as production should "+
		"(remove target to export the mock instead)", rt.Path, rt.Mock))
}

// simulationNote is the comment above a route that simulates a slow or
// failing network, or "".
func (s *site) simulationNote(rt *route) string {
	var keys []string
	if rt.Delay > 0 {
		keys = append(keys, fmt.Sprintf("delay = %q", rt.Delay))
	}
	if !rt.Throttle.IsZero() {
		keys = append(keys, "throttle = "+quoteThrottle(rt.Throttle))
	}
	if rt.Fail.Rate > 0 {
		keys = append(keys, "fail ("+rt.Fail.String()+")")
	}
	if len(keys) == 0 {
		return ""
	}
	msg := strings.Join(keys, ", ") + " simulate a slow or failing network in development and are not exported"
	for _, k := range []struct {
		set bool
		key string
	}{{rt.Delay > 0, "delay"}, {!rt.Throttle.IsZero(), "throttle"}, {rt.Fail.Rate > 0, "fail"}} {
		if k.set {
			s.warn.add(rt.key(k.key), "a development simulation, not exported")
		}
	}
	return "devproxy: " + msg
}

// simulateNote is the file's comment on [simulate], or "".
func (s *site) simulateNote() string {
	if s.cfg.Simulate.IsZero() {
		return ""
	}
	return s.warn.add("simulate", fmt.Sprintf("[simulate] (%s) slows every request in development and is not exported", s.cfg.Simulate))
}

func quoteThrottle(t config.Throttle) string {
	if t.Down == t.Up {
		return fmt.Sprintf("%q", t.Down.String())
	}
	return fmt.Sprintf("{ down = %q, up = %q }", t.Down.String(), t.Up.String())
}

// mockHeaders are the headers devproxy sends with the route's mock, in
// order: its own, Content-Type, then Cache-Control unless it sets one.
func mockHeaders(m *config.Mock) [][2]string {
	var out [][2]string
	names := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		if k != "Content-Type" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		out = append(out, [2]string{k, m.Headers[k]})
	}
	if _, ok := m.Headers["Cache-Control"]; !ok {
		out = append(out, [2]string{"Cache-Control", "no-store"})
	}
	return out
}

// mockFile splits a mock file into the directory a web server serves it
// from and its name there.
func mockFile(m *config.Mock) (dir, name string) {
	return filepath.Dir(m.File), "/" + filepath.Base(m.File)
}

// nginxMock writes a mock-only route's answer.
func (n *nginx) mock(rt *route) {
	w := &n.srv
	m := rt.Mock
	w.comment(fmt.Sprintf("The route's mock: %s, the same for every path under %s and every method.", m, rt.Path))
	for _, h := range mockHeaders(m) {
		w.line("add_header %s %s always;", h[0], nginxQuote(h[1]))
	}
	if m.File != "" {
		if t, ok := m.Headers["Content-Type"]; ok {
			w.line("types { }")
			w.line("default_type %s;", nginxArg(t))
		}
		if m.Status != 200 {
			w.comment(n.warn.add(rt.key("mock"), fmt.Sprintf("nginx serves a file with status 200; devproxy answers %d", m.Status)))
		}
		dir, name := mockFile(m)
		w.line("root %s;", nginxArg(dir))
		w.line("try_files %s =500;", nginxArg(name))
		return
	}
	if t := m.ContentType(nil); t != "" {
		w.line("default_type %s;", nginxArg(t))
	}
	switch {
	case m.Body == "":
		w.line("return %d;", m.Status)
	case strings.Contains(m.Body, "$"):
		w.comment(n.warn.add(rt.key("mock"), "the mock's body has a literal \"$\", which nginx reads as a variable; write the return by hand"))
		w.line("return %d;", m.Status)
	default:
		w.line("return %d %s;", m.Status, nginxQuote(m.Body))
	}
}

// caddyMock writes a mock-only route's answer.
func (c *caddy) mock(rt *route) {
	w := &c.w
	m := rt.Mock
	w.comment(fmt.Sprintf("The route's mock: %s, the same for every path under %s and every method.", m, rt.Path))
	if t := m.ContentType(nil); t != "" && (m.File == "" || m.Headers["Content-Type"] != "") {
		w.line("header Content-Type %s", caddyQuote(caddyLiteral(t)))
	}
	for _, h := range mockHeaders(m) {
		w.line("header %s %s", h[0], caddyQuote(caddyLiteral(h[1])))
	}
	if m.File != "" {
		dir, name := mockFile(m)
		w.line("root * %s", caddyArg(dir))
		w.line("rewrite * %s", caddyArg(name))
		if m.Status != 200 {
			w.open("file_server")
			w.line("status %d", m.Status)
			w.close()
		} else {
			w.line("file_server")
		}
		return
	}
	if m.Body == "" {
		w.line("respond %d", m.Status)
		return
	}
	w.line("respond %s %d", caddyQuote(caddyLiteral(m.Body)), m.Status)
}
