package doctor

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

const (
	testAPI    = "https://api.example.com/data"
	testOrigin = "http://localhost:3000"
)

// res builds a response from "Name: value" lines.
func res(status int, lines ...string) wireResponse {
	h := http.Header{}
	for _, l := range lines {
		k, v, _ := strings.Cut(l, ": ")
		h.Add(k, v)
	}
	return wireResponse{Status: status, Header: h}
}

func testCall(t *testing.T, method, credentials string, headers ...string) corsCall {
	t.Helper()
	u, err := url.Parse(testAPI)
	if err != nil {
		t.Fatal(err)
	}
	var hs []Header
	for _, l := range headers {
		k, v, _ := strings.Cut(l, ": ")
		hs = append(hs, Header{k, v})
	}
	if credentials == "" {
		credentials = "same-origin"
	}
	return corsCall{URL: u, Origin: testOrigin, Method: normalizeMethod(method), Header: hs, Credentials: credentials}
}

// run feeds responses to diagnose one at a time, as the CLI does, and
// returns the requests it asked for and the verdict.
func runDiagnose(t *testing.T, call corsCall, responses []wireResponse) ([]wireRequest, *diagnosis) {
	t.Helper()
	var sent []wireRequest
	for i := 0; i <= len(responses); i++ {
		next, d := diagnose(call, responses[:i])
		if d != nil {
			if i != len(responses) {
				t.Fatalf("diagnosis after %d of %d responses", i, len(responses))
			}
			return sent, d
		}
		sent = append(sent, *next)
	}
	t.Fatalf("diagnose still wants a request after all %d responses: %s %s", len(responses), sent[len(sent)-1].Method, sent[len(sent)-1].URL)
	return nil, nil
}

func TestDiagnose(t *testing.T) {
	acao := "Access-Control-Allow-Origin: " + testOrigin
	tests := []struct {
		name        string
		method      string
		credentials string
		headers     []string
		responses   []wireResponse
		wantKind    corsError // 0: allowed
		wantHint    string
		wantPre     bool // failure is on the preflight
		wantConsole string
		wantWarning string // substring of some warning
	}{
		{name: "no ACAO", method: "GET", responses: []wireResponse{res(200)}, wantKind: errMissingAllowOrigin,
			wantConsole: "Access to fetch at 'https://api.example.com/data' from origin 'http://localhost:3000' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource."},
		{name: "wildcard allowed without credentials", method: "GET", responses: []wireResponse{res(200, "Access-Control-Allow-Origin: *")}},
		{name: "cookie without credentials is ignored", method: "GET", responses: []wireResponse{res(200, "Access-Control-Allow-Origin: *", "Set-Cookie: sid=1; Path=/")},
			wantWarning: "ignores Set-Cookie on a cross-origin response unless the request uses credentials: 'include'"},
		{name: "cross-site Lax cookie is not stored", method: "GET", credentials: "include", responses: []wireResponse{res(200, acao, "Access-Control-Allow-Credentials: true", "Vary: Origin", "Set-Cookie: sid=1; Path=/")},
			wantWarning: `Chromium will not store cookie "sid": api.example.com is a different site from localhost`},
		{name: "SameSite=None needs Secure", method: "GET", credentials: "include", responses: []wireResponse{res(200, acao, "Access-Control-Allow-Credentials: true", "Vary: Origin", "Set-Cookie: sid=1; SameSite=None")},
			wantWarning: `Chromium rejects cookie "sid": SameSite=None requires Secure`},
		{name: "SameSite=None Secure is a third-party cookie", method: "GET", credentials: "include", responses: []wireResponse{res(200, acao, "Access-Control-Allow-Credentials: true", "Vary: Origin", "Set-Cookie: sid=1; SameSite=None; Secure")},
			wantWarning: `cookie "sid" is a third-party cookie`},
		{name: "wildcard with credentials", method: "GET", credentials: "include", responses: []wireResponse{res(200, "Access-Control-Allow-Origin: *", "Access-Control-Allow-Credentials: true")},
			wantKind: errWildcardOriginNotAllowed},
		{name: "wildcard with same-origin credentials is fine cross-origin", method: "GET", credentials: "same-origin", responses: []wireResponse{res(200, "Access-Control-Allow-Origin: *")}},
		{name: "preflight without ACAO", method: "PUT", responses: []wireResponse{res(204)}, wantKind: errMissingAllowOrigin, wantPre: true,
			wantConsole: "Access to fetch at 'https://api.example.com/data' from origin 'http://localhost:3000' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource."},
		{name: "preflight 401 without ACAO reports ACAO first", method: "PUT", responses: []wireResponse{res(401)}, wantKind: errMissingAllowOrigin, wantPre: true},
		{name: "preflight not ok status", method: "PUT", responses: []wireResponse{res(405, acao, "Access-Control-Allow-Methods: PUT")}, wantKind: errPreflightInvalidStatus, wantPre: true,
			wantConsole: "Access to fetch at 'https://api.example.com/data' from origin 'http://localhost:3000' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status."},
		{name: "preflight redirect", method: "PUT", responses: []wireResponse{res(301, "Location: /data/", acao)}, wantKind: errPreflightDisallowedRedirect, wantPre: true,
			wantConsole: "Access to fetch at 'https://api.example.com/data' from origin 'http://localhost:3000' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: Redirect is not allowed for a preflight request."},
		{name: "method not allowed", method: "DELETE", responses: []wireResponse{res(204, acao, "Access-Control-Allow-Methods: GET, PUT")}, wantKind: errMethodDisallowed, wantHint: "DELETE",
			wantConsole: "Access to fetch at 'https://api.example.com/data' from origin 'http://localhost:3000' has been blocked by CORS policy: Method DELETE is not allowed by Access-Control-Allow-Methods in preflight response."},
		{name: "lower-case delete is normalized", method: "delete", responses: []wireResponse{res(204, acao, "Access-Control-Allow-Methods: DELETE"), res(200, acao, "Vary: Origin")},
			wantWarning: "Access-Control-Max-Age"},
		{name: "patch is case-sensitive", method: "patch", responses: []wireResponse{res(204, acao, "Access-Control-Allow-Methods: PATCH")}, wantKind: errMethodDisallowed, wantHint: "patch"},
		{name: "PATCH matches PATCH", method: "PATCH", responses: []wireResponse{res(204, acao, "Access-Control-Allow-Methods: PATCH", "Access-Control-Max-Age: 600"), res(200, acao, "Vary: Origin")}},
		{name: "method wildcard without credentials", method: "patch", responses: []wireResponse{res(204, acao, "Access-Control-Allow-Methods: *", "Access-Control-Max-Age: 60"), res(200, acao, "Vary: Origin")}},
		{name: "method wildcard is literal with credentials", method: "PUT", credentials: "include",
			responses: []wireResponse{res(204, acao, "Access-Control-Allow-Credentials: true", "Access-Control-Allow-Methods: *")}, wantKind: errMethodDisallowed, wantHint: "PUT"},
		{name: "header not allowed", method: "GET", headers: []string{"X-Custom-Header: v"}, responses: []wireResponse{res(204, acao, "Access-Control-Allow-Headers: x-other")},
			wantKind: errHeaderDisallowed, wantHint: "x-custom-header",
			wantConsole: "Access to fetch at 'https://api.example.com/data' from origin 'http://localhost:3000' has been blocked by CORS policy: Request header field x-custom-header is not allowed by Access-Control-Allow-Headers in preflight response."},
		{name: "header names compare case-insensitively", method: "GET", headers: []string{"X-Custom-Header: v"}, responses: []wireResponse{res(204, acao, "Access-Control-Allow-Headers: X-CUSTOM-HEADER", "Access-Control-Max-Age: 7200"), res(200, acao, "Vary: Origin")}},
		{name: "first missing header in sorted order", method: "GET", headers: []string{"X-Zed: 1", "X-Alpha: 2"}, responses: []wireResponse{res(204, acao)},
			wantKind: errHeaderDisallowed, wantHint: "x-alpha"},
		{name: "json content-type needs allowing", method: "POST", headers: []string{"Content-Type: application/json"}, responses: []wireResponse{res(204, acao)},
			wantKind: errHeaderDisallowed, wantHint: "content-type"},
		{name: "text/plain with charset needs no preflight", method: "POST", headers: []string{"Content-Type: text/plain;charset=UTF-8"}, responses: []wireResponse{res(200, acao, "Vary: Origin")}},
		{name: "multiple ACAO values", method: "GET", responses: []wireResponse{res(200, acao, acao)}, wantKind: errMultipleAllowOriginValues, wantHint: testOrigin + ", " + testOrigin,
			wantConsole: "Access to fetch at 'https://api.example.com/data' from origin 'http://localhost:3000' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header contains multiple values 'http://localhost:3000, http://localhost:3000', but only one is allowed. Have the server send the header with a valid value."},
		{name: "ACAO mismatch", method: "GET", responses: []wireResponse{res(200, "Access-Control-Allow-Origin: http://127.0.0.1:3000")}, wantKind: errAllowOriginMismatch, wantHint: "http://127.0.0.1:3000",
			wantConsole: "Access to fetch at 'https://api.example.com/data' from origin 'http://localhost:3000' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value 'http://127.0.0.1:3000' that is not equal to the supplied origin. Have the server send the header with a valid value."},
		{name: "ACAO with trailing slash", method: "GET", responses: []wireResponse{res(200, "Access-Control-Allow-Origin: http://localhost:3000/")}, wantKind: errAllowOriginMismatch, wantHint: "http://localhost:3000/"},
		{name: "ACAO not a URL", method: "GET", responses: []wireResponse{res(200, "Access-Control-Allow-Origin: localhost")}, wantKind: errInvalidAllowOriginValue, wantHint: "localhost"},
		{name: "ACAO null mismatches a real origin", method: "GET", responses: []wireResponse{res(200, "Access-Control-Allow-Origin: null")}, wantKind: errAllowOriginMismatch, wantHint: "null"},
		{name: "ACAC missing", method: "GET", credentials: "include", responses: []wireResponse{res(200, acao)}, wantKind: errInvalidAllowCredentials, wantHint: "",
			wantConsole: "Access to fetch at 'https://api.example.com/data' from origin 'http://localhost:3000' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Credentials' header in the response is '' which must be 'true' when the request's credentials mode is 'include'."},
		{name: "ACAC True is not true", method: "GET", credentials: "include", responses: []wireResponse{res(200, acao, "Access-Control-Allow-Credentials: True")}, wantKind: errInvalidAllowCredentials, wantHint: "True"},
		{name: "ACAC on preflight", method: "PUT", credentials: "include", responses: []wireResponse{res(204, acao, "Access-Control-Allow-Methods: PUT")}, wantKind: errInvalidAllowCredentials, wantPre: true},
		{name: "credentials allowed", method: "GET", credentials: "include", responses: []wireResponse{res(200, acao, "Access-Control-Allow-Credentials: true", "Vary: Origin")}},
		{name: "authorization covered by star in Chromium", method: "GET", headers: []string{"Authorization: Bearer x"},
			responses:   []wireResponse{res(204, "Access-Control-Allow-Origin: *", "Access-Control-Allow-Headers: *", "Access-Control-Max-Age: 7200"), res(200, "Access-Control-Allow-Origin: *")},
			wantWarning: "Fetch standard says * never covers Authorization"},
		{name: "authorization listed explicitly", method: "GET", headers: []string{"Authorization: Bearer x"},
			responses: []wireResponse{res(204, "Access-Control-Allow-Origin: *", "Access-Control-Allow-Headers: authorization, *", "Access-Control-Max-Age: 7200"), res(200, "Access-Control-Allow-Origin: *")}},
		{name: "header star is literal with credentials", method: "GET", credentials: "include", headers: []string{"Authorization: Bearer x"},
			responses: []wireResponse{res(204, acao, "Access-Control-Allow-Credentials: true", "Access-Control-Allow-Headers: *")}, wantKind: errHeaderDisallowed, wantHint: "authorization"},
		{name: "unparsable allow-methods", method: "PUT", responses: []wireResponse{res(204, acao, "Access-Control-Allow-Methods: PUT DELETE")}, wantKind: errInvalidAllowMethods,
			wantConsole: "Access to fetch at 'https://api.example.com/data' from origin 'http://localhost:3000' has been blocked by CORS policy: Cannot parse Access-Control-Allow-Methods response header field in preflight response."},
		{name: "preflight passes, actual lacks ACAO", method: "PUT", responses: []wireResponse{res(204, acao, "Access-Control-Allow-Methods: PUT", "Access-Control-Max-Age: 7200"), res(200)}, wantKind: errMissingAllowOrigin},
		{name: "max-age over Chromium's cap", method: "PUT", responses: []wireResponse{res(204, acao, "Access-Control-Allow-Methods: PUT", "Access-Control-Max-Age: 86400"), res(200, acao, "Vary: Origin")},
			wantWarning: "Chromium caps it at 7200 s (2 h); Firefox honours up to 86400 s"},
		{name: "max-age over Firefox's cap", method: "PUT", responses: []wireResponse{res(204, acao, "Access-Control-Allow-Methods: PUT", "Access-Control-Max-Age: 100000"), res(200, acao, "Vary: Origin")},
			wantWarning: "Firefox at 86400 s"},
		{name: "echoed origin without Vary", method: "GET", responses: []wireResponse{res(200, acao)}, wantWarning: "add Vary: Origin"},
		{name: "redirect hop without ACAO", method: "GET", responses: []wireResponse{res(302, "Location: /v2/data")}, wantKind: errMissingAllowOrigin},
		{name: "same-origin redirect keeps the origin", method: "GET",
			responses: []wireResponse{res(302, "Location: /v2/data", acao, "Vary: Origin"), res(200, acao, "Vary: Origin")}},
		{name: "cross-origin redirect taints the origin", method: "GET",
			responses: []wireResponse{res(302, "Location: https://cdn.example.net/data", "Access-Control-Allow-Origin: *"), res(200, acao, "Vary: Origin")},
			wantKind:  errAllowOriginMismatch, wantHint: testOrigin,
			wantConsole: "Access to fetch at 'https://cdn.example.net/data' (redirected from 'https://api.example.com/data') from origin 'http://localhost:3000' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value 'http://localhost:3000' that is not equal to the supplied origin. Have the server send the header with a valid value."},
		{name: "tainted origin allowed by ACAO null", method: "GET",
			responses: []wireResponse{res(302, "Location: https://cdn.example.net/data", "Access-Control-Allow-Origin: *"), res(200, "Access-Control-Allow-Origin: null", "Vary: Origin")}},
		{name: "redirect with credentials in the location", method: "GET",
			responses: []wireResponse{res(302, "Location: https://user:pw@cdn.example.net/data", "Access-Control-Allow-Origin: *")}, wantKind: errRedirectContainsCredentials, wantHint: "https://cdn.example.net/data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			call := testCall(t, tt.method, tt.credentials, tt.headers...)
			_, d := runDiagnose(t, call, tt.responses)
			if tt.wantKind == 0 {
				if !d.Allowed || d.Failure != nil {
					t.Fatalf("diagnose = blocked (%+v), want allowed", d.Failure)
				}
			} else {
				if d.Allowed || d.Failure == nil {
					t.Fatalf("diagnose = allowed, want blocked with kind %d", tt.wantKind)
				}
				f := d.Failure
				if f.Kind != tt.wantKind || f.Hint != tt.wantHint || f.Preflight != tt.wantPre {
					t.Errorf("failure = kind %d hint %q preflight %v, want kind %d hint %q preflight %v", f.Kind, f.Hint, f.Preflight, tt.wantKind, tt.wantHint, tt.wantPre)
				}
				if tt.wantConsole != "" {
					if got := chromiumConsoleText(f, call.Origin); got != tt.wantConsole {
						t.Errorf("console =\n  %s\nwant\n  %s", got, tt.wantConsole)
					}
				}
				if e := explain(call, d); e.Reason == "" || e.Fault == "" || e.Fix == "" {
					t.Errorf("explain = %+v, want reason, fault and fix", e)
				}
			}
			if tt.wantWarning != "" && !slices.ContainsFunc(d.Warnings, func(w string) bool { return strings.Contains(w, tt.wantWarning) }) {
				t.Errorf("warnings = %q, want one containing %q", d.Warnings, tt.wantWarning)
			}
		})
	}
}

func TestSiteOf(t *testing.T) {
	for host, want := range map[string]string{
		"localhost": "localhost", "app.localhost": "localhost", "127.0.0.1": "127.0.0.1", "::1": "::1",
		"api.example.com": "example.com", "example.com": "example.com", "a.b.example.com.": "example.com", "devbox": "devbox",
		// Public suffixes longer than one label: the last two labels are not the site.
		"a.example.co.uk": "example.co.uk", "b.example.co.uk": "example.co.uk", "co.uk": "co.uk",
		"alice.github.io": "alice.github.io", "api.alice.github.io": "alice.github.io", "github.io": "github.io",
		"my-app.vercel.app": "my-app.vercel.app", "api.vercel.app": "api.vercel.app",
	} {
		if got := siteOf(host); got != want {
			t.Errorf("siteOf(%q) = %q, want %q", host, got, want)
		}
	}
	// The cookie warning follows: a page on one github.io project calling
	// another is cross-site, two hosts of example.co.uk are not.
	for _, tt := range []struct {
		page, api string
		cross     bool
	}{
		{"https://alice.github.io", "https://bob.github.io/api", true},
		{"https://www.example.co.uk", "https://api.example.co.uk/me", false},
		{"https://front.vercel.app", "https://back.vercel.app/me", true},
	} {
		u, _ := url.Parse(tt.api)
		call := corsCall{URL: u, Origin: tt.page, Method: "GET", Credentials: "include"}
		ws := cookieWarnings(call, tt.page, u, wireResponse{Status: 200, Header: http.Header{"Set-Cookie": {"s=1; Path=/; Secure"}}})
		if got := len(ws) > 0; got != tt.cross {
			t.Errorf("cookie from %s for a page on %s: warnings %q, want cross-site = %v", tt.api, tt.page, ws, tt.cross)
		}
	}
}

func TestDiagnoseWireRequests(t *testing.T) {
	t.Run("preflight request headers", func(t *testing.T) {
		call := testCall(t, "put", "", "X-Zed: 1", "Content-Type: application/json", "X-Alpha: 2")
		sent, _ := runDiagnose(t, call, []wireResponse{res(204)})
		pf := sent[0]
		if !pf.Preflight || pf.Method != "OPTIONS" {
			t.Fatalf("first request = %s preflight=%v, want OPTIONS preflight", pf.Method, pf.Preflight)
		}
		for k, want := range map[string]string{"Origin": testOrigin, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type,x-alpha,x-zed"} {
			if got := pf.Header.Get(k); got != want {
				t.Errorf("preflight %s = %q, want %q", k, got, want)
			}
		}
	})
	t.Run("tainted origin is sent as null, with a new preflight", func(t *testing.T) {
		call := testCall(t, "PUT", "")
		pfOK := res(204, "Access-Control-Allow-Origin: *", "Access-Control-Allow-Methods: PUT")
		sent, d := runDiagnose(t, call, []wireResponse{pfOK, res(307, "Location: https://cdn.example.net/x", "Access-Control-Allow-Origin: *"), pfOK, res(200, "Access-Control-Allow-Origin: *")})
		if !d.Allowed || !d.Tainted {
			t.Fatalf("allowed=%v tainted=%v, want both", d.Allowed, d.Tainted)
		}
		if got := []string{sent[2].Method, sent[2].Header.Get("Origin"), sent[3].Method, sent[3].Header.Get("Origin")}; !slices.Equal(got, []string{"OPTIONS", "null", "PUT", "null"}) {
			t.Errorf("after the redirect sent %q, want OPTIONS null PUT null", got)
		}
	})
	t.Run("303 turns POST into GET without body headers", func(t *testing.T) {
		call := testCall(t, "POST", "", "Content-Type: application/json")
		ok := "Access-Control-Allow-Origin: *"
		sent, d := runDiagnose(t, call, []wireResponse{res(204, ok, "Access-Control-Allow-Headers: content-type"), res(303, "Location: /result", ok), res(200, ok)})
		if !d.Allowed {
			t.Fatalf("blocked: %+v", d.Failure)
		}
		last := sent[len(sent)-1]
		if last.Method != "GET" || last.Header.Get("Content-Type") != "" || last.Preflight {
			t.Errorf("after 303 sent %s content-type=%q preflight=%v, want GET without content-type and no preflight", last.Method, last.Header.Get("Content-Type"), last.Preflight)
		}
	})
	t.Run("redirect loop stops", func(t *testing.T) {
		call := testCall(t, "GET", "")
		var rs []wireResponse
		for range maxRedirects + 1 {
			rs = append(rs, res(302, "Location: /data", "Access-Control-Allow-Origin: *"))
		}
		_, d := runDiagnose(t, call, rs)
		if !d.TooManyRedirects {
			t.Errorf("TooManyRedirects = false after %d redirects", len(rs))
		}
	})
	t.Run("same origin sends nothing", func(t *testing.T) {
		call := testCall(t, "PUT", "")
		call.Origin = "https://api.example.com"
		sent, d := runDiagnose(t, call, nil)
		if len(sent) != 0 || !d.SameOrigin {
			t.Errorf("sent %d requests, sameOrigin=%v; want 0, true", len(sent), d.SameOrigin)
		}
	})
}

func TestNeedsPreflight(t *testing.T) {
	long := strings.Repeat("a", safelistedValueMax+1)
	tests := []struct {
		name    string
		method  string
		headers []string
		want    bool
		unsafe  string
	}{
		{"GET plain", "GET", nil, false, ""},
		{"HEAD plain", "HEAD", nil, false, ""},
		{"POST form", "POST", []string{"Content-Type: application/x-www-form-urlencoded"}, false, ""},
		{"POST multipart with boundary", "POST", []string{"Content-Type: multipart/form-data; boundary=xyz"}, false, ""},
		{"POST text/plain upper case", "POST", []string{"Content-Type: TEXT/PLAIN"}, false, ""},
		{"POST json", "POST", []string{"Content-Type: application/json"}, true, "content-type"},
		{"text/plain with unsafe byte", "POST", []string{"Content-Type: text/plain; x=\"y\""}, true, "content-type"},
		{"not a MIME type", "POST", []string{"Content-Type: text"}, true, "content-type"},
		{"PUT", "PUT", nil, true, ""},
		{"lower-case patch", "patch", nil, true, ""},
		{"custom header", "GET", []string{"X-Requested-With: XMLHttpRequest"}, true, "x-requested-with"},
		{"authorization", "GET", []string{"Authorization: Bearer t"}, true, "authorization"},
		{"accept ok", "GET", []string{"Accept: application/json"}, false, ""},
		{"accept over 128 bytes", "GET", []string{"Accept: " + long}, true, "accept"},
		{"accept exactly 128 bytes", "GET", []string{"Accept: " + long[1:]}, false, ""},
		{"accept-language with a bad byte", "GET", []string{"Accept-Language: en_US"}, true, "accept-language"},
		{"content-language ok", "GET", []string{"Content-Language: de-DE, en;q=0.5"}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hs []Header
			for _, l := range tt.headers {
				k, v, _ := strings.Cut(l, ": ")
				hs = append(hs, Header{k, v})
			}
			got := needsPreflight(normalizeMethod(tt.method), hs)
			if got.Needed != tt.want {
				t.Errorf("needsPreflight(%s, %q).Needed = %v, want %v (reasons %q)", tt.method, tt.headers, got.Needed, tt.want, got.Reasons)
			}
			if u := strings.Join(got.UnsafeHeaders, ","); u != tt.unsafe {
				t.Errorf("unsafe headers = %q, want %q", u, tt.unsafe)
			}
		})
	}
}

func TestNormalizeMethod(t *testing.T) {
	for in, want := range map[string]string{"delete": "DELETE", "get": "GET", "head": "HEAD", "options": "OPTIONS", "post": "POST", "put": "PUT", "patch": "patch", "Patch": "Patch", "PATCH": "PATCH", "purge": "purge"} {
		if got := normalizeMethod(in); got != want {
			t.Errorf("normalizeMethod(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCanonicalURL(t *testing.T) {
	for in, want := range map[string]string{
		"HTTP://API.Example.com:80":         "http://api.example.com/",
		"https://api.example.com:443/a?b=1": "https://api.example.com/a?b=1",
		"http://127.0.0.1:8080/x#frag":      "http://127.0.0.1:8080/x",
		"http://[::1]:8080/":                "http://[::1]:8080/",
	} {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := canonicalURL(u); got != want {
			t.Errorf("canonicalURL(%q) = %q, want %q", in, got, want)
		}
	}
}
