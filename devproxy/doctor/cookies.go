package doctor

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/devproxy/devproxy/devproxy/internal/web"
	"golang.org/x/net/publicsuffix"
)

// cookieWarnings explains what the browser will do with the Set-Cookie
// headers of a cross-origin response the CORS check allowed: the call
// "works", yet the session cookie never sticks — the other half of the
// problem devproxy exists for. Rules: Fetch §4.6 (credentials mode) and
// RFC 6265bis §5.6/§5.7 as Chromium applies them (Lax by default, SameSite
// cookies not set by cross-site requests, None requires Secure).
func cookieWarnings(call corsCall, origin string, target *url.URL, res wireResponse) []string {
	lines := res.Header.Values("Set-Cookie")
	if len(lines) == 0 {
		return nil
	}
	if !call.include() {
		return []string{fmt.Sprintf("the response sets %d cookie(s), but the browser ignores Set-Cookie on a cross-origin response unless the request uses credentials: 'include'", len(lines))}
	}
	page, err := url.Parse(origin)
	if err != nil {
		return nil
	}
	crossSite := siteOf(page.Hostname()) != siteOf(target.Hostname()) || !strings.EqualFold(page.Scheme, target.Scheme)
	var out []string
	for _, line := range lines {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			continue
		}
		secureCtx := target.Scheme == "https" || web.IsLoopbackHost(target.Hostname())
		switch {
		case c.SameSite == http.SameSiteNoneMode && !c.Secure:
			out = append(out, fmt.Sprintf("Chromium rejects cookie %q: SameSite=None requires Secure", c.Name))
		case c.Secure && !secureCtx:
			out = append(out, fmt.Sprintf("Chromium rejects cookie %q: Secure cookies can only be set over https (or localhost)", c.Name))
		case crossSite && c.SameSite != http.SameSiteNoneMode:
			mode := map[http.SameSite]string{http.SameSiteLaxMode: "Lax", http.SameSiteStrictMode: "Strict"}[c.SameSite]
			if mode == "" {
				mode = "Lax (the default when SameSite is not set)"
			}
			out = append(out, fmt.Sprintf("Chromium will not store cookie %q: %s is a different site from %s, and a cross-site response can only set SameSite=None; Secure cookies (this one is SameSite=%s); serve page and API from one origin instead (--fix devproxy)",
				c.Name, target.Hostname(), page.Hostname(), mode))
		case crossSite:
			out = append(out, fmt.Sprintf("cookie %q is a third-party cookie for a page on %s: browsers that block third-party cookies (Safari, Firefox strict, Chromium with tracking protection) will not store or send it; serving page and API from one origin avoids this (--fix devproxy)",
				c.Name, page.Hostname()))
		}
	}
	return out
}

// siteOf is a host's site (RFC 6265bis "registrable domain"): the public
// suffix plus one label, from the Public Suffix List as net/http/cookiejar
// uses it, so alice.github.io and bob.github.io are two sites and
// a.example.co.uk and b.example.co.uk one. IP addresses, localhost and
// single-label names are their own site, and so is a host that is itself
// a public suffix.
func siteOf(host string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if web.IsLocalhostName(host) {
		return "localhost"
	}
	if net.ParseIP(host) != nil || !strings.Contains(host, ".") {
		return host
	}
	site, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return host
	}
	return site
}
