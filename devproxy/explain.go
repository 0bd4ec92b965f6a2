package devproxy

import (
	"fmt"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// Explain describes, without sending anything, what the running proxy
// would do with a request for u sent with Host inHost: refuse it (the Host
// check), or which route takes it, the upstream URL and the Host header.
func (s *Server) Explain(u *url.URL, inHost string) string {
	t := s.table.Load()
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", u.RequestURI())
	if host := web.HostOnly(inHost); !t.hosts.allows(host) {
		fmt.Fprintf(&b, "  refused: Host %s is not allowed; add it to allowed_hosts\n", host)
		fmt.Fprintf(&b, "  status   403, nothing is forwarded (DNS-rebinding protection)\n")
		fmt.Fprintf(&b, "  fix      allowed_hosts = [%q]\n", host)
		return b.String()
	}
	if config.IsReserved(u.Path) {
		fmt.Fprintf(&b, "  served by devproxy itself (%s/ is reserved for the status page)\n", config.ReservedPrefix)
		return b.String()
	}
	rt := t.match(u.Path)
	if rt == nil && t.front != nil {
		rt = t.front
	}
	if rt == nil {
		if t.static != nil {
			name := path.Clean("/" + u.Path)
			fmt.Fprintf(&b, "  static   %s%s\n", t.cfg.Frontend.Static, name)
			if t.cfg.Frontend.SPA && !hasExtension(name) {
				b.WriteString("           (index.html if no such file: SPA fallback)\n")
			}
			return b.String()
		}
		b.WriteString("  no route matches and there is no [frontend]: 404\n")
		return b.String()
	}
	where := rt.name
	if rt.isFrontend {
		where = "frontend dev server"
	} else if rt.Line > 0 && t.cfg.File != "" {
		where = fmt.Sprintf("%s  (%s:%d)", rt.name, t.cfg.File, rt.Line)
	}
	fmt.Fprintf(&b, "  route    %s\n", where)
	writeConditions(&b, rt, t)
	if m := rt.Mock; m != nil {
		fmt.Fprintf(&b, "  mock     %s  — devproxy answers itself", m)
		if rt.Target != "" {
			fmt.Fprintf(&b, "; %s is not contacted", rt.Target)
		}
		b.WriteString("\n")
		return b.String()
	}
	up := *rt.target
	up.Path, up.RawPath = rt.upstreamPath(u.Path, u.RawPath)
	up.RawQuery = u.RawQuery
	host := inHost
	why := "the browser's Host is kept (change_origin = false)"
	if rt.ChangeOrigin {
		host = rt.target.Host
		why = "the target's host"
		if !rt.isFrontend {
			why += " (change_origin = true)"
		}
	}
	fmt.Fprintf(&b, "  upstream %s\n", up.String())
	fmt.Fprintf(&b, "  Host     %s  — %s\n", host, why)
	if rt.ChangeOrigin && !rt.isFrontend {
		fmt.Fprintf(&b, "  Origin   %s  — when the page is devproxy's own (change_origin = true)\n", rt.targetOrigin)
	}
	if rt.StripPrefix && rt.Path != "/" {
		fmt.Fprintf(&b, "  header   X-Forwarded-Prefix: %s  — the prefix strip_prefix removed\n", rt.Path)
	}
	names := make([]string, 0, len(rt.Headers))
	for k := range rt.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := rt.Headers[k]
		if rt.SecretHeaders[k] {
			v = web.Masked
		}
		fmt.Fprintf(&b, "  header   %s: %s\n", k, v)
	}
	return b.String()
}

// writeConditions adds the simulated network conditions a request to rt
// gets from the file: its own delay, throttle and fail, and [simulate]'s.
func writeConditions(b *strings.Builder, rt *route, t *table) {
	if d := rt.Delay + t.cfg.Simulate.Delay; d > 0 {
		fmt.Fprintf(b, "  delay    %s  — waited before the request goes on\n", d)
	}
	for _, th := range []struct {
		t     config.Throttle
		where string
	}{{rt.Throttle, "the route's"}, {t.cfg.Simulate.Throttle, "[simulate]'s, shared by every request"}} {
		if !th.t.IsZero() {
			fmt.Fprintf(b, "  throttle %s  — %s\n", th.t, th.where)
		}
	}
	if rt.Fail.Rate > 0 {
		what := "get a simulated 503"
		if rt.Fail.Mode == config.FailReset {
			what = "have their connection dropped"
		}
		fmt.Fprintf(b, "  fail     %s of requests %s\n", percent(rt.Fail.Rate), what)
	}
}
