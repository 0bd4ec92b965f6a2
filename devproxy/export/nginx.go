package export

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
)

// Nginx renders cfg as configuration for nginx's http {} context (a file
// in /etc/nginx/conf.d/): the maps it needs, a default server that refuses
// other Hosts, and a server with one location per route. The Warnings say
// what nginx cannot do as devproxy does; the text says it at each place.
func Nginx(cfg *config.Config, opts Options) (string, []Warning, error) {
	s, err := newSite(cfg, opts)
	if err != nil {
		return "", nil, err
	}
	n := &nginx{site: s, srv: writer{indent: "    "}}
	n.server()
	var out writer
	out.indent = n.srv.indent
	n.header(&out)
	for _, m := range n.maps {
		out.blank()
		out.b.WriteString("\n" + m.text)
	}
	out.b.WriteString("\n" + n.srv.b.String())
	return out.b.String(), s.warn.list, nil
}

// nginx renders one site; maps are collected while the server block is
// written, since nginx wants them before it.
type nginx struct {
	*site
	srv  writer
	maps []nginxMap
}

type nginxMap struct{ name, text string }

// addMap adds a map block once (by variable name) and returns the variable.
func (n *nginx) addMap(name, comment, source string, entries [][2]string) string {
	if slices.ContainsFunc(n.maps, func(m nginxMap) bool { return m.name == name }) {
		return "$" + name
	}
	w := writer{indent: n.srv.indent}
	w.comment(comment)
	w.open("map %s $%s", nginxQuote(source), name)
	width := 0
	for _, e := range entries {
		width = max(width, len(nginxArg(e[0])))
	}
	for _, e := range entries {
		w.line("%-*s %s;", width, nginxArg(e[0]), nginxArg(e[1]))
	}
	w.close()
	n.maps = append(n.maps, nginxMap{name, w.b.String()})
	return "$" + name
}

func (n *nginx) header(w *writer) {
	w.comment(fmt.Sprintf("nginx configuration for the route table in %s, written by `devproxy export nginx`.\n"+
		"Include it in nginx's http {} block (e.g. as /etc/nginx/conf.d/devproxy.conf) and check it with `nginx -t`.\n"+
		"Comments that start with \"devproxy:\" say where nginx does not do what devproxy does.", n.file))
	if vars := n.envVars(); len(vars) > 0 {
		refs := make([]string, len(vars))
		for i, v := range vars {
			refs[i] = "${" + v + "}"
		}
		w.blank()
		w.comment("Header values below refer to environment variables as ${NAME}, and nginx cannot read the environment:\n" +
			"render this file with envsubst first, naming the variables so nginx's own $variables stay as they are\n" +
			"(the official nginx image does this for /etc/nginx/templates/*.template):\n" +
			"    envsubst '" + strings.Join(refs, " ") + "' < devproxy.conf.template > /etc/nginx/conf.d/devproxy.conf")
	}
	for _, note := range n.headerNotes("nginx") {
		w.blank()
		w.comment(note)
	}
}

// tls writes the certificate both servers (the refusing one too) use, at
// the http level where both inherit it.
func (n *nginx) tls(w *writer) {
	w.comment("listen is https: TLS and HTTP/2 on the same port, as devproxy serves it.")
	if n.cfg.TLS != nil {
		w.line("ssl_certificate %s;", nginxArg(n.cfg.TLS.Cert))
		w.line("ssl_certificate_key %s;", nginxArg(n.cfg.TLS.Key))
	} else {
		w.comment(n.tlsNote)
		w.line("ssl_certificate /etc/nginx/certs/devproxy.pem;")
		w.line("ssl_certificate_key /etc/nginx/certs/devproxy-key.pem;")
	}
	w.blank()
}

// server writes the refusing default server and the server itself.
func (n *nginx) server() {
	w := &n.srv
	if n.cfg.HTTPS {
		n.tls(w)
	}
	listen := func(extra string) {
		if n.cfg.HTTPS {
			extra = " ssl http2" + extra // nginx 1.22 (Debian 12) spells HTTP/2 on the listen line
		}
		if n.portNote != "" {
			w.comment(n.portNote)
		}
		for _, b := range n.binds {
			switch {
			case b == "":
				w.line("listen %s%s;", n.port, extra)
				w.line("listen [::]:%s%s;", n.port, extra)
			case strings.Contains(b, ":"):
				w.line("listen [%s]:%s%s;", b, n.port, extra)
			default:
				w.line("listen %s:%s%s;", b, n.port, extra)
			}
		}
	}
	if n.names != nil {
		w.comment(refusedHostsNote)
		w.open("server")
		listen(" default_server")
		w.line("return 403;")
		w.close()
		w.blank()
		w.open("server")
		listen("")
		names := make([]string, len(n.names))
		for i, name := range n.names {
			names[i] = nginxArg(name)
		}
		w.line("server_name %s;", strings.Join(names, " "))
		if slices.Contains(n.names, "127.0.0.1") {
			w.comment(ipHostsNote("server_name"))
		}
	} else {
		w.open("server")
		w.comment("allowed_hosts = [\"*\"]: every Host is served.")
		listen(" default_server")
	}
	if n.cfg.HTTPS {
		w.blank()
		w.comment("Plain http:// to this port is sent to https:// with a 307, as devproxy does (nginx's 497).")
		w.line("error_page 497 =307 https://$host:$server_port$request_uri;")
	}
	w.blank()
	w.comment("Bodies stream both ways, of any size, as devproxy streams them (SSE, downloads, uploads).")
	w.line("client_max_body_size 0;")
	w.line("proxy_http_version 1.1;")
	w.line("proxy_buffering off;")
	w.line("proxy_request_buffering off;")
	if len(n.routes) > 0 || n.front != nil {
		w.blank()
		n.timeouts(n.cfg.Timeout, "timeout")
		if n.cfg.Retry > 0 {
			w.comment(n.warn.add("retry", retryWarning))
		}
	}
	if fe := n.cfg.Frontend; fe.Static != "" {
		w.blank()
		w.comment("[frontend] static: the build directory.")
		w.line("root %s;", nginxArg(fe.Static))
	}
	if len(n.routes) > 0 {
		w.blank()
		w.comment("Routes, longest path first: nginx takes the first regex location that matches, so the\n" +
			"longest route wins, and a route matches its path and below (/api, /api/x, not /apix), as in devproxy.")
	}
	for _, rt := range n.routes {
		w.blank()
		n.location(rt)
	}
	if !slices.ContainsFunc(n.routes, func(rt *route) bool { return rt.Path == "/" }) {
		w.blank()
		n.frontend()
	}
	w.close()
}

// location writes one route.
func (n *nginx) location(rt *route) {
	w := &n.srv
	w.comment(describeRoute(rt))
	for _, note := range n.routeNotes(rt) {
		w.comment(note)
	}
	if rt.mockOnly() {
		w.open("location ~ %s", nginxArg("^"+regexp.QuoteMeta(rt.Path)+"(?:/|$)"))
		if rt.CORS != nil {
			n.corsPreflight(rt)
			n.corsHeaders(rt)
		}
		n.mock(rt)
		w.close()
		return
	}
	if rt.Path == "/" {
		w.open("location /")
		if note := n.rootRouteNote(rt); note != "" {
			w.comment(note)
		}
	} else {
		w.open("location ~ %s", nginxArg("^"+regexp.QuoteMeta(rt.Path)+"(?:/|$)"))
	}
	n.originCheck(rt)
	if rt.CORS != nil {
		n.corsPreflight(rt)
	}
	n.rewrites(rt)
	n.proxy(rt)
	n.redirects(rt)
	if rt.Cookies == "rewrite" {
		n.cookies(rt)
	}
	if rt.CORS != nil {
		n.corsHeaders(rt)
	}
	w.close()
}

// frontend writes what serves every path no route matches.
func (n *nginx) frontend() {
	w := &n.srv
	fe := n.cfg.Frontend
	switch {
	case n.front != nil:
		w.comment(fmt.Sprintf("Everything else → the dev server %s. For development only: in production, build the\n"+
			"frontend and serve the build ([frontend] static).", fe.DevServer))
		w.open("location /")
		n.originCheck(n.front)
		n.proxy(n.front)
		n.redirects(n.front)
		w.close()
	case fe.Static != "":
		fallback := "=404"
		if fe.SPA {
			fallback = "/index.html"
		}
		w.comment(n.staticNote())
		w.open("location /")
		w.line("add_header Cache-Control no-cache;")
		w.line("try_files $uri $uri/ %s;", fallback)
		w.close()
		if !fe.Dotfiles {
			w.blank()
			w.comment(dotfilesNote)
			w.open("location ~ %s", nginxArg(`/\.(?!well-known(?:/|$))`))
			w.line("return 404;")
			w.close()
		}
		if fe.SPA {
			w.blank()
			w.comment("A missing file with an extension (/app.js) is a 404, not index.html.")
			w.open("location ~ %s", nginxArg(`\.[^/]*$`))
			w.line("add_header Cache-Control no-cache;")
			w.line("try_files $uri =404;")
			w.close()
		}
	default:
		w.comment(noFrontendNote)
		w.open("location /")
		w.line("return 404;")
		w.close()
	}
}

// originCheck refuses WebSocket handshakes from origins devproxy would
// refuse: not the server's own, not listed in allowed_origins.
func (n *nginx) originCheck(rt *route) {
	allowed, key, check := rt.originCheck(n.cfg)
	if !check {
		return
	}
	cross := n.crossOrigin()
	name := "devproxy_ws_refused"
	if key != "allowed_origins" {
		name += "_" + rt.slug
	}
	entries := [][2]string{{"default", cross}, {`~^\|`, "0"}, {`~\|$`, "0"}}
	for _, o := range allowed {
		entries = append(entries, [2]string{`~\|` + regexp.QuoteMeta(o) + "$", "0"})
	}
	v := n.addMap(name, fmt.Sprintf("1 on a WebSocket handshake devproxy would refuse: from a page whose origin is not this\n"+
		"server's own and not in %s (a handshake without Origin is not from a browser).", key),
		"$http_upgrade|$http_origin", entries)
	n.srv.open("if (%s)", v)
	n.srv.line("return 403;")
	n.srv.close()
}

// rewrites maps the request path as devproxy does: strip_prefix, then
// rewrite, then the target's base path.
func (n *nginx) rewrites(rt *route) {
	w := &n.srv
	if !rt.strip && rt.Rewrite == nil && rt.base == "" {
		return // proxy_pass without a URI sends the request's own
	}
	if rt.strip {
		w.line("rewrite %s /$1;", nginxArg("^"+regexp.QuoteMeta(rt.Path)+"(?:/(.*))?$"))
	}
	if rw := rt.Rewrite; rw != nil {
		from, to, notes := nginxRewrite(rw.From, rw.To)
		for _, note := range notes {
			w.comment(n.warn.add(rt.key("rewrite"), note))
		}
		w.line("rewrite %s %s;", nginxArg(from), nginxArg(to))
	}
	if rt.base != "" {
		w.line("rewrite ^(.*)$ %s;", nginxArg(rt.base+"$1"))
	}
	w.line("break;")
}

// proxy writes proxy_pass with the request headers, TLS, timeouts and
// retry of a route or the dev server.
func (n *nginx) proxy(rt *route) {
	w := &n.srv
	w.line("proxy_pass %s://%s;", rt.target.Scheme, rt.target.Host)
	set := func(name, value string) {
		if _, custom := rt.Headers[name]; !custom {
			w.line("proxy_set_header %s %s;", name, value)
		}
	}
	if rt.ChangeOrigin {
		set("Host", "$proxy_host")
	} else {
		set("Host", "$http_host")
	}
	set("Upgrade", "$http_upgrade")
	set("Connection", n.addMap("devproxy_connection_upgrade",
		"WebSocket upgrades reach the backend; other requests close the upstream connection.",
		"$http_upgrade", [][2]string{{"default", "upgrade"}, {"", "close"}}))
	set("X-Forwarded-For", "$proxy_add_x_forwarded_for")
	set("X-Forwarded-Host", "$http_host")
	set("X-Forwarded-Proto", "$scheme")
	// Only devproxy says which prefix it removed: a browser's value is dropped.
	if rt.strip {
		set("X-Forwarded-Prefix", nginxArg(rt.Path))
	} else {
		set("X-Forwarded-Prefix", `""`)
	}
	if rt.ChangeOrigin {
		n.presentTargetOrigin(rt, set)
	}
	for _, name := range rt.headerNames() {
		value, ok := nginxHeaderValue(rt, name)
		if !ok {
			w.comment(n.warn.add(rt.key("headers"), fmt.Sprintf("header %s has a literal \"$\", which nginx reads as a variable; set it by hand", name)))
			continue
		}
		if rt.SecretHeaders[name] {
			w.note("${NAME} comes from the environment: see the top of this file.")
			n.warn.add(rt.key("headers"), "nginx cannot read environment variables: render the file with envsubst first (see its first lines)")
		}
		w.line("proxy_set_header %s %s;", name, value)
	}
	if rt.target.Scheme == "https" {
		w.line("proxy_ssl_server_name on;")
		if rt.Insecure {
			w.comment("insecure = true: the backend's certificate is not verified.")
			w.line("proxy_ssl_verify off;")
		} else {
			w.note("Verify the backend's certificate, as devproxy does (nginx does not by default); the CA\n" +
				"bundle's path is Debian's and Ubuntu's (/etc/pki/tls/certs/ca-bundle.crt on RHEL and Fedora).")
			w.line("proxy_ssl_verify on;")
			w.line("proxy_ssl_trusted_certificate /etc/ssl/certs/ca-certificates.crt;")
		}
	}
	if rt.Timeout != n.cfg.Timeout {
		n.timeouts(rt.Timeout, rt.key("timeout"))
	}
	if rt.Retry > 0 && rt.Retry != n.cfg.Retry {
		w.comment(n.warn.add(rt.key("retry"), retryWarning))
	}
}

// presentTargetOrigin sends the target's origin as Origin on a WebSocket
// handshake and, on a route, also where the browser sent this server's
// own origin (in Origin, or at the start of Referer), as devproxy does with
// change_origin: a backend that compares them with its Host (Django's CSRF
// check) sees its own.
func (n *nginx) presentTargetOrigin(rt *route, set func(name, value string)) {
	target := originOf(rt)
	if rt.frontend {
		set("Origin", n.addMap("devproxy_origin_"+rt.slug,
			"A WebSocket handshake to the dev server presents its own origin, as devproxy does.",
			"$http_upgrade|$http_origin", [][2]string{{"default", "$http_origin"}, {`~^[^|]+\|.`, target}}))
		return
	}
	cross := n.crossOrigin()
	set("Origin", n.addMap("devproxy_origin_"+rt.slug,
		fmt.Sprintf("Origin through %s: the target's on a WebSocket handshake and in place of this server's own (change_origin).", rt.Path),
		"$http_upgrade|"+cross+"|$http_origin", [][2]string{{"default", "$http_origin"}, {`~^[^|]+\|[01]\|.`, target}, {`~^\|0\|.`, target}}))
	set("Referer", n.addMap("devproxy_referer_"+rt.slug,
		fmt.Sprintf("Referer through %s: this server's own origin at its start becomes the target's (change_origin).", rt.Path),
		"$http_referer|$scheme://$http_host", [][2]string{{"default", "$http_referer"}, {`~^(https?://[^/?#|]+)([^|]*)\|\1$`, target + "$2"}}))
}

// crossOrigin is the variable that is 0 when the request's Origin is this
// server's own (its scheme and Host), else 1.
func (n *nginx) crossOrigin() string {
	return n.addMap("devproxy_cross_origin",
		"0 when the request's Origin is this server's own (its scheme and Host), else 1.",
		"$http_origin|$scheme://$http_host", [][2]string{{"default", "1"}, {`~^(.*)\|\1$`, "0"}})
}

const retryWarning = "nginx does not hold requests while a backend restarts (retry): they get 502 at once"

// timeouts bounds the wait for a backend to connect and answer, as
// devproxy's timeout key does; locations inherit the server's.
func (n *nginx) timeouts(d time.Duration, key string) {
	w := &n.srv
	w.note("How long to wait for a backend to connect, and to send its response headers (timeout).")
	w.line("proxy_connect_timeout %s;", duration(d))
	w.comment(n.warn.add(key, "nginx's proxy_read_timeout also closes an SSE stream or a WebSocket that is silent that long; devproxy's timeout bounds only the wait for response headers"))
	w.line("proxy_read_timeout %s;", duration(d))
}

// redirects maps Location (and Refresh) headers as devproxy does: a URL on
// the target goes to this server and the route's path; a path the backend
// wrote without the route's prefix (path-absolute, or on this server's own
// origin) gets it, behind strip_prefix or a base path. nginx applies the
// first proxy_redirect that matches.
func (n *nginx) redirects(rt *route) {
	w := &n.srv
	if !rt.mapsRedirects() {
		w.comment("Redirects pass untouched, as devproxy passes them from " + describePath(rt) + ".")
		w.line("proxy_redirect off;")
		return
	}
	w.note("Redirects to the backend's own address, and behind strip_prefix or a base path to its own\n" +
		"paths (here or on this server's origin), come back to this server under the route's path, as\n" +
		"devproxy rewrites them; a path already under the route's prefix is left alone.")
	rule := func(from, to string) { w.line("proxy_redirect %s %s;", nginxArg("~^"+from), nginxArg(to)) }
	origin := targetOriginPattern(rt)
	base := regexp.QuoteMeta(rt.base)
	here := "$scheme://$http_host"
	rule(origin+base+"/?([?#].*)?$", here+rt.publicRoot()+"$1")
	rule(origin+base+"(/.*)$", here+rt.publicPrefix()+"$1")
	if !rt.mapsPaths() {
		return
	}
	keep := ""
	if rt.strip {
		keep = "(?!" + rt.ownPaths() + ")"
	}
	if own, ok := n.ownOriginPattern(); ok {
		// The origin is kept as the backend wrote it ($1).
		if rt.base == "" {
			rule("("+own+")"+keep+"/?([?#].*)?$", "$1"+rt.publicRoot()+"$2")
			rule("("+own+")"+keep+"(/[^/].*)$", "$1"+rt.publicPrefix()+"$2")
		} else {
			rule("("+own+")"+keep+base+"/?([?#].*)?$", "$1"+rt.publicRoot()+"$2")
			rule("("+own+")"+keep+base+"(/.*)$", "$1"+rt.publicPrefix()+"$2")
		}
	} else {
		w.comment(n.anyHostRedirectNote(rt))
	}
	if rt.base == "" {
		rule(keep+"/([?#].*)?$", rt.publicRoot()+"$1")
		rule(keep+"(/[^/].*)$", rt.publicPrefix()+"$1")
		return
	}
	rule(keep+base+"/?([?#].*)?$", rt.publicRoot()+"$1")
	rule(keep+base+"(/.*)$", rt.publicPrefix()+"$1")
}

// cookies rewrites Set-Cookie as devproxy does: Domain dropped, so the
// cookie belongs to this server's host; Path=/ kept (the whole site, as in
// production); a Path under the route's prefix kept; any other Path mapped
// like a redirect. nginx applies the first proxy_cookie_path that matches.
func (n *nginx) cookies(rt *route) {
	w := &n.srv
	w.note("Set-Cookie: Domain is emptied, so the cookie is this server's (browsers ignore an empty Domain=);\n" +
		"Path=/ and a Path under the route's prefix stay, another Path is mapped like a redirect, as\n" +
		"devproxy rewrites them (cookies = \"passthrough\" turns this off).\n" + cookieNote)
	w.line(`proxy_cookie_domain ~.* "";`)
	if !rt.mapsPaths() {
		return
	}
	keep := ""
	if rt.keepsOwnPaths() {
		keep = "(?!" + regexp.QuoteMeta(rt.Path) + "(?:/|$))"
	}
	rule := func(from, to string) { w.line("proxy_cookie_path %s %s;", nginxArg("~^"+from), nginxArg(to)) }
	if rt.base == "" {
		rule(keep+"(/.+)$", rt.publicPrefix()+"$1")
		return
	}
	base := regexp.QuoteMeta(rt.base)
	rule(keep+base+"/?$", rt.publicRoot())
	rule(keep+base+"(/.+)$", rt.publicPrefix()+"$1")
}

// nginxHeaderValue writes a configured header's value, with ${VAR} left
// for envsubst. ok is false when a literal part has a "$", which nginx
// would read as a variable and has no escape for.
func nginxHeaderValue(rt *route, name string) (string, bool) {
	ok := true
	v := rt.headerValue(name, func(lit string) string {
		if strings.Contains(lit, "$") {
			ok = false
		}
		return lit
	}, func(env string) string { return "${" + env + "}" })
	return nginxQuote(v), ok
}

// nginxRewrite turns devproxy's rewrite (a Go regexp, every match
// replaced, $1/${name} in the replacement) into an nginx rewrite (PCRE,
// the whole path replaced). A pattern anchored at both ends is the same
// in both; any other is wrapped so the text around the match is kept.
func nginxRewrite(from, to string) (regex, replacement string, notes []string) {
	if strings.HasPrefix(from, "^") && strings.HasSuffix(from, "$") && !strings.HasSuffix(from, `\$`) {
		repl, n := nginxReplacement(to, 0)
		return from, repl, n
	}
	if !strings.HasPrefix(from, "^") {
		notes = append(notes, "nginx's rewrite replaces the first match of a pattern that is not anchored with ^; devproxy replaces every match")
	}
	groups := 0
	if re, err := regexp.Compile(from); err == nil {
		groups = re.NumSubexp()
	}
	repl, n := nginxReplacement(to, 1)
	tail := groups + 2
	if tail > 9 {
		notes = append(notes, "nginx's rewrite refers to at most 9 groups; this pattern has too many to keep the text after the match")
	}
	return "^(.*?)(?:" + from + ")(.*)$", "$1" + repl + "$" + strconv.Itoa(tail), append(notes, n...)
}

// nginxReplacement converts a Go replacement template, shifting numbered
// groups by shift (the groups wrapped around the pattern).
func nginxReplacement(to string, shift int) (string, []string) {
	var b strings.Builder
	var notes []string
	for i := 0; i < len(to); i++ {
		if to[i] != '$' {
			b.WriteByte(to[i])
			continue
		}
		if i+1 < len(to) && to[i+1] == '$' {
			notes = append(notes, "nginx's rewrite cannot write a literal \"$\"")
			i++
			continue
		}
		name, end := goTemplateRef(to, i)
		if name == "" {
			b.WriteByte('$')
			continue
		}
		i = end - 1
		if n, err := strconv.Atoi(name); err == nil {
			n += shift
			if n > 9 {
				notes = append(notes, "nginx's rewrite refers to at most 9 groups")
			}
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteString("${" + name + "}") // a named group: nginx names it the same
	}
	return b.String(), notes
}

// goTemplateRef parses the reference at to[i] ("$1", "${1}", "$name",
// "${name}") as regexp.Expand does: the longest run of letters, digits
// and underscores. It returns the name and the index after it.
func goTemplateRef(to string, i int) (string, int) {
	j := i + 1
	if j < len(to) && to[j] == '{' {
		k := strings.IndexByte(to[j:], '}')
		if k < 0 {
			return "", i + 1
		}
		return to[j+1 : j+k], j + k + 1
	}
	for j < len(to) && (to[j] == '_' || to[j] >= '0' && to[j] <= '9' || to[j] >= 'a' && to[j] <= 'z' || to[j] >= 'A' && to[j] <= 'Z') {
		j++
	}
	return to[i+1 : j], j
}

// nginxArg writes s as one nginx argument, quoted when nginx would
// otherwise split or end it there.
func nginxArg(s string) string {
	s = nginxEscape(s)
	if s == "" || strings.ContainsAny(s, " \t\"';{}") {
		return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
	}
	return s
}

// nginxQuote writes s as a double-quoted nginx string.
func nginxQuote(s string) string {
	return `"` + strings.ReplaceAll(nginxEscape(s), `"`, `\"`) + `"`
}

// nginxEscape doubles each backslash that nginx's parser would take as an
// escape (before \, " and '), so a regexp reaches PCRE as written.
func nginxEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`\"'`, s[i+1]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
