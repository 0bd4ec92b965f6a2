package devproxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/devproxy/devproxy/devproxy/config"
)

// pages are the browser-facing error pages from static/, parsed once at
// startup so a missing page fails New, not a request.
type pages struct {
	notFound, badGateway, waiting *template.Template
}

func parsePages(assets fs.FS) (*pages, error) {
	if assets == nil {
		return nil, errors.New("no assets: Options.Assets must hold the static/ pages")
	}
	for _, name := range []string{"status.html", "status.js"} { // served as files, not templates
		if _, err := fs.Stat(assets, name); err != nil {
			return nil, fmt.Errorf("page %s: %w", name, err)
		}
	}
	parse := func(name string) (*template.Template, error) {
		t, err := template.ParseFS(assets, name)
		if err != nil {
			return nil, fmt.Errorf("parsing page %s: %w", name, err)
		}
		return t, nil
	}
	var p pages
	var err error
	if p.notFound, err = parse("404.html"); err != nil {
		return nil, err
	}
	if p.badGateway, err = parse("502.html"); err != nil {
		return nil, err
	}
	if p.waiting, err = parse("waiting.html"); err != nil {
		return nil, err
	}
	return &p, nil
}

// problem is what an error page or JSON error body says.
type problem struct {
	Status    int      `json:"status"`
	Error     string   `json:"error"`
	Route     string   `json:"route,omitempty"`
	Target    string   `json:"target,omitempty"`
	Method    string   `json:"method,omitempty"`
	Path      string   `json:"path,omitempty"`
	Cause     string   `json:"cause"`
	Fix       string   `json:"fix,omitempty"`
	StatusURL string   `json:"status_page,omitempty"`
	Routes    []string `json:"routes,omitempty"`
}

// prefersHTML reports whether the client is a browser navigation (or
// anything else that asks for HTML) rather than fetch/XHR/curl.
func prefersHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// isSubresource reports whether r loads a stylesheet, script, image, font
// or media for a page (Fetch's request destination, sent by browsers as
// Sec-Fetch-Dest): the console shows a JSON body's MIME type as the error
// ("Refused to apply style … MIME type ('application/json')") instead of
// the 404 itself.
func isSubresource(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Dest") {
	case "style", "script", "image", "font", "audio", "video", "track", "manifest":
		return true
	}
	return false
}

// writeProblem answers with an HTML page or a JSON body, whichever the
// client prefers, and with plain text to a page's subresource request.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, tmpl *template.Template, p problem) {
	p.Method, p.Path, p.StatusURL = r.Method, r.URL.Path, config.ReservedPrefix+"/"
	if p.Error == "" {
		p.Error = http.StatusText(p.Status)
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if isSubresource(r) {
		// Plain text without nosniff: with nosniff Chromium reports any
		// type but text/css or JavaScript as a MIME error and never shows
		// the 404 itself. One line that starts "404 Not Found:" is no valid
		// script, and the request's path cannot add a line of its own.
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(p.Status)
		if r.Method != http.MethodHead {
			line := fmt.Sprintf("%d %s: %s", p.Status, p.Error, p.Cause)
			if p.Fix != "" {
				line += " — fix: " + p.Fix
			}
			io.WriteString(w, sanitizeHeaderValue(line)+"\n")
		}
		return
	}
	h.Set("X-Content-Type-Options", "nosniff")
	if !prefersHTML(r) {
		h.Set("Content-Type", "application/json")
		w.WriteHeader(p.Status)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(p)
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(p.Status)
	if r.Method == http.MethodHead {
		return
	}
	if err := tmpl.Execute(w, p); err != nil {
		s.log.Error("rendering error page", "err", err)
	}
}

// proxyError is ReverseProxy's ErrorHandler: it explains a failed upstream
// request in one sentence with the fix.
func (s *Server) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	st := stateFrom(r.Context())
	cause := context.Cause(r.Context())
	if errors.Is(err, context.Canceled) && !errors.Is(cause, errUpstreamTimeout) {
		// The browser went away (closed tab, aborted fetch): nothing to answer, nothing to log as an error.
		noteOutcome(r, outcomeClientClosed)
		w.WriteHeader(499)
		return
	}
	if st == nil {
		s.log.Error("proxy error without route state", "err", err)
		http.Error(w, "proxy error", http.StatusBadGateway)
		return
	}
	rt := st.rt
	p := describeUpstreamError(rt, err, cause)
	p.Route, p.Target = rt.name, rt.target.String()
	exited := false
	if isRefused(err) {
		if name, exit, ok := s.processes.Load().ExitedServing(rt.addr); ok {
			exited = true
			p.Cause = fmt.Sprintf("nothing is listening on %s: the %s command devproxy started has exited (%s)", rt.target.Host, name, exit)
			p.Fix = "its output is above in devproxy's terminal; fix the problem and restart devproxy (it never restarts a command by itself)"
		}
	}
	if rt.isFrontend && isRefused(err) && !exited {
		s.devServerNotUp(w, r, rt, p)
		return
	}
	noteOutcome(r, p.Cause)
	// Without CORS headers a cross-origin fetch sees only "blocked by CORS policy", hiding the real 502.
	s.applyCORS(rt, r, w.Header())
	s.writeProblem(w, r, s.pages.badGateway, p)
}

// devServerNotUp answers while the dev server accepts no connections (it
// is starting, or nobody started it): a 503 with Retry-After, as the
// waiting page that reloads itself every second for a browser and as JSON
// for fetch and curl. /favicon.ico gets a plain 404: the browser asks for
// it beside every page, and a 503 or a page is no icon.
func (s *Server) devServerNotUp(w http.ResponseWriter, r *http.Request, rt *route, p problem) {
	if r.URL.Path == "/favicon.ico" {
		noteOutcome(r, "no icon while the dev server is not up")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNotFound)
		return
	}
	p.Status, p.Error = http.StatusServiceUnavailable, "Service Unavailable"
	if name, command, ok := s.processes.Load().StartingServing(rt.addr); ok {
		p.Cause = fmt.Sprintf("the dev server is starting: %s (%s) does not accept connections on %s yet", name, command, rt.target.Host)
		p.Fix = "wait: devproxy forwards to it as soon as it is up"
	} else {
		p.Cause = fmt.Sprintf("the dev server is not up: nothing is listening on %s", rt.target.Host)
		p.Fix = "start it (npm run dev), or set command in [frontend] so that devproxy starts it"
	}
	noteOutcome(r, p.Cause)
	w.Header().Set("Retry-After", "1")
	s.writeProblem(w, r, s.pages.waiting, p)
}

// describeUpstreamError turns a transport error into a status, a cause and a fix.
func describeUpstreamError(rt *route, err, cause error) problem {
	host := rt.target.Host
	what := "your backend"
	if rt.isFrontend {
		what = "the dev server (npm run dev)"
	}
	var (
		dnsErr  *net.DNSError
		unknown x509.UnknownAuthorityError
		invalid x509.CertificateInvalidError
		hostErr x509.HostnameError
		recErr  tls.RecordHeaderError
		netErr  net.Error
	)
	switch {
	case errors.Is(cause, errUpstreamTimeout) || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return problem{Status: http.StatusGatewayTimeout, Error: "Gateway Timeout",
			Cause: fmt.Sprintf("%s did not send response headers within %s", host, rt.Timeout),
			Fix:   fmt.Sprintf("look for a slow or stuck handler in %s, or raise timeout on the route (timeout = \"%s\")", what, 2*rt.Timeout)}
	case isRefused(err):
		return problem{Status: http.StatusBadGateway, Error: "Bad Gateway",
			Cause: fmt.Sprintf("nothing is listening on %s", host),
			Fix:   fmt.Sprintf("is %s running? Start it, or fix the port in the target", what)}
	case errors.As(err, &dnsErr):
		return problem{Status: http.StatusBadGateway, Error: "Bad Gateway",
			Cause: fmt.Sprintf("the host name %s could not be resolved", dnsErr.Name),
			Fix:   "check the spelling of the target host"}
	case errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &hostErr):
		return problem{Status: http.StatusBadGateway, Error: "Bad Gateway",
			Cause: fmt.Sprintf("the TLS certificate of %s is not trusted: %v", host, err),
			Fix:   "for a self-signed development certificate set insecure = true on the route"}
	case errors.As(err, &recErr):
		return problem{Status: http.StatusBadGateway, Error: "Bad Gateway",
			Cause: fmt.Sprintf("%s does not speak TLS", host),
			Fix:   "use http:// instead of https:// in the target"}
	case strings.Contains(err.Error(), "malformed HTTP"):
		return problem{Status: http.StatusBadGateway, Error: "Bad Gateway",
			Cause: fmt.Sprintf("%s did not answer with valid HTTP", host),
			Fix:   fmt.Sprintf("check that the target is %s's HTTP port (if it speaks TLS, use https:// in the target)", what)}
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return problem{Status: http.StatusBadGateway, Error: "Bad Gateway",
			Cause: fmt.Sprintf("%s closed the connection without a complete response", host),
			Fix:   fmt.Sprintf("check the log of %s for a crash or an error", what)}
	default:
		return problem{Status: http.StatusBadGateway, Error: "Bad Gateway",
			Cause: fmt.Sprintf("request to %s failed: %v", host, err),
			Fix:   fmt.Sprintf("check that %s at %s answers HTTP", what, rt.target)}
	}
}
