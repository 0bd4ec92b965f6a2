package devproxy

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// cookieEdit records what rewriteSetCookie changed in one Set-Cookie line.
type cookieEdit struct {
	name         string
	domain       string // the Domain attribute removed, or ""
	fromPath     string // Path before mapping, when toPath is set
	toPath       string
	droppedSec   bool // Secure removed: the origin is not a secure context
	sameSiteLax  bool // SameSite=None became Lax: None requires Secure
	droppedPart  bool // Partitioned removed: it requires Secure
	addedSecure  bool // Secure added: SameSite=None without Secure is rejected
	keptPrefixed bool // a __Secure-/__Host- cookie the browser will refuse here anyway
}

func (e *cookieEdit) changed() bool {
	return e.domain != "" || e.toPath != "" || e.droppedSec || e.sameSiteLax || e.droppedPart || e.addedSecure
}

// describe says what changed and why, for the one-time log line.
func (e *cookieEdit) describe(origin string) string {
	var parts []string
	if e.domain != "" {
		parts = append(parts, fmt.Sprintf("removed Domain=%s (a page at %s cannot store a cookie for another domain; it is now a cookie of devproxy's host)", e.domain, origin))
	}
	if e.toPath != "" {
		parts = append(parts, fmt.Sprintf("Path=%s → Path=%s (the backend's path as the browser sees it through the route)", e.fromPath, e.toPath))
	}
	if e.droppedSec || e.sameSiteLax || e.droppedPart {
		var what []string
		if e.droppedSec {
			what = append(what, "removed Secure")
		}
		if e.sameSiteLax {
			what = append(what, "SameSite=None → Lax")
		}
		if e.droppedPart {
			what = append(what, "removed Partitioned")
		}
		parts = append(parts, strings.Join(what, ", ")+fmt.Sprintf(" (%s is plain http on a non-loopback host, where the browser drops Secure cookies; use http://localhost to keep them)", origin))
	}
	if e.addedSecure {
		parts = append(parts, "added Secure (the browser rejects SameSite=None without it)")
	}
	if e.keptPrefixed {
		parts = append(parts, fmt.Sprintf("note: %s needs a secure origin and the browser will refuse it at %s", e.name, origin))
	}
	return strings.Join(parts, "; ")
}

// rewriteSetCookie rewrites one Set-Cookie value from rt's backend so the
// browser stores it for devproxy's origin and sends it back through rt:
// Domain removed, Path mapped through strip_prefix and the target's base
// path, Secure/SameSite=None/Partitioned adjusted when the origin is not a
// secure context. http.ParseSetCookie says what the cookie is; the line is
// edited textually so Expires dates, quoted values and attributes devproxy
// does not know pass through byte for byte. A line net/http cannot parse is
// returned as it came (the browser will judge it).
func rewriteSetCookie(line string, rt *route, secureCtx bool) (string, cookieEdit) {
	line = sanitizeHeaderValue(line)
	semi := strings.IndexByte(line, ';')
	if semi < 0 {
		return line, cookieEdit{} // name=value only: nothing to adjust
	}
	c, err := http.ParseSetCookie(line)
	if err != nil {
		return line, cookieEdit{}
	}
	e := cookieEdit{name: c.Name}
	secure := c.Secure
	// RFC 6265bis §4.1.3: cookie name prefixes, matched case-insensitively.
	hostPrefixed := hasPrefixFold(c.Name, "__Host-")
	prefixed := hostPrefixed || hasPrefixFold(c.Name, "__Secure-")

	var b strings.Builder
	b.Grow(len(line) + 16)
	b.WriteString(line[:semi])
	for rest := line[semi+1:]; ; {
		seg := rest
		next := strings.IndexByte(rest, ';')
		if next >= 0 {
			seg = rest[:next]
		}
		key, val, _ := strings.Cut(seg, "=")
		key = strings.TrimSpace(key)
		val = strings.TrimSpace(val)
		switch {
		case strings.EqualFold(key, "Domain"):
			if val != "" {
				e.domain = val
			}
			// dropped: the cookie becomes host-only for devproxy's host
		case strings.EqualFold(key, "Path") && strings.HasPrefix(val, "/") && !hostPrefixed:
			// A __Host- cookie must keep its Path=/ (RFC 6265bis §4.1.3.2).
			if p, ok := cookiePublicPath(rt, val); ok && p != val {
				e.fromPath, e.toPath = val, p
				b.WriteString("; Path=")
				b.WriteString(p)
				break
			}
			writeAttr(&b, seg)
		case strings.EqualFold(key, "Secure") && !secureCtx && !prefixed:
			e.droppedSec = true
		case strings.EqualFold(key, "Partitioned") && !secureCtx && !prefixed:
			e.droppedPart = true
		case strings.EqualFold(key, "SameSite") && strings.EqualFold(val, "None") && !secureCtx && !prefixed:
			e.sameSiteLax = true
			b.WriteString("; SameSite=Lax")
		default:
			writeAttr(&b, seg)
		}
		if next < 0 {
			break
		}
		rest = rest[next+1:]
	}
	if secureCtx && !secure && c.SameSite == http.SameSiteNoneMode {
		e.addedSecure = true
		b.WriteString("; Secure")
	}
	if !secureCtx && prefixed {
		e.keptPrefixed = true
	}
	if !e.changed() {
		return line, e
	}
	return b.String(), e
}

// writeAttr copies an attribute segment as the backend wrote it.
func writeAttr(b *strings.Builder, seg string) {
	b.WriteByte(';')
	b.WriteString(seg)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// cookiePublicPath maps a cookie's Path on the backend to the path the
// browser uses, by three rules (README, "Cookie Path rules"):
//   - Path=/ stays /: the cookie is for the whole site, as in production
//     behind one origin, so the page's script can read a non-HttpOnly CSRF
//     token (Django's csrftoken, the XSRF-TOKEN axios and Angular read);
//   - a Path already under the route's prefix is left alone: that backend
//     knows its public prefix (Django's FORCE_SCRIPT_NAME with
//     SESSION_COOKIE_PATH), and mapping it again would double the prefix;
//   - any other Path names a backend path and is mapped as a Location is
//     (/account → /api/account behind strip_prefix); a Path that covers the
//     target's whole base path becomes the route's own root.
//
// ok is false when the Path stays as the backend sent it, also when the
// route rewrites paths by regexp or p lies outside the base path.
func cookiePublicPath(rt *route, p string) (string, bool) {
	if p == "/" || (rt.Path != "/" && pathMatches(p, rt.Path)) {
		return "", false
	}
	if pub, ok := rt.publicPath(p); ok {
		return pub, true
	}
	base := strings.TrimSuffix(rt.target.Path, "/")
	if rt.rewrite == nil && base != "" && pathMatches(base, p) {
		return rt.publicPath(base)
	}
	return "", false
}

// pathMatches is RFC 6265 §5.1.4 path-match: whether a request for reqPath
// would carry a cookie with Path cookiePath.
func pathMatches(reqPath, cookiePath string) bool {
	if reqPath == cookiePath {
		return true
	}
	return strings.HasPrefix(reqPath, cookiePath) &&
		(strings.HasSuffix(cookiePath, "/") || reqPath[len(cookiePath)] == '/')
}

// rewriteCookies rewrites every Set-Cookie header of a response in place,
// explaining each kind of change once per route and cookie name.
func (s *Server) rewriteCookies(rt *route, in *http.Request, h http.Header) {
	lines := h["Set-Cookie"]
	if len(lines) == 0 {
		return
	}
	secureCtx := web.IsSecureContext(in)
	for i, line := range lines {
		out, e := rewriteSetCookie(line, rt, secureCtx)
		lines[i] = out
		if !e.changed() && !e.keptPrefixed {
			continue
		}
		// Every rewrite at debug, so -v shows what each response carried;
		// the explanation once per route and cookie name at info.
		if s.log.Enabled(in.Context(), slog.LevelDebug) { // masking costs two passes over each line
			s.log.Debug("cookie rewritten", "route", rt.name, "cookie", e.name, "from", web.MaskSetCookie(line), "to", web.MaskSetCookie(out))
		}
		if rt.notes.first("cookie\x00" + e.name) {
			s.log.Info("cookie rewritten", "route", rt.name, "cookie", e.name, "changes", e.describe(web.RequestOrigin(in)),
				"turn_off", config.DisplayKey([]string{"routes", rt.Path, "cookies"})+` = "passthrough"`)
		}
	}
}
