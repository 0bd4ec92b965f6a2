package config

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// The keys each table accepts; anything else is an error with a suggestion.
var (
	topKeys      = []string{"listen", "allow_remote", "tls", "allowed_origins", "allowed_hosts", "retry", "timeout", "frontend", "routes", "process", "simulate"}
	frontendKeys = []string{"dev_server", "static", "spa", "dotfiles", "command"}
	routeKeys    = []string{"target", "strip_prefix", "change_origin", "rewrite", "headers", "insecure", "timeout", "retry", "allowed_origins", "cookies", "redirects", "cors",
		"mock", "delay", "throttle", "fail"}
	rewriteKeys = []string{"from", "to"}
	corsKeys    = []string{"allow_origins", "allow_credentials", "allow_methods", "allow_headers", "expose_headers", "max_age"}
)

// ReservedPrefix is devproxy's own namespace (status page, live feed); it is never proxied.
const ReservedPrefix = "/__devproxy"

// IsReserved reports whether p is ReservedPrefix or a path under it.
func IsReserved(p string) bool {
	return strings.HasPrefix(p, ReservedPrefix) && (len(p) == len(ReservedPrefix) || p[len(ReservedPrefix)] == '/')
}

// configReader turns the generic TOML tree into a Config, collecting every
// problem with its position instead of stopping at the first.
type configReader struct {
	file string
	src  string // the text being read, for fix lines built from the user's own lines
	dir  string // directory of the config file; relative paths resolve here
	ix   keyIndex
	env  func(string) (string, bool)
	errs Errors
	cfg  *Config
}

func (cr *configReader) fail(at position, msg, want, fix string) {
	cr.errs = append(cr.errs, &Error{File: cr.file, Line: at.Line, Col: at.Col, Msg: msg, Want: want, Fix: fix})
}

// failKey reports a problem with a key itself; failValue one with its value.
func (cr *configReader) failKey(path []string, msg, want, fix string) {
	cr.fail(cr.ix.lookup(path...).Key, msg, want, fix)
}

func (cr *configReader) failValue(path []string, msg, want, fix string) {
	cr.fail(cr.ix.lookup(path...).Value, msg, want, fix)
}

func (cr *configReader) warn(path []string, msg, want, fix string) {
	at := cr.ix.lookup(path...).Key
	cr.cfg.Warnings = append(cr.cfg.Warnings, &Error{File: cr.file, Line: at.Line, Col: at.Col, Msg: msg, Want: want, Fix: fix})
}

// displayKey spells a key path as the user would write it: routes."/api".target.
func DisplayKey(path []string) string {
	parts := make([]string, len(path))
	for i, p := range path {
		if p != "" && strings.IndexFunc(p, func(r rune) bool { return r > 0x7f || !isBareKeyChar(byte(r)) }) < 0 {
			parts[i] = p
		} else {
			parts[i] = fmt.Sprintf("%q", p)
		}
	}
	return strings.Join(parts, ".")
}

func with(path []string, key string) []string {
	return append(append([]string(nil), path...), key)
}

// checkKeys reports every key of tbl that is not in known.
func (cr *configReader) checkKeys(tbl map[string]any, path []string, known []string) {
	keys := make([]string, 0, len(tbl))
	for k := range tbl {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if contains(known, k) {
			continue
		}
		msg, fix := "unknown key "+DisplayKey(with(path, k)), ""
		if s := suggest(k, known); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
			fix = cr.fixKey(with(path, k), s)
		}
		cr.failKey(with(path, k), msg, "one of: "+strings.Join(known, ", "), fix)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// tomlType names a decoded TOML value's type the way the TOML spec does.
func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	default:
		return "a date/time"
	}
}

func (cr *configReader) typeErr(path []string, v any, want, fix string) {
	cr.failValue(path, fmt.Sprintf("%s is %s", DisplayKey(path), tomlType(v)), want, fix)
}

func (cr *configReader) str(tbl map[string]any, path []string, key string) (string, bool) {
	v, ok := tbl[key]
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		cr.typeErr(with(path, key), v, "a string", "")
		return "", false
	}
	return s, true
}

func (cr *configReader) boolean(tbl map[string]any, path []string, key string, def bool) bool {
	v, ok := tbl[key]
	if !ok {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		cr.typeErr(with(path, key), v, "true or false (without quotes)", cr.fixValue(with(path, key), fmt.Sprint(!def)))
		return def
	}
	return b
}

func (cr *configReader) strList(tbl map[string]any, path []string, key string) ([]string, bool) {
	v, ok := tbl[key]
	if !ok {
		return nil, false
	}
	arr, ok := v.([]any)
	if !ok {
		if s, isStr := v.(string); isStr {
			cr.typeErr(with(path, key), v, "an array of strings", cr.fixValue(with(path, key), "["+quote(s)+"]"))
		} else {
			cr.typeErr(with(path, key), v, "an array of strings", "")
		}
		return nil, false
	}
	out := make([]string, 0, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			cr.typeErr(with(with(path, key), fmt.Sprint(i)), e, "a string", "")
			continue
		}
		out = append(out, s)
	}
	return out, true
}

// durationSyntax is what a duration key's errors say where keys differ.
type durationSyntax struct {
	want     string // what the key takes
	intUnit  string // the unit a bare integer is suggested in: 5 → "5s"
	sep      string // between key and value in "… is not a duration": ": " or " = "
	example  string // the fix for a value that is not a duration (quoted); "" suggests the default
	trim     bool   // spaces around the value are allowed
	negative bool   // a negative value is called negative (fixed by its absolute value), not "not a duration"
}

// anyDuration is the syntax of retry and timeout.
var anyDuration = durationSyntax{want: `a duration such as "500ms", "5s" or "2m"`, intUnit: "s", sep: ": "}

func (cr *configReader) duration(tbl map[string]any, path []string, key string, def time.Duration) time.Duration {
	return cr.durationAs(tbl, path, key, def, anyDuration)
}

// durationAs reads a duration key of zero or more, its errors worded by
// syn; def is returned when the key is absent or wrong.
func (cr *configReader) durationAs(tbl map[string]any, path []string, key string, def time.Duration, syn durationSyntax) time.Duration {
	v, ok := tbl[key]
	if !ok {
		return def
	}
	k := with(path, key)
	s, ok := v.(string)
	if !ok {
		fix := ""
		if n, isInt := v.(int64); isInt {
			fix = cr.fixValue(k, fmt.Sprintf("\"%d%s\"", n, syn.intUnit))
		}
		cr.typeErr(k, v, syn.want, fix)
		return def
	}
	parsed := s
	if syn.trim {
		parsed = strings.TrimSpace(s)
	}
	d, err := time.ParseDuration(parsed)
	if err == nil && d < 0 && syn.negative {
		cr.failValue(k, fmt.Sprintf("%s = %q is negative", DisplayKey(k), s), syn.want, cr.fixValue(k, quote((-d).String())))
		return def
	}
	if err != nil || d < 0 {
		fix := syn.example
		if fix == "" {
			fix = quote(def.String())
		}
		cr.failValue(k, fmt.Sprintf("%s%s%q is not a duration", DisplayKey(k), syn.sep, s), syn.want, cr.fixValue(k, fix))
		return def
	}
	return d
}

// timeout reads a timeout key, which must be more than zero: a zero
// timeout would fail every request at once.
func (cr *configReader) timeout(tbl map[string]any, path []string, def time.Duration) time.Duration {
	d := cr.duration(tbl, path, "timeout", def)
	if d <= 0 {
		cr.failValue(with(path, "timeout"), fmt.Sprintf("%s = %q would fail every request at once", DisplayKey(with(path, "timeout")), d),
			"a duration above zero: how long to wait for a backend to connect and send headers", cr.fixValue(with(path, "timeout"), quote(defaultTimeout.String())))
		return def
	}
	return d
}

func (cr *configReader) table(tbl map[string]any, path []string, key string) (map[string]any, bool) {
	v, ok := tbl[key]
	if !ok {
		return nil, false
	}
	t, ok := v.(map[string]any)
	if !ok {
		cr.typeErr(with(path, key), v, "a table", "")
		return nil, false
	}
	return t, true
}

// read builds the Config from the decoded tree.
func (cr *configReader) read(raw map[string]any) *Config {
	cfg := &Config{}
	cr.cfg = cfg
	cr.checkKeys(raw, nil, topKeys)

	cfg.Listen = defaultListen
	cfg.AllowRemote = cr.boolean(raw, nil, "allow_remote", false)
	if s, ok := cr.str(raw, nil, "listen"); ok {
		cr.readListen(cfg, s)
	}
	cr.readTLS(raw, cfg)
	cfg.AllowedOrigins = cr.origins(raw, nil, "allowed_origins")
	cfg.AllowedHosts = cr.hosts(raw, nil, "allowed_hosts")
	cfg.Retry = cr.duration(raw, nil, "retry", defaultRetry)
	cfg.Timeout = cr.timeout(raw, nil, defaultTimeout)

	if fe, ok := cr.table(raw, nil, "frontend"); ok {
		cr.readFrontend(fe, &cfg.Frontend)
	}
	if routes, ok := cr.table(raw, nil, "routes"); ok {
		cr.readRoutes(routes, cfg)
	}
	cr.readProcesses(raw, cfg)
	if sim, ok := cr.table(raw, nil, "simulate"); ok {
		cfg.Simulate = cr.readSimulate(sim)
	}
	if cfg.Frontend.DevServer == "" && cfg.Frontend.Static == "" && len(cfg.Routes) == 0 && len(cr.errs) == 0 {
		// Pointed at the last line, so that the fix, which adds a
		// [frontend] table after it, replaces that line.
		n, last := lastLine(cr.src)
		fix := "[frontend]\ndev_server = \"http://localhost:5173\""
		if last != "" {
			fix = last + "\n" + fix
		}
		cr.fail(position{n, 1}, "nothing to serve: no [frontend] and no [routes]",
			"a [frontend] with dev_server or static, and/or routes", fix)
	}
	return cfg
}

func (cr *configReader) readFrontend(fe map[string]any, out *Frontend) {
	path := []string{"frontend"}
	cr.checkKeys(fe, path, frontendKeys)
	if s, ok := cr.str(fe, path, "dev_server"); ok {
		out.DevServer = cr.target(with(path, "dev_server"), s)
	}
	if s, ok := cr.str(fe, path, "static"); ok {
		out.Static = cr.staticDir(with(path, "static"), s)
	}
	out.SPA = cr.boolean(fe, path, "spa", true)
	out.Dotfiles = cr.boolean(fe, path, "dotfiles", false)
	if s, ok := cr.str(fe, path, "command"); ok {
		out.Command = s
		_, static := fe["static"]
		if _, set := fe["dev_server"]; !set && static {
			cr.failKey(with(path, "command"), "[frontend] command needs dev_server: devproxy waits for it and forwards to it",
				"dev_server instead of static: the URL the command serves on", "")
		} else if !set {
			cr.failKey(with(path, "command"), "[frontend] command needs dev_server: devproxy waits for it and forwards to it",
				"the URL the command serves on", cr.fixBefore(with(path, "command"), `dev_server = "http://localhost:5173"`))
		}
	}
	if _, set := fe["dev_server"]; set {
		if _, both := fe["static"]; both {
			cr.failKey(with(path, "static"), "[frontend] has both dev_server and static",
				"exactly one: dev_server to forward to a running dev server, static to serve a build directory; delete the other line", "")
		}
		if _, dot := fe["dotfiles"]; dot {
			cr.failKey(with(path, "dotfiles"), "dotfiles applies only to a static frontend", "no dotfiles beside dev_server: delete this line", "")
		}
		if _, spa := fe["spa"]; spa {
			cr.failKey(with(path, "spa"), "spa applies only to a static frontend; the dev server does its own fallback", "no spa beside dev_server: delete this line", "")
		}
	}
}

func (cr *configReader) staticDir(path []string, s string) string {
	dir := s
	if !filepath.IsAbs(dir) && cr.dir != "" {
		dir = filepath.Join(cr.dir, dir)
	}
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		cr.failValue(path, fmt.Sprintf("static directory %q does not exist", s),
			fmt.Sprintf("a directory holding your build, relative to the config file (in %s): run your build first (npm run build), or correct the path", filepath.Dir(cr.file)), "")
	case !fi.IsDir():
		cr.failValue(path, fmt.Sprintf("static %q is a file, not a directory", s), "the build directory, e.g. \"dist\"", cr.fixValue(path, quote(filepath.ToSlash(filepath.Dir(s)))))
	}
	return dir
}

// target validates a backend URL (the value of the key path) and returns
// it normalised (ws→http, wss→https).
func (cr *configReader) target(path []string, s string) string {
	fixed, problem := CheckTarget(s)
	if problem == "" {
		return fixed
	}
	fix := ""
	if fixed != "" {
		fix = cr.fixValue(path, quote(fixed))
	}
	cr.failValue(path, problem, "an http:// or https:// URL (ws:// and wss:// are accepted as synonyms)", fix)
	return ""
}

// mistypedScheme is a URL scheme devproxy accepts followed by a mistyped
// "://" (":/", "//" and ":" are typos of it).
var mistypedScheme = regexp.MustCompile(`^(?i)(https?|wss?)(:/?|//)`)

// CheckTarget returns the normalised URL, or a problem and (if one can be
// guessed) a corrected URL.
func CheckTarget(s string) (fixed, problem string) {
	if m := mistypedScheme.FindStringSubmatch(s); m != nil && !strings.Contains(s, "://") {
		// "http//localhost:8080", "http:/localhost:8080": the scheme is
		// there, only its "://" is mistyped; prefixing another http://
		// would make it worse.
		guess := strings.ToLower(m[1]) + "://" + s[len(m[0]):]
		if u, err := url.Parse(guess); err == nil && u.Hostname() != "" {
			fixed, _ = CheckTarget(guess)
		}
		return fixed, fmt.Sprintf("target %q: the scheme %s is not followed by \"://\"", s, m[1])
	}
	if !strings.Contains(s, "://") {
		guess := "http://" + s
		if strings.HasPrefix(s, ":") {
			guess = "http://localhost" + s
		}
		if u, err := url.Parse(guess); err != nil || u.Host == "" || s == "" {
			guess = ""
		}
		return guess, fmt.Sprintf("target %q has no scheme", s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Sprintf("target %q is not a URL: %v", s, unwrapURLError(err))
	}
	switch u.Scheme {
	case "http", "https":
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	default:
		u.Scheme = "http"
		return u.String(), fmt.Sprintf("target %q has scheme %q", s, strings.TrimSuffix(s[:strings.Index(s, "://")], ":"))
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", fmt.Sprintf("target %q has no host", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		u.RawQuery, u.Fragment, u.User = "", "", nil
		return u.String(), fmt.Sprintf("target %q has a query, fragment or user info, which devproxy cannot forward", s)
	}
	return u.String(), ""
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// origins reads a list of browser origins ("*" allowed).
func (cr *configReader) origins(tbl map[string]any, path []string, key string) []string {
	list, ok := cr.strList(tbl, path, key)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(list))
	for i, o := range list {
		if o == "*" {
			out = append(out, o)
			cr.warn(with(path, key), fmt.Sprintf("%s allows every origin (\"*\"): any web page you visit can use this through your browser", DisplayKey(with(path, key))), "the origins you use, listed one by one", "")
			continue
		}
		norm, ok := web.NormalizeOrigin(o)
		if !ok {
			cr.failValue(with(with(path, key), fmt.Sprint(i)), fmt.Sprintf("%s: %q is not an origin", DisplayKey(with(path, key)), o),
				"scheme://host[:port] with nothing after it, e.g. \"http://localhost:5173\"", "")
			continue
		}
		out = append(out, norm)
	}
	return out
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// MapTemplate rebuilds a header value as written in the file: each literal
// run of text goes through literal, each ${VAR} reference through ref
// (with the variable's name). Loading expands the references from the
// environment; an exported config writes them in its engine's syntax.
func MapTemplate(s string, literal func(string) string, ref func(name string) string) string {
	var b strings.Builder
	last := 0
	for _, m := range envRef.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(literal(s[last:m[0]]))
		b.WriteString(ref(s[m[2]:m[3]]))
		last = m[1]
	}
	b.WriteString(literal(s[last:]))
	return b.String()
}

// expandEnv replaces ${VAR} references, reporting the first missing one.
func (cr *configReader) expandEnv(s string) (out string, missing string, used bool) {
	keep := func(text string) string { return text }
	out = MapTemplate(s, keep, func(name string) string {
		used = true
		v, ok := cr.env(name)
		if !ok && missing == "" {
			missing = name
		}
		return v
	})
	return out, missing, used
}

// hosts reads a list of Host names ("*" and ".suffix" allowed).
func (cr *configReader) hosts(tbl map[string]any, path []string, key string) []string {
	list, ok := cr.strList(tbl, path, key)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(list))
	for i, h := range list {
		h = strings.ToLower(strings.TrimSuffix(h, "."))
		if h == "*" {
			cr.warn(with(path, key), fmt.Sprintf("%s = [\"*\"] turns off the Host check: a DNS-rebinding page can reach your backends", DisplayKey(with(path, key))), "the names you use, listed one by one", "")
			out = append(out, h)
			continue
		}
		name := strings.TrimPrefix(h, ".")
		if name == "" || strings.ContainsAny(name, "/:@ ") {
			cr.failValue(with(with(path, key), fmt.Sprint(i)), fmt.Sprintf("%s: %q is not a host name", DisplayKey(with(path, key)), list[i]),
				`a name without scheme or port, e.g. "myapp.test", or ".myapp.test" for it and its subdomains`, "")
			continue
		}
		out = append(out, h)
	}
	return out
}
