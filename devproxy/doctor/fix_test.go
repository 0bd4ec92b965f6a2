package doctor

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/devproxy/devproxy/devproxy/config"
)

func TestFixSnippets(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:8080/api/items")
	call := corsCall{URL: u, Origin: "http://localhost:5173", Method: "PUT", Credentials: "include",
		Header: []Header{{"X-Trace", "1"}, {"Content-Type", "application/json"}}, Read: []string{"X-Total-Count", "Content-Type"}}
	p := policyFor(call)
	want := map[string][]string{
		"express": {"origin: 'http://localhost:5173'", "credentials: true", "methods: ['PUT']", "allowedHeaders: ['content-type', 'x-trace']", "exposedHeaders: ['X-Total-Count']", "maxAge: 7200"},
		"django": {`CORS_ALLOWED_ORIGINS = ["http://localhost:5173"]`, "CORS_ALLOW_CREDENTIALS = True", `CORS_ALLOW_HEADERS = (*default_headers, "x-trace")`,
			`CORS_EXPOSE_HEADERS = ["X-Total-Count"]`, `CSRF_TRUSTED_ORIGINS = ["http://localhost:5173"]`},
		"flask":    {`origins=["http://localhost:5173"]`, "supports_credentials=True", `methods=["PUT"]`, `allow_headers=["content-type", "x-trace"]`},
		"go":       {`h.Set("Access-Control-Allow-Origin", "http://localhost:5173")`, `h.Add("Vary", "Origin")`, `h.Set("Access-Control-Allow-Headers", "content-type, x-trace")`, "http.StatusNoContent"},
		"nginx":    {"location /api/items {", `add_header Access-Control-Allow-Credentials "true" always;`, "return 204;"},
		"apache":   {`Header always set Access-Control-Allow-Origin "http://localhost:5173"`, "Header always merge Vary \"Origin\"", "RewriteRule ^/api/items - [R=204,L]"},
		"devproxy": {`"/api" = "http://127.0.0.1:8080"`, `dev_server = "http://localhost:5173"`, "fetch('/api/items')"},
	}
	for _, stack := range FixStacks {
		t.Run(stack, func(t *testing.T) {
			got := fixSnippet(stack, p, u)
			for _, w := range want[stack] {
				if !strings.Contains(got, w) {
					t.Errorf("fixSnippet(%s) lacks %q:\n%s", stack, w, got)
				}
			}
		})
	}
}

// The devproxy snippet must be a config devproxy accepts.
func TestDevproxyFixParses(t *testing.T) {
	for _, raw := range []string{"http://127.0.0.1:8080/api/items?x=1", "http://127.0.0.1:8080/items", "http://127.0.0.1:8080"} {
		u, _ := url.Parse(raw)
		snippet := devproxyFix(corsPolicy{Origin: "http://localhost:3000"}, u)
		cfg, err := config.Parse("devproxy.toml", []byte(snippet), nil)
		if err != nil {
			t.Errorf("snippet for %s does not parse: %v\n%s", raw, err, snippet)
			continue
		}
		if len(cfg.Routes) != 1 || cfg.Routes[0].Target != "http://127.0.0.1:8080" || cfg.Listen == "localhost:3000" {
			t.Errorf("snippet for %s: routes %+v listen %s; want one route to the API and a listen address other than the page's", raw, cfg.Routes, cfg.Listen)
		}
	}
}

// TestFixSnippetsNeverRepeat: no snippet lists an entry twice on one line,
// counting the django-cors-headers defaults a Django snippet extends —
// whatever the page sends twice or the defaults already hold.
func TestFixSnippetsNeverRepeat(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:8000/api/items")
	calls := []corsCall{
		{URL: u, Origin: "http://localhost:5173", Method: "POST", Credentials: "include",
			Header: []Header{{"Content-Type", "application/json"}, {"X-CSRFToken", "t"}}, Read: []string{"X-Total-Count", "x-total-count", "Content-Type"}},
		{URL: u, Origin: "http://localhost:5173", Method: "PUT", Credentials: "include",
			Header: []Header{{"Content-Type", "application/json"}, {"x-csrftoken", "a"}, {"X-CSRFToken", "b"}, {"Authorization", "Bearer x"}, {"X-Trace", "1"}}},
		{URL: u, Origin: "http://localhost:5173", Method: "PROPFIND", Credentials: "omit", Header: []Header{{"Depth", "1"}}},
	}
	quoted := regexp.MustCompile(`"([^"]*)"|'([^']*)'`)
	for _, call := range calls {
		p := policyFor(call)
		for _, stack := range FixStacks {
			for line := range strings.SplitSeq(fixSnippet(stack, p, u), "\n") {
				seen := map[string]bool{}
				if strings.Contains(line, "*default_methods") {
					for _, m := range djangoDefaultMethods {
						seen[strings.ToLower(m)] = true
					}
				}
				if strings.Contains(line, "*default_headers") {
					for _, h := range djangoDefaultHeaders {
						seen[h] = true
					}
				}
				for _, m := range quoted.FindAllStringSubmatch(line, -1) {
					for item := range strings.SplitSeq(m[1]+m[2], ",") { // a header value lists items too
						item = strings.ToLower(strings.TrimSpace(item))
						if item == "" {
							continue
						}
						if seen[item] {
							t.Errorf("%s %s: %s repeats %q:\n%s", call.Method, stack, strings.TrimSpace(line), item, fixSnippet(stack, p, u))
						}
						seen[item] = true
					}
				}
			}
		}
	}
}
