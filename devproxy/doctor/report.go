package doctor

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

// Verdicts, as --json spells them.
const (
	VerdictAllowed     = "allowed"
	VerdictBlocked     = "blocked"
	VerdictUnreachable = "unreachable"
	VerdictSameOrigin  = "same-origin"
	// VerdictRefused: CORS lets the page read the response, but it is an
	// error (403 from a CSRF check, 401 from an auth check): the call still
	// fails, and not by the browser's doing.
	VerdictRefused = "refused"
)

// Report is everything doctor prints; --json emits it as is.
type Report struct {
	URL         string `json:"url"`
	Origin      string `json:"origin"`
	Method      string `json:"method"`
	Credentials string `json:"credentials"`
	Verdict     string `json:"verdict"`
	Preflight   struct {
		Needed         bool     `json:"needed"`
		Reasons        []string `json:"reasons"`
		RequestHeaders []string `json:"request_headers"`
	} `json:"preflight"`
	Exchanges []Exchange `json:"exchanges"`
	// Console is the exact text Chromium prints in the DevTools console.
	Console string `json:"console,omitempty"`
	// Network is how DevTools shows a request that got no answer.
	Network       string   `json:"network,omitempty"`
	Reason        string   `json:"reason,omitempty"`
	Fault         string   `json:"fault,omitempty"`
	Fix           string   `json:"fix,omitempty"`
	TaintedOrigin bool     `json:"tainted_origin,omitempty"`
	Warnings      []string `json:"warnings"`
	Notes         []string `json:"notes"`
	// ServerHeaders is the full header set the server should send.
	ServerHeaders struct {
		Every     []string `json:"every_response"`
		Preflight []string `json:"preflight_only"`
		Actual    []string `json:"actual_only"`
	} `json:"server_headers"`
	FixStack   string `json:"fix_stack,omitempty"`
	FixSnippet string `json:"fix_snippet,omitempty"`
}

// Exchange is one request the browser would send and what came back.
type Exchange struct {
	Preflight       bool              `json:"preflight"`
	Method          string            `json:"method"`
	URL             string            `json:"url"`
	RequestHeaders  map[string]string `json:"request_headers"`
	Status          int               `json:"status,omitempty"`
	ResponseHeaders map[string]string `json:"response_headers,omitempty"`
	Error           string            `json:"error,omitempty"`
}

func newReport(call corsCall, d *diagnosis, notes []string, stack string) Report {
	r := Report{
		URL: canonicalURL(call.URL), Origin: call.Origin, Method: call.Method, Credentials: call.Credentials,
		TaintedOrigin: d.Tainted, Warnings: []string{}, Notes: append([]string{}, notes...),
	}
	for _, w := range d.Warnings { // one line per problem, however many responses show it
		if strings.HasPrefix(w, "preflight: ") && slices.Contains(d.Warnings, strings.TrimPrefix(w, "preflight: ")) {
			continue // the same problem on the actual response says it all
		}
		if !slices.Contains(r.Warnings, w) {
			r.Warnings = append(r.Warnings, w)
		}
	}
	if d.Tainted {
		r.Notes = append(r.Notes, "a redirect moved the request to another origin, so the browser sent Origin: null from then on (Fetch: tainted origin)")
	}
	r.Preflight.Needed, r.Preflight.Reasons, r.Preflight.RequestHeaders = d.Preflight.Needed, d.Preflight.Reasons, d.Preflight.UnsafeHeaders
	if r.Preflight.RequestHeaders == nil {
		r.Preflight.RequestHeaders = []string{}
	}
	for _, ex := range d.Exchanges {
		re := Exchange{Preflight: ex.Req.Preflight, Method: ex.Req.Method, URL: canonicalURL(ex.Req.URL), RequestHeaders: flatten(ex.Req.Header, nil)}
		if ex.Res.Err != nil {
			re.Error = ex.Res.Err.Error()
		} else {
			re.Status, re.ResponseHeaders = ex.Res.Status, flatten(ex.Res.Header, isCORSRelevant)
		}
		r.Exchanges = append(r.Exchanges, re)
	}
	switch {
	case d.SameOrigin:
		r.Verdict = VerdictSameOrigin
		r.Reason = "The URL has the page's own origin: the browser does not apply CORS."
	case d.Unreachable != nil:
		name := netErrorName(d.Unreachable)
		r.Verdict = VerdictUnreachable
		// The console message's text, as Chromium logs it; DevTools shows it
		// with the request line in front instead (see Network).
		r.Console = "Failed to load resource: net::" + name
		r.Network = fmt.Sprintf("%s %s net::%s", d.UnreachableMethod, d.UnreachableURL, name)
		r.Reason = fmt.Sprintf("The %s request got no HTTP answer (%v). This is not a CORS problem: the browser never got a response to check.", d.UnreachableMethod, d.Unreachable)
		r.Fault = faultNetwork
		r.Fix = unreachableHint(name, d.UnreachableURL)
	case d.TooManyRedirects:
		r.Verdict = VerdictBlocked
		r.Console = fmt.Sprintf("%s %s net::ERR_TOO_MANY_REDIRECTS", call.Method, r.URL)
		r.Reason = fmt.Sprintf("More than %d redirects: a redirect loop, not a CORS problem.", maxRedirects)
		r.Fault = faultServer
		r.Fix = "fix the redirect loop (often http↔https or a trailing-slash rule fighting a proxy)"
	case d.Failure != nil:
		e := explain(call, d)
		r.Verdict = VerdictBlocked
		r.Console = chromiumConsoleText(d.Failure, call.Origin)
		r.Reason, r.Fault, r.Fix = e.Reason, e.Fault, e.Fix
	case d.Final.Status < 200 || d.Final.Status > 299:
		r.Verdict = VerdictRefused
		r.Reason, r.Fault, r.Fix = explainRefusal(call, d.Final)
	default:
		r.Verdict = VerdictAllowed
		r.Reason = "Every response passes the browser's CORS checks: the page can read the response."
	}
	if r.Verdict == VerdictBlocked || r.Verdict == VerdictAllowed || r.Verdict == VerdictRefused {
		p := policyFor(call)
		r.ServerHeaders.Every, r.ServerHeaders.Preflight, r.ServerHeaders.Actual = p.headerLines()
		if stack != "" {
			r.FixStack, r.FixSnippet = stack, fixSnippet(stack, p, call.URL)
		}
	}
	return r
}

// Allowed reports whether the browser lets the page read the response.
func (r Report) Allowed() bool {
	return r.Verdict == VerdictAllowed || r.Verdict == VerdictSameOrigin
}

// isCORSRelevant picks the response headers worth showing.
func isCORSRelevant(name string) bool {
	n := strings.ToLower(name)
	return strings.HasPrefix(n, "access-control-") || n == "vary" || n == "location"
}

func flatten(h http.Header, keep func(string) bool) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		if keep == nil || keep(k) {
			out[k] = strings.Join(v, ", ")
		}
	}
	return out
}

// Print writes the report as people read it.
func (r Report) Print(w io.Writer) {
	fmt.Fprintf(w, "%s %s from origin %s (credentials: %s)\n\n", r.Method, r.URL, r.Origin, r.Credentials)
	if r.Verdict != VerdictSameOrigin {
		if r.Preflight.Needed {
			fmt.Fprintln(w, "Preflight: needed")
			for _, why := range r.Preflight.Reasons {
				fmt.Fprintf(w, "  - %s\n", why)
			}
		} else {
			fmt.Fprintln(w, "Preflight: not needed (safelisted method and headers)")
		}
		if r.Credentials == "include" {
			fmt.Fprintln(w, "  credentials: 'include' adds no preflight, but the server must echo the origin (no '*') and send Access-Control-Allow-Credentials: true")
		}
		fmt.Fprintln(w)
	}
	for _, ex := range r.Exchanges {
		fmt.Fprintf(w, "  → %s %s\n", ex.Method, ex.URL)
		for _, k := range []string{"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"} {
			if v, ok := ex.RequestHeaders[k]; ok {
				fmt.Fprintf(w, "      %s: %s\n", k, v)
			}
		}
		if ex.Error != "" {
			fmt.Fprintf(w, "    ← no answer: %s\n", ex.Error)
			continue
		}
		fmt.Fprintf(w, "    ← %d %s\n", ex.Status, http.StatusText(ex.Status))
		keys := make([]string, 0, len(ex.ResponseHeaders))
		for k := range ex.ResponseHeaders {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "      %s: %s\n", k, ex.ResponseHeaders[k])
		}
	}
	if len(r.Exchanges) > 0 {
		fmt.Fprintln(w)
	}
	switch r.Verdict {
	case VerdictAllowed:
		fmt.Fprintln(w, "Verdict: ALLOWED — the browser lets the page read the response.")
	case VerdictSameOrigin:
		fmt.Fprintln(w, "Verdict: ALLOWED — same-origin, CORS does not apply.")
	case VerdictUnreachable:
		fmt.Fprintln(w, "Verdict: NOT A CORS PROBLEM — the request never reached a server.")
	case VerdictRefused:
		fmt.Fprintln(w, "Verdict: REFUSED — CORS allows the call, but the server answered with an error.")
	default:
		fmt.Fprintln(w, "Verdict: BLOCKED — the browser blocks this call.")
	}
	if r.Console != "" {
		fmt.Fprintf(w, "\nChromium console:\n  %s\n", r.Console)
	}
	if r.Network != "" {
		fmt.Fprintf(w, "  (DevTools shows: %s, and fetch() rejects with TypeError: Failed to fetch)\n", r.Network)
	}
	fmt.Fprintf(w, "\nWhy:   %s\n", r.Reason)
	if r.Fault != "" {
		fmt.Fprintf(w, "Fault: %s\n", r.Fault)
	}
	if r.Fix != "" {
		fmt.Fprintf(w, "Fix:   %s\n", r.Fix)
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintln(w, "\nWarnings:")
		for _, x := range r.Warnings {
			fmt.Fprintf(w, "  - %s\n", x)
		}
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w, "\nNotes:")
		for _, x := range r.Notes {
			fmt.Fprintf(w, "  - %s\n", x)
		}
	}
	if r.Verdict == VerdictBlocked && len(r.ServerHeaders.Every) > 0 {
		fmt.Fprintln(w, "\nThe server should send, on every response to this origin:")
		for _, l := range r.ServerHeaders.Every {
			fmt.Fprintf(w, "    %s\n", l)
		}
		if len(r.ServerHeaders.Preflight) > 0 {
			fmt.Fprintln(w, "  and on the preflight (OPTIONS, status 204):")
			for _, l := range r.ServerHeaders.Preflight {
				fmt.Fprintf(w, "    %s\n", l)
			}
		}
		if len(r.ServerHeaders.Actual) > 0 {
			fmt.Fprintln(w, "  and on the actual response:")
			for _, l := range r.ServerHeaders.Actual {
				fmt.Fprintf(w, "    %s\n", l)
			}
		}
	}
	if r.FixSnippet != "" {
		fmt.Fprintf(w, "\n%s:\n", r.FixStack)
		for l := range strings.SplitSeq(strings.TrimRight(r.FixSnippet, "\n"), "\n") {
			fmt.Fprintf(w, "  %s\n", l)
		}
	} else if r.Verdict == VerdictBlocked {
		fmt.Fprintf(w, "\nFor a config snippet: --fix %s\n", strings.Join(FixStacks, "|"))
	}
}
