package devproxy

import (
	"net/http"
	"strings"

	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// isOwnOrigin reports whether origin is the origin r was addressed to: the
// page that sent it (or the URL that names it) is on this very origin. It
// is the strict test, for presenting the target's Origin and Referer under
// change_origin, mapping a Location, the CSRF fix and the switches' caller
// check. The wider one, any of devproxy's names on the port the connection
// came in on (a page on app.localhost calling localhost), is
// hostPolicy.ownOrigin, which the CORS mode and the WebSocket Origin check
// use.
func isOwnOrigin(r *http.Request, origin string) bool {
	return web.SameOrigin(origin, r)
}

// presentTargetOrigin rewrites Origin, and the origin part of Referer, to
// rt's target origin when the browser sent devproxy's own: with
// change_origin the backend sees its own Host, and a CSRF check that
// compares Origin with Host (Django 4+, Rails 7+) must see the matching
// origin too. A foreign Origin passes unchanged, so the backend's own
// CSRF and CORS checks still refuse it.
func presentTargetOrigin(rt *route, in *http.Request, out http.Header) {
	if o := out.Get("Origin"); o != "" && isOwnOrigin(in, o) {
		out.Set("Origin", rt.targetOrigin)
	}
	if ref := out.Get("Referer"); ref != "" {
		if origin, rest, ok := splitOrigin(ref); ok && isOwnOrigin(in, origin) {
			out.Set("Referer", rt.targetOrigin+rest)
		}
	}
}

// splitOrigin splits an absolute http(s) URL into its origin as written
// ("http://localhost:3000") and the rest ("/admin/?x").
func splitOrigin(u string) (origin, rest string, ok bool) {
	i := strings.Index(u, "://")
	if i <= 0 {
		return "", "", false
	}
	scheme := strings.ToLower(u[:i])
	if scheme != "http" && scheme != "https" {
		return "", "", false
	}
	end := i + 3
	if j := strings.IndexAny(u[end:], "/?#"); j >= 0 {
		end += j
	} else {
		end = len(u)
	}
	return u[:end], u[end:], end > i+3
}
