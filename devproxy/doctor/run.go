package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/devproxy/devproxy/devproxy/internal/web"
)

const (
	// DefaultOrigin is the page origin assumed when none is given and
	// nothing tells better: Vite's dev server, where most pages run.
	DefaultOrigin = "http://localhost:5173"
	// DefaultTimeout bounds each request; a local API that takes longer is its own problem.
	DefaultTimeout  = 10 * time.Second
	doctorBodyLimit = 1 << 20 // drained so keep-alive works; only the start is kept
)

// Options describe the fetch() call a page makes, as the command line gives them.
type Options struct {
	URL         string   // the URL passed to fetch()
	Origin      string   // the page's origin
	Method      string   // as written in the fetch() call
	Headers     []Header // headers the script sets
	ContentType string   // shorthand for a Content-Type header
	Credentials string   // omit, same-origin or include
	Read        []string // response headers the script reads
	Fix         string   // one of FixStacks for a config snippet, or ""
	Timeout     time.Duration
	UserAgent   string
	// RootCAs are the roots https servers are checked against, as the
	// browser's store would be; nil means the system's.
	RootCAs *x509.CertPool
}

// Header is one request header the script sets.
type Header struct{ Name, Value string }

// ParseHeader reads "Name: value".
func ParseHeader(s string) (Header, error) {
	name, value, ok := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	if !ok || !web.IsToken(name) {
		return Header{}, fmt.Errorf("want \"Name: value\", got %q", s)
	}
	return Header{name, strings.Trim(value, " \t")}, nil
}

// Run checks o as fetch() would, sends the requests the browser would send,
// one at a time, and returns the report. Its error is a problem with o
// itself; an unreachable server is a report, not an error.
func Run(ctx context.Context, o Options) (Report, error) {
	call, notes, err := newCall(o)
	if err != nil {
		return Report{}, err
	}
	client := httpClient(o.Timeout, o.RootCAs)
	var got []wireResponse
	// Bounded: diagnose stops after maxRedirects hops, two requests each.
	for {
		next, d := diagnose(call, got)
		if d != nil {
			return newReport(call, d, notes, o.Fix), nil
		}
		got = append(got, send(ctx, client, o.UserAgent, *next))
	}
}

// newCall checks o the way fetch() checks its arguments and returns the
// call with notes on what fetch() itself changes.
func newCall(o Options) (corsCall, []string, error) {
	var notes []string
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return corsCall{}, nil, fmt.Errorf("%q is not an http:// or https:// URL", o.URL)
	}
	u.Fragment, u.RawFragment = "", ""
	origin, ok := web.NormalizeOrigin(strings.TrimSuffix(o.Origin, "/"))
	if !ok {
		return corsCall{}, nil, fmt.Errorf("--origin %q: want scheme://host[:port], e.g. %s", o.Origin, DefaultOrigin)
	}
	if !web.IsToken(o.Method) {
		return corsCall{}, nil, fmt.Errorf("--method %q is not a method name", o.Method)
	}
	if isForbiddenMethod(o.Method) {
		return corsCall{}, nil, fmt.Errorf("--method %s: fetch() refuses it (TypeError: '%s' HTTP method is unsupported.)", o.Method, o.Method)
	}
	switch o.Credentials {
	case "omit", "same-origin", "include":
	default:
		return corsCall{}, nil, fmt.Errorf("--credentials %q: want omit, same-origin or include", o.Credentials)
	}
	if o.Fix != "" && !slices.Contains(FixStacks, o.Fix) {
		return corsCall{}, nil, fmt.Errorf("--fix %q: want one of %s", o.Fix, strings.Join(FixStacks, ", "))
	}
	headers := slices.Clone(o.Headers)
	if o.ContentType != "" {
		headers = append(headers, Header{"Content-Type", o.ContentType})
	}
	var kept []Header
	for _, h := range headers {
		if isForbiddenRequestHeader(h.Name) {
			why := "the browser sets it itself"
			if strings.EqualFold(h.Name, "Cookie") {
				why = "use credentials: 'include' to send the browser's cookies"
			}
			notes = append(notes, fmt.Sprintf("fetch() silently drops a script-set %s header (%s); doctor does not send it", h.Name, why))
			continue
		}
		kept = append(kept, h)
	}
	method := normalizeMethod(o.Method)
	if method != o.Method {
		notes = append(notes, fmt.Sprintf("fetch() normalizes method %q to %s", o.Method, method))
	}
	if o.Credentials == "include" {
		notes = append(notes, "with credentials: 'include' the browser would also send its cookies for this site; doctor sends none")
	}
	return corsCall{URL: u, Origin: origin, Method: method, Header: kept, Credentials: o.Credentials, Read: o.Read}, notes, nil
}

// httpClient never follows redirects: diagnose follows them, checking
// CORS at every hop as the browser does.
func httpClient(timeout time.Duration, roots *x509.CertPool) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // loopback development servers; a proxy would change the answer
	if roots != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: roots}
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func send(ctx context.Context, client *http.Client, userAgent string, wr wireRequest) wireResponse {
	req, err := http.NewRequestWithContext(ctx, wr.Method, wr.URL.String(), nil)
	if err != nil {
		return wireResponse{Err: err}
	}
	req.Header = wr.Header.Clone()
	req.Header.Set("User-Agent", userAgent)
	res, err := client.Do(req)
	if err != nil {
		return wireResponse{Err: err}
	}
	// Keep the start of the body, for the first line of a refusal and a
	// framework's CSRF page; drain a bounded rest so keep-alive works.
	head, _ := io.ReadAll(io.LimitReader(res.Body, web.CSRFSniffLimit))
	io.Copy(io.Discard, io.LimitReader(res.Body, doctorBodyLimit))
	res.Body.Close()
	return wireResponse{Status: res.StatusCode, Header: res.Header, Body: head}
}
