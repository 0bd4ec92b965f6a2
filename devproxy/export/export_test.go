package export_test

import (
	"flag"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/export"
	"github.com/devproxy/devproxy/devproxy/internal/web"
	"github.com/devproxy/devproxy/internal/testkit"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenSecret is the value of every ${VAR} in the golden cases: it must
// never appear in an export.
const goldenSecret = "SECRET-VALUE-NEVER-EXPORTED"

// exportCase is a config exported in the golden and engine tests.
type exportCase struct {
	name string
	file string
	opts export.Options
}

var exportCases = []exportCase{
	{"example", "../../devproxy.toml.example", export.Options{}},
	{"example-server-name", "../../devproxy.toml.example", export.Options{ServerName: "app.example.com"}},
	{"basics", "testdata/basics.toml", export.Options{}},
	{"edge", "testdata/edge.toml", export.Options{}},
	{"minimal", "testdata/minimal.toml", export.Options{}},
	{"mocks", "testdata/mocks.toml", export.Options{}},
}

var renderers = []struct {
	name   string
	render func(*config.Config, export.Options) (string, []export.Warning, error)
}{
	{"nginx", export.Nginx},
	{"caddy", export.Caddy},
}

func loadCase(t *testing.T, c exportCase) *config.Config {
	t.Helper()
	data, err := os.ReadFile(c.file)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(c.file, data, func(string) (string, bool) { return goldenSecret, true })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestGolden compares each export, with its warnings, with
// testdata/<case>.<engine>; go test -update rewrites them.
func TestGolden(t *testing.T) {
	t.Parallel()
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range exportCases {
		for _, r := range renderers {
			t.Run(c.name+"/"+r.name, func(t *testing.T) {
				t.Parallel()
				text, warnings, err := r.render(loadCase(t, c), c.opts)
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(text, goldenSecret) {
					t.Fatalf("the export contains the value of an environment variable:\n%s", text)
				}
				got := strings.ReplaceAll(text, testdata, "/TESTDATA") + "\n# --- warnings on stderr ---\n"
				for _, w := range warnings {
					got += "# warning: " + w.String() + "\n"
				}
				path := filepath.Join("testdata", c.name+"."+r.name)
				if *update {
					testkit.WriteFile(t, path, got)
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if got != string(want) {
					t.Errorf("export differs from %s (go test -update rewrites it after you check the change):\n%s", path, lineDiff(string(want), got))
				}
			})
		}
	}
}

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl
		}
	}
	return ""
}

// offline points every target that is not on this machine at localhost,
// keeping scheme and port: nginx resolves upstream names when it loads
// its config, and the tests have no DNS.
func offline(cfg *config.Config) {
	for i, rt := range cfg.Routes {
		u, err := url.Parse(rt.Target)
		if err != nil || rt.Target == "" || web.IsLoopbackHost(u.Hostname()) { // "": a mock-only route
			continue
		}
		if p := u.Port(); p != "" {
			u.Host = "localhost:" + p
		} else {
			u.Host = "localhost"
		}
		cfg.Routes[i].Target = u.String()
	}
}

// TestEnginesAcceptExports runs `nginx -t`, `caddy validate` and
// `caddy fmt` on every golden case: the engines accept the output, and
// the Caddyfile is formatted as Caddy formats it.
func TestEnginesAcceptExports(t *testing.T) {
	t.Parallel()
	for _, c := range exportCases {
		t.Run(c.name+"/nginx", func(t *testing.T) {
			t.Parallel()
			bin := haveNginx(t)
			cfg := loadCase(t, c)
			offline(cfg)
			dir := t.TempDir()
			main := nginxConfig(t, cfg, dir, map[string]string{"TOKEN": "x"})
			if out, err := exec.Command(bin, "-t", "-q", "-p", dir, "-e", "stderr", "-c", main).CombinedOutput(); err != nil {
				site, _ := os.ReadFile(filepath.Join(dir, "devproxy.conf"))
				t.Fatalf("nginx -t: %v\n%s\nconfig:\n%s", err, out, site)
			}
		})
		t.Run(c.name+"/caddy", func(t *testing.T) {
			t.Parallel()
			bin := haveCaddy(t)
			dir := t.TempDir()
			path := caddyConfig(t, loadCase(t, c), dir)
			if out, err := caddyCommand(bin, dir, "validate", "--config", path, "--adapter", "caddyfile").CombinedOutput(); err != nil {
				text, _ := os.ReadFile(path)
				t.Fatalf("caddy validate: %v\n%s\nCaddyfile:\n%s", err, out, text)
			}
			formatted, err := caddyCommand(bin, dir, "fmt", path).Output()
			if err != nil {
				t.Fatalf("caddy fmt: %v", err)
			}
			if text, _ := os.ReadFile(path); string(formatted) != string(text) {
				t.Errorf("the Caddyfile is not as caddy fmt writes it:\n%s", lineDiff(string(text), string(formatted)))
			}
		})
	}
}

// handledFields are the config fields export renders, or leaves out on
// purpose (File, Line: where the config came from). A field added to
// config fails TestEveryConfigFieldIsExported until both engines render
// it (or say in a comment and a Warning that they cannot) and it is
// listed here.
var handledFields = map[reflect.Type][]string{
	reflect.TypeFor[config.Config]():   {"File", "Listen", "HTTPS", "TLS", "AllowRemote", "AllowedOrigins", "AllowedHosts", "Retry", "Timeout", "Frontend", "Routes", "Processes", "Overrides", "Warnings", "Simulate"},
	reflect.TypeFor[config.Frontend](): {"DevServer", "Static", "SPA", "Dotfiles", "Command"},
	reflect.TypeFor[config.Route](): {"Path", "Target", "StripPrefix", "ChangeOrigin", "Rewrite", "Headers", "SecretHeaders", "HeaderTemplates",
		"Insecure", "Timeout", "Retry", "AllowedOrigins", "Cookies", "Redirects", "CORS", "Line",
		"Mock", "Delay", "Throttle", "Fail"}, // mock.go: a mock-only route is a fixed answer; the simulation is left out with a warning
	reflect.TypeFor[config.Rewrite]():  {"From", "To"},
	reflect.TypeFor[config.TLS]():      {"Cert", "Key"},
	reflect.TypeFor[config.Mock]():     {"Status", "Body", "File", "FileName", "Headers"},
	reflect.TypeFor[config.Simulate](): {"Network", "Delay", "Throttle"},
	reflect.TypeFor[config.Throttle](): {"Down", "Up"},
	reflect.TypeFor[config.Fail]():     {"Rate", "Mode"},
	reflect.TypeFor[config.CORS]():     {"AllowOrigins", "AllowCredentials", "AllowMethods", "AllowHeaders", "ExposeHeaders", "MaxAge"},
}

func TestEveryConfigFieldIsExported(t *testing.T) {
	for typ, handled := range handledFields {
		for i := range typ.NumField() {
			if name := typ.Field(i).Name; !slices.Contains(handled, name) {
				t.Errorf("config.%s.%s is not handled by devproxy/export: render it in nginx.go and caddy.go "+
					"(or write a comment and a Warning where an engine cannot), test it in the behaviour table, then list it in handledFields",
					typ.Name(), name)
			}
		}
	}
}
