package doctor

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// chromiumConsoleText is the error Chromium prints in the DevTools console for a
// blocked fetch(), letter for letter. Adapted from chromium
// third_party/blink/renderer/platform/loader/cors/cors_error_string.cc
// GetErrorString, with the texts Chromium 156 prints (it no longer appends
// the "set the request's mode to 'no-cors'" advice, and shortened the
// invalid-value advice to "Have the server send the header with a valid value.").
func chromiumConsoleText(f *corsFailure, origin string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Access to fetch at '%s' ", f.URL)
	if f.Initial != f.URL {
		fmt.Fprintf(&b, "(redirected from '%s') ", f.Initial)
	}
	fmt.Fprintf(&b, "from origin '%s' has been blocked by CORS policy: ", origin)
	if f.Preflight {
		b.WriteString("Response to preflight request doesn't pass access control check: ")
	}
	const validValue = " Have the server send the header with a valid value."
	switch f.Kind {
	case errMissingAllowOrigin:
		b.WriteString("No 'Access-Control-Allow-Origin' header is present on the requested resource.")
	case errWildcardOriginNotAllowed:
		b.WriteString("The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.")
	case errMultipleAllowOriginValues:
		fmt.Fprintf(&b, "The 'Access-Control-Allow-Origin' header contains multiple values '%s', but only one is allowed.%s", f.Hint, validValue)
	case errInvalidAllowOriginValue:
		fmt.Fprintf(&b, "The 'Access-Control-Allow-Origin' header contains the invalid value '%s'.%s", f.Hint, validValue)
	case errAllowOriginMismatch:
		fmt.Fprintf(&b, "The 'Access-Control-Allow-Origin' header has a value '%s' that is not equal to the supplied origin.%s", f.Hint, validValue)
	case errInvalidAllowCredentials:
		fmt.Fprintf(&b, "The value of the 'Access-Control-Allow-Credentials' header in the response is '%s' which must be 'true' when the request's credentials mode is 'include'.", f.Hint)
	case errPreflightInvalidStatus:
		b.WriteString("It does not have HTTP ok status.")
	case errPreflightDisallowedRedirect:
		b.WriteString("Redirect is not allowed for a preflight request.")
	case errInvalidAllowMethods:
		b.WriteString("Cannot parse Access-Control-Allow-Methods response header field in preflight response.")
	case errInvalidAllowHeaders:
		b.WriteString("Cannot parse Access-Control-Allow-Headers response header field in preflight response.")
	case errMethodDisallowed:
		fmt.Fprintf(&b, "Method %s is not allowed by Access-Control-Allow-Methods in preflight response.", f.Hint)
	case errHeaderDisallowed:
		fmt.Fprintf(&b, "Request header field %s is not allowed by Access-Control-Allow-Headers in preflight response.", f.Hint)
	case errRedirectContainsCredentials:
		fmt.Fprintf(&b, "Redirect location '%s' contains a username and password, which is disallowed for cross-origin requests.", f.Hint)
	}
	return b.String()
}

// Who has to change something.
const (
	faultServer   = "server"
	faultFrontend = "frontend"
	faultProxy    = "proxy"
	faultNetwork  = "network (not CORS)"
)

// explanation is the human part of a verdict: why, whose fault, and the
// smallest change that fixes it.
type explanation struct {
	Reason string
	Fault  string
	Fix    string
}

// credentialsHeader is the second header a credentialed call needs beside
// Access-Control-Allow-Origin, as a fix fragment.
func credentialsHeader(call corsCall) string {
	if call.include() {
		return " and Access-Control-Allow-Credentials: true"
	}
	return ""
}

// explain turns a failure into one sentence of why and the minimal fix.
func explain(call corsCall, d *diagnosis) explanation {
	f := d.Failure
	origin := call.Origin
	if d.Tainted {
		origin = "null"
	}
	which := "the response"
	if f.Preflight || f.Kind == errMethodDisallowed || f.Kind == errHeaderDisallowed || f.Kind == errInvalidAllowMethods || f.Kind == errInvalidAllowHeaders {
		which = "the preflight (OPTIONS) response"
	}
	res := f.Response
	switch f.Kind {
	case errMissingAllowOrigin:
		e := explanation{
			Reason: fmt.Sprintf("%s from %s has no Access-Control-Allow-Origin header, so the browser hides it from the page.", capitalize(which), f.URL),
			Fault:  faultServer,
			Fix:    fmt.Sprintf("send Access-Control-Allow-Origin: %s%s (and Vary: Origin) on %s", origin, credentialsHeader(call), which),
		}
		if f.Preflight {
			// A failed preflight stops the call before it starts: nothing
			// reaches the server but the OPTIONS.
			e.Reason = fmt.Sprintf("The preflight (OPTIONS) response from %s has no Access-Control-Allow-Origin header, so the browser stops there: the %s request itself is never sent.", f.URL, call.Method)
		}
		if f.Preflight && res.Status >= 400 {
			e.Reason = fmt.Sprintf("The server answered the preflight OPTIONS with %d and no CORS headers: OPTIONS %s is not handled by a CORS layer (often an auth middleware or a router without an OPTIONS route rejects it first). The %s request itself is never sent.", res.Status, f.URL, call.Method)
			e.Fix = fmt.Sprintf("answer OPTIONS %s with 204 and Access-Control-Allow-Origin: %s%s, before any authentication", f.URL, origin, credentialsHeader(call))
		}
		if isGatewayStatus(res.Status) {
			e.Fault = faultProxy
			e.Reason = fmt.Sprintf("A proxy or gateway answered %d without CORS headers: the request never reached a working backend.", res.Status)
			e.Fix = "fix the proxy's upstream, or have the proxy add CORS headers to its error pages (nginx: add_header ... always)"
		}
		if !f.Preflight && !d.Preflight.Needed {
			e.Reason += " The server did receive and run this request: CORS only stops the page from reading the answer."
		}
		return e
	case errWildcardOriginNotAllowed:
		return explanation{
			Reason: fmt.Sprintf("The request is sent with credentials (credentials: 'include'), and %s allows any origin with '*', which the browser never accepts together with credentials.", which),
			Fault:  faultServer,
			Fix:    fmt.Sprintf("echo the origin instead of '*': Access-Control-Allow-Origin: %s, Access-Control-Allow-Credentials: true, Vary: Origin (or, if the call needs no cookies, drop credentials: 'include' in the frontend)", origin),
		}
	case errMultipleAllowOriginValues:
		return explanation{
			Reason: fmt.Sprintf("%s carries Access-Control-Allow-Origin more than once (%q): usually two layers both add it, e.g. a proxy (nginx add_header, an API gateway) and the app's CORS middleware.", capitalize(which), f.Hint),
			Fault:  faultProxy,
			Fix:    fmt.Sprintf("let exactly one layer set Access-Control-Allow-Origin: %s (nginx: proxy_hide_header Access-Control-Allow-Origin; or remove the app's CORS middleware)", origin),
		}
	case errInvalidAllowOriginValue:
		return explanation{
			Reason: fmt.Sprintf("%s sends Access-Control-Allow-Origin: %s, which is not an origin (scheme://host[:port]).", capitalize(which), f.Hint),
			Fault:  faultServer,
			Fix:    fmt.Sprintf("send Access-Control-Allow-Origin: %s", origin),
		}
	case errAllowOriginMismatch:
		e := explanation{
			Reason: fmt.Sprintf("%s allows origin %s, but the page's origin is %s.", capitalize(which), f.Hint, origin),
			Fault:  faultServer,
			Fix:    fmt.Sprintf("send Access-Control-Allow-Origin: %s (echo the request's Origin when it is on your allow list, with Vary: Origin)", origin),
		}
		if d.Tainted {
			e.Reason = fmt.Sprintf("The request was redirected from %s to another origin, so the browser sent Origin: null, and %s allows %s, not null.", f.Initial, which, f.Hint)
			e.Fault = faultFrontend
			e.Fix = fmt.Sprintf("call the final URL (%s) directly instead of one that redirects across origins", f.URL)
		} else if sameHostDifferentName(f.Hint, origin) {
			e.Reason += " localhost and 127.0.0.1 (or [::1]) are different origins to the browser."
		} else if strings.TrimSuffix(f.Hint, "/") == origin {
			e.Reason += " An origin has no trailing slash."
		}
		return e
	case errInvalidAllowCredentials:
		got := "is missing"
		if f.Hint != "" {
			got = fmt.Sprintf("is %q", f.Hint)
		}
		return explanation{
			Reason: fmt.Sprintf("The request is sent with credentials (credentials: 'include'), and Access-Control-Allow-Credentials on %s %s; it must be exactly \"true\" (lower case).", which, got),
			Fault:  faultServer,
			Fix:    "send Access-Control-Allow-Credentials: true on " + which,
		}
	case errPreflightInvalidStatus:
		e := explanation{
			Reason: fmt.Sprintf("The preflight OPTIONS got status %d; the browser needs a 2xx (200 or 204) to go on.", res.Status),
			Fault:  faultServer,
			Fix:    fmt.Sprintf("answer OPTIONS %s with 204 No Content (before authentication: browsers never send credentials on a preflight)", f.URL),
		}
		if isGatewayStatus(res.Status) {
			e.Fault = faultProxy
		}
		return e
	case errPreflightDisallowedRedirect:
		return explanation{
			Reason: fmt.Sprintf("The preflight OPTIONS was redirected (%d → %s); browsers never follow a redirect on a preflight.", res.Status, res.Header.Get("Location")),
			Fault:  faultFrontend,
			Fix:    fmt.Sprintf("call the URL the server redirects to (%s) directly — often a missing trailing slash or http→https; or make the server answer OPTIONS without redirecting", res.Header.Get("Location")),
		}
	case errInvalidAllowMethods:
		return explanation{
			Reason: fmt.Sprintf("Access-Control-Allow-Methods %q is not a comma-separated list of method names.", strings.Join(res.Header.Values("Access-Control-Allow-Methods"), ", ")),
			Fault:  faultServer,
			Fix:    fmt.Sprintf("send Access-Control-Allow-Methods: %s (commas, not spaces)", call.Method),
		}
	case errInvalidAllowHeaders:
		return explanation{
			Reason: fmt.Sprintf("Access-Control-Allow-Headers %q is not a comma-separated list of header names.", strings.Join(res.Header.Values("Access-Control-Allow-Headers"), ", ")),
			Fault:  faultServer,
			Fix:    fmt.Sprintf("send Access-Control-Allow-Headers: %s (commas, not spaces)", strings.Join(d.Preflight.UnsafeHeaders, ", ")),
		}
	case errMethodDisallowed:
		allowed := strings.Join(res.Header.Values("Access-Control-Allow-Methods"), ", ")
		e := explanation{
			Reason: fmt.Sprintf("The preflight response allows the methods %q, which does not include %s.", allowed, f.Hint),
			Fault:  faultServer,
			Fix:    fmt.Sprintf("add %s to Access-Control-Allow-Methods", f.Hint),
		}
		if allowed == "" {
			e.Reason = fmt.Sprintf("The preflight response has no Access-Control-Allow-Methods, so only GET, HEAD and POST are allowed, not %s.", f.Hint)
		}
		if up := strings.ToUpper(f.Hint); up != f.Hint {
			e.Reason += fmt.Sprintf(" Method names are case-sensitive: fetch() upper-cases only DELETE, GET, HEAD, OPTIONS, POST and PUT, so %q is sent as written and does not match %q.", f.Hint, up)
			e.Fault = faultFrontend
			e.Fix = fmt.Sprintf("write method: '%s' in the fetch() call (or also list %s in Access-Control-Allow-Methods)", up, f.Hint)
		}
		if call.include() && strings.Contains(allowed, "*") {
			e.Reason += " With credentials, '*' is a literal method name, not a wildcard."
		}
		return e
	case errHeaderDisallowed:
		allowed := strings.Join(res.Header.Values("Access-Control-Allow-Headers"), ", ")
		e := explanation{
			Reason: fmt.Sprintf("The request sets header %s, which is not CORS-safelisted, and the preflight response's Access-Control-Allow-Headers (%q) does not list it.", f.Hint, allowed),
			Fault:  faultServer,
			Fix:    fmt.Sprintf("add %s to Access-Control-Allow-Headers (the full list the browser asked for: %s)", f.Hint, strings.Join(d.Preflight.UnsafeHeaders, ", ")),
		}
		if allowed == "" {
			e.Reason = fmt.Sprintf("The request sets header %s, which is not CORS-safelisted, and the preflight response has no Access-Control-Allow-Headers.", f.Hint)
		}
		if f.Hint == "content-type" {
			e.Reason += " Content-Type is safelisted only for application/x-www-form-urlencoded, multipart/form-data and text/plain."
		}
		if call.include() && strings.Contains(allowed, "*") {
			e.Reason += " With credentials, '*' is a literal header name, not a wildcard."
		}
		return e
	case errRedirectContainsCredentials:
		return explanation{
			Reason: fmt.Sprintf("The server redirected to %s, a URL with a user name and password, which browsers refuse for cross-origin requests.", f.Hint),
			Fault:  faultServer,
			Fix:    "redirect to a URL without user:password@",
		}
	}
	return explanation{}
}

func isGatewayStatus(s int) bool { return s == 502 || s == 503 || s == 504 }

// sameHostDifferentName catches the localhost vs 127.0.0.1 mix-up: two
// origins that differ only in which loopback name they spell.
func sameHostDifferentName(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	if errA != nil || errB != nil || a == b {
		return false
	}
	return ua.Scheme == ub.Scheme && ua.Port() == ub.Port() &&
		web.IsLoopbackHost(ua.Hostname()) && web.IsLoopbackHost(ub.Hostname())
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
