package web

import (
	"bytes"
	"fmt"
	"html"
	"regexp"
	"strings"
)

// CSRFSniffLimit is how much of an error body is read to recognise a
// framework's CSRF failure page: Django's and Express's say so in the first
// 2 KiB, Rails's development page after its 6 KiB of inline CSS.
const CSRFSniffLimit = 8 << 10

// IsCSRFStatus reports whether a framework answers a failed CSRF check
// with this status: 403 (Django, Express's csurf, csrf-sync and
// csrf-csrf), 400 (Flask-WTF) or 422 (Rails). Only such error bodies are
// ever read, never a success body.
func IsCSRFStatus(status int) bool {
	return status == 400 || status == 403 || status == 422
}

// CSRFKind is what a framework's CSRF check found wrong.
type CSRFKind int

const (
	// CSRFUnexplained: the page says the CSRF check failed, not why
	// (Django with DEBUG = False).
	CSRFUnexplained CSRFKind = iota
	// CSRFOrigin: the Origin (or Referer) is not one the framework trusts.
	CSRFOrigin
	// CSRFNoCookie: the cookie the token is checked against did not arrive.
	CSRFNoCookie
	// CSRFToken: the request's token is missing or does not match.
	CSRFToken
)

// CSRFRefusal is a web framework's CSRF check refusing a request, as its
// error page says.
type CSRFRefusal struct {
	Framework string // "Django", "Rails", "Express", "Flask-WTF"
	// Reason is the framework's own words, on one line: "CSRF verification
	// failed (Origin checking failed - http://localhost:3100 does not match
	// any trusted origins.)".
	Reason string
	Kind   CSRFKind
	// Origin is the origin the framework refused, when it names one.
	Origin string
}

var (
	djangoReason  = regexp.MustCompile(`(?s)Reason given for failure:</p>\s*<pre>\s*(.*?)\s*</pre>`)
	djangoOrigin  = regexp.MustCompile(`(?:Origin|Referer) checking failed - (\S+) does not match`)
	railsOrigin   = regexp.MustCompile(`HTTP Origin header \(([^)]*)\) didn(?:'|&#39;|&#x27;)t match request\.base_url \(([^)]*)\)`)
	flaskWTF      = regexp.MustCompile(`The (?:CSRF (?:session )?tokens? (?:is|are|do|has) [^.<]*|referrer (?:header is missing|does not match the host))\.`)
	expressCSRF   = regexp.MustCompile(`(?i)(?:ForbiddenError: )?invalid csrf token|EBADCSRFTOKEN`)
	railsInvalid  = []byte("InvalidAuthenticityToken")
	djangoFailure = []byte("CSRF verification failed")
)

// RecognizeCSRF reports whether body (the start of an error response, at
// most CSRFSniffLimit bytes, already decompressed) is a framework's CSRF
// failure page, and what it says.
func RecognizeCSRF(body []byte) (CSRFRefusal, bool) {
	switch {
	case bytes.Contains(body, djangoFailure):
		c := CSRFRefusal{Framework: "Django", Reason: "CSRF verification failed"}
		if m := djangoReason.FindSubmatch(body); m != nil {
			why := OneLine(html.UnescapeString(string(m[1])))
			c.Reason += " (" + why + ")"
			c.Kind = csrfKindOf(why)
			if o := djangoOrigin.FindStringSubmatch(why); o != nil {
				c.Origin = o[1]
			}
		} else if bytes.Contains(body, []byte("requires a CSRF cookie")) {
			c.Reason += " (CSRF cookie not set)" // DEBUG = False still explains a missing cookie
			c.Kind = CSRFNoCookie
		}
		return c, true
	case bytes.Contains(body, railsInvalid):
		c := CSRFRefusal{Framework: "Rails", Reason: "ActionController::InvalidAuthenticityToken", Kind: CSRFToken}
		if m := railsOrigin.FindSubmatch(body); m != nil {
			c.Kind, c.Origin = CSRFOrigin, string(m[1])
			c.Reason += " (HTTP Origin header (" + string(m[1]) + ") didn't match request.base_url (" + string(m[2]) + "))"
		} else if bytes.Contains(body, []byte("verify CSRF token authenticity")) {
			c.Reason += " (Can't verify CSRF token authenticity.)"
		}
		return c, true
	}
	if m := flaskWTF.Find(body); m != nil {
		why := string(m)
		return CSRFRefusal{Framework: "Flask-WTF", Reason: why, Kind: csrfKindOf(why)}, true
	}
	if expressCSRF.Match(body) {
		return CSRFRefusal{Framework: "Express", Reason: "invalid csrf token", Kind: CSRFToken}, true
	}
	return CSRFRefusal{}, false
}

// DjangoTrustedOrigins is the settings.py line that makes Django's CSRF
// check trust origin: CSRF_TRUSTED_ORIGINS = ["http://localhost:3000"].
func DjangoTrustedOrigins(origin string) string {
	return fmt.Sprintf("CSRF_TRUSTED_ORIGINS = [%q]", origin)
}

// CSRFReasonHidden is the advice for a CSRFUnexplained refusal: the
// framework's page names no reason outside debug mode.
func CSRFReasonHidden(framework string) string {
	return framework + " gives the reason only in debug mode (Django: DEBUG = True)"
}

// CSRFTokenHeader is the request header a framework's CSRF check reads the
// token from: X-CSRFToken (Django, Flask-WTF) or X-CSRF-Token (Rails,
// Express's middlewares); "" for a framework RecognizeCSRF does not name.
func CSRFTokenHeader(framework string) string {
	switch framework {
	case "Django", "Flask-WTF":
		return "X-CSRFToken"
	case "Rails", "Express":
		return "X-CSRF-Token"
	}
	return ""
}

// csrfKindOf classifies a framework's reason text.
func csrfKindOf(why string) CSRFKind {
	w := strings.ToLower(why)
	switch {
	case strings.Contains(w, "origin checking failed") || strings.Contains(w, "referer checking failed") || strings.Contains(w, "referrer"):
		return CSRFOrigin
	case strings.Contains(w, "cookie not set") || strings.Contains(w, "session token is missing"):
		return CSRFNoCookie
	case strings.Contains(w, "token"):
		return CSRFToken
	}
	return CSRFUnexplained
}

// OneLine collapses runs of white space, line breaks included, into one
// space and trims the ends, so a reason never puts a line break into a
// log line.
func OneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
