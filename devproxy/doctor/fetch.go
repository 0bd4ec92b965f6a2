package doctor

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// The browser's side of CORS, as the Fetch standard (fetch.spec.whatwg.org,
// §3.2 "CORS protocol", §4.8 "CORS-preflight fetch", §4.4 "HTTP-redirect
// fetch") defines it and as Chromium implements it (services/network/cors/,
// checked against Chromium 156 in headless runs where the two differ).
// Everything here is pure: diagnose replays a fetch over the responses seen so
// far and either asks for the next request or returns the verdict.

// corsCall is what the page asks fetch() to do.
type corsCall struct {
	URL *url.URL
	// Origin is the page's serialized origin, e.g. "http://localhost:3000".
	Origin string
	// Method is already normalized as fetch() does (see normalizeMethod).
	Method string
	// Header holds the headers the script sets, forbidden ones removed.
	Header []Header
	// Credentials is "omit", "same-origin" or "include".
	Credentials string
	// Read names response headers the script wants to read.
	Read []string
}

func (c corsCall) include() bool { return c.Credentials == "include" }

// wireRequest is one request as the browser puts it on the wire.
type wireRequest struct {
	Preflight bool
	Method    string
	URL       *url.URL
	Header    http.Header
}

// wireResponse is what came back; Err is set when no HTTP answer arrived.
type wireResponse struct {
	Status int
	Header http.Header
	Body   []byte // the first web.CSRFSniffLimit bytes
	Err    error
}

type exchange struct {
	Req wireRequest
	Res wireResponse
}

// corsError mirrors Chromium's network::mojom::CorsError values that a fetch
// from a page can hit.
type corsError int

const (
	errMissingAllowOrigin corsError = iota + 1
	errWildcardOriginNotAllowed
	errMultipleAllowOriginValues
	errInvalidAllowOriginValue
	errAllowOriginMismatch
	errInvalidAllowCredentials
	errPreflightInvalidStatus
	errPreflightDisallowedRedirect
	errInvalidAllowMethods
	errInvalidAllowHeaders
	errMethodDisallowed
	errHeaderDisallowed
	errRedirectContainsCredentials
)

// corsFailure is why the browser blocked the call.
type corsFailure struct {
	Kind corsError
	// Preflight is set when the failing response answered the preflight.
	Preflight bool
	// Hint is the failed parameter Chromium quotes (a header value, a method, a header name).
	Hint string
	// URL is the URL of the failing request; Initial the URL fetch() was given.
	URL, Initial string
	// Response is the failing response's headers and status.
	Response wireResponse
}

// diagnosis is the verdict on one call.
type diagnosis struct {
	Allowed bool
	// SameOrigin means CORS does not apply at all.
	SameOrigin bool
	// Unreachable is set when a request got no HTTP answer: not a CORS problem.
	Unreachable error
	// UnreachableURL and UnreachableMethod name the request that got no answer.
	UnreachableURL, UnreachableMethod string
	TooManyRedirects                  bool
	Preflight                         preflightNeed
	Failure                           *corsFailure
	// Final is the response the page reads once CORS allowed the call.
	Final wireResponse
	// Tainted is set when a cross-origin redirect made the browser send Origin: null.
	Tainted   bool
	Warnings  []string
	Exchanges []exchange
}

// maxRedirects is Fetch's redirect limit (§4.4 step 5); Chromium uses the same.
const maxRedirects = 20

// Preflight cache limits: Chromium caps Access-Control-Max-Age at 2 h
// (services/network/cors/preflight_result.cc kMaxTimeout), Firefox at 24 h,
// and Chromium caches a preflight without the header for 5 s.
const (
	firefoxMaxAge         = 86400
	chromiumDefaultMaxAge = 5
)

// replay hands out the recorded responses in order and notes the first
// request it has no response for.
type replay struct {
	got  []wireResponse
	used int
	ex   []exchange
	next *wireRequest
}

func (rp *replay) send(req wireRequest) (wireResponse, bool) {
	if rp.used == len(rp.got) {
		rp.next = &req
		return wireResponse{}, false
	}
	res := rp.got[rp.used]
	rp.used++
	rp.ex = append(rp.ex, exchange{req, res})
	return res, true
}

// diagnose replays fetch(call) over responses, given in the order the browser
// would receive them. If it needs another response it returns the request to
// send and a nil diagnosis.
func diagnose(call corsCall, responses []wireResponse) (*wireRequest, *diagnosis) {
	rp := &replay{got: responses}
	d := &diagnosis{Preflight: needsPreflight(call.Method, call.Header)}
	if web.OriginOf(call.URL) == call.Origin {
		d.SameOrigin, d.Allowed = true, true
		return nil, d
	}
	done := fetch(call, rp, d)
	d.Exchanges = rp.ex
	if !done {
		return rp.next, nil
	}
	return nil, d
}

// fetch is the fetch algorithm; it returns false when it ran out of responses.
func fetch(call corsCall, rp *replay, d *diagnosis) bool {
	cur, method, header := call.URL, call.Method, call.Header
	initial := canonicalURL(call.URL)
	for hop := 0; ; hop++ {
		if hop > maxRedirects {
			d.TooManyRedirects = true
			return true
		}
		origin := call.Origin
		if d.Tainted {
			origin = "null"
		}
		if need := needsPreflight(method, header); need.Needed {
			req := preflightRequest(cur, origin, method, need)
			res, ok := rp.send(req)
			if !ok {
				return false
			}
			if res.Err != nil {
				d.Unreachable, d.UnreachableURL, d.UnreachableMethod = res.Err, canonicalURL(cur), http.MethodOptions
				return true
			}
			if f := checkPreflight(call, method, header, origin, res, d); f != nil {
				f.URL, f.Initial, f.Response = canonicalURL(cur), initial, res
				d.Failure = f
				return true
			}
		}
		res, ok := rp.send(actualRequest(cur, origin, method, header))
		if !ok {
			return false
		}
		if res.Err != nil {
			d.Unreachable, d.UnreachableURL, d.UnreachableMethod = res.Err, canonicalURL(cur), method
			return true
		}
		// Fetch §4.3 HTTP fetch step 4.3: the CORS check runs on every
		// response of a CORS request, redirects included.
		if f := checkAccess(res.Header, origin, call.include()); f != nil {
			f.URL, f.Initial, f.Response = canonicalURL(cur), initial, res
			d.Failure = f
			return true
		}
		loc, isRedirect := redirectTarget(cur, res)
		if !isRedirect {
			d.Allowed = true
			d.Final = res
			d.Warnings = append(d.Warnings, responseWarnings(call, origin, res)...)
			d.Warnings = append(d.Warnings, cookieWarnings(call, origin, cur, res)...)
			return true
		}
		if loc.User != nil {
			d.Failure = &corsFailure{Kind: errRedirectContainsCredentials, Hint: canonicalURL(loc), URL: canonicalURL(cur), Initial: initial, Response: res}
			return true
		}
		// Fetch §4.4 step 13 and "request's redirect-taint": a hop between
		// two origins, neither of them the page's, makes the origin opaque.
		if web.OriginOf(loc) != web.OriginOf(cur) && web.OriginOf(cur) != call.Origin {
			d.Tainted = true
		}
		// Fetch §4.4 step 12: 301/302 turn POST into GET, 303 turns
		// everything but GET/HEAD into GET; the body headers go with the body.
		if ((res.Status == 301 || res.Status == 302) && method == http.MethodPost) ||
			(res.Status == 303 && method != http.MethodGet && method != http.MethodHead) {
			method = http.MethodGet
			header = withoutBodyHeaders(header)
		}
		cur = loc
	}
}

// checkPreflight runs the preflight's checks in Chromium's order
// (preflight_controller.cc CreatePreflightResult, CheckPreflightResult).
func checkPreflight(call corsCall, method string, header []Header, origin string, res wireResponse, d *diagnosis) *corsFailure {
	if _, redirect := redirectTarget(call.URL, res); redirect {
		return &corsFailure{Kind: errPreflightDisallowedRedirect, Preflight: true}
	}
	if f := checkAccess(res.Header, origin, call.include()); f != nil {
		f.Preflight = true
		return f
	}
	if res.Status < 200 || res.Status > 299 {
		return &corsFailure{Kind: errPreflightInvalidStatus, Preflight: true}
	}
	methods, ok := parseAllowList(res.Header.Values("Access-Control-Allow-Methods"), false)
	if !ok {
		return &corsFailure{Kind: errInvalidAllowMethods}
	}
	allowedHeaders, ok := parseAllowList(res.Header.Values("Access-Control-Allow-Headers"), true)
	if !ok {
		return &corsFailure{Kind: errInvalidAllowHeaders}
	}
	wildcard := !call.include()
	// Methods compare case-sensitively (Fetch §4.8 step 7.5; Chromium 156
	// follows the standard: "patch" is not allowed by "PATCH").
	if !slices.Contains(methods, method) && !web.IsSafelistedMethod(method) && !(wildcard && slices.Contains(methods, "*")) {
		return &corsFailure{Kind: errMethodDisallowed, Hint: method}
	}
	unsafe := needsPreflight(method, header).UnsafeHeaders
	if wildcard && slices.Contains(allowedHeaders, "*") {
		// The standard never lets "*" cover Authorization (Fetch §4.8 step
		// 7.7, "CORS non-wildcard request-header name"); Chromium 156 still does.
		if slices.Contains(unsafe, "authorization") && !slices.Contains(allowedHeaders, "authorization") {
			d.Warnings = append(d.Warnings, warnAuthorizationWildcard)
		}
	} else {
		for _, name := range unsafe {
			if !slices.Contains(allowedHeaders, name) {
				return &corsFailure{Kind: errHeaderDisallowed, Hint: name}
			}
		}
	}
	d.Warnings = append(d.Warnings, maxAgeWarnings(res.Header)...)
	if w := varyWarning(res.Header, origin); w != "" {
		d.Warnings = append(d.Warnings, "preflight: "+w)
	}
	return nil
}

const warnAuthorizationWildcard = "Chromium allows Authorization here only because it still lets Access-Control-Allow-Headers: * cover it. " +
	"The Fetch standard says * never covers Authorization, Firefox enforces that behind a preference and Chromium plans to: " +
	"list it explicitly (Access-Control-Allow-Headers: authorization, *)"

// checkAccess is the CORS check (Fetch §4.10), with Chromium's finer-grained
// error kinds (services/network/public/cpp/cors/cors.cc CheckAccess).
func checkAccess(h http.Header, origin string, include bool) *corsFailure {
	vals, present := h["Access-Control-Allow-Origin"]
	// Repeated header lines reach the check joined by ", ", as in Chromium.
	acao := strings.Join(vals, ", ")
	switch {
	case present && acao == "*":
		if include {
			return &corsFailure{Kind: errWildcardOriginNotAllowed}
		}
		return nil
	case !present:
		return &corsFailure{Kind: errMissingAllowOrigin}
	case acao != origin:
		switch {
		case strings.ContainsAny(acao, " ,"):
			return &corsFailure{Kind: errMultipleAllowOriginValues, Hint: acao}
		case acao == "null":
			return &corsFailure{Kind: errAllowOriginMismatch, Hint: acao}
		case !looksLikeURL(acao):
			return &corsFailure{Kind: errInvalidAllowOriginValue, Hint: acao}
		}
		return &corsFailure{Kind: errAllowOriginMismatch, Hint: acao}
	}
	if include {
		// Exactly "true", case-sensitively (Fetch §3.2.3).
		acac := strings.Join(h.Values("Access-Control-Allow-Credentials"), ", ")
		if acac != "true" {
			return &corsFailure{Kind: errInvalidAllowCredentials, Hint: acac}
		}
	}
	return nil
}

// looksLikeURL approximates Chromium's GURL validity: an absolute URL with a scheme.
func looksLikeURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != ""
}

// parseAllowList parses Access-Control-Allow-Methods/-Headers: a comma list
// of tokens (Fetch §3.2.3); anything else fails the preflight.
func parseAllowList(vals []string, lower bool) ([]string, bool) {
	var out []string
	for _, v := range vals {
		for item := range strings.SplitSeq(v, ",") {
			item = strings.Trim(item, " \t")
			if item == "" {
				continue
			}
			if !web.IsToken(item) {
				return nil, false
			}
			if lower {
				item = strings.ToLower(item)
			}
			out = append(out, item)
		}
	}
	return out, true
}

// redirectTarget reports whether res redirects (a redirect status with a
// Location, as Fetch §4.3 step 8 and net/ treat it) and where to.
func redirectTarget(cur *url.URL, res wireResponse) (*url.URL, bool) {
	switch res.Status {
	case 301, 302, 303, 307, 308:
	default:
		return nil, false
	}
	loc := res.Header.Get("Location")
	if loc == "" {
		return nil, false
	}
	u, err := cur.Parse(loc)
	if err != nil {
		return nil, false
	}
	u.Fragment, u.RawFragment = "", ""
	return u, true
}

func preflightRequest(u *url.URL, origin, method string, need preflightNeed) wireRequest {
	h := http.Header{}
	h.Set("Accept", "*/*")
	h.Set("Origin", origin)
	h.Set("Access-Control-Request-Method", method)
	if len(need.UnsafeHeaders) > 0 {
		// Lower-cased, sorted, joined by "," without spaces, as Chromium sends it.
		h.Set("Access-Control-Request-Headers", strings.Join(need.UnsafeHeaders, ","))
	}
	h.Set("Sec-Fetch-Mode", "cors")
	return wireRequest{Preflight: true, Method: http.MethodOptions, URL: u, Header: h}
}

func actualRequest(u *url.URL, origin, method string, header []Header) wireRequest {
	h := http.Header{}
	h.Set("Accept", "*/*")
	for _, f := range header {
		if strings.EqualFold(f.Name, "Accept") {
			h.Del("Accept")
		}
	}
	for _, f := range header {
		h.Add(f.Name, f.Value)
	}
	h.Set("Origin", origin)
	h.Set("Sec-Fetch-Mode", "cors")
	return wireRequest{Method: method, URL: u, Header: h}
}

func withoutBodyHeaders(header []Header) []Header {
	return slices.DeleteFunc(slices.Clone(header), func(f Header) bool {
		switch strings.ToLower(f.Name) {
		case "content-encoding", "content-language", "content-location", "content-type":
			return true
		}
		return false
	})
}

func maxAgeWarnings(h http.Header) []string {
	v := h.Get("Access-Control-Max-Age")
	if v == "" {
		return []string{fmt.Sprintf("no Access-Control-Max-Age: Chromium caches this preflight for only %d s, so nearly every call costs an extra OPTIONS round trip; send Access-Control-Max-Age: %d", chromiumDefaultMaxAge, web.ChromiumMaxAge)}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err != nil:
		return []string{fmt.Sprintf("Access-Control-Max-Age %q is not a number of seconds: Chromium caches the preflight for %d s", v, chromiumDefaultMaxAge)}
	case n < 0:
		return []string{fmt.Sprintf("Access-Control-Max-Age %d is negative: the preflight is not cached", n)}
	case n > firefoxMaxAge:
		return []string{fmt.Sprintf("Access-Control-Max-Age %d: Chromium caps it at %d s (2 h) and Firefox at %d s (24 h)", n, web.ChromiumMaxAge, firefoxMaxAge)}
	case n > web.ChromiumMaxAge:
		return []string{fmt.Sprintf("Access-Control-Max-Age %d: Chromium caps it at %d s (2 h); Firefox honours up to %d s", n, web.ChromiumMaxAge, firefoxMaxAge)}
	}
	return nil
}

// varyWarning: an echoed origin without Vary: Origin lets a cache (the
// browser's, a CDN, a proxy) replay one origin's answer to another.
func varyWarning(h http.Header, origin string) string {
	if h.Get("Access-Control-Allow-Origin") != origin || origin == "*" {
		return ""
	}
	for _, v := range h.Values("Vary") {
		for item := range strings.SplitSeq(v, ",") {
			item = strings.TrimSpace(item)
			if strings.EqualFold(item, "Origin") || item == "*" {
				return ""
			}
		}
	}
	return "Access-Control-Allow-Origin echoes the origin but Vary does not name Origin: a cache can serve this answer to a page from another origin; add Vary: Origin"
}

// safelistedResponseHeaders are readable without Access-Control-Expose-Headers (Fetch §2.2.2).
var safelistedResponseHeaders = []string{"cache-control", "content-language", "content-length", "content-type", "expires", "last-modified", "pragma"}

// responseWarnings covers what is allowed but will still surprise: headers
// the script cannot read, and a missing Vary: Origin.
func responseWarnings(call corsCall, origin string, res wireResponse) []string {
	var out []string
	if w := varyWarning(res.Header, origin); w != "" {
		out = append(out, w)
	}
	exposed, _ := parseAllowList(res.Header.Values("Access-Control-Expose-Headers"), true)
	for _, name := range call.Read {
		n := strings.ToLower(name)
		if slices.Contains(safelistedResponseHeaders, n) || slices.Contains(exposed, n) {
			continue
		}
		if !call.include() && slices.Contains(exposed, "*") {
			continue
		}
		why := "it is not listed in Access-Control-Expose-Headers"
		if call.include() && slices.Contains(exposed, "*") {
			why = "Access-Control-Expose-Headers: * is a literal name, not a wildcard, when credentials are included"
		}
		out = append(out, fmt.Sprintf("response.headers.get(%q) will return null: %s; add Access-Control-Expose-Headers: %s", name, why, name))
	}
	return out
}

// canonicalURL is the URL as Chromium prints it: canonical origin, "/" for
// an empty path, no fragment.
func canonicalURL(u *url.URL) string {
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	s := web.OriginOf(u) + path
	if u.RawQuery != "" || u.ForceQuery {
		s += "?" + u.RawQuery
	}
	return s
}
