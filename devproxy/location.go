package devproxy

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// locationHeaders are the response headers that carry a URL the browser
// navigates to or resolves against. devproxy never follows a redirect
// itself (ReverseProxy's transport does not); it only rewrites these.
var locationHeaders = []string{"Location", "Content-Location", "Refresh"}

// locationEdit says what rewriteLocation did to a URL.
type locationEdit uint8

const (
	locationKept locationEdit = iota
	// locationOnTarget: an absolute URL on the route's target, moved to
	// devproxy's origin and the route prefix.
	locationOnTarget
	// locationBackendPath: a path on devproxy's origin (path-absolute, or
	// absolute on devproxy's own origin) that the backend wrote without
	// the route prefix, mapped under it.
	locationBackendPath
)

// rewriteLocations rewrites URLs that point at rt's target so the browser
// stays on devproxy's origin, logging each change.
func (s *Server) rewriteLocations(rt *route, in *http.Request, h http.Header) {
	for _, name := range locationHeaders {
		vals := h[name]
		for i, v := range vals {
			var out string
			var edit locationEdit
			if name == "Refresh" {
				out, edit = rewriteRefresh(v, rt, in)
			} else {
				out, edit = rewriteLocation(v, rt, in)
			}
			if edit == locationKept {
				continue
			}
			vals[i] = out
			attrs := []any{"route", rt.name, "header", name, "from", withoutQuery(v), "to", withoutQuery(out)}
			if edit == locationBackendPath {
				// A backend that redirects to the frontend's own pages
				// (/login served by the dev server) needs this mapping off.
				attrs = append(attrs, "turn_off", config.DisplayKey([]string{"routes", rt.Path, "redirects"})+` = "passthrough"`)
			}
			s.log.Info("location rewritten", attrs...)
		}
	}
}

// rewriteLocation maps a URL a backend sent in Location (or
// Content-Location, Refresh) to what the browser must follow:
//   - an absolute (or scheme-relative) URL on rt's target origin, inside
//     its base path, moves to devproxy's origin and rt's prefix:
//     http://localhost:8080/login behind "/api" with strip_prefix becomes
//     http://localhost:3000/api/login;
//   - a path-absolute URL ("/login") is the backend's own path: behind
//     strip_prefix or a base path it becomes "/api/login"
//     (ProxyPassReverse semantics), unless it already starts with the
//     prefix. An absolute URL on devproxy's own origin
//     (http://localhost:3000/login, which a framework trusting
//     X-Forwarded-Host builds) is the same path and follows the same rule.
//
// Relative URLs and other origins are left alone, as are paths outside the
// base path. The query and fragment are kept as the backend wrote them.
func rewriteLocation(loc string, rt *route, in *http.Request) (string, locationEdit) {
	loc = sanitizeHeaderValue(loc)
	if strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//") {
		return rewritePathAbsolute(loc, rt)
	}
	slashes := strings.Index(loc, "//")
	if slashes < 0 {
		return loc, locationKept // relative: the browser resolves it against devproxy's origin already
	}
	u, err := url.Parse(loc)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return loc, locationKept
	}
	rest := loc[slashes+2:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	tail := rest[end:] // path, query and fragment, as written
	scheme := u.Scheme
	if scheme == "" {
		scheme = rt.target.Scheme // scheme-relative: the backend meant its own scheme
	}
	if !strings.EqualFold(scheme, rt.target.Scheme) || !sameHostPort(u, rt.target) {
		return rewriteOwnOrigin(loc, u, tail, rt, in)
	}
	pathEnd := strings.IndexAny(tail, "?#")
	if pathEnd < 0 {
		pathEnd = len(tail)
	}
	p := tail[:pathEnd]
	if p == "" {
		p = "/"
	}
	if rt.alreadyPublic(p) {
		// Built from its root_path or FORCE_SCRIPT_NAME with the backend's
		// own Host (change_origin): only the origin is the backend's.
		return web.RequestOrigin(in) + tail, locationOnTarget
	}
	pub, ok := rt.publicPath(p)
	if !ok {
		return loc, locationKept
	}
	return web.RequestOrigin(in) + pub + tail[pathEnd:], locationOnTarget
}

// rewriteOwnOrigin applies the path-absolute rule to an absolute URL on
// devproxy's own origin, keeping the origin as the backend wrote it.
func rewriteOwnOrigin(loc string, u *url.URL, tail string, rt *route, in *http.Request) (string, locationEdit) {
	origin := *u
	if origin.Scheme == "" {
		origin.Scheme = "http"
		if in.TLS != nil {
			origin.Scheme = "https"
		}
	}
	if !isOwnOrigin(in, web.OriginOf(&origin)) {
		return loc, locationKept
	}
	p := tail
	if p == "" || p[0] != '/' {
		p = "/" + p // "http://localhost:3000?x" is the root with a query
	}
	out, edit := rewritePathAbsolute(p, rt)
	if edit == locationKept {
		return loc, locationKept
	}
	return loc[:len(loc)-len(tail)] + out, edit
}

// rewritePathAbsolute maps "/login?x" from a backend behind a stripped
// prefix or a base path to the public "/api/login?x". A path that already
// starts with the route's prefix is left alone: that backend knows its
// public prefix (it would otherwise become /api/api/...).
func rewritePathAbsolute(loc string, rt *route) (string, locationEdit) {
	if !rt.StripPrefix && strings.TrimSuffix(rt.target.Path, "/") == "" {
		return loc, locationKept // the backend's paths are the public paths
	}
	end := strings.IndexAny(loc, "?#")
	if end < 0 {
		end = len(loc)
	}
	if rt.alreadyPublic(loc[:end]) {
		return loc, locationKept
	}
	p := loc[:end]
	pub, ok := rt.publicPath(p)
	if !ok || pub == p {
		return loc, locationKept
	}
	return pub + loc[end:], locationBackendPath
}

// alreadyPublic reports whether a backend path behind strip_prefix already
// starts with the route's prefix: that backend knows its public prefix
// (FastAPI's root_path, Django's FORCE_SCRIPT_NAME), and mapping it again
// would make /api/api/....
func (rt *route) alreadyPublic(p string) bool {
	return rt.StripPrefix && rt.Path != "/" && (p == rt.Path || strings.HasPrefix(p, rt.Path+"/"))
}

// sameHostPort reports whether u names the host and port of target. All
// loopback names (localhost, 127.0.0.1, [::1]) are one host: a backend at
// 127.0.0.1:8080 that redirects to localhost:8080 means itself.
func sameHostPort(u, target *url.URL) bool {
	if portOrDefault(u, target.Scheme) != portOrDefault(target, target.Scheme) {
		return false
	}
	h, th := u.Hostname(), target.Hostname()
	return strings.EqualFold(h, th) || (web.IsLoopbackHost(h) && web.IsLoopbackHost(th))
}

func portOrDefault(u *url.URL, scheme string) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme != "" {
		scheme = u.Scheme
	}
	if strings.EqualFold(scheme, "https") {
		return "443"
	}
	return "80"
}

// rewriteRefresh rewrites the URL in a Refresh header ("5; url=http://…",
// also "5;URL='…'" and "0, http://…", as HTML's meta refresh parser
// accepts them) with rewriteLocation, keeping the rest as written.
func rewriteRefresh(v string, rt *route, in *http.Request) (string, locationEdit) {
	v = sanitizeHeaderValue(v)
	sep := strings.IndexAny(v, ";,")
	if sep < 0 {
		return v, locationKept // a delay only
	}
	i := sep + 1
	i += len(v[i:]) - len(strings.TrimLeft(v[i:], " \t"))
	if rest := v[i:]; hasPrefixFold(rest, "url") {
		j := 3 + len(rest[3:]) - len(strings.TrimLeft(rest[3:], " \t"))
		if j < len(rest) && rest[j] == '=' {
			j++
			j += len(rest[j:]) - len(strings.TrimLeft(rest[j:], " \t"))
			i += j
		}
	}
	end := len(v)
	if i < len(v) && (v[i] == '\'' || v[i] == '"') {
		if k := strings.IndexByte(v[i+1:], v[i]); k >= 0 {
			end = i + 1 + k
		}
		i++
	}
	if i >= end {
		return v, locationKept
	}
	out, edit := rewriteLocation(v[i:end], rt, in)
	if edit == locationKept {
		return v, locationKept
	}
	return v[:i] + out + v[end:], edit
}

// withoutQuery drops a URL's query and fragment for logging: redirects
// often carry OAuth codes, magic-link and reset tokens there.
func withoutQuery(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		return u[:i] + "?…"
	}
	return u
}
