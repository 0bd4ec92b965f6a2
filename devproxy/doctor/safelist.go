package doctor

import (
	"fmt"
	"slices"
	"strings"

	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// Which requests need a CORS-preflight: the Fetch standard's safelists
// (fetch.spec.whatwg.org §2.2.1 methods, §2.2.2 headers) and the request
// normalization fetch() applies before any of it.

// preflightNeed says whether a request needs a preflight, and why.
type preflightNeed struct {
	Needed bool
	// Reasons are one line each: the method and every unsafe header.
	Reasons []string
	// UnsafeHeaders are the lower-cased, sorted names sent in Access-Control-Request-Headers.
	UnsafeHeaders []string
}

// normalizeMethod upper-cases the six methods fetch() normalizes (Fetch
// §2.2.1 "normalize a method") and leaves every other name as written.
func normalizeMethod(m string) string {
	switch up := strings.ToUpper(m); up {
	case "DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT":
		return up
	}
	return m
}

// isForbiddenMethod: fetch() throws a TypeError for these (Fetch §2.2.1).
func isForbiddenMethod(m string) bool {
	switch strings.ToUpper(m) {
	case "CONNECT", "TRACE", "TRACK":
		return true
	}
	return false
}

// isForbiddenRequestHeader reports the headers a script may not set; fetch()
// drops them silently (Fetch §2.2.2 "forbidden request-header").
func isForbiddenRequestHeader(name string) bool {
	n := strings.ToLower(name)
	if strings.HasPrefix(n, "proxy-") || strings.HasPrefix(n, "sec-") {
		return true
	}
	switch n {
	case "accept-charset", "accept-encoding", "access-control-request-headers", "access-control-request-method",
		"connection", "content-length", "cookie", "cookie2", "date", "dnt", "expect", "host", "keep-alive",
		"origin", "referer", "set-cookie", "te", "trailer", "transfer-encoding", "upgrade", "via":
		return true
	}
	return false
}

// Safelisted request-header limits (Fetch §2.2.2): a value over 128 bytes
// is never safelisted, and when the safelisted values add up to more than
// 1024 bytes they all stop being safelisted. With the standard's four
// names (each ≤ 128 bytes) the total cannot pass 1024; Chromium also
// safelists client-hint names (dpr, width, save-data, …), which doctor
// treats as the standard does: not safelisted.
const (
	safelistedValueMax = 128
	safelistedTotalMax = 1024
)

// needsPreflight decides, as Fetch §4.1 main fetch step 12 does, whether the
// request needs a CORS-preflight. The credentials mode never does: it only
// makes the server's answers stricter.
func needsPreflight(method string, header []Header) preflightNeed {
	var need preflightNeed
	if !web.IsSafelistedMethod(method) {
		need.Reasons = append(need.Reasons, fmt.Sprintf("method %s is not CORS-safelisted (only GET, HEAD and POST are)", method))
	}
	unsafe := map[string]bool{}
	var safe []string
	total := 0
	for _, f := range combineHeaders(header) {
		name := strings.ToLower(f.Name)
		if why := unsafeHeaderReason(name, f.Value); why != "" {
			if !unsafe[name] {
				need.Reasons = append(need.Reasons, why)
			}
			unsafe[name] = true
			continue
		}
		safe = append(safe, name)
		total += len(f.Value)
	}
	if total > safelistedTotalMax {
		need.Reasons = append(need.Reasons, fmt.Sprintf("the safelisted header values add up to %d bytes, more than %d", total, safelistedTotalMax))
		for _, n := range safe {
			unsafe[n] = true
		}
	}
	for n := range unsafe {
		need.UnsafeHeaders = append(need.UnsafeHeaders, n)
	}
	slices.Sort(need.UnsafeHeaders)
	need.Needed = len(need.Reasons) > 0
	return need
}

// combineHeaders joins repeated names with ", " as a Headers object does.
func combineHeaders(header []Header) []Header {
	var out []Header
	for _, f := range header {
		i := slices.IndexFunc(out, func(o Header) bool { return strings.EqualFold(o.Name, f.Name) })
		if i >= 0 {
			out[i].Value += ", " + f.Value
			continue
		}
		out = append(out, f)
	}
	return out
}

// unsafeHeaderReason says why a header is not CORS-safelisted, or "" if it is
// (Fetch §2.2.2 "CORS-safelisted request-header").
func unsafeHeaderReason(name, value string) string {
	switch name {
	case "accept", "accept-language", "content-language", "content-type":
	default:
		return fmt.Sprintf("header %s is not CORS-safelisted", name)
	}
	if len(value) > safelistedValueMax {
		return fmt.Sprintf("header %s: a %d-byte value is over the %d-byte limit for safelisted headers", name, len(value), safelistedValueMax)
	}
	switch name {
	case "accept":
		if i := strings.IndexFunc(value, isCORSUnsafeByte); i >= 0 {
			return fmt.Sprintf("header accept: value contains %q, which is not allowed in a safelisted header", value[i])
		}
	case "accept-language", "content-language":
		for i := 0; i < len(value); i++ {
			c := value[i]
			if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || strings.IndexByte(" *,-.;=", c) >= 0) {
				return fmt.Sprintf("header %s: value contains %q, which is not allowed in a safelisted header", name, c)
			}
		}
	case "content-type":
		if !isSafelistedContentType(value) {
			return fmt.Sprintf("header content-type: %s is not one of application/x-www-form-urlencoded, multipart/form-data, text/plain", value)
		}
	}
	return ""
}

// isSafelistedContentType: no CORS-unsafe byte, and a MIME type essence of
// one of the three form encodings (parameters may follow).
func isSafelistedContentType(v string) bool {
	if strings.IndexFunc(v, isCORSUnsafeByte) >= 0 {
		return false
	}
	essence, _, _ := strings.Cut(strings.ToLower(v), ";")
	essence = strings.Trim(essence, " \t\r\n")
	typ, sub, ok := strings.Cut(essence, "/")
	if !ok || !web.IsToken(typ) || !web.IsToken(sub) {
		return false
	}
	switch essence {
	case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
		return true
	}
	return false
}

// isCORSUnsafeByte is Fetch's "CORS-unsafe request-header byte".
func isCORSUnsafeByte(r rune) bool {
	return (r < 0x20 && r != '\t') || strings.ContainsRune("\"():<>?@[\\]{}\x7f", r)
}
