package export

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
)

// Caddy renders cfg as a Caddyfile: a site for the names devproxy answers
// to, with one handle per route, and a site on the same port that refuses
// other Hosts. The Warnings say what Caddy cannot do as devproxy does; the
// text says it at each place.
func Caddy(cfg *config.Config, opts Options) (string, []Warning, error) {
	s, err := newSite(cfg, opts)
	if err != nil {
		return "", nil, err
	}
	c := &caddy{site: s, w: writer{indent: "\t"}}
	c.header()
	c.snippets()
	c.render()
	return c.w.b.String(), s.warn.list, nil
}

type caddy struct {
	*site
	w writer
}

func (c *caddy) header() {
	w := &c.w
	w.comment(fmt.Sprintf("Caddyfile for the route table in %s, written by `devproxy export caddy`.\n"+
		"Run it with `caddy run --config Caddyfile` (check it with `caddy validate`).\n"+
		"The addresses keep devproxy's plain http and port; for production, write your domain without\n"+
		"http:// and port, and Caddy serves it over HTTPS.\n"+
		"Comments that start with \"devproxy:\" say where Caddy does not do what devproxy does.", c.file))
	for _, note := range c.headerNotes("Caddy") {
		w.blank()
		w.comment(note)
	}
}

// ownOrigin is a CEL expression for this server's origin, as the request
// names it.
const ownOrigin = "{http.request.scheme} + '://' + {http.request.hostport}"

// presentTargetOrigin sends the target's origin as Origin on a WebSocket
// handshake and, on a route, also where the browser sent this server's
// own origin (in Origin, or at the start of Referer), as devproxy does with
// change_origin: a backend that compares them with its Host (Django's CSRF
// check) sees its own.
func (c *caddy) presentTargetOrigin(rt *route) {
	w := &c.w
	target := caddyArg(originOf(rt))
	if rt.frontend {
		w.comment("A WebSocket handshake to the dev server presents its own origin, as devproxy does.")
		w.open("@%s_ws", rt.slug)
		w.line("header Upgrade *")
		w.line("header Origin *")
		w.close()
		w.line("request_header @%s_ws Origin %s", rt.slug, target)
		return
	}
	w.note("change_origin: the target's origin replaces this server's own in Origin and at the start of\n" +
		"Referer, and is the Origin of a WebSocket handshake, as devproxy presents it.")
	w.line("@%s_origin expression %s", rt.slug, caddyQuote("({http.request.header.Upgrade} != '' && {http.request.header.Origin} != '') || {http.request.header.Origin} == "+ownOrigin))
	w.line("request_header @%s_origin Origin %s", rt.slug, target)
	w.line("@%s_referer expression %s", rt.slug, caddyQuote("{http.request.header.Referer} == "+ownOrigin+" || {http.request.header.Referer}.startsWith("+ownOrigin+" + '/')"))
	w.line("request_header @%s_referer Referer %s %s", rt.slug, caddyQuote("^https?://[^/?#]+"), target)
}

// Snippets hold what most routes share: the upstream's streaming,
// timeouts and retry, and the WebSocket origin check of the top level.
const (
	upstreamSnippet = "devproxy_upstream"
	originSnippet   = "devproxy_ws_origin"
)

func (c *caddy) snippets() {
	w := &c.w
	if len(c.routes) > 0 || c.front != nil {
		w.blank()
		w.comment("What every reverse_proxy below imports: the top level's timeout and retry.")
		w.open("(%s)", upstreamSnippet)
		c.upstream(c.cfg.Timeout, c.cfg.Retry, false)
		w.close()
	}
	if allowed, check := c.cfg.AllowedOrigins, !slices.Contains(c.cfg.AllowedOrigins, "*"); check && c.sharesOrigins() {
		w.blank()
		w.comment("What every handle below imports whose route has no allowed_origins of its own.")
		w.open("(%s)", originSnippet)
		c.refuseOrigins(allowed, "allowed_origins")
		w.close()
	}
}

// sharesOrigins reports whether a route (or the dev server) checks
// WebSocket origins against the top-level list.
func (c *caddy) sharesOrigins() bool {
	return c.front != nil || slices.ContainsFunc(c.routes, func(rt *route) bool { return rt.AllowedOrigins == nil })
}

// upstream writes the streaming, timeout and retry lines of a
// reverse_proxy.
func (c *caddy) upstream(timeout, retry time.Duration, insecure bool) {
	w := &c.w
	w.note("Stream responses (SSE, downloads) as they arrive, as devproxy does.")
	w.line("flush_interval -1")
	w.open("transport http")
	w.line("dial_timeout %s", duration(timeout))
	w.line("response_header_timeout %s", duration(timeout))
	if insecure {
		w.line("tls_insecure_skip_verify")
	}
	w.close()
	if retry > 0 {
		w.note("Hold requests while the backend restarts (retry): the dial is retried, as devproxy does.")
		w.line("lb_try_duration %s", duration(retry))
		w.line("lb_try_interval 250ms")
	}
}

// addresses are the site's addresses, one per Host name devproxy answers to.
func (c *caddy) addresses() []string {
	scheme := "http://"
	if c.cfg.HTTPS {
		scheme = "https://"
	}
	if c.names == nil {
		return []string{scheme + ":" + c.port}
	}
	var out []string
	for _, name := range c.names {
		if suffix, ok := strings.CutPrefix(name, "."); ok {
			c.w.comment(c.warn.add("allowed_hosts", fmt.Sprintf("Caddy's *.%s matches one label (a.%s, not a.b.%s); devproxy's %q allows every subdomain", suffix, suffix, suffix, name)))
			out = append(out, scheme+suffix+":"+c.port, scheme+"*."+suffix+":"+c.port)
			continue
		}
		out = append(out, scheme+name+":"+c.port)
	}
	return out
}

// binds is the bind directive's argument, or "" for every interface.
func (c *caddy) binds() string {
	var out []string
	for _, b := range c.site.binds {
		switch {
		case b == "":
			return ""
		case strings.Contains(b, ":"):
			out = append(out, "["+b+"]")
		default:
			out = append(out, b)
		}
	}
	return strings.Join(out, " ")
}

func (c *caddy) render() {
	w := &c.w
	w.blank()
	if c.portNote != "" {
		w.comment(c.portNote)
	}
	addrs := c.addresses()
	w.open("%s", strings.Join(addrs, ", "))
	if b := c.binds(); b != "" {
		w.line("bind %s", b)
	}
	if slices.Contains(c.names, "127.0.0.1") {
		w.comment(ipHostsNote("the addresses"))
	}
	switch {
	case c.cfg.TLS != nil:
		w.line("tls %s %s", caddyArg(c.cfg.TLS.Cert), caddyArg(c.cfg.TLS.Key))
	case c.cfg.HTTPS:
		w.comment(c.tlsNote)
		w.line("tls internal")
	}
	if len(c.routes) > 0 {
		w.blank()
		w.comment("Routes, longest path first: Caddy takes the first handle that matches, so the longest\n" +
			"route wins, and a route matches its path and below (/api, /api/x, not /apix), as in devproxy.")
		w.comment(c.warn.add("routes", "Caddy matches paths case-insensitively (/API is the route /api); devproxy's paths are case-sensitive"))
	}
	for _, rt := range c.routes {
		w.blank()
		c.route(rt)
	}
	if !slices.ContainsFunc(c.routes, func(rt *route) bool { return rt.Path == "/" }) {
		w.blank()
		c.frontend()
	}
	w.close()
	if c.names != nil && c.cfg.HTTPS {
		w.blank()
		w.comment("Other Hosts: over https Caddy has no certificate for them, so their handshake fails, and\n" +
			"plain http:// to this port gets Caddy's 400 rather than devproxy's redirect (one port, one protocol).")
		w.comment(c.warn.add("listen", "Caddy serves one protocol per port: plain http:// to the https port is refused, not redirected as devproxy does"))
	} else if c.names != nil {
		w.blank()
		w.comment(refusedHostsNote)
		w.open("http://:%s", c.port)
		if b := c.binds(); b != "" {
			w.line("bind %s", b)
		}
		w.line("respond 403")
		w.close()
	}
}

// route writes one route as a handle on its path and below.
func (c *caddy) route(rt *route) {
	w := &c.w
	w.comment(describeRoute(rt))
	for _, note := range c.routeNotes(rt) {
		w.comment(note)
	}
	if rt.mockOnly() {
		w.line("@%s path %s %s", rt.slug, caddyArg(rt.Path), caddyArg(rt.Path+"/*"))
		w.open("handle @%s", rt.slug)
		n := 0
		if rt.CORS != nil {
			n = c.corsPreflight(rt)
		}
		answer := func() {
			if rt.CORS != nil {
				c.corsHeaders(rt)
			}
			c.mock(rt)
		}
		if n > 0 {
			w.blank()
			w.open("handle")
			answer()
			w.close()
		} else {
			answer()
		}
		w.close()
		return
	}
	if rt.Path == "/" {
		if note := c.rootRouteNote(rt); note != "" {
			w.comment(note)
		}
		w.open("handle")
	} else {
		w.line("@%s path %s %s", rt.slug, caddyArg(rt.Path), caddyArg(rt.Path+"/*"))
		w.open("handle @%s", rt.slug)
	}
	c.guarded(rt, func() {
		c.rewrites(rt)
		if rt.CORS != nil {
			c.corsHeaders(rt)
		}
		c.proxy(rt)
	})
	w.close()
}

// guarded writes the handles that answer before the backend is asked (a
// refused WebSocket origin, CORS preflights), then body: inside a last
// handle when there are any, since Caddy runs nested handles after most
// other directives of their block.
func (c *caddy) guarded(rt *route, body func()) {
	w := &c.w
	n := c.originCheck(rt)
	if rt.CORS != nil {
		n += c.corsPreflight(rt)
	}
	if n == 0 {
		body()
		return
	}
	w.blank()
	w.open("handle")
	body()
	w.close()
}

// frontend writes what serves every path no route matches.
func (c *caddy) frontend() {
	w := &c.w
	fe := c.cfg.Frontend
	switch {
	case c.front != nil:
		w.comment(fmt.Sprintf("Everything else → the dev server %s, its responses untouched. For development only:\n"+
			"in production, build the frontend and serve the build ([frontend] static).", fe.DevServer))
		w.open("handle")
		c.guarded(c.front, func() { c.proxy(c.front) })
		w.close()
	case fe.Static != "":
		w.comment(c.staticNote())
		w.open("handle")
		w.line("root * %s", caddyArg(fe.Static))
		w.line("header Cache-Control no-cache")
		if !fe.Dotfiles {
			w.comment(dotfilesNote)
			w.line("@dotfiles not path_regexp %s", caddyArg(`^(?:/(?:[^./][^/]*|\.well-known)?)*$`))
			w.line("respond @dotfiles 404")
		}
		if fe.SPA {
			w.open("@spa")
			w.line("not file {path} {path}/")
			w.line("not path_regexp %s", caddyArg(`\.[^/]*$`))
			w.close()
			w.line("rewrite @spa /index.html")
		}
		w.line("file_server")
		w.close()
	default:
		w.comment(noFrontendNote)
		w.open("handle")
		w.line("respond 404")
		w.close()
	}
}

// originCheck writes a handle that refuses WebSocket handshakes from
// origins devproxy would refuse, and reports how many it wrote.
func (c *caddy) originCheck(rt *route) int {
	allowed, key, check := rt.originCheck(c.cfg)
	switch {
	case !check:
		return 0
	case key == "allowed_origins":
		c.w.line("import %s", originSnippet)
	default:
		c.refuseOrigins(allowed, key)
	}
	return 1
}

// refuseOrigins is the handle that answers 403 to a WebSocket handshake
// from a page that is neither this server's origin nor in allowed.
func (c *caddy) refuseOrigins(allowed []string, key string) {
	w := &c.w
	w.comment(fmt.Sprintf("A WebSocket handshake from a page whose origin is not this server's own and not in\n"+
		"%s is refused (one without Origin is not from a browser).", key))
	w.open("@ws_refused")
	w.line("header Upgrade *")
	w.line("header Origin *")
	for _, o := range allowed {
		w.line("not header Origin %s", caddyArg(o))
	}
	w.line("not expression %s", caddyQuote("{http.request.header.Origin} == "+ownOrigin))
	w.close()
	w.open("handle @ws_refused")
	w.line("respond 403")
	w.close()
}

// rewrites maps the request path as devproxy does: strip_prefix, then
// rewrite, then the target's base path. Caddy keeps uri directives in the
// order written.
func (c *caddy) rewrites(rt *route) {
	w := &c.w
	if rt.strip {
		w.line("uri strip_prefix %s", caddyArg(rt.Path))
	}
	if rw := rt.Rewrite; rw != nil {
		// Caddy's path_regexp is Go's ReplaceAllString, as devproxy's rewrite;
		// braces are escaped, or Caddy would take ${1} for a placeholder.
		w.line("uri path_regexp %s %s", caddyArg(rw.From), caddyArg(caddyLiteral(rw.To)))
	}
	if rt.base != "" {
		w.line("uri path_regexp ^/? %s", caddyArg(rt.base+"/"))
	}
}

// proxy writes reverse_proxy with the request headers, response rewriting,
// TLS, timeouts and retry of a route or the dev server.
func (c *caddy) proxy(rt *route) {
	w := &c.w
	if rt.ChangeOrigin {
		c.presentTargetOrigin(rt)
	}
	w.open("reverse_proxy %s://%s", rt.target.Scheme, rt.target.Host)
	if rt.ChangeOrigin {
		w.line("header_up Host {upstream_hostport}")
	}
	// Only devproxy says which prefix it removed: a browser's value is dropped.
	if _, custom := rt.Headers["X-Forwarded-Prefix"]; !custom {
		if rt.strip {
			w.line("header_up X-Forwarded-Prefix %s", caddyArg(rt.Path))
		} else {
			w.line("header_up -X-Forwarded-Prefix")
		}
	}
	for _, name := range rt.headerNames() {
		value := rt.headerValue(name, caddyLiteral, func(env string) string { return "{env." + env + "}" })
		if rt.SecretHeaders[name] {
			w.note("{env.NAME} is read from Caddy's environment on each request, never written into its config.")
		}
		w.line("header_up %s %s", name, caddyQuote(value))
	}
	if rt.mapsRedirects() {
		c.redirects(rt)
	}
	if rt.Cookies == "rewrite" {
		c.cookies(rt)
	}
	if rt.CORS != nil {
		w.line("header_down -Access-Control-*")
	}
	if rt.Timeout == c.cfg.Timeout && rt.Retry == c.cfg.Retry && !rt.Insecure {
		w.line("import %s", upstreamSnippet)
	} else {
		c.upstream(rt.Timeout, rt.Retry, rt.Insecure)
	}
	w.close()
}

// setAside marks a header value a rule has rewritten, or has decided to
// keep, so no later rule matches it: Caddy applies every replacement in turn
// to the result of the one before, and Go's regexps have no lookahead. The
// last rule removes the mark. (A value the backend starts with it loses it.)
const setAside = "~devproxy~"

// redirects maps Location and Content-Location headers as devproxy does: a
// URL on the target goes to this server and the route's path; a path the
// backend wrote without the route's prefix (path-absolute, or on this
// server's own origin) gets it, behind strip_prefix or a base path.
func (c *caddy) redirects(rt *route) {
	w := &c.w
	w.note("Redirects to the backend's own address, and behind strip_prefix or a base path to its own\n" +
		"paths (here or on this server's origin), come back to this server under the route's path, as\n" +
		"devproxy rewrites them; a path already under the route's prefix is left alone. Each rule marks\n" +
		"what it wrote with " + setAside + " so that no later rule rewrites it again; the last removes the mark.")
	rule := func(from, to string) {
		for _, h := range []string{"Location", "Content-Location"} {
			w.line("header_down %s %s %s", h, caddyQuote("^"+from), caddyQuote(to))
		}
	}
	here := setAside + "{http.request.scheme}://{http.request.hostport}"
	origin := targetOriginPattern(rt)
	base := regexp.QuoteMeta(rt.base)
	rule(origin+base+"/?([?#].*)?$", here+rt.publicRoot()+"${1}")
	rule(origin+base+"(/.*)$", here+rt.publicPrefix()+"${1}")
	if rt.mapsPaths() {
		own, ok := c.ownOriginPattern()
		if rt.strip {
			if ok {
				rule("("+own+rt.ownPaths()+".*)$", setAside+"${1}")
			}
			rule("("+rt.ownPaths()+".*)$", setAside+"${1}")
		}
		if !ok {
			w.comment(c.anyHostRedirectNote(rt))
		}
		root, below := "/?", "(/.*)"
		if rt.base == "" {
			below = "(/[^/].*)"
		}
		if ok {
			rule("("+own+")"+base+root+"([?#].*)?$", setAside+"${1}"+rt.publicRoot()+"${2}")
			rule("("+own+")"+base+below+"$", setAside+"${1}"+rt.publicPrefix()+"${2}")
		}
		if rt.base == "" {
			root = "/"
		}
		rule(base+root+"([?#].*)?$", setAside+rt.publicRoot()+"${1}")
		rule(base+below+"$", setAside+rt.publicPrefix()+"${1}")
	}
	rule(setAside+"(.*)$", "${1}")
}

// cookies rewrites Set-Cookie as devproxy does: Domain removed, so the
// cookie belongs to this server's host; Path=/ kept (the whole site, as in
// production); a Path under the route's prefix kept; any other Path mapped
// like a redirect. Mapped and kept paths are set aside as in redirects.
func (c *caddy) cookies(rt *route) {
	w := &c.w
	w.note("Set-Cookie: Domain is removed, so the cookie is this server's; Path=/ and a Path under the\n" +
		"route's prefix stay, another Path is mapped like a redirect, as devproxy rewrites them\n" +
		"(cookies = \"passthrough\" turns this off).\n" + cookieNote)
	rule := func(from, to string) { w.line("header_down Set-Cookie %s %s", caddyQuote(from), caddyQuote(to)) }
	rule(`;\s*(?i:domain)=[^;]*(;|$)`, "${1}")
	if !rt.mapsPaths() {
		return
	}
	attr := `(;\s*(?i:path)=)`
	end := `(\s*(?:;|$))`
	if rt.keepsOwnPaths() {
		rule(attr+"("+regexp.QuoteMeta(rt.Path)+`(?:/[^;\s]*)?)`+end, "${1}"+setAside+"${2}${3}")
	}
	base := regexp.QuoteMeta(rt.base)
	rule(attr+base+`(/[^;\s]+)`, "${1}"+setAside+rt.publicPrefix()+"${2}")
	if rt.base != "" {
		rule(attr+base+"/?"+end, "${1}"+setAside+rt.publicRoot()+"${2}")
	}
	rule(attr+setAside, "${1}")
}

// caddyArg writes s as one Caddyfile token, quoted when it would
// otherwise be split, end a line or open a block.
func caddyArg(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\"{}") || strings.HasPrefix(s, "#") {
		return caddyQuote(s)
	}
	return s
}

// caddyQuote writes s as a double-quoted Caddyfile token.
func caddyQuote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

// caddyLiteral escapes braces in literal header text, which Caddy would
// otherwise read as placeholders.
func caddyLiteral(s string) string {
	return strings.NewReplacer("{", `\{`, "}", `\}`).Replace(s)
}
