package web

import "net/http"

// Facts from the Fetch standard (fetch.spec.whatwg.org) and Chromium that
// both devproxy's CORS mode and the doctor rely on.

// IsSafelistedMethod reports whether m is a CORS-safelisted method, which
// needs no Access-Control-Allow-Methods entry (Fetch §2.2.1).
func IsSafelistedMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodPost
}

// ChromiumMaxAge is the longest preflight cache Chromium honours, in
// seconds (services/network/cors/preflight_result.cc kMaxTimeout).
const ChromiumMaxAge = 7200
