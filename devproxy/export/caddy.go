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
	if note := c.processNote("Caddy"); note != "" {
		w.blank()
		w.comment(note)
	}
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
	if c.names == nil {
		return []string{"http://:" + c.port}
	}
	var out []string
	for _, name := range c.names {
		if suffix, ok := strings.CutPrefix(name, "."); ok {
			c.w.comment(c.warn.add("allowed_hosts", fmt.Sprintf("Caddy's *.%s matches one label (a.%s, not a.b.%s); devproxy's %q allows every subdomain", suffix, suffix, suffix, name)))
			out = append(out, "http://"+suffix+":"+c.port, "http://*."+suffix+":"+c.port)
			continue
		}
		out = append(out, "http://"+name+":"+c.port)
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
	if c.names != nil {
		w.blank()
		w.comment("Requests for any other Host are refused, as devproxy refuses them (DNS-rebinding protection).")
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
	if rt.Path == "/" {
		if c.front != nil {
			w.comment(c.warn.add(rt.key("target"), "the route \"/\" takes every path, the dev server's hot-reload socket too; devproxy still sends Vite's (subprotocol vite-hmr) to the dev server"))
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
		if fe.SPA {
			w.comment("Everything else → the build; a path without a file extension that is no file gets\n" +
				"/index.html (spa), and every file is revalidated (Cache-Control: no-cache), as devproxy serves it.")
		} else {
			w.comment("Everything else → the build; every file is revalidated (Cache-Control: no-cache), as devproxy serves it.")
		}
		w.open("handle")
		w.line("root * %s", caddyArg(fe.Static))
		w.line("header Cache-Control no-cache")
		if !fe.Dotfiles {
			w.comment("Dotfiles (.env, .git/) are not served (dotfiles = false); /.well-known is.")
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
		w.comment("No [frontend]: a path no route matches is not found.")
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
	w.line("not expression %s", caddyArg("{http.request.header.Origin} == {http.request.scheme} + '://' + {http.request.hostport}"))
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
		w.note("A WebSocket handshake presents the target's origin, as devproxy does with change_origin.")
		w.open("@%s_ws", rt.slug)
		w.line("header Upgrade *")
		w.line("header Origin *")
		w.close()
		w.line("request_header @%s_ws Origin %s", rt.slug, caddyArg(originOf(rt)))
	}
	w.open("reverse_proxy %s://%s", rt.target.Scheme, rt.target.Host)
	if rt.ChangeOrigin {
		w.line("header_up Host {upstream_hostport}")
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

// redirects maps Location and Content-Location headers as devproxy does. Caddy applies every
// replacement in turn to the result of the one before, and Go's regexps
// have no lookahead, so each rule turns what it maps into an absolute URL
// on this server, which no later rule matches again.
func (c *caddy) redirects(rt *route) {
	w := &c.w
	w.note("Redirects to the backend's own address (or, behind strip_prefix or a base path, to its own\n" +
		"paths) come back to this server and the route's path, as devproxy rewrites them.")
	here := "{http.request.scheme}://{http.request.hostport}"
	origin := targetOriginPattern(rt)
	base := regexp.QuoteMeta(rt.base)
	rule := func(from, to string) {
		for _, h := range []string{"Location", "Content-Location"} {
			w.line("header_down %s %s %s", h, caddyQuote(from), caddyQuote(to))
		}
	}
	rule("^"+origin+base+"/?([?#].*)?$", here+rt.publicRoot()+"${1}")
	rule("^"+origin+base+"(/.*)$", here+rt.publicPrefix()+"${1}")
	if !rt.mapsPaths() {
		return
	}
	if rt.strip {
		// Already under the route's prefix: the backend knows its public path.
		rule("^("+regexp.QuoteMeta(rt.Path)+"(?:[/?#].*)?)$", here+"${1}")
	}
	if rt.base == "" {
		rule("^/([?#].*)?$", here+rt.publicRoot()+"${1}")
		rule("^(/[^/].*)$", here+rt.publicPrefix()+"${1}")
		return
	}
	rule("^"+base+"/?([?#].*)?$", here+rt.publicRoot()+"${1}")
	rule("^"+base+"(/.*)$", here+rt.publicPrefix()+"${1}")
}

// cookies rewrites Set-Cookie as devproxy does: Domain removed, so the
// cookie belongs to this server's host, and Path mapped like redirects.
// Each replacement sees the result of the one before: deeper paths are
// mapped first, so the root rule cannot match their result.
func (c *caddy) cookies(rt *route) {
	w := &c.w
	w.note("Set-Cookie: Domain is removed, so the cookie is this server's, and Path is mapped like\n" +
		"redirects, as devproxy rewrites them (cookies = \"passthrough\" turns this off).\n" + cookieNote)
	rule := func(from, to string) { w.line("header_down Set-Cookie %s %s", caddyQuote(from), caddyQuote(to)) }
	rule(`;\s*(?i:domain)=[^;]*(;|$)`, "${1}")
	if !rt.mapsPaths() {
		return
	}
	attr := `(;\s*(?i:path)=)`
	end := `(\s*(?:;|$))`
	base := regexp.QuoteMeta(rt.base)
	root := "/" // the base path itself, with or without its trailing slash
	if rt.base != "" {
		root = base + "/?"
	}
	rule(attr+base+`(/[^;\s]+)`, "${1}"+rt.publicPrefix()+"${2}")
	rule(attr+root+end, "${1}"+rt.publicRoot()+"${2}")
	if rt.base != "" && rt.publicRoot() != "/" {
		// A Path that covers the whole base path covers the route.
		rule(attr+"/"+end, "${1}"+rt.publicRoot()+"${2}")
	}
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
