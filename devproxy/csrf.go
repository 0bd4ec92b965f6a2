package devproxy

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// A backend's CSRF check refusing a request is the commonest way a setup
// behind a proxy fails (Django 4+ compares Origin with Host; a token cookie
// scoped to the wrong path never comes back), and the framework's page
// says why. devproxy reads the start of such an error body as it streams
// to the browser — never a success body, never more than
// web.CSRFSniffLimit — and puts the reason and the fix for this route into
// the request's log line and status page entry.

// sniffCSRF wraps res.Body, when the status is one a CSRF check answers
// with, so its first bytes are kept as ReverseProxy copies them to the
// browser; when the copy ends they are checked for a framework's CSRF page.
func (s *Server) sniffCSRF(rt *route, in *http.Request, res *http.Response) {
	if !web.IsCSRFStatus(res.StatusCode) || res.Body == nil || res.Body == http.NoBody {
		return
	}
	encoding := res.Header.Get("Content-Encoding")
	res.Body = &headKeeper{ReadCloser: res.Body, done: func(head []byte) {
		c, ok := web.RecognizeCSRF(decodeHead(head, encoding))
		if !ok {
			return
		}
		noteOutcome(in, fmt.Sprintf("%s refused the request: %s", c.Framework, c.Reason))
		noteFix(in, csrfFix(rt, in, c))
	}}
}

// headKeeper passes a body through unchanged, keeping a copy of its first
// web.CSRFSniffLimit bytes, and hands them to done once, when the body is
// closed (ReverseProxy closes it after the copy, also when the copy fails).
type headKeeper struct {
	io.ReadCloser
	head   []byte
	done   func(head []byte)
	closed bool
}

func (k *headKeeper) Read(p []byte) (int, error) {
	n, err := k.ReadCloser.Read(p)
	if room := web.CSRFSniffLimit - len(k.head); room > 0 && n > 0 {
		k.head = append(k.head, p[:min(n, room)]...)
	}
	return n, err
}

func (k *headKeeper) Close() error {
	if !k.closed {
		k.closed = true
		k.done(k.head)
	}
	return k.ReadCloser.Close()
}

// decodeHead inflates the start of a gzip or deflate body as far as it
// goes (a truncated stream still yields its beginning); other encodings
// are returned as they are.
func decodeHead(head []byte, encoding string) []byte {
	out, _ := inflate(strings.ToLower(strings.TrimSpace(encoding)), head, 4*web.CSRFSniffLimit)
	if out == nil {
		return head
	}
	return out
}

// inflate decompresses data in encoding (lower case: gzip, x-gzip or
// deflate) up to limit bytes. out is nil when encoding is none of those or
// data has no gzip header; otherwise it is what inflated (never nil), all of
// the stream or its beginning, and complete says whether the stream ended
// cleanly (or out reached limit) rather than breaking off.
func inflate(encoding string, data []byte, limit int) (out []byte, complete bool) {
	var r io.Reader
	switch encoding {
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, false
		}
		r = zr
	case "deflate":
		r = flate.NewReader(bytes.NewReader(data))
	default:
		return nil, false // br, zstd: not in the standard library
	}
	out, err := io.ReadAll(io.LimitReader(r, int64(limit)))
	return out, err == nil
}

// csrfFix names what would make the request pass, for this route and the
// origin the browser is on.
func csrfFix(rt *route, in *http.Request, c web.CSRFRefusal) string {
	own := web.RequestOrigin(in)
	routeKey := config.DisplayKey([]string{"routes", rt.Path})
	switch c.Kind {
	case web.CSRFOrigin:
		if c.Origin != "" && !isOwnOrigin(in, c.Origin) {
			return fmt.Sprintf("a page at %s, not devproxy's %s, sent this: open the page through devproxy; if that origin is meant to call here, trust it in %s", c.Origin, own, trustOrigin(c.Framework, c.Origin))
		}
		if rt.ChangeOrigin {
			return fmt.Sprintf("the backend compares Origin with the host it serves; trust devproxy's origin in %s", trustOrigin(c.Framework, own))
		}
		return fmt.Sprintf("the backend compares Origin with the host it sees: set change_origin = true in [%s] (devproxy then presents the target's origin), or trust devproxy's origin in %s", routeKey, trustOrigin(c.Framework, own))
	case web.CSRFNoCookie:
		return "the CSRF cookie did not come back with this request: devproxy's \"cookie rewritten\" log line shows the Path it got (a cookie is only sent under its Path), and the page must be served by devproxy too; " + tokenSource(c.Framework)
	case web.CSRFToken:
		return "the request's CSRF token is missing or stale: " + tokenSource(c.Framework)
	}
	return web.CSRFReasonHidden(c.Framework) + "; devproxy's log says which cookies it rewrote"
}

// trustOrigin is the framework setting that trusts origin for CSRF.
func trustOrigin(framework, origin string) string {
	switch framework {
	case "Django":
		return "settings.py: " + web.DjangoTrustedOrigins(origin)
	case "Rails":
		return "Rails (it compares Origin with request.base_url): config.action_controller.forgery_protection_origin_check = false, or set change_origin"
	}
	return "the backend's CSRF settings"
}

// tokenSource says where the framework expects the token.
func tokenSource(framework string) string {
	switch framework {
	case "Django":
		return "send the csrftoken cookie's value (document.cookie) in the " + web.CSRFTokenHeader(framework) + " header, or {% csrf_token %} in the form"
	case "Rails":
		return "send the token from <meta name=\"csrf-token\"> in the " + web.CSRFTokenHeader(framework) + " header"
	case "Flask-WTF":
		return "send csrf_token() in the " + web.CSRFTokenHeader(framework) + " header or the csrf_token form field"
	}
	return "send the token the CSRF middleware issued (its header, e.g. x-csrf-token, or form field) with the session cookie"
}
