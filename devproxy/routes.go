package devproxy

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// table is one compiled config: immutable once built, swapped whole on reload.
type table struct {
	cfg    *config.Config
	routes []*route          // sorted by path
	byPath map[string]*route // exact path → route, for segment-wise longest-prefix lookup
	front  *route            // dev server, or nil
	static http.Handler      // static build, or nil
	// hosts is who devproxy answers to and what its own origins are,
	// worked out once here rather than on every request.
	hosts *hostPolicy
	// global is [simulate]: conditions every request shares.
	global sim
}

// route is one compiled [routes] entry, or the dev-server frontend.
type route struct {
	config.Route
	name       string // "/api", or "frontend" for the dev server
	target     *url.URL
	addr       string // target host:port with the scheme's default port filled in
	rewrite    *regexp.Regexp
	isFrontend bool
	proxy      http.Handler
	// targetOrigin is the target as a browser origin, presented as Origin
	// (and Referer's origin) when change_origin is set.
	targetOrigin string
	origins      originPolicy // who may open WebSockets through this route, beyond devproxy's own origins
	hosts        *hostPolicy  // the table's: devproxy's own origins
	notes        onceLog      // one-time explanations already logged for this route (cookie rewrites, CORS origins)
	sim          sim          // the route's own delay, throttle and fail
}

// compileTable builds the routing table for cfg. It does not touch the
// network, so a reload can build it without disturbing traffic.
func (s *Server) compileTable(cfg *config.Config) (*table, error) {
	t := &table{cfg: cfg, byPath: make(map[string]*route, len(cfg.Routes)), hosts: newHostPolicy(cfg)}
	t.global = newSim(cfg.Simulate.Delay, cfg.Simulate.Throttle, config.Fail{}, "")
	for _, rc := range cfg.Routes {
		rt, err := s.compileRoute(t, rc, rc.Path)
		if err != nil {
			return nil, err
		}
		rt.origins, rt.hosts = newOriginPolicy(cfg, rc, false), t.hosts
		t.routes = append(t.routes, rt)
		t.byPath[rt.Path] = rt
	}
	switch fe := cfg.Frontend; {
	case fe.DevServer != "":
		rc := config.Route{Path: "/", Target: fe.DevServer, Timeout: cfg.Timeout, Retry: cfg.Retry, Cookies: "passthrough", Redirects: "passthrough"}
		rt, err := s.compileRoute(t, rc, "frontend")
		if err != nil {
			return nil, err
		}
		rt.isFrontend = true
		rt.origins, rt.hosts = newOriginPolicy(cfg, rc, true), t.hosts
		rt.ChangeOrigin = true // the dev server's allowedHosts check expects its own Host
		t.front = rt
	case fe.Static != "":
		h, err := newStaticHandler(fe, func(w http.ResponseWriter, r *http.Request, status int, cause, fix string) {
			s.staticProblem(t, w, r, status, cause, fix)
		})
		if err != nil {
			return nil, err
		}
		t.static = s.simulated("static", nil, &sim{}, &t.global, h)
	}
	return t, nil
}

// compileRoute builds one route of t: its proxy, or its mock, inside its
// network conditions.
func (s *Server) compileRoute(t *table, rc config.Route, name string) (*route, error) {
	u, err := url.Parse(rc.Target)
	if err != nil {
		return nil, fmt.Errorf("route %s: %w", name, err)
	}
	rt := &route{Route: rc, name: name, target: u}
	if rc.Target != "" {
		rt.addr = web.HostPort(u)
		rt.targetOrigin = web.OriginOf(u)
	}
	if rc.Rewrite != nil {
		if rt.rewrite, err = regexp.Compile(rc.Rewrite.From); err != nil {
			return nil, fmt.Errorf("route %s: %w", name, err)
		}
	}
	rt.sim = newSim(rc.Delay, rc.Throttle, rc.Fail, config.DisplayKey([]string{"routes", rc.Path, "fail"})+" = "+strconv.FormatFloat(rc.Fail.Rate, 'f', -1, 64))
	if rc.Mock != nil {
		rt.proxy = s.mockHandler(rt) // the mock wins: the target, if any, is never contacted
	} else {
		rt.proxy = s.newRouteProxy(rt)
	}
	rt.proxy = s.simulated(name, rt, &rt.sim, &t.global, rt.proxy)
	return rt, nil
}

// match returns the route with the longest path that is a prefix of p on a
// segment boundary, or nil when the frontend should answer. It walks p's
// segments from the end with map lookups, so its cost depends on the depth
// of the path, not on the number of routes, and it does not allocate.
func (t *table) match(p string) *route {
	if len(t.byPath) == 0 {
		return nil
	}
	for {
		if rt, ok := t.byPath[p]; ok {
			return rt
		}
		if p == "/" || p == "" {
			return nil
		}
		i := strings.LastIndexByte(p, '/')
		if i <= 0 {
			p = "/"
		} else {
			p = p[:i]
		}
	}
}

// upstreamPath maps a request path through strip_prefix, rewrite and the
// target's base path. rawPath is the request's escaped path when it differs
// from the default encoding of path (e.g. it contains %2F); the result keeps
// that escaping where it can.
func (rt *route) upstreamPath(path, rawPath string) (newPath, newRaw string) {
	if rt.StripPrefix && rt.Path != "/" {
		path = stripPathPrefix(path, rt.Path)
		if rawPath != "" {
			if strings.HasPrefix(rawPath, rt.Path) {
				rawPath = stripPathPrefix(rawPath, rt.Path)
			} else {
				rawPath = ""
			}
		}
	}
	if rt.rewrite != nil {
		path = rt.rewrite.ReplaceAllString(path, rt.Rewrite.To)
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		rawPath = "" // a rewrite works on the decoded path; let net/url re-escape it
	}
	newPath = joinURLPath(rt.target.Path, path)
	if rawPath != "" {
		newRaw = joinURLPath(rt.target.EscapedPath(), rawPath)
	}
	return newPath, newRaw
}

func stripPathPrefix(p, prefix string) string {
	p = p[len(prefix):]
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	return p
}

// joinURLPath appends p to a target's base path with exactly one slash between.
func joinURLPath(base, p string) string {
	if base == "" || base == "/" {
		return p
	}
	return strings.TrimSuffix(base, "/") + p
}

// publicPath is the inverse of upstreamPath for paths without a rewrite: it
// maps a path on the target (from a Location or cookie Path) back to the
// path the browser uses. ok is false when p is not absolute, is outside the base
// path or the route rewrites paths (a regexp cannot be inverted).
func (rt *route) publicPath(p string) (string, bool) {
	if rt.rewrite != nil || !strings.HasPrefix(p, "/") {
		return "", false
	}
	base := strings.TrimSuffix(rt.target.Path, "/")
	if base != "" {
		if p != base && !strings.HasPrefix(p, base+"/") {
			return "", false
		}
		p = strings.TrimPrefix(p, base)
		if p == "" {
			p = "/"
		}
	}
	if rt.StripPrefix && rt.Path != "/" {
		if p == "/" {
			return rt.Path, true
		}
		return rt.Path + p, true
	}
	return p, true
}
