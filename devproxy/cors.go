package devproxy

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// A route with a cors table hands CORS to devproxy entirely:
//   - a preflight (OPTIONS with Origin and Access-Control-Request-Method)
//     is answered here — 204 for an allowed origin, 403 otherwise — and
//     never reaches the backend;
//   - every Access-Control-* header the backend sends is removed, so there
//     is never a second Access-Control-Allow-Origin (a CORS error of its
//     own) and the config, not the backend, decides who may call; a
//     disallowed origin therefore gets no CORS headers at all, even when
//     the backend would have allowed it;
//   - an allowed cross-origin request gets devproxy's headers, with the
//     requesting origin echoed (never a literal "*", so credentials work);
//   - Vary: Origin is added to every response of the route, since what it
//     carries depends on the Origin.
// A route without a cors table forwards everything, OPTIONS included,
// untouched.

// answerCORS answers a CORS preflight for a route with a cors table and
// reports whether it did; it also warns about a disallowed origin before the
// request goes on to the backend.
func (s *Server) answerCORS(w http.ResponseWriter, r *http.Request, rt *route) bool {
	c := rt.CORS
	if c == nil {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" || web.SameOrigin(origin, r) {
		return false // not cross-origin: the browser checks nothing
	}
	preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	if !corsAllows(rt, r, origin) {
		s.warnOrigin(rt, origin)
		if !preflight {
			return false // forwarded; applyCORS leaves it without CORS headers
		}
		noteOutcome(r, "cors: origin "+origin+" not in allow_origins")
		w.Header().Set("Vary", "Origin")
		http.Error(w, "devproxy: origin "+origin+" is not in "+corsKey(rt, "allow_origins"), http.StatusForbidden)
		return true
	}
	if !preflight {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	method := r.Header.Get("Access-Control-Request-Method")
	if methods := c.AllowMethods; len(methods) > 0 && !slices.Contains(methods, "*") {
		h.Set("Access-Control-Allow-Methods", strings.Join(methods, ", "))
		if !slices.Contains(methods, method) && !web.IsSafelistedMethod(method) {
			s.noteOnce(rt, "method\x00"+method, "cors preflight: method not allowed", origin, "add \""+method+"\" to "+corsKey(rt, "allow_methods"))
		}
	} else {
		// Echo: a literal "*" is not a wildcard when credentials are on (Fetch §3.2.3).
		h.Set("Access-Control-Allow-Methods", method)
	}
	if asked := r.Header.Get("Access-Control-Request-Headers"); asked != "" {
		if allowed := c.AllowHeaders; len(allowed) > 0 && !slices.Contains(allowed, "*") {
			h.Set("Access-Control-Allow-Headers", strings.Join(allowed, ", "))
			for _, name := range strings.Split(asked, ",") {
				name = strings.TrimSpace(name)
				if name != "" && !slices.ContainsFunc(allowed, func(a string) bool { return strings.EqualFold(a, name) }) {
					s.noteOnce(rt, "header\x00"+strings.ToLower(name), "cors preflight: request header not allowed", origin, "add \""+name+"\" to "+corsKey(rt, "allow_headers"))
				}
			}
		} else {
			h.Set("Access-Control-Allow-Headers", asked)
		}
	}
	if c.MaxAge > 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
	}
	// Private Network Access: Chromium asks before a public page may call a
	// loopback address; an origin the config allows may.
	if r.Header.Get("Access-Control-Request-Private-Network") == "true" {
		h.Set("Access-Control-Allow-Private-Network", "true")
	}
	h.Set("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	w.WriteHeader(http.StatusNoContent)
	s.log.Debug("cors preflight answered", "route", rt.name, "origin", origin, "method", method)
	return true
}

// applyCORS replaces the backend's CORS headers with devproxy's on a
// response of a route with a cors table.
func (s *Server) applyCORS(rt *route, in *http.Request, h http.Header) {
	if rt.CORS == nil {
		return // no cors table: the backend's headers pass as they are
	}
	var removed []string
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			removed = append(removed, k)
			delete(h, k)
		}
	}
	addVary(h, "Origin")
	origin := in.Header.Get("Origin")
	if origin == "" || web.SameOrigin(origin, in) || !corsAllows(rt, in, origin) {
		if len(removed) > 0 {
			s.log.Debug("cors headers from the backend removed", "route", rt.name, "origin", origin, "removed", strings.Join(removed, ","))
		}
		return
	}
	c := rt.CORS
	h.Set("Access-Control-Allow-Origin", origin)
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if expose := c.ExposeHeaders; len(expose) > 0 {
		if slices.Contains(expose, "*") && c.AllowCredentials {
			// "*" is literal when credentials are on (Fetch §3.2.3): name them.
			expose = make([]string, 0, len(h))
			for k := range h {
				expose = append(expose, k)
			}
			slices.Sort(expose)
		}
		h.Set("Access-Control-Expose-Headers", strings.Join(expose, ", "))
	}
	if rt.notes.first("origin\x00" + origin) {
		s.log.Info("cors headers set by devproxy", "route", rt.name, "origin", origin,
			"replaced", strings.Join(removed, ","), "credentials", c.AllowCredentials)
	} else if len(removed) > 0 {
		s.log.Debug("cors headers from the backend replaced", "route", rt.name, "origin", origin, "removed", strings.Join(removed, ","))
	}
}

// warnOrigin explains, once per route and origin, which key would allow it.
func (s *Server) warnOrigin(rt *route, origin string) {
	s.noteOnce(rt, "denied\x00"+origin, "cors origin not allowed", origin, "add \""+origin+"\" to "+corsKey(rt, "allow_origins"))
}

func (s *Server) noteOnce(rt *route, key, msg, origin, fix string) {
	if rt.notes.first(key) {
		s.log.Warn(msg, "route", rt.name, "origin", origin, "fix", fix)
	}
}

func corsKey(rt *route, key string) string {
	return config.DisplayKey([]string{"routes", rt.Path, "cors", key})
}

// corsAllows reports whether origin may call rt: it is in allow_origins
// ("*" allows any, "null" included, as sandboxed and file:// pages send
// it), or it is one of devproxy's own origins (a page on app.localhost:PORT
// calling localhost:PORT), which is allowed as if listed.
func corsAllows(rt *route, r *http.Request, origin string) bool {
	if slices.Contains(rt.CORS.AllowOrigins, "*") || rt.hosts.ownOrigin(r, origin) {
		return true
	}
	norm, ok := web.NormalizeOrigin(origin)
	return ok && slices.Contains(rt.CORS.AllowOrigins, norm)
}

// addVary adds token to Vary unless it is there already (or Vary is "*"),
// keeping what the backend sent.
func addVary(h http.Header, token string) {
	if web.HeaderHasToken(h, "Vary", token) || web.HeaderHasToken(h, "Vary", "*") {
		return
	}
	h.Add("Vary", token)
}
