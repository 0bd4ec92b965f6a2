package devproxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"
)

const (
	defaultDoctorOrigin  = "http://localhost:3000"
	defaultDoctorTimeout = 10 * time.Second // per request; a local API that takes longer is its own problem
	doctorBodyLimit      = 1 << 20          // drained so keep-alive works; never shown
)

// headerFlags collects repeated --header "Name: value" flags.
type headerFlags []headerField

func (h *headerFlags) String() string { return "" }

func (h *headerFlags) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	name = strings.TrimSpace(name)
	if !ok || !isToken(name) {
		return fmt.Errorf("want \"Name: value\", got %q", v)
	}
	*h = append(*h, headerField{name, strings.Trim(value, " \t")})
	return nil
}

// listFlags collects a repeated flag's values.
type listFlags []string

func (l *listFlags) String() string { return strings.Join(*l, ",") }

func (l *listFlags) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// doctorOptions are the parsed doctor flags.
type doctorOptions struct {
	url, origin, method, contentType, credentials, fix string
	headers                                            headerFlags
	read                                               listFlags
	json                                               bool
	timeout                                            time.Duration
}

func runDoctor(ctx context.Context, c CLI, args []string) int {
	fs := newFlagSet(c, "doctor", "URL [flags]",
		"Say what the browser will do with a cross-origin fetch(URL) from a page at --origin: the exact console error,\n"+
			"why, whose side must change, and the fix. Sends the requests the browser would send.\n"+
			"Exit status: 0 the browser allows the call, 1 it blocks it (or the server is unreachable), 2 usage error.")
	var o doctorOptions
	fs.StringVar(&o.origin, "origin", defaultDoctorOrigin, "the origin of the page that makes the call")
	fs.StringVar(&o.method, "method", "GET", "the method passed to fetch()")
	fs.Var(&o.headers, "header", "a request header the script sets, \"Name: value\" (repeatable)")
	fs.StringVar(&o.contentType, "content-type", "", "the request's Content-Type (same as --header \"Content-Type: …\")")
	fs.StringVar(&o.credentials, "credentials", "same-origin", "fetch()'s credentials mode: omit, same-origin or include")
	fs.Var((*listFlags)(&o.read), "read", "a response header the script reads (repeatable); checks Access-Control-Expose-Headers")
	fs.StringVar(&o.fix, "fix", "", "print a config snippet for: "+strings.Join(fixStacks, ", "))
	fs.BoolVar(&o.json, "json", false, "print the result as JSON")
	fs.DurationVar(&o.timeout, "timeout", defaultDoctorTimeout, "per-request timeout")
	if code, ok := parseDoctorArgs(fs, args, &o.url); !ok {
		return code
	}
	call, notes, err := buildCall(o)
	if err != nil {
		fmt.Fprintf(c.Stderr, "devproxy doctor: %v\n", err)
		return exitUsage
	}
	client := doctorClient(o.timeout)
	var got []wireResponse
	var d *diagnosis
	// Bounded: diagnose stops after maxRedirects hops, two requests each.
	for {
		var next *wireRequest
		next, d = diagnose(call, got)
		if d != nil {
			break
		}
		got = append(got, send(ctx, client, *next))
	}
	r := newDoctorReport(call, d, notes, o.fix)
	if o.json {
		enc := json.NewEncoder(c.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(r)
	} else {
		printReport(c.Stdout, r)
	}
	if r.Verdict == verdictAllowed || r.Verdict == verdictSameOrigin {
		return exitOK
	}
	return exitFailed
}

// parseDoctorArgs lets the URL come before or after the flags, as in
// "devproxy doctor URL --origin …".
func parseDoctorArgs(fs *flag.FlagSet, args []string, u *string) (int, bool) {
	pos, code, ok := parseInterspersed(fs, args)
	if !ok {
		return code, false
	}
	if len(pos) != 1 {
		fmt.Fprintln(fs.Output(), "devproxy doctor: want exactly one URL")
		fs.Usage()
		return exitUsage, false
	}
	*u = pos[0]
	return 0, true
}

// buildCall checks the flags the way fetch() would check its arguments.
func buildCall(o doctorOptions) (corsCall, []string, error) {
	var notes []string
	u, err := url.Parse(o.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return corsCall{}, nil, fmt.Errorf("%q is not an http:// or https:// URL", o.url)
	}
	u.Fragment, u.RawFragment = "", ""
	origin, ok := normalizeOrigin(strings.TrimSuffix(o.origin, "/"))
	if !ok {
		return corsCall{}, nil, fmt.Errorf("--origin %q: want scheme://host[:port], e.g. %s", o.origin, defaultDoctorOrigin)
	}
	if !isToken(o.method) {
		return corsCall{}, nil, fmt.Errorf("--method %q is not a method name", o.method)
	}
	if isForbiddenMethod(o.method) {
		return corsCall{}, nil, fmt.Errorf("--method %s: fetch() refuses it (TypeError: '%s' HTTP method is unsupported.)", o.method, o.method)
	}
	switch o.credentials {
	case "omit", "same-origin", "include":
	default:
		return corsCall{}, nil, fmt.Errorf("--credentials %q: want omit, same-origin or include", o.credentials)
	}
	if o.fix != "" && !slices.Contains(fixStacks, o.fix) {
		return corsCall{}, nil, fmt.Errorf("--fix %q: want one of %s", o.fix, strings.Join(fixStacks, ", "))
	}
	headers := slices.Clone([]headerField(o.headers))
	if o.contentType != "" {
		headers = append(headers, headerField{"Content-Type", o.contentType})
	}
	var kept []headerField
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
	method := normalizeMethod(o.method)
	if method != o.method {
		notes = append(notes, fmt.Sprintf("fetch() normalizes method %q to %s", o.method, method))
	}
	if o.credentials == "include" {
		notes = append(notes, "with credentials: 'include' the browser would also send its cookies for this site; doctor sends none")
	}
	return corsCall{URL: u, Origin: origin, Method: method, Header: kept, Credentials: o.credentials, Read: o.read}, notes, nil
}

// doctorClient never follows redirects: diagnose follows them, checking
// CORS at every hop as the browser does.
func doctorClient(timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // loopback development servers; a proxy would change the answer
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func send(ctx context.Context, client *http.Client, wr wireRequest) wireResponse {
	req, err := http.NewRequestWithContext(ctx, wr.Method, wr.URL.String(), nil)
	if err != nil {
		return wireResponse{Err: err}
	}
	req.Header = wr.Header.Clone()
	req.Header.Set("User-Agent", "devproxy-doctor/"+Version())
	res, err := client.Do(req)
	if err != nil {
		return wireResponse{Err: err}
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, doctorBodyLimit))
	res.Body.Close()
	return wireResponse{Status: res.StatusCode, Header: res.Header}
}

// netErrorName is the net::ERR_ name Chromium prints for a request that got
// no HTTP answer (net/base/net_error_list.h).
func netErrorName(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var recErr tls.RecordHeaderError
	switch {
	case errors.As(err, &dnsErr):
		return "ERR_NAME_NOT_RESOLVED"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "ERR_CONNECTION_REFUSED"
	case errors.Is(err, syscall.ECONNRESET):
		return "ERR_CONNECTION_RESET"
	case errors.As(err, &hostErr):
		return "ERR_CERT_COMMON_NAME_INVALID"
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "ERR_CERT_DATE_INVALID"
	case errors.As(err, &unknownCA), errors.As(err, &certErr):
		return "ERR_CERT_AUTHORITY_INVALID"
	case errors.As(err, &recErr):
		return "ERR_SSL_PROTOCOL_ERROR"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return "ERR_TIMED_OUT"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "ERR_EMPTY_RESPONSE"
	}
	return "ERR_FAILED"
}

// unreachableHint says, in words, what to check for a request that never got an answer.
func unreachableHint(name, u string) string {
	host := u
	if pu, err := url.Parse(u); err == nil {
		host = pu.Host
	}
	switch name {
	case "ERR_NAME_NOT_RESOLVED":
		return fmt.Sprintf("the host name in %s does not resolve: check the URL (and the API base URL your frontend is built with)", u)
	case "ERR_CONNECTION_REFUSED":
		return fmt.Sprintf("nothing is listening on %s: is the backend running, on that port?", host)
	case "ERR_CERT_COMMON_NAME_INVALID", "ERR_CERT_DATE_INVALID", "ERR_CERT_AUTHORITY_INVALID":
		return fmt.Sprintf("the TLS certificate of %s is not trusted (%s): use a trusted certificate (e.g. mkcert) or plain http:// in development", host, name)
	case "ERR_SSL_PROTOCOL_ERROR":
		return fmt.Sprintf("%s did not answer TLS: is it plain HTTP? try http:// instead of https://", host)
	case "ERR_TIMED_OUT":
		return fmt.Sprintf("%s did not answer in time", host)
	}
	return fmt.Sprintf("the connection to %s failed", host)
}
