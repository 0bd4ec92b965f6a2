package web

import (
	"net/http"
	"strings"
)

// Masked is what logs and the status page show instead of a secret.
const Masked = "•••"

// MaskHeaders clones h hiding credentials: the Authorization scheme, cookie
// names and cookie attributes stay visible (they are what a developer
// debugs), the secrets do not. secret names headers whose configured value
// came from ${VAR}.
func MaskHeaders(h http.Header, secret map[string]bool) http.Header {
	c := h.Clone()
	for k, vs := range c {
		for i, v := range vs {
			switch {
			case secret[k]:
				vs[i] = Masked
			case k == "Authorization" || k == "Proxy-Authorization":
				if scheme, _, ok := strings.Cut(v, " "); ok {
					vs[i] = scheme + " " + Masked
				} else {
					vs[i] = Masked
				}
			case k == "Cookie":
				vs[i] = MaskCookiePairs(v)
			case k == "Set-Cookie":
				vs[i] = MaskSetCookie(v)
			}
		}
	}
	return c
}

// MaskCookiePairs turns "a=1; b=2" into "a=•••; b=•••".
func MaskCookiePairs(v string) string {
	pairs := strings.Split(v, ";")
	for i, p := range pairs {
		name, _, _ := strings.Cut(p, "=")
		pairs[i] = name + "=" + Masked
	}
	return strings.Join(pairs, ";")
}

// MaskSetCookie hides a Set-Cookie line's value (a session, a token) and
// keeps its attributes, which are what a log reader needs.
func MaskSetCookie(line string) string {
	pair, attrs, hasAttrs := strings.Cut(line, ";")
	if !hasAttrs {
		return MaskCookiePairs(pair)
	}
	return MaskCookiePairs(pair) + ";" + attrs
}
