package export

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A route's cors table is rendered as devproxy answers CORS (see
// devproxy/cors.go): a preflight from an allowed origin gets 204 without
// reaching the backend, one from another origin 403; every response has
// the backend's Access-Control-* headers replaced by the table's, with
// the requesting origin echoed (never a literal "*", so credentials work)
// and Vary: Origin.

// corsResponseHeaders are the headers a backend's CORS layer may send,
// all removed on a route with a cors table.
var corsResponseHeaders = []string{
	"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods",
	"Access-Control-Allow-Headers", "Access-Control-Expose-Headers", "Access-Control-Max-Age",
	"Access-Control-Allow-Private-Network",
}

const preflightVary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"

// corsPolicy is a cors table as header values.
type corsPolicy struct {
	anyOrigin   bool
	origins     []string
	credentials bool
	methods     string // "" echoes Access-Control-Request-Method
	headers     string // "" echoes Access-Control-Request-Headers
	maxAge      string // "" sends none
	expose      string // "" sends none
}

// preflightHeaders are the headers of the 204 to an allowed preflight, in
// the engine's syntax: origin, method and headers echo the request's.
func (p corsPolicy) preflightHeaders(origin, method, headers string, quote func(string) string) [][2]string {
	echoOr := func(list, echo string) string {
		if list == "" {
			return echo
		}
		return quote(list)
	}
	h := [][2]string{{"Access-Control-Allow-Origin", origin}}
	if p.credentials {
		h = append(h, [2]string{"Access-Control-Allow-Credentials", "true"})
	}
	h = append(h, [2]string{"Access-Control-Allow-Methods", echoOr(p.methods, method)},
		[2]string{"Access-Control-Allow-Headers", echoOr(p.headers, headers)})
	if p.maxAge != "" {
		h = append(h, [2]string{"Access-Control-Max-Age", p.maxAge})
	}
	return append(h, [2]string{"Vary", quote(preflightVary)})
}

func (c *caddy) policy(rt *route) corsPolicy { return rt.corsPolicy(&c.warn, "Caddy") }
func (n *nginx) policy(rt *route) corsPolicy { return rt.corsPolicy(&n.warn, "nginx") }

// corsPolicy is the route's cors table as header values, computed (and
// its warning added) the first time an engine asks: the preflight and the
// response headers both need it.
func (rt *route) corsPolicy(warn *warnings, engine string) corsPolicy {
	if rt.cors == nil {
		p := newCORSPolicy(rt, warn, engine)
		rt.cors = &p
	}
	return *rt.cors
}

func newCORSPolicy(rt *route, warn *warnings, engine string) corsPolicy {
	t := rt.CORS
	p := corsPolicy{anyOrigin: slices.Contains(t.AllowOrigins, "*"), origins: t.AllowOrigins, credentials: t.AllowCredentials}
	if len(t.AllowMethods) > 0 && !slices.Contains(t.AllowMethods, "*") {
		p.methods = strings.Join(t.AllowMethods, ", ")
	}
	if len(t.AllowHeaders) > 0 && !slices.Contains(t.AllowHeaders, "*") {
		p.headers = strings.Join(t.AllowHeaders, ", ")
	}
	if t.MaxAge > 0 {
		p.maxAge = strconv.Itoa(t.MaxAge)
	}
	p.expose = strings.Join(t.ExposeHeaders, ", ")
	if slices.Contains(t.ExposeHeaders, "*") && t.AllowCredentials {
		warn.add(rt.key("cors")+".expose_headers", engine+" cannot name each response's headers for expose_headers = [\"*\"] with credentials, where browsers read \"*\" as a header name; list the headers")
	}
	return p
}

// corsPreflight answers preflights in the location, before the request is
// forwarded.
func (n *nginx) corsPreflight(rt *route) {
	w := &n.srv
	p := n.policy(rt)
	origin := n.corsOrigin(rt, p)
	preflight := n.addMap("devproxy_cors_preflight", "1 on a CORS preflight: OPTIONS with Access-Control-Request-Method.",
		"$request_method|$http_access_control_request_method", [][2]string{{"default", ""}, {`~^OPTIONS\|.`, "1"}})
	verdict := n.addMap("devproxy_cors_preflight_"+rt.slug,
		fmt.Sprintf("How a preflight to %s is answered: 204 from an origin in its allow_origins, 403 from another.", rt.Path),
		preflight+"|$http_origin|"+origin, [][2]string{{"default", ""}, {`~^1\|[^|]+\|$`, "refuse"}, {`~^1\|[^|]+\|.`, "answer"}})
	w.comment(fmt.Sprintf("CORS (%s): preflights are answered here and never reach the backend.", rt.key("cors")))
	w.open("if (%s = refuse)", verdict)
	w.line("add_header Vary Origin always;")
	w.line("return 403;")
	w.close()
	w.open("if (%s = answer)", verdict)
	for _, h := range p.preflightHeaders("$http_origin", "$http_access_control_request_method", "$http_access_control_request_headers", nginxQuote) {
		w.line("add_header %s %s always;", h[0], h[1])
	}
	pna := n.addMap("devproxy_cors_private_network", "Private Network Access: a page's preflight to a private address is allowed when it asks.",
		"$http_access_control_request_private_network", [][2]string{{"default", ""}, {"true", "true"}})
	w.line("add_header Access-Control-Allow-Private-Network %s always;", pna)
	w.line("return 204;")
	w.close()
}

// corsOrigin is the variable holding the request's Origin when the route
// allows it, else empty.
func (n *nginx) corsOrigin(rt *route, p corsPolicy) string {
	entries := [][2]string{{"default", ""}}
	if p.anyOrigin {
		entries = [][2]string{{"default", "$http_origin"}}
	} else {
		for _, o := range p.origins {
			entries = append(entries, [2]string{o, "$http_origin"})
		}
	}
	return n.addMap("devproxy_cors_"+rt.slug,
		fmt.Sprintf("The Origin when it may call %s (allow_origins), else empty.", rt.Path), "$http_origin", entries)
}

// corsHeaders replaces the backend's CORS headers with the table's.
func (n *nginx) corsHeaders(rt *route) {
	w := &n.srv
	p := n.policy(rt)
	origin := n.corsOrigin(rt, p)
	w.note("The backend's own CORS headers are replaced by these, never duplicated; an origin not in\n" +
		"allow_origins gets none (nginx leaves out a header whose value is empty).")
	for _, h := range corsResponseHeaders {
		w.line("proxy_hide_header %s;", h)
	}
	w.line("add_header Access-Control-Allow-Origin %s always;", origin)
	ifAllowed := func(header, variable, value string) {
		v := n.addMap(fmt.Sprintf("devproxy_cors_%s_%s", variable, rt.slug),
			fmt.Sprintf("%s for an origin %s allows, else empty.", header, rt.Path),
			origin, [][2]string{{"default", value}, {"", ""}})
		w.line("add_header %s %s always;", header, v)
	}
	if p.credentials {
		ifAllowed("Access-Control-Allow-Credentials", "credentials", "true")
	}
	if p.expose != "" {
		ifAllowed("Access-Control-Expose-Headers", "expose", p.expose)
	}
	w.line("add_header Vary Origin always;")
}

// corsPreflight writes the handles that answer preflights, and reports
// how many it wrote.
func (c *caddy) corsPreflight(rt *route) int {
	w := &c.w
	p := c.policy(rt)
	w.comment(fmt.Sprintf("CORS (%s): preflights are answered here and never reach the backend.", rt.key("cors")))
	w.open("@%s_preflight", rt.slug)
	w.line("method OPTIONS")
	w.line("header Access-Control-Request-Method *")
	c.originLines(p)
	w.close()
	w.open("handle @%s_preflight", rt.slug)
	w.open("header")
	for _, h := range p.preflightHeaders("{http.request.header.Origin}", "{http.request.header.Access-Control-Request-Method}",
		"{http.request.header.Access-Control-Request-Headers}", caddyQuote) {
		w.line("%s %s", h[0], h[1])
	}
	w.close()
	w.line("@%s_private_network header Access-Control-Request-Private-Network true", rt.slug)
	w.line("header @%s_private_network Access-Control-Allow-Private-Network true", rt.slug)
	w.line("respond 204")
	w.close()
	if p.anyOrigin {
		return 1
	}
	w.open("@%s_preflight_refused", rt.slug)
	w.line("method OPTIONS")
	w.line("header Access-Control-Request-Method *")
	w.line("header Origin *")
	w.close()
	w.open("handle @%s_preflight_refused", rt.slug)
	w.line("header Vary Origin")
	w.line("respond 403")
	w.close()
	return 2
}

// originLines are the header matcher lines for the origins a table allows.
func (c *caddy) originLines(p corsPolicy) {
	if p.anyOrigin {
		c.w.line("header Origin *")
		return
	}
	for _, o := range p.origins {
		c.w.line("header Origin %s", caddyArg(o))
	}
}

// corsHeaders sets the table's headers on responses to allowed origins,
// after the backend's own are removed (header_down in proxy).
func (c *caddy) corsHeaders(rt *route) {
	w := &c.w
	p := c.policy(rt)
	w.note("The backend's own CORS headers are replaced by these, never duplicated; an origin not in\n" +
		"allow_origins gets none.")
	w.open("@%s_cors", rt.slug)
	c.originLines(p)
	w.close()
	w.open("header @%s_cors", rt.slug)
	w.line("Access-Control-Allow-Origin {http.request.header.Origin}")
	if p.credentials {
		w.line("Access-Control-Allow-Credentials true")
	}
	if p.expose != "" {
		w.line("Access-Control-Expose-Headers %s", caddyQuote(p.expose))
	}
	w.line("defer")
	w.close()
	w.line("header +Vary Origin")
}
