package export_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/internal/testkit"
)

// The behaviour table: one set of rows, run against devproxy itself and
// against nginx and Caddy running devproxy's exported config, with the
// same backends. A row an engine cannot pass is a known difference: it is
// listed in the row (and in README's export section) and must fail there.

// staticConfig is a static SPA build with one route per behaviour.
// %[1]s is the listen address, %[2]s and %[3]s the echo backends a and b.
const staticConfig = `listen = "%[1]s"
allowed_hosts = ["app.test", ".sub.test"]

[frontend]
static = "dist"

[routes]
"/api" = "http://%[2]s"
"/stream" = "http://%[2]s"

[routes."/api/v2"]
target = "http://%[3]s"
strip_prefix = true

[routes."/rw"]
target = "http://%[2]s"
rewrite = { from = "^/rw/old/(.*)$", to = "/rw/new/$1" }

[routes."/rw2"]
target = "http://%[2]s"
rewrite = { from = "^/rw2/(?P<id>[0-9]{2,})/(.*)$", to = "/items/${id}/${2}x" }

[routes."/hdr"]
target = "http://%[2]s"
headers = { "X-Static" = "plain value", "X-Token" = "Bearer ${EXPORT_TEST_TOKEN}" }

[routes."/co"]
target = "http://%[2]s"
change_origin = true

[routes."/acct"]
target = "http://%[2]s"
strip_prefix = true

[routes."/raw"]
target = "http://%[2]s"
strip_prefix = true
redirects = "passthrough"

[routes."/cors"]
target = "http://%[2]s"

[routes."/mock"]
mock = { status = 201, body = '{"id": 1, "see": "{path}"}', headers = { "X-Mock" = "yes" } }

[routes."/mockfile"]
mock = { file = "mocks/users.json", headers = { "X-Total-Count" = "1" } }

[routes."/cors".cors]
allow_origins = ["http://allowed.test"]
allow_credentials = true
allow_methods = ["GET", "PUT"]
allow_headers = ["X-Custom"]
max_age = 600
`

// devServerConfig has a dev server (backend a) as the frontend and a route
// to a target with a base path.
const devServerConfig = `listen = "%[1]s"

[frontend]
dev_server = "http://%[2]s"

[routes."/v1"]
target = "http://%[3]s/base"
strip_prefix = true
`

// row is one behaviour: check returns what is wrong, or nil. known maps
// an engine to why it cannot pass the row.
type row struct {
	name  string
	check func(p *proxy) error
	known map[string]string
}

// suite is a config and the rows run against it; each engine starts once
// per suite.
type suite struct {
	name   string
	config string
	rows   []row
}

const (
	caddyCaseInsensitive = "Caddy matches paths case-insensitively"
	caddyOneLabel        = "Caddy's *.sub.test matches one label"
	caddyXFF             = "Caddy trusts no proxy by default and replaces a client's X-Forwarded-For"
	caddyRefresh         = "Caddy has no rewrite of the Refresh header"
	nginxContentLocation = "nginx's proxy_redirect does not rewrite Content-Location"
	secureOnHTTP         = "the exported configs keep Secure and SameSite=None on plain http (production runs https)"
	ipHosts              = "the exported configs answer only the loopback addresses among IP-literal Hosts"
)

var suites = []suite{
	{"static", staticConfig, []row{
		{name: "prefix routing", check: checkPrefixRouting},
		{name: "longest match", check: checkLongestMatch},
		{name: "paths are case-sensitive", check: checkCaseSensitive, known: map[string]string{"caddy": caddyCaseInsensitive}},
		{name: "strip_prefix", check: checkStripPrefix},
		{name: "regex rewrite", check: checkRewrite},
		{name: "upstream headers", check: checkUpstreamHeaders},
		{name: "x-forwarded-for chain kept", check: checkForwardedFor, known: map[string]string{"caddy": caddyXFF}},
		{name: "change_origin", check: checkChangeOrigin},
		{name: "websocket echo", check: checkWebSocketEcho},
		{name: "websocket change_origin presents the target's origin", check: checkWebSocketChangeOrigin},
		{name: "websocket from a foreign origin refused", check: checkWebSocketForeignOrigin},
		{name: "sse per event", check: checkSSE},
		{name: "large upload streamed", check: checkUpload},
		{name: "large download", check: checkDownload},
		{name: "set-cookie domain and path", check: checkCookies},
		{name: "secure cookie on plain http to a lan name", check: checkSecureOnPlainHTTP, known: map[string]string{"nginx": secureOnHTTP, "caddy": secureOnHTTP}},
		{name: "location mapped", check: checkLocation},
		{name: "redirects passthrough", check: checkRedirectsPassthrough},
		{name: "content-location mapped", check: checkContentLocation, known: map[string]string{"nginx": nginxContentLocation}},
		{name: "refresh mapped", check: checkRefresh, known: map[string]string{"caddy": caddyRefresh}},
		{name: "cors preflight allowed origin", check: checkPreflightAllowed},
		{name: "cors request allowed origin", check: checkCORSAllowed},
		{name: "cors preflight refused origin", check: checkPreflightRefused},
		{name: "cors request refused origin", check: checkCORSRefused},
		{name: "mock body", check: checkMockBody},
		{name: "mock file", check: checkMockFile},
		{name: "static spa fallback", check: checkStatic},
		{name: "dotfiles not served", check: checkDotfiles},
		{name: "foreign host refused", check: checkForeignHost},
		{name: "ip-literal host answered", check: checkHostIPLiteral, known: map[string]string{"nginx": ipHosts, "caddy": ipHosts}},
		{name: "allowed_hosts suffix covers every depth", check: checkHostSuffix, known: map[string]string{"caddy": caddyOneLabel}},
	}},
	{"devserver", devServerConfig, []row{
		{name: "dev server gets its own host", check: checkDevServerHost},
		{name: "dev server responses untouched", check: checkDevServerUntouched},
		{name: "dev server websocket", check: checkDevServerWebSocket},
		{name: "target base path", check: checkBasePath},
		{name: "target base path cookies and location", check: checkBasePathResponses},
	}},
}

// TestBehaviourTable runs every suite's rows against every engine. Each
// engine starts once per suite; engines, suites and rows run in parallel.
func TestBehaviourTable(t *testing.T) {
	t.Parallel()
	b := startBackends(t)
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			for _, s := range suites {
				t.Run(s.name, func(t *testing.T) {
					t.Parallel()
					cfg, dir := suiteSetup(t, s.config, b)
					e.start(t, cfg, dir)
					p := newProxy(cfg.Listen, b)
					for _, r := range s.rows {
						t.Run(strings.ReplaceAll(r.name, " ", "_"), func(t *testing.T) {
							t.Parallel()
							expect(t, e.name, r, r.check(p))
						})
					}
				})
			}
		})
	}
}

// expect judges a row's result on an engine: a failure is an error unless
// it is a known difference, and a known difference that passes is one too.
func expect(t *testing.T, engine string, r row, err error) {
	t.Helper()
	why, known := r.known[engine]
	switch {
	case err != nil && !known:
		t.Error(err)
	case err == nil && known:
		t.Errorf("%s now passes this row; remove it from the known differences (the row and README's export section): %s", engine, why)
	case known:
		t.Logf("known difference: %s (%v)", why, err)
	}
}

// suiteSetup writes the static build and the config (listening on a free
// port) into a temp dir and loads it, with ${EXPORT_TEST_TOKEN} set.
func suiteSetup(t *testing.T, configFormat string, b *backends) (*config.Config, string) {
	t.Helper()
	dir := t.TempDir()
	dist := filepath.Join(dir, "dist")
	if err := os.Mkdir(dist, 0o755); err != nil {
		t.Fatal(err)
	}
	testkit.WriteFile(t, filepath.Join(dist, "index.html"), indexHTML)
	testkit.WriteFile(t, filepath.Join(dist, "app.js"), appJS)
	testkit.WriteFile(t, filepath.Join(dist, ".env"), "SECRET=1")
	if err := os.Mkdir(filepath.Join(dir, "mocks"), 0o755); err != nil {
		t.Fatal(err)
	}
	testkit.WriteFile(t, filepath.Join(dir, "mocks", "users.json"), mockUsers)
	path := filepath.Join(dir, config.DefaultFile)
	text := fmt.Sprintf(configFormat, testkit.FreeAddr(t), b.a.Listener.Addr(), b.b.Listener.Addr())
	testkit.WriteFile(t, path, text)
	cfg, err := config.Parse(path, []byte(text), func(k string) (string, bool) { return secretToken, k == secretEnv })
	if err != nil {
		t.Fatal(err)
	}
	return cfg, dir
}
