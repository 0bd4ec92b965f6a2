package devproxy

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/devproxy/devproxy/devproxy/config"
)

// A request that falls through to the frontend although a routed backend
// page asked for it is the backend's URL missing its route: a stylesheet
// under /static that the backend serves itself, or a form action built
// without the prefix that strip_prefix removed. The Referer says which
// page asked, so the 404 or 405 can name the real fix instead of "run your
// build again" or "add a route for /admin/login/".

// refererRoute returns the route serving the devproxy page that asked for
// r (its Referer), when that page is a routed backend's and r's own path
// lies outside the route.
func refererRoute(t *table, r *http.Request) (*route, string) {
	ref := r.Header.Get("Referer")
	if ref == "" {
		return nil, ""
	}
	origin, rest, ok := splitOrigin(ref)
	if !ok || !isOwnOrigin(r, origin) {
		return nil, ""
	}
	refPath := rest
	if i := strings.IndexAny(refPath, "?#"); i >= 0 {
		refPath = refPath[:i]
	}
	if refPath == "" {
		refPath = "/"
	}
	rt := t.match(refPath)
	if rt == nil || rt.Path == "/" || pathMatches(r.URL.Path, rt.Path) {
		return nil, ""
	}
	return rt, refPath
}

// refererHint is the fix for a request the frontend could not answer,
// when a routed backend's page asked for it; "" when no such page did.
func refererHint(t *table, r *http.Request) string {
	rt, refPath := refererRoute(t, r)
	if rt == nil {
		return ""
	}
	if rt.StripPrefix {
		return missingPrefixHint(rt, refPath, r.URL.Path)
	}
	seg := firstSegment(r.URL.Path)
	return fmt.Sprintf("the page %s (route %s → %s) asked for %s; if that backend serves it, route %s to it too: [%s] target = %q",
		refPath, rt.name, rt.Target, r.URL.Path, seg, config.DisplayKey([]string{"routes", seg}), rt.Target)
}

// missingPrefixHint explains a URL that a backend behind strip_prefix
// built without its public prefix.
func missingPrefixHint(rt *route, refPath, path string) string {
	return fmt.Sprintf("the page %s (route %s, strip_prefix = true) asked for %s, without the prefix %s: the backend builds its URLs without knowing it is served under %s. "+
		"devproxy sends X-Forwarded-Prefix: %s; tell the framework: Django FORCE_SCRIPT_NAME = %q, Flask ProxyFix(app.wsgi_app, x_prefix=1), "+
		"FastAPI root_path=%q, Express: build URLs from req.get('X-Forwarded-Prefix'), Spring server.forward-headers-strategy=framework (README: Backends behind devproxy)",
		refPath, rt.name, path, rt.Path, rt.Path, rt.Path, rt.Path, rt.Path)
}

// firstSegment is "/static" for "/static/admin/base.css".
func firstSegment(p string) string {
	seg, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	return "/" + seg
}

// staticProblem answers for the static build when it has no file (404)
// or the method is not GET/HEAD (405), with the Referer's hint when a
// routed backend's page asked.
func (s *Server) staticProblem(t *table, w http.ResponseWriter, r *http.Request, status int, cause, fix string) {
	if hint := refererHint(t, r); hint != "" {
		fix = hint
		noteFix(r, fix)
	}
	if status == http.StatusNotFound {
		s.notFound(w, r, cause, fix)
		return
	}
	noteOutcome(r, cause)
	w.Header().Set("Allow", "GET, HEAD")
	s.writeProblem(w, r, s.pages.badGateway, problem{Status: status, Cause: cause, Fix: fix, Routes: t.cfg.RoutePaths()})
}

// noteFrontendMiss adds the Referer's hint to the log line when the dev
// server answers 404 for a URL a routed backend's page asked for.
func (s *Server) noteFrontendMiss(in *http.Request, res *http.Response) {
	if res.StatusCode != http.StatusNotFound {
		return
	}
	if hint := refererHint(s.table.Load(), in); hint != "" {
		noteOutcome(in, "the dev server has no "+in.URL.Path)
		noteFix(in, hint)
	}
}
