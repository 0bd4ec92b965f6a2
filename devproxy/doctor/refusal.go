package doctor

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"

	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// firstLineMax bounds the body line quoted in a refusal.
const firstLineMax = 200

// explainRefusal says why a call CORS allowed still failed, from the
// final response's status and the start of its body, recognising a web
// framework's CSRF failure page.
func explainRefusal(call corsCall, res wireResponse) (reason, fault, fix string) {
	reason = fmt.Sprintf("CORS allowed, but the server refused: %d %s", res.Status, http.StatusText(res.Status))
	if c, ok := web.RecognizeCSRF(res.Body); ok {
		return reason + fmt.Sprintf(" — %s's CSRF check: %s", c.Framework, c.Reason), faultServer, csrfAdvice(call, c)
	}
	if line := firstLine(res.Body, res.Header.Get("Content-Type")); line != "" {
		reason += " — " + line
	}
	return reason, faultServer, "the page can read this error; the server's log says why it answered so (doctor sends no cookies: a call that needs a session is refused without one)"
}

// csrfAdvice is the fix for a CSRF refusal of a cross-origin call.
func csrfAdvice(call corsCall, c web.CSRFRefusal) string {
	const oneOrigin = "or serve page and API from one origin (--fix devproxy), where the check passes as it does in production"
	switch c.Kind {
	case web.CSRFOrigin:
		switch c.Framework {
		case "Django":
			return fmt.Sprintf("CORS and CSRF are separate checks: Django's CSRF check trusts only its own origin for unsafe methods; trust the page's: %s in settings.py (--fix django prints it), %s", web.DjangoTrustedOrigins(call.Origin), oneOrigin)
		case "Rails":
			return "Rails compares Origin with request.base_url: a page on another origin fails its CSRF check; " + oneOrigin
		}
		return "the framework does not trust the page's origin for unsafe methods; " + oneOrigin
	case web.CSRFNoCookie:
		return "the CSRF cookie did not come with the call: doctor sends no cookies, and a browser sends them cross-origin only with credentials: 'include' (cross-site only if SameSite=None; Secure); " + oneOrigin
	case web.CSRFToken:
		return fmt.Sprintf("send the CSRF token with the call (Django: %s, Rails and Express: %s, Flask-WTF: %s); doctor sends one only if you pass it with --header",
			web.CSRFTokenHeader("Django"), web.CSRFTokenHeader("Rails"), web.CSRFTokenHeader("Flask-WTF"))
	}
	return web.CSRFReasonHidden(c.Framework) + "; " + oneOrigin
}

var (
	htmlHidden = regexp.MustCompile(`(?is)<head\b.*?</head>|<script\b.*?</script>|<style\b.*?</style>`)
	htmlTag    = regexp.MustCompile(`(?s)<[^>]*>`)
)

// firstLine is the first non-blank line of a body as a person reads it: an
// HTML page's text without its head, scripts and markup.
func firstLine(body []byte, contentType string) string {
	text := string(body)
	if strings.Contains(contentType, "html") || strings.HasPrefix(strings.TrimSpace(strings.ToLower(text)), "<!doctype html") {
		text = htmlHidden.ReplaceAllString(text, "")
		text = html.UnescapeString(htmlTag.ReplaceAllString(text, " "))
	}
	for line := range strings.SplitSeq(text, "\n") {
		if line = web.OneLine(line); line != "" {
			if r := []rune(line); len(r) > firstLineMax {
				line = string(r[:firstLineMax]) + "…"
			}
			return line
		}
	}
	return ""
}
