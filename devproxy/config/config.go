package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// DefaultFile is the file devproxy looks for in the current directory.
const DefaultFile = "devproxy.toml"

const (
	defaultListen  = "localhost:3000"
	defaultTimeout = 30 * time.Second // dial + response headers; long enough for a cold backend, short enough to notice a hang
	defaultRetry   = 5 * time.Second  // nodemon/air/cargo-watch restarts usually take 1–3 s
)

// Config is a parsed and validated devproxy.toml. Every value is resolved:
// defaults applied, ${VAR} references expanded, relative paths made absolute.
type Config struct {
	// File is the path the config was read from ("" for a built-in config).
	File string
	// Listen is the host:port to serve on, without the scheme the file may
	// give it. "localhost:PORT" binds both 127.0.0.1 and [::1].
	Listen string
	// HTTPS is set when listen has the https:// scheme: devproxy serves TLS
	// (HTTP/2 and HTTP/1.1) on that port, and answers plain-HTTP requests
	// there with a redirect to https.
	HTTPS bool
	// TLS is the [tls] table: a certificate of the user's own (mkcert's,
	// say). If nil, an https listen uses devproxy's local CA.
	TLS *TLS
	// AllowRemote permits a Listen address that is not loopback.
	AllowRemote bool
	// AllowedOrigins are extra browser origins allowed to open WebSockets
	// through every route. If empty, only the proxy's own origins (and
	// handshakes without an Origin header) are accepted.
	AllowedOrigins []string
	// AllowedHosts are extra Host names devproxy answers to, beside
	// localhost, *.localhost, IP addresses and the listen host; a leading
	// dot allows subdomains (".example.test"), "*" allows any. Requests for
	// other names are refused (DNS-rebinding protection).
	AllowedHosts []string
	// Retry is how long a request waits for a backend that answered recently
	// and now refuses connections (it is restarting) before devproxy gives up.
	Retry time.Duration
	// Timeout is the default per-route dial + response-header timeout.
	Timeout  time.Duration
	Frontend Frontend
	// Routes are sorted by path; matching uses the longest path, not this order.
	Routes []Route
	// Processes are the [[process]] commands devproxy runs and stops.
	Processes []Process
	// Simulate holds the network conditions for every request ([simulate]).
	Simulate Simulate
	// Overrides are the command-line settings applied over the file; a
	// reload applies them again (see Override).
	Overrides Overrides
	// Warnings are accepted but risky settings, in file:line:col form.
	Warnings []*Error
}

// Overrides are settings given on the command line instead of in the file.
// The zero value overrides nothing.
type Overrides struct {
	// Listen replaces listen (serve --listen); an https:// scheme turns
	// TLS on, an http:// scheme or none turns it off.
	Listen string
	// DevCommand replaces [frontend] command (devproxy -- CMD).
	DevCommand string
}

// Override applies o over the file's settings and records it, so that a
// reload of the file can apply it again. Check o.Listen with
// CheckListenAddr first.
func (c *Config) Override(o Overrides) {
	if o.Listen != "" {
		if hostport, https, problem, _ := ParseListen(o.Listen); problem == "" {
			c.Listen, c.HTTPS = hostport, https
		}
	}
	if o.DevCommand != "" {
		c.Frontend.Command = o.DevCommand
	}
	c.Overrides = o
}

// TLS names a certificate and key of the user's own, as absolute paths;
// both were readable, matched and were in date when the config was read.
type TLS struct {
	Cert string
	Key  string
}

// Frontend is what serves every path that no route matches.
type Frontend struct {
	// DevServer is the URL of the frontend dev server (Vite, webpack, Next).
	DevServer string
	// Static is an absolute directory holding a built frontend.
	Static string
	// SPA serves /index.html for unknown extension-less paths (static only).
	SPA bool
	// Dotfiles serves files and directories whose name starts with a dot
	// (.env, .git); off by default.
	Dotfiles bool
	// Command starts the dev server (sh -c, in the config file's
	// directory). If empty, the dev server is started by someone else.
	Command string
}

// Route forwards a path prefix to a backend.
type Route struct {
	// Path is the prefix, starting with "/" and without a trailing slash
	// (except the root route "/").
	Path string
	// Target is the backend URL, normalised to http or https.
	Target string
	// StripPrefix removes Path from the request path before forwarding.
	StripPrefix bool
	// ChangeOrigin sends the target's Host instead of the browser's, and
	// presents the target's origin in Origin (and Referer) when the browser
	// sent devproxy's own.
	ChangeOrigin bool
	// Rewrite, if set, rewrites the path after StripPrefix.
	Rewrite *Rewrite
	// Headers are set on every upstream request, ${VAR} already expanded.
	Headers map[string]string
	// SecretHeaders names the headers whose values came from the
	// environment; logs and the status page mask them.
	SecretHeaders map[string]bool
	// HeaderTemplates holds each of SecretHeaders as written in the file,
	// ${VAR} unexpanded, so an exported config can refer to the variable
	// without ever containing its value.
	HeaderTemplates map[string]string
	// Insecure accepts a target's self-signed TLS certificate.
	Insecure bool
	// Timeout bounds the wait for the backend to connect and send headers.
	Timeout time.Duration
	// Retry is how long a request waits for a restarting backend.
	Retry time.Duration
	// AllowedOrigins, if set, replaces Config.AllowedOrigins for this route.
	AllowedOrigins []string
	// Cookies is "rewrite" (default) or "passthrough".
	Cookies string
	// Redirects is "rewrite" (default: Location, Content-Location and
	// Refresh are mapped to devproxy's origin and the route prefix) or
	// "passthrough" (left as the backend wrote them).
	Redirects string
	// CORS, if set, makes devproxy answer CORS for this route itself.
	CORS *CORS
	// Mock, if set, answers the route's requests: the target, if the route
	// has one, is never contacted.
	Mock *Mock
	// Delay is waited before each request is forwarded (or mocked), so the
	// browser sees it before the response headers. It does not count
	// towards Timeout.
	Delay time.Duration
	// Throttle caps the bandwidth of the route's bodies; the route's
	// requests share it, as they would share a slow link.
	Throttle Throttle
	// Fail makes a share of the route's requests fail.
	Fail Fail
	// Line is where the route is defined, for messages.
	Line int
}

// Rewrite is a regexp path rewrite applied after StripPrefix.
type Rewrite struct {
	From string
	To   string
}

// CORS configures devproxy's own CORS answers for one route.
type CORS struct {
	// AllowOrigins are exact origins; "*" echoes any requesting origin.
	AllowOrigins []string
	// AllowCredentials sends Access-Control-Allow-Credentials: true.
	AllowCredentials bool
	AllowMethods     []string
	// AllowHeaders; if empty, the browser's Access-Control-Request-Headers are echoed.
	AllowHeaders []string
	// ExposeHeaders lists response headers the page's script may read.
	ExposeHeaders []string
	// MaxAge in seconds; 0 means the header is not sent.
	MaxAge int
}

// Load reads and validates the config file at path, expanding ${VAR} from
// the process environment.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return Parse(path, data, os.LookupEnv)
}

// Parse decodes and validates config text. name is used in error messages
// and, when it is a path, to resolve relative static directories. lookupEnv
// expands ${VAR}; nil means no variables are set.
// Every error it returns is a Errors.
func Parse(name string, data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	if lookupEnv == nil {
		lookupEnv = func(string) (string, bool) { return "", false }
	}
	raw, src, shifts, errs := decode(name, string(data))
	if raw == nil {
		return nil, errs
	}
	cr := &configReader{file: name, src: src, ix: indexKeys(src), env: lookupEnv, errs: errs}
	if name != "" {
		abs, err := filepath.Abs(filepath.Dir(name))
		if err == nil {
			cr.dir = abs
		}
	}
	cfg := cr.read(raw)
	cfg.File = name
	if len(cr.errs) > 0 {
		shifts.apply(cr.errs)
		cr.errs.sort()
		return nil, cr.errs
	}
	return cfg, nil
}

// decode parses src as TOML. An unquoted route path is reported and
// quoted, and decoding goes on with the quoted text, so the rest of the
// file is still checked; src is the text that was decoded and shifts what
// quoting moved. raw is nil when the text is not TOML even so.
func decode(name, src string) (raw map[string]any, decoded string, shifts columnShifts, errs Errors) {
	lines := strings.Split(src, "\n")
	for { // each round quotes one more line or returns
		raw = nil
		_, err := toml.Decode(src, &raw)
		if err == nil {
			return raw, src, shifts, errs
		}
		var perr toml.ParseError
		if errors.As(err, &perr) && perr.Position.Line >= 1 && perr.Position.Line <= len(lines) {
			n := perr.Position.Line
			if e, fixed, ok := quoteBareRouteKey(name, lines, n); ok {
				errs = append(errs, e)
				shifts = append(shifts, columnShift{line: n, after: e.Col, by: len(fixed) - len(lines[n-1])})
				lines[n-1] = fixed
				src = strings.Join(lines, "\n")
				continue
			}
		}
		return nil, src, shifts, append(errs, syntaxError(name, err))
	}
}

// columnShift records that quoting a route path made line longer by "by"
// bytes from column "after" on.
type columnShift struct{ line, after, by int }

type columnShifts []columnShift

// apply moves the columns of errs back to where they are in the file the
// user wrote.
func (cs columnShifts) apply(errs Errors) {
	for _, s := range cs {
		for _, e := range errs {
			if e.Line == s.line && e.Col > s.after {
				e.Col = max(e.Col-s.by, 1)
			}
		}
	}
}

// syntaxError turns a TOML parse error into a positioned Error.
func syntaxError(name string, err error) *Error {
	var perr toml.ParseError
	if errors.As(err, &perr) {
		line, col := max(perr.Position.Line, 1), max(perr.Position.Col, 1)
		ce := &Error{File: name, Line: line, Col: col, Msg: "invalid TOML: " + perr.Message}
		if perr.Usage != "" {
			ce.Want = perr.Usage
		}
		ce.Excerpt = excerpt(perr)
		return ce
	}
	return &Error{File: name, Line: 1, Col: 1, Msg: "invalid TOML: " + err.Error()}
}

// excerpt keeps the source lines and caret from ErrorWithPosition, without
// its own headline (ours already says file:line:col).
func excerpt(perr toml.ParseError) (s string) {
	defer func() {
		if recover() != nil { // ErrorWithPosition indexes the input; never let a message crash the parser
			s = ""
		}
	}()
	full := perr.ErrorWithPosition()
	if i := strings.IndexByte(full, '\n'); i >= 0 {
		return full[i+1:]
	}
	return ""
}

// RoutePaths returns the configured route paths, in table order.
func (c *Config) RoutePaths() []string {
	paths := make([]string, len(c.Routes))
	for i, rt := range c.Routes {
		paths[i] = rt.Path
	}
	return paths
}

func sortRoutes(routes []Route) {
	sort.Slice(routes, func(i, j int) bool { return routes[i].Path < routes[j].Path })
}
