package doctor

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// FixStacks are the values --fix accepts.
var FixStacks = []string{"express", "django", "flask", "go", "nginx", "apache", "devproxy"}

// corsPolicy is the smallest server policy that lets the call through.
type corsPolicy struct {
	Origin      string
	Credentials bool
	// Method is the call's method.
	Method string
	// Methods and Headers are empty when the call needs no preflight.
	Methods, Headers []string
	Expose           []string
	MaxAge           int
	// Path is the request path, for location blocks.
	Path string
}

// policyFor derives the policy from the call the page makes.
func policyFor(call corsCall) corsPolicy {
	p := corsPolicy{Origin: call.Origin, Credentials: call.include(), MaxAge: web.ChromiumMaxAge, Path: call.URL.EscapedPath(),
		Method: call.Method}
	if p.Path == "" {
		p.Path = "/"
	}
	need := needsPreflight(call.Method, call.Header)
	if need.Needed {
		p.Methods = []string{call.Method}
		p.Headers = need.UnsafeHeaders
	}
	for _, r := range call.Read {
		if !slices.Contains(safelistedResponseHeaders, strings.ToLower(r)) && !slices.ContainsFunc(p.Expose, func(e string) bool { return strings.EqualFold(e, r) }) {
			p.Expose = append(p.Expose, r)
		}
	}
	return p
}

// headerLines are the response headers the policy needs: on every
// response, on the preflight only, and on the actual response only.
func (p corsPolicy) headerLines() (both, preflight, actual []string) {
	both = []string{"Access-Control-Allow-Origin: " + p.Origin, "Vary: Origin"}
	if p.Credentials {
		both = append(both, "Access-Control-Allow-Credentials: true")
	}
	if len(p.Expose) > 0 {
		actual = append(actual, "Access-Control-Expose-Headers: "+strings.Join(p.Expose, ", "))
	}
	if len(p.Methods) == 0 {
		return both, nil, actual
	}
	preflight = append(preflight, "Access-Control-Allow-Methods: "+strings.Join(p.Methods, ", "))
	if len(p.Headers) > 0 {
		preflight = append(preflight, "Access-Control-Allow-Headers: "+strings.Join(p.Headers, ", "))
	}
	preflight = append(preflight, fmt.Sprintf("Access-Control-Max-Age: %d", p.MaxAge))
	return both, preflight, actual
}

// fixSnippet renders the policy for one stack; target is the API's URL for
// the devproxy route.
func fixSnippet(stack string, p corsPolicy, target *url.URL) string {
	switch stack {
	case "express":
		return expressFix(p)
	case "django":
		return djangoFix(p)
	case "flask":
		return flaskFix(p)
	case "go":
		return goFix(p)
	case "nginx":
		return nginxFix(p)
	case "apache":
		return apacheFix(p)
	case "devproxy":
		return devproxyFix(p, target)
	}
	return ""
}

func quoteList(items []string, q string) string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = q + s + q
	}
	return strings.Join(out, ", ")
}

func expressFix(p corsPolicy) string {
	var b strings.Builder
	b.WriteString("// npm install cors — register before your routes and any auth middleware\nconst cors = require('cors');\napp.use(cors({\n")
	fmt.Fprintf(&b, "  origin: '%s',\n", p.Origin)
	if p.Credentials {
		b.WriteString("  credentials: true,\n")
	}
	if len(p.Methods) > 0 {
		fmt.Fprintf(&b, "  methods: [%s],\n", quoteList(p.Methods, "'"))
	}
	if len(p.Headers) > 0 {
		fmt.Fprintf(&b, "  allowedHeaders: [%s],\n", quoteList(p.Headers, "'"))
	}
	if len(p.Expose) > 0 {
		fmt.Fprintf(&b, "  exposedHeaders: [%s],\n", quoteList(p.Expose, "'"))
	}
	fmt.Fprintf(&b, "  maxAge: %d,\n}));\n", p.MaxAge)
	return b.String()
}

// django-cors-headers' corsheaders.defaults (4.x): the snippet extends
// them, so it lists only what they lack and never repeats an entry.
var (
	djangoDefaultMethods = []string{"DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT"}
	djangoDefaultHeaders = []string{"accept", "authorization", "content-type", "user-agent", "x-csrftoken", "x-requested-with"}
)

func djangoFix(p corsPolicy) string {
	var b strings.Builder
	b.WriteString("# settings.py — pip install django-cors-headers\nINSTALLED_APPS += [\"corsheaders\"]\n")
	b.WriteString("MIDDLEWARE.insert(0, \"corsheaders.middleware.CorsMiddleware\")  # before CommonMiddleware\n")
	fmt.Fprintf(&b, "CORS_ALLOWED_ORIGINS = [\"%s\"]\n", p.Origin)
	if p.Credentials {
		b.WriteString("CORS_ALLOW_CREDENTIALS = True\n")
	}
	methods := without(p.Methods, djangoDefaultMethods)
	headers := without(p.Headers, djangoDefaultHeaders)
	switch {
	case len(methods) > 0 && len(headers) > 0:
		b.WriteString("from corsheaders.defaults import default_headers, default_methods\n")
	case len(methods) > 0:
		b.WriteString("from corsheaders.defaults import default_methods\n")
	case len(headers) > 0:
		b.WriteString("from corsheaders.defaults import default_headers\n")
	}
	if len(methods) > 0 {
		fmt.Fprintf(&b, "CORS_ALLOW_METHODS = (*default_methods, %s)\n", quoteList(methods, "\""))
	}
	if len(headers) > 0 {
		fmt.Fprintf(&b, "CORS_ALLOW_HEADERS = (*default_headers, %s)\n", quoteList(headers, "\""))
	}
	if len(p.Expose) > 0 {
		fmt.Fprintf(&b, "CORS_EXPOSE_HEADERS = [%s]\n", quoteList(p.Expose, "\""))
	}
	fmt.Fprintf(&b, "CORS_PREFLIGHT_MAX_AGE = %d\n", p.MaxAge)
	if p.Credentials && !slices.Contains([]string{"GET", "HEAD", "OPTIONS", "TRACE"}, p.Method) {
		// CORS only lets the page read the answer; Django's CSRF check
		// refuses an unsafe method from another origin on its own.
		fmt.Fprintf(&b, "CSRF_TRUSTED_ORIGINS = [\"%s\"]  # Django's CSRF check is separate from CORS: without this, %s from the page gets 403 \"Origin checking failed\"\n",
			p.Origin, p.Method)
	}
	return b.String()
}

// without returns the items of list not in defaults (case-insensitively).
func without(list, defaults []string) []string {
	var out []string
	for _, s := range list {
		if !slices.ContainsFunc(defaults, func(d string) bool { return strings.EqualFold(d, s) }) {
			out = append(out, s)
		}
	}
	return out
}

func flaskFix(p corsPolicy) string {
	var b strings.Builder
	b.WriteString("# pip install flask-cors\nfrom flask_cors import CORS\n")
	fmt.Fprintf(&b, "CORS(app, origins=[\"%s\"]", p.Origin)
	if p.Credentials {
		b.WriteString(", supports_credentials=True")
	}
	if len(p.Methods) > 0 {
		fmt.Fprintf(&b, ",\n     methods=[%s]", quoteList(p.Methods, "\""))
	}
	if len(p.Headers) > 0 {
		fmt.Fprintf(&b, ",\n     allow_headers=[%s]", quoteList(p.Headers, "\""))
	}
	if len(p.Expose) > 0 {
		fmt.Fprintf(&b, ",\n     expose_headers=[%s]", quoteList(p.Expose, "\""))
	}
	fmt.Fprintf(&b, ",\n     max_age=%d)\n", p.MaxAge)
	return b.String()
}

func goFix(p corsPolicy) string {
	both, pre, act := p.headerLines()
	var b strings.Builder
	b.WriteString("// withCORS wraps your handler: http.ListenAndServe(addr, withCORS(mux))\n")
	b.WriteString("func withCORS(next http.Handler) http.Handler {\n\treturn http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {\n")
	fmt.Fprintf(&b, "\t\tif r.Header.Get(\"Origin\") != %q {\n\t\t\tnext.ServeHTTP(w, r)\n\t\t\treturn\n\t\t}\n", p.Origin)
	b.WriteString("\t\th := w.Header()\n")
	for _, l := range append(slices.Clone(both), act...) {
		name, val, _ := strings.Cut(l, ": ")
		verb := "Set"
		if name == "Vary" {
			verb = "Add"
		}
		fmt.Fprintf(&b, "\t\th.%s(%q, %q)\n", verb, name, val)
	}
	if len(pre) > 0 {
		b.WriteString("\t\tif r.Method == http.MethodOptions && r.Header.Get(\"Access-Control-Request-Method\") != \"\" {\n")
		for _, l := range pre {
			name, val, _ := strings.Cut(l, ": ")
			fmt.Fprintf(&b, "\t\t\th.Set(%q, %q)\n", name, val)
		}
		b.WriteString("\t\t\tw.WriteHeader(http.StatusNoContent)\n\t\t\treturn\n\t\t}\n")
	}
	b.WriteString("\t\tnext.ServeHTTP(w, r)\n\t})\n}\n")
	return b.String()
}

func nginxFix(p corsPolicy) string {
	both, pre, act := p.headerLines()
	var b strings.Builder
	fmt.Fprintf(&b, "location %s {\n", p.Path)
	b.WriteString("    # if the app behind also sets CORS headers, hide them so there is only one of each\n")
	b.WriteString("    proxy_hide_header Access-Control-Allow-Origin;\n    proxy_hide_header Access-Control-Allow-Credentials;\n")
	if len(pre) > 0 {
		b.WriteString("    if ($request_method = OPTIONS) {\n")
		for _, l := range append(slices.Clone(both), pre...) {
			name, val, _ := strings.Cut(l, ": ")
			fmt.Fprintf(&b, "        add_header %s \"%s\" always;\n", name, val)
		}
		b.WriteString("        return 204;\n    }\n")
	}
	for _, l := range append(slices.Clone(both), act...) {
		name, val, _ := strings.Cut(l, ": ")
		fmt.Fprintf(&b, "    add_header %s \"%s\" always;\n", name, val)
	}
	b.WriteString("    proxy_pass http://backend;  # your upstream\n}\n")
	return b.String()
}

func apacheFix(p corsPolicy) string {
	both, pre, act := p.headerLines()
	var b strings.Builder
	b.WriteString("# a2enmod headers rewrite\n")
	fmt.Fprintf(&b, "<Location \"%s\">\n", p.Path)
	for _, l := range append(slices.Clone(both), act...) {
		name, val, _ := strings.Cut(l, ": ")
		verb := "set"
		if name == "Vary" {
			verb = "merge"
		}
		fmt.Fprintf(&b, "    Header always %s %s \"%s\"\n", verb, name, val)
	}
	for _, l := range pre {
		name, val, _ := strings.Cut(l, ": ")
		fmt.Fprintf(&b, "    Header always set %s \"%s\" \"expr=%%{REQUEST_METHOD} == 'OPTIONS'\"\n", name, val)
	}
	b.WriteString("</Location>\n")
	if len(pre) > 0 {
		b.WriteString("# answer the preflight with 204 before it reaches the app\nRewriteEngine On\nRewriteCond %{REQUEST_METHOD} OPTIONS\n")
		fmt.Fprintf(&b, "RewriteRule ^%s - [R=204,L]\n", strings.TrimSuffix(p.Path, "/"))
	}
	return b.String()
}

// devproxyFix makes the call same-origin: the page and the API both come
// through devproxy, so the browser never applies CORS.
func devproxyFix(p corsPolicy, target *url.URL) string {
	// Route the API's first path segment when it has one to spare
	// (/api/users → "/api"); otherwise mount it under /api and strip that.
	prefix, strip := "/api", true
	if seg, rest, ok := strings.Cut(strings.TrimPrefix(target.Path, "/"), "/"); ok && seg != "" && rest != "" {
		prefix, strip = "/"+seg, false
	}
	listen := "localhost:3000"
	if strings.HasSuffix(p.Origin, ":3000") {
		listen = "localhost:8000"
	}
	var b strings.Builder
	b.WriteString("# devproxy.toml — serve the page and the API from one origin: the call becomes same-origin and CORS never applies\n")
	fmt.Fprintf(&b, "listen = %q\n\n[frontend]\ndev_server = %q   # where the page is served now\n\n", listen, p.Origin)
	if strip {
		fmt.Fprintf(&b, "[routes.%q]\ntarget = %q\nstrip_prefix = true\n", prefix, web.OriginOf(target))
	} else {
		fmt.Fprintf(&b, "[routes]\n%q = %q\n", prefix, web.OriginOf(target))
	}
	page := target.EscapedPath()
	if strip {
		page = prefix + page
	}
	if target.RawQuery != "" {
		page += "?" + target.RawQuery
	}
	fmt.Fprintf(&b, "\n# then open http://%s and call fetch('%s') instead of '%s'\n", listen, page, canonicalURL(target))
	return b.String()
}
