package export

import (
	"cmp"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// Options are the choices an exported config needs that devproxy.toml
// does not make.
type Options struct {
	// ServerName is the public host name the exported server answers to,
	// e.g. "app.example.com". If empty, it answers to the names devproxy
	// answers to: the listen host, localhost, *.localhost and the loopback
	// addresses. allowed_hosts are added either way.
	ServerName string
}

// Warning is something the engine cannot do as devproxy does. The same
// text is written as a comment at each place it applies.
type Warning struct {
	// Keys are the config keys it applies to, e.g. routes."/api".retry.
	Keys []string
	Msg  string
}

// String is the keys, then the message. The same key of several routes is
// written once: timeout (routes "/a", "/b"; top level).
func (w Warning) String() string {
	var names []string
	first := map[string]string{} // key name → the first full key with it
	places := map[string][]string{}
	for _, k := range w.Keys {
		name, place := k, "top level"
		if rest, ok := strings.CutPrefix(k, `routes."`); ok {
			if i := strings.LastIndex(rest, `".`); i >= 0 {
				name, place = rest[i+2:], `"`+rest[:i+1]
			}
		}
		if _, seen := first[name]; !seen {
			names = append(names, name)
			first[name] = k
		}
		places[name] = append(places[name], place)
	}
	parts := make([]string, len(names))
	for i, name := range names {
		if len(places[name]) == 1 {
			parts[i] = first[name]
			continue
		}
		var routes []string
		top := ""
		for _, p := range places[name] {
			if p == "top level" {
				top = "; top level"
			} else {
				routes = append(routes, p)
			}
		}
		parts[i] = fmt.Sprintf("%s (routes %s%s)", name, strings.Join(routes, ", "), top)
	}
	return strings.Join(parts, ", ") + ": " + w.Msg
}

// warnings collects Warnings, one per message, in the order first seen,
// so a difference that applies to every route is reported once.
type warnings struct{ list []Warning }

// add records msg for key and returns the comment that says it in the file.
func (ws *warnings) add(key, msg string) string {
	i := slices.IndexFunc(ws.list, func(w Warning) bool { return w.Msg == msg })
	if i < 0 {
		ws.list = append(ws.list, Warning{Msg: msg})
		i = len(ws.list) - 1
	}
	if !slices.Contains(ws.list[i].Keys, key) {
		ws.list[i].Keys = append(ws.list[i].Keys, key)
	}
	return "devproxy: " + msg
}

// site is a config resolved into what a web server needs to know.
type site struct {
	cfg   *config.Config
	file  string   // the config file's name, for the header comment
	binds []string // hosts to listen on, IPv6 without brackets; "" is every interface
	port  string
	// portNote is the comment on a listen port a web server cannot use.
	portNote string
	// tlsNote says where an https listen's certificate comes from, when
	// the export cannot name a file for it (devproxy's local CA issues its
	// certificates in memory).
	tlsNote string
	// names are the Host names answered, IPv6 in brackets; nil answers
	// every Host (allowed_hosts = ["*"]).
	names  []string
	routes []*route // longest path first
	front  *route   // the dev server, or nil
	warn   warnings
}

// route is one config route (or the dev server) with what both engines
// derive from it.
type route struct {
	config.Route
	frontend bool   // the dev server: Host is its own, responses pass untouched
	slug     string // a name for variables and matchers: "/public-api" → "public_api"
	target   *url.URL
	base     string      // the target's base path without a trailing slash; "" for none
	strip    bool        // strip_prefix on a route other than "/"
	cors     *corsPolicy // the cors table as header values, once computed (see corsPolicy)
}

// key names one of the route's config keys, as messages show them.
func (rt *route) key(k string) string {
	if rt.frontend {
		return k // the dev server takes timeout, retry and allowed_origins from the top level
	}
	return config.DisplayKey([]string{"routes", rt.Path, k})
}

// publicRoot is where the target's base path appears to the browser, and
// publicPrefix what is put before a backend path below it: the inverse of
// strip_prefix and the base path (devproxy's route.publicPath).
func (rt *route) publicRoot() string {
	if rt.strip {
		return rt.Path
	}
	return "/"
}

func (rt *route) publicPrefix() string {
	if rt.strip {
		return rt.Path
	}
	return ""
}

// mapsPaths reports whether backend paths differ from public ones, so a
// path-absolute Location and a cookie Path are mapped. A regexp rewrite
// cannot be inverted: devproxy then leaves them alone.
func (rt *route) mapsPaths() bool {
	return rt.Rewrite == nil && (rt.strip || rt.base != "")
}

// mapsRedirects reports whether Location headers are rewritten: unless
// redirects = "passthrough" (which the dev server always is).
func (rt *route) mapsRedirects() bool { return rt.Redirects != "passthrough" }

// keepsOwnPaths reports whether a path already under the route's prefix
// is the backend knowing its public path, and so left alone (a cookie
// Path; with strip_prefix, a redirect too).
func (rt *route) keepsOwnPaths() bool { return rt.Path != "/" }

// ownPaths is a regexp for a path under the route's prefix, up to the
// end of the path: /api, /api/..., also followed by a query (?) or
// fragment (#), not /apix.
func (rt *route) ownPaths() string { return regexp.QuoteMeta(rt.Path) + "(?:[/?#]|$)" }

// targetHosts are the spellings of the target's host that a Location may
// use for it: every loopback spelling is the same host to devproxy.
func (rt *route) targetHosts() []string {
	h := strings.ToLower(rt.target.Hostname())
	if web.IsLoopbackHost(h) {
		return []string{"localhost", "127.0.0.1", "[::1]"}
	}
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	return []string{h}
}

// targetPort is the target's port and whether it is the scheme's default
// (which a Location may then leave out).
func (rt *route) targetPort() (port string, isDefault bool) {
	def := "80"
	if rt.target.Scheme == "https" {
		def = "443"
	}
	port = cmp.Or(rt.target.Port(), def)
	return port, port == def
}

// targetOriginPattern is a regexp (RE2 and PCRE alike) for the target's origin as a Location may
// spell it: scheme-relative or not, any loopback spelling, the default
// port written or not, the host in any case.
func targetOriginPattern(rt *route) string {
	hosts := rt.targetHosts()
	for i, h := range hosts {
		hosts[i] = regexp.QuoteMeta(h)
	}
	port, isDefault := rt.targetPort()
	p := ":" + port
	if isDefault {
		p = "(?::" + port + ")?"
	}
	return "(?:" + rt.target.Scheme + ":)?//(?i:" + strings.Join(hosts, "|") + ")" + p
}

// originCheck is the WebSocket origin list the route's handshakes are
// checked against, and the key that sets it; nil allows every origin.
func (rt *route) originCheck(cfg *config.Config) (allowed []string, key string, check bool) {
	allowed, key = cfg.AllowedOrigins, "allowed_origins"
	if rt.AllowedOrigins != nil && !rt.frontend {
		allowed, key = rt.AllowedOrigins, rt.key("allowed_origins")
	}
	return allowed, key, !slices.Contains(allowed, "*")
}

// headerValue returns a configured header's value as written, with each
// ${VAR} reference passed through ref instead of expanded, and each
// literal run through literal.
func (rt *route) headerValue(name string, literal func(string) string, ref func(string) string) string {
	if rt.SecretHeaders[name] {
		return config.MapTemplate(rt.HeaderTemplates[name], literal, ref)
	}
	return literal(rt.Headers[name])
}

// headerNames are the configured headers, sorted.
func (rt *route) headerNames() []string {
	names := make([]string, 0, len(rt.Headers))
	for k := range rt.Headers {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// envVars are the environment variables the route's headers refer to.
func (rt *route) envVars() []string {
	var vars []string
	for name := range rt.SecretHeaders {
		config.MapTemplate(rt.HeaderTemplates[name], func(string) string { return "" }, func(v string) string {
			vars = append(vars, v)
			return ""
		})
	}
	return vars
}

// newSite resolves cfg for rendering.
func newSite(cfg *config.Config, opts Options) (*site, error) {
	s := &site{cfg: cfg, file: cmp.Or(filepath.Base(cfg.File), config.DefaultFile)}
	host, port, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen %q: %w", cfg.Listen, err)
	}
	s.port = port
	if port == "0" {
		s.port = "80"
		s.portNote = s.warn.add("listen", "port 0 (any free port) means nothing to a web server: written as 80; set the port it should listen on")
	}
	if cfg.HTTPS && cfg.TLS == nil {
		s.tlsNote = s.warn.add("listen", "listen is https with devproxy's local CA, whose certificates live in devproxy's memory only: "+
			"give the web server a certificate for your domain (nginx: ssl_certificate and ssl_certificate_key; Caddy: its own certificates, tls internal here)")
	}
	host = strings.ToLower(host)
	switch {
	case host == "localhost":
		s.binds = []string{"127.0.0.1", "::1"} // as devproxy binds it
	case web.IsUnspecifiedHost(host):
		s.binds = []string{""} // every interface, both families, as Go's listener
	default:
		s.binds = []string{host}
	}
	s.names = hostNames(cfg, host, opts)

	slugs := map[string]bool{}
	if fe := cfg.Frontend; fe.DevServer != "" {
		rc := config.Route{Path: "/", Target: fe.DevServer, Timeout: cfg.Timeout, Retry: cfg.Retry, Cookies: "passthrough", Redirects: "passthrough"}
		if s.front, err = newRoute(rc, true, slugs); err != nil {
			return nil, err
		}
		s.front.ChangeOrigin = true // devproxy sends the dev server its own Host (Vite's allowedHosts)
	}
	for _, rc := range cfg.Routes {
		rt, err := newRoute(rc, false, slugs)
		if err != nil {
			return nil, err
		}
		s.routes = append(s.routes, rt)
	}
	// Both engines try these in order and take the first match, so the
	// longest route wins, as in devproxy.
	slices.SortStableFunc(s.routes, func(a, b *route) int {
		return cmp.Or(cmp.Compare(len(b.Path), len(a.Path)), strings.Compare(a.Path, b.Path))
	})
	return s, nil
}

func newRoute(rc config.Route, frontend bool, slugs map[string]bool) (*route, error) {
	u, err := url.Parse(rc.Target)
	if err != nil {
		return nil, fmt.Errorf("route %s: %w", rc.Path, err)
	}
	rt := &route{Route: rc, frontend: frontend, target: u, base: strings.TrimSuffix(u.Path, "/"), strip: rc.StripPrefix && rc.Path != "/"}
	rt.slug = uniqueSlug(rc.Path, frontend, slugs)
	return rt, nil
}

// uniqueSlug turns a route path into a lower-case identifier no other
// route has: "/public-api" → "public_api", "/" → "root"; the dev server is
// "frontend".
func uniqueSlug(path string, frontend bool, seen map[string]bool) string {
	base := "frontend"
	if !frontend {
		base = strings.Trim(strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				return r
			}
			if r >= 'A' && r <= 'Z' {
				return r + 'a' - 'A'
			}
			return '_'
		}, path), "_")
		base = cmp.Or(base, "root")
	}
	slug := base
	for i := 2; seen[slug]; i++ {
		slug = fmt.Sprintf("%s_%d", base, i)
	}
	seen[slug] = true
	return slug
}

// hostNames are the Host names the exported server answers to, in a
// stable order; nil means every name.
func hostNames(cfg *config.Config, listenHost string, opts Options) []string {
	if slices.Contains(cfg.AllowedHosts, "*") {
		return nil
	}
	var names []string
	if opts.ServerName != "" {
		names = append(names, strings.ToLower(opts.ServerName))
	} else {
		if !web.IsUnspecifiedHost(listenHost) {
			if ip := net.ParseIP(listenHost); ip != nil && ip.To4() == nil {
				listenHost = "[" + listenHost + "]"
			}
			names = append(names, listenHost)
		}
		// The names devproxy always answers to (its Host check); other IP
		// literals it also accepts are left to the default server here.
		names = append(names, "localhost", "*.localhost", "127.0.0.1", "[::1]")
	}
	names = append(names, cfg.AllowedHosts...)
	var out []string
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// ownOriginPattern is a regexp for an absolute URL's origin on this
// server: http or https (or scheme-relative), one of its names, its port
// or none. ok is false when every Host is served, which no regexp can
// tell from another site's.
func (s *site) ownOriginPattern() (pattern string, ok bool) {
	if s.names == nil {
		return "", false
	}
	hosts := make([]string, len(s.names))
	for i, n := range s.names {
		switch {
		case strings.HasPrefix(n, "*."): // subdomains at any depth, as nginx reads it
			hosts[i] = `(?:[^./?#:@]+\.)+` + regexp.QuoteMeta(n[2:])
		case strings.HasPrefix(n, "."):
			hosts[i] = `(?:[^./?#:@]+\.)*` + regexp.QuoteMeta(n[1:])
		default:
			hosts[i] = regexp.QuoteMeta(n)
		}
	}
	port := ":" + s.port
	if s.port == "80" || s.port == "443" {
		port = "(?:" + port + ")?" // a browser leaves the scheme's default port out of Host
	}
	return "(?:https?:)?//(?i:" + strings.Join(hosts, "|") + ")" + port, true
}

// envVars are every environment variable the config's headers refer to,
// sorted and without repeats.
func (s *site) envVars() []string {
	var vars []string
	for _, rt := range s.routes {
		vars = append(vars, rt.envVars()...)
	}
	slices.Sort(vars)
	return slices.Compact(vars)
}

// writer builds indented configuration text: one line per call, blank
// lines only between statements.
type writer struct {
	b      strings.Builder
	indent string // one level: four spaces for nginx, a tab for Caddy
	depth  int
	gap    bool // a blank line is due before the next statement
	opened bool // the last line opened a block: no blank line follows it
	noted  map[string]bool
}

func (w *writer) line(format string, args ...any) {
	if w.gap && !w.opened && w.b.Len() > 0 {
		w.b.WriteByte('\n')
	}
	w.gap, w.opened = false, false
	w.b.WriteString(strings.Repeat(w.indent, w.depth))
	fmt.Fprintf(&w.b, format, args...)
	w.b.WriteByte('\n')
}

// comment writes each line of text as a comment.
func (w *writer) comment(text string) {
	for _, l := range strings.Split(text, "\n") {
		w.line("# %s", l)
	}
}

// note writes an explanation the first time it is needed: a file says
// once why every route has the same lines.
func (w *writer) note(text string) {
	if w.noted[text] {
		return
	}
	if w.noted == nil {
		w.noted = map[string]bool{}
	}
	w.noted[text] = true
	w.comment(text)
}

func (w *writer) open(format string, args ...any) {
	w.line(format+" {", args...)
	w.depth++
	w.opened = true
}

func (w *writer) close() {
	w.gap = false
	w.depth--
	w.line("}")
}

// blank asks for an empty line before the next statement in this block.
func (w *writer) blank() { w.gap = true }

// cookieNote is what devproxy does to cookies that the exports do not.
const cookieNote = "devproxy: on plain http to a name that is not loopback, devproxy also drops Secure and lowers\n" +
	"SameSite=None to Lax, which this does not (production runs https)."

// ipHostsNote is what devproxy's Host check answers that the names do not.
func ipHostsNote(where string) string {
	return "devproxy: devproxy also answers a Host that is any IP address (it cannot be rebound to another\n" +
		"site); add those you use (a LAN address) to " + where + "."
}

// describeRoute is the comment above a route: its path, target and options.
func describeRoute(rt *route) string {
	var opts []string
	if rt.StripPrefix {
		opts = append(opts, "strip_prefix")
	}
	if rt.Rewrite != nil {
		opts = append(opts, fmt.Sprintf("rewrite %s → %s", rt.Rewrite.From, rt.Rewrite.To))
	}
	if rt.ChangeOrigin {
		opts = append(opts, "change_origin")
	}
	if rt.Insecure {
		opts = append(opts, "insecure")
	}
	if rt.Cookies == "passthrough" {
		opts = append(opts, `cookies = "passthrough"`)
	}
	if rt.CORS != nil {
		opts = append(opts, "cors")
	}
	target := rt.Target
	if rt.mockOnly() {
		target = "mock " + rt.Mock.String()
	}
	s := rt.Path + " → " + target
	if len(opts) > 0 {
		s += " (" + strings.Join(opts, ", ") + ")"
	}
	return s
}

// describePath names the route in a sentence.
func describePath(rt *route) string {
	if rt.frontend {
		return "the dev server"
	}
	return rt.Path
}

// originOf is the target as a browser origin.
func originOf(rt *route) string { return web.OriginOf(rt.target) }

// duration writes d in a unit both engines read: whole seconds, else
// milliseconds.
func duration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}

// processNote is the comment listing the commands devproxy starts, which a
// web server does not; "" when there are none.
func (s *site) processNote(engine string) string {
	var started []string
	msg := engine + " does not start processes: run the commands devproxy starts with your service manager"
	if c := s.cfg.Frontend.Command; c != "" {
		started = append(started, fmt.Sprintf("[frontend] command = %q", c))
		s.warn.add("frontend.command", msg)
	}
	for _, p := range s.cfg.Processes {
		started = append(started, fmt.Sprintf("[[process]] %s: %q", p.Name, p.Command))
		s.warn.add("process", msg)
	}
	if len(started) == 0 {
		return ""
	}
	return "devproxy: " + msg + ":\n    " + strings.Join(started, "\n    ")
}

// headerNotes are the notes at the top of a file after the engine's own
// introduction: the processes devproxy starts, which engine does not
// (see processNote), and what the simulation does that it cannot.
func (s *site) headerNotes(engine string) []string {
	return nonEmpty(s.processNote(engine), s.simulateNote())
}

// routeNotes are the notes below a route's description: what of its mock
// and its simulation the engine does not do.
func (s *site) routeNotes(rt *route) []string {
	return nonEmpty(s.mockNote(rt), s.simulationNote(rt))
}

func nonEmpty(notes ...string) []string {
	return slices.DeleteFunc(notes, func(n string) bool { return n == "" })
}

// rootRouteNote warns, on a route "/" when there is also a dev server,
// that the route takes every path; "" otherwise.
func (s *site) rootRouteNote(rt *route) string {
	if rt.Path != "/" || s.front == nil {
		return ""
	}
	return s.warn.add(rt.key("target"), "the route \"/\" takes every path, the dev server's hot-reload socket too; devproxy still sends Vite's (subprotocol vite-hmr) to the dev server")
}

// anyHostRedirectNote warns that with allowed_hosts = ["*"] an absolute
// redirect to this server is not mapped to the route's public path.
func (s *site) anyHostRedirectNote(rt *route) string {
	return s.warn.add(rt.key("redirects"), "with allowed_hosts = [\"*\"] no pattern tells this server's origin from another's: an absolute redirect to it passes unmapped")
}

// staticNote is the comment above what serves [frontend] static.
func (s *site) staticNote() string {
	if s.cfg.Frontend.SPA {
		return "Everything else → the build; a path without a file extension that is no file gets\n" +
			"/index.html (spa), and every file is revalidated (Cache-Control: no-cache), as devproxy serves it."
	}
	return "Everything else → the build; every file is revalidated (Cache-Control: no-cache), as devproxy serves it."
}

// Comments both engines write as they are.
const (
	refusedHostsNote = "Requests for any other Host are refused, as devproxy refuses them (DNS-rebinding protection)."
	dotfilesNote     = "Dotfiles (.env, .git/) are not served (dotfiles = false); /.well-known is."
	noFrontendNote   = "No [frontend]: a path no route matches is not found."
)
