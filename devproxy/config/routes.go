package config

import (
	"cmp"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// readRoutes reads [routes]: each key is a path prefix, each value either a
// target URL (shorthand) or a table.
func (cr *configReader) readRoutes(routes map[string]any, cfg *Config) {
	keys := make([]string, 0, len(routes))
	for k := range routes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	seen := map[string]string{}
	for _, key := range keys {
		path := []string{"routes", key}
		rt := Route{Timeout: cfg.Timeout, Retry: cfg.Retry, Cookies: "rewrite", Redirects: "rewrite", Line: cr.ix.lookup(path...).Key.Line}
		switch v := routes[key].(type) {
		case string:
			rt.Target = cr.target(path, v)
		case map[string]any:
			cr.readRoute(v, path, &rt)
		default:
			target := "http://localhost:8080"
			if n, isInt := v.(int64); isInt && n > 0 && n < 65536 {
				target = fmt.Sprintf("http://localhost:%d", n) // "/api" = 8080
			}
			cr.typeErr(path, v, "a target URL string, or a table with target = \"http://…\"", cr.fixValue(path, quote(target)))
			continue
		}
		p, ok := cr.routePath(path, key)
		if !ok {
			continue
		}
		if prev, dup := seen[p]; dup {
			cr.failKey(path, fmt.Sprintf("route %q is the same path as route %q", key, prev), "each path once: merge the two routes into one", "")
			continue
		}
		seen[p] = key
		rt.Path = p
		cfg.Routes = append(cfg.Routes, rt)
	}
	sortRoutes(cfg.Routes)
}

// routePath validates a route key and returns its normal form.
func (cr *configReader) routePath(path []string, key string) (string, bool) {
	switch {
	case !strings.HasPrefix(key, "/"):
		cr.failKey(path, fmt.Sprintf("route %q: a route path must start with \"/\"", key), "", cr.fixKey(path, "/"+key))
		return "", false
	case strings.ContainsAny(key, "?#*") || strings.Contains(key, "//"):
		cr.failKey(path, fmt.Sprintf("route %q: a route path is a plain prefix, without ?, #, * or //", key),
			"a prefix such as \"/api\"; use rewrite for patterns", "")
		return "", false
	}
	p := key
	if len(p) > 1 {
		p = strings.TrimRight(p, "/")
	}
	if p == ReservedPrefix || strings.HasPrefix(p, ReservedPrefix+"/") {
		cr.failKey(path, fmt.Sprintf("route %q: paths under %s/ are reserved for devproxy's status page", key, ReservedPrefix), "any other prefix", "")
		return "", false
	}
	return p, true
}

func (cr *configReader) readRoute(tbl map[string]any, path []string, rt *Route) {
	cr.checkKeys(tbl, path, routeKeys)
	name := path[len(path)-1]
	_, mocked := tbl["mock"]
	if s, ok := cr.str(tbl, path, "target"); ok {
		rt.Target = cr.target(with(path, "target"), s)
	} else if _, set := tbl["target"]; !set && !mocked && !misspelled(tbl, "target") {
		cr.failKey(path, fmt.Sprintf("route %q has no target", name), "the backend URL, or a mock that answers instead", cr.fixUnderHeader(path, `target = "http://localhost:8080"`))
	}
	rt.StripPrefix = cr.boolean(tbl, path, "strip_prefix", false)
	rt.ChangeOrigin = cr.boolean(tbl, path, "change_origin", false)
	rt.Insecure = cr.boolean(tbl, path, "insecure", false)
	rt.Timeout = cr.timeout(tbl, path, rt.Timeout)
	rt.Retry = cr.duration(tbl, path, "retry", rt.Retry)
	rt.AllowedOrigins = cr.origins(tbl, path, "allowed_origins")
	if rw, ok := cr.table(tbl, path, "rewrite"); ok {
		rt.Rewrite = cr.readRewrite(rw, with(path, "rewrite"))
	}
	if hs, ok := cr.table(tbl, path, "headers"); ok {
		rt.Headers, rt.SecretHeaders, rt.HeaderTemplates = cr.readHeaders(hs, with(path, "headers"), name)
	}
	rt.Cookies = cr.mode(tbl, path, "cookies", "cookie", rt.Cookies,
		`"rewrite" (default: cookies land on devproxy's origin) or "passthrough" (Set-Cookie untouched)`)
	rt.Redirects = cr.mode(tbl, path, "redirects", "redirect", rt.Redirects,
		`"rewrite" (default: Location headers keep the browser on devproxy's origin and under the route) or "passthrough" (Location untouched)`)
	if c, ok := cr.table(tbl, path, "cors"); ok {
		rt.CORS = cr.readCORS(c, with(path, "cors"), name)
	}
	if m, ok := cr.table(tbl, path, "mock"); ok {
		rt.Mock = cr.readMock(m, with(path, "mock"), name)
	}
	rt.Delay = cr.delay(tbl, path)
	rt.Throttle = cr.throttle(tbl, path)
	rt.Fail = cr.readFail(tbl, path)
}

// mode reads a route's "rewrite" | "passthrough" switch (cookies,
// redirects); anything else is an error that names both modes.
func (cr *configReader) mode(tbl map[string]any, path []string, key, what, def, want string) string {
	v, ok := tbl[key]
	if !ok {
		return def
	}
	modes := []string{"rewrite", "passthrough"}
	s, isStr := v.(string)
	switch {
	case !isStr: // cookies = false: off, most likely
		cr.typeErr(with(path, key), v, want, cr.fixValue(with(path, key), `"passthrough"`))
	case !contains(modes, s):
		cr.failValue(with(path, key), fmt.Sprintf("route %q: %s = %q is not a %s mode", path[len(path)-1], key, s, what), want,
			cr.fixValue(with(path, key), quote(cmp.Or(suggest(s, modes), "passthrough"))))
	default:
		return s
	}
	return def
}

// misspelled reports whether tbl has an unknown key that looks like a typo
// of key (already reported with a suggestion, so "missing key" would be noise).
func misspelled(tbl map[string]any, key string) bool {
	for k := range tbl {
		if k != key && suggest(k, []string{key}) == key {
			return true
		}
	}
	return false
}

func (cr *configReader) readRewrite(tbl map[string]any, path []string) *Rewrite {
	cr.checkKeys(tbl, path, rewriteKeys)
	from, okFrom := cr.str(tbl, path, "from")
	to, _ := cr.str(tbl, path, "to")
	if !okFrom || from == "" {
		fix := cr.fixValue(path, `{ from = "^/v1/(.*)$", to = "/v2/$1" }`)
		if fix == "" {
			fix = cr.fixUnderHeader(path, `from = "^/v1/(.*)$"`)
		}
		cr.failKey(path, "rewrite needs a from pattern", "a Go regexp matched against the path", fix)
		return nil
	}
	if _, err := regexp.Compile(from); err != nil {
		cr.failValue(with(path, "from"), fmt.Sprintf("rewrite.from %q is not a valid regexp: %v", from, strings.TrimPrefix(err.Error(), "error parsing regexp: ")),
			"Go regexp syntax (RE2), see https://pkg.go.dev/regexp/syntax", "")
		return nil
	}
	return &Rewrite{From: from, To: to}
}

// readHeaders returns the expanded values, which of them came from the
// environment, and those as written (with ${VAR} unexpanded).
func (cr *configReader) readHeaders(tbl map[string]any, path []string, route string) (out map[string]string, secret map[string]bool, templates map[string]string) {
	out, secret, templates = map[string]string{}, map[string]bool{}, map[string]string{}
	for name, v := range tbl {
		hp := with(path, name)
		s, ok := v.(string)
		if !ok {
			cr.typeErr(hp, v, "a string", "")
			continue
		}
		if !web.IsToken(name) {
			cr.failKey(hp, fmt.Sprintf("route %q: %q is not a valid header name", route, name), "letters, digits and !#$%&'*+-.^_`|~", "")
			continue
		}
		val, missing, used := cr.expandEnv(s)
		if missing != "" {
			cr.failValue(hp, fmt.Sprintf("route %q: header %s uses ${%s}, which is not set in the environment", route, name, missing),
				fmt.Sprintf("every ${VAR} set when devproxy starts (or reloads): export %s=… before starting devproxy", missing), "")
			continue
		}
		if strings.ContainsAny(val, "\r\n\x00") {
			cr.failValue(hp, fmt.Sprintf("route %q: header %s contains a line break or NUL", route, name), "a single-line value", "")
			continue
		}
		canon := http.CanonicalHeaderKey(name)
		out[canon] = val
		if used {
			secret[canon] = true
			templates[canon] = s
		}
	}
	return out, secret, templates
}

func (cr *configReader) readCORS(tbl map[string]any, path []string, route string) *CORS {
	cr.checkKeys(tbl, path, corsKeys)
	c := &CORS{}
	c.AllowOrigins = cr.origins(tbl, path, "allow_origins")
	if len(c.AllowOrigins) == 0 {
		cr.failKey(path, fmt.Sprintf("route %q: cors needs allow_origins", route), "the origins your page is served from", cr.fixUnderHeader(path, `allow_origins = ["http://localhost:5173"]`))
	}
	c.AllowCredentials = cr.boolean(tbl, path, "allow_credentials", false)
	if ms, ok := cr.strList(tbl, path, "allow_methods"); ok {
		for _, m := range ms {
			if !web.IsToken(m) {
				cr.failValue(with(path, "allow_methods"), fmt.Sprintf("route %q: %q is not an HTTP method", route, m), "method names such as \"GET\", \"PUT\"", "")
			}
			c.AllowMethods = append(c.AllowMethods, m)
		}
	}
	c.AllowHeaders, _ = cr.strList(tbl, path, "allow_headers")
	c.ExposeHeaders, _ = cr.strList(tbl, path, "expose_headers")
	if v, ok := tbl["max_age"]; ok {
		n, isInt := v.(int64)
		switch {
		case !isInt:
			cr.typeErr(with(path, "max_age"), v, "a number of seconds", cr.fixValue(with(path, "max_age"), "600"))
		case n < 0:
			cr.failValue(with(path, "max_age"), fmt.Sprintf("route %q: max_age %d is negative", route, n), "seconds ≥ 0", cr.fixValue(with(path, "max_age"), "600"))
		case n > web.ChromiumMaxAge:
			c.MaxAge = web.ChromiumMaxAge
			cr.warn(with(path, "max_age"), fmt.Sprintf("route %q: max_age %d is more than Chromium honours (%d s); devproxy sends %d", route, n, web.ChromiumMaxAge, web.ChromiumMaxAge),
				"", cr.fixValue(with(path, "max_age"), fmt.Sprint(web.ChromiumMaxAge)))
		default:
			c.MaxAge = int(n)
		}
	}
	return c
}
