package project

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devproxy/devproxy/devproxy/config"
)

// copyFixture copies testdata/init/<name> into a temp dir, so init can
// write its devproxy.toml there.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join("testdata", "init", name)
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// writeInit writes what devproxy init writes for dir and returns the path.
func writeInit(t *testing.T, dir string) string {
	t.Helper()
	text := Starter
	if p := Detect(dir); p != nil {
		text = p.Config()
	}
	path := filepath.Join(dir, config.DefaultFile)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// routeLine summarises a route for comparison.
func routeLine(rt config.Route) string {
	s := rt.Path + " " + rt.Target
	if rt.StripPrefix {
		s += " strip"
	}
	if rt.ChangeOrigin {
		s += " change_origin"
	}
	return s
}

func TestInitReadsTheProject(t *testing.T) {
	tests := []struct {
		name      string
		kind      string // Project.Name()
		listen    string
		devServer string
		command   string
		routes    []string
		comments  []string // must appear in the file
	}{
		{
			name: "vite", kind: "React on Vite", listen: "localhost:3000", devServer: "http://localhost:5174", command: "npm run dev",
			routes: []string{
				"/api http://localhost:8080",
				"/auth http://127.0.0.1:9000 strip change_origin",
				"/socket.io http://localhost:5000",
			},
			comments: []string{"dev server port 5174 (vite.config.ts server.port)", `not inferred: vite.config.ts server.proxy "^/fallback/.*" is a regexp`, "server.allowedHosts"},
		},
		{
			name: "cra-proxy", kind: "Create React App", listen: "localhost:4000", devServer: "http://localhost:3000", command: "npm start",
			routes:   []string{"/api http://localhost:5000"},
			comments: []string{`package.json "proxy"`, "WDS_SOCKET_PORT=4000"},
		},
		{
			name: "cra-setupproxy", kind: "Create React App", listen: "localhost:3000", devServer: "http://localhost:3100", command: "npm start",
			routes: []string{
				"/api http://localhost:5000 change_origin",
				"/media http://localhost:5001",
				"/uploads http://localhost:5001 strip",
			},
			comments: []string{"dev server port 3100 (.env PORT)", "src/setupProxy.js", `"/media" has a pathRewrite devproxy could not read`},
		},
		{
			name: "webpack", kind: "webpack-dev-server", listen: "localhost:3000", devServer: "http://localhost:8081", command: "npm start",
			routes: []string{
				"/api http://localhost:4000",
				"/graphql http://localhost:4000",
				"/legacy http://localhost:4001 strip change_origin",
			},
			comments: []string{"webpack.config.js devServer.proxy", "client.webSocketURL = 'auto://0.0.0.0:0/ws'", "allowedHosts"},
		},
		{
			name: "next", kind: "Next.js", listen: "localhost:4000", devServer: "http://localhost:3000", command: "npm run dev",
			routes: []string{
				"/api http://localhost:8000",
				"/cms http://localhost:1337 strip",
			},
			comments: []string{"next.config.js rewrites"},
		},
		{
			// The files `ng new shop` (Angular CLI 21) writes, untouched.
			name: "angular", kind: "Angular", listen: "localhost:3000", devServer: "http://localhost:4200", command: "npm start",
			comments: []string{"for this Angular project", "dev server port 4200 (Angular's default)", "no HMR setting is needed", "no proxy settings, so no routes"},
		},
		{
			// ng new, then a proxyConfig and a port in angular.json as the Angular docs show them.
			name: "angular-proxy", kind: "Angular", listen: "localhost:4000", devServer: "http://localhost:4300", command: "npm start", // the API has 3000
			routes: []string{
				"/api http://localhost:3000",
				"/auth http://127.0.0.1:9000 strip change_origin",
			},
			comments: []string{"dev server port 4300 (angular.json serve port)", "src/proxy.conf.json, angular.json's proxyConfig", "proxyConfig in angular.json is no longer needed"},
		},
		{
			// An Angular 15 project on the webpack builder with a proxy.conf.js.
			name: "angular-webpack", kind: "Angular", listen: "localhost:3000", devServer: "http://localhost:4200", command: "npm run serve:dev",
			routes: []string{
				"/api http://localhost:5000",
				"/files http://localhost:5001 strip",
				"/graphql http://localhost:5000",
			},
			comments: []string{"proxy.conf.js, angular.json's proxyConfig"},
		},
		{
			// The README's npm setup: the dev script runs devproxy, which must
			// not be given that script as its command.
			name: "vite-devproxy-script", kind: "Vite", listen: "localhost:3000", devServer: "http://localhost:5175", command: "",
			comments: []string{`"dev" script runs devproxy itself (devproxy -- vite --port 5175), so start everything with npm run dev`},
		},
		{
			name: "sveltekit", kind: "SvelteKit on Vite", listen: "localhost:3000", devServer: "http://localhost:5173", command: "npm run dev",
			routes:   []string{"/api http://localhost:8787"},
			comments: []string{"for this SvelteKit on Vite project"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := copyFixture(t, tt.name)
			if p := Detect(dir); p == nil || p.Name() != tt.kind {
				t.Fatalf("Detect(%s) = %+v, want a %s project", tt.name, p, tt.kind)
			}
			path := writeInit(t, dir)
			text, _ := os.ReadFile(path)
			cfg, err := config.Load(path)
			if err != nil {
				t.Fatalf("written config does not load: %v\n%s", err, text)
			}
			if cfg.Listen != tt.listen || cfg.Frontend.DevServer != tt.devServer || cfg.Frontend.Command != tt.command {
				t.Errorf("listen %q dev_server %q command %q, want %q %q %q", cfg.Listen, cfg.Frontend.DevServer, cfg.Frontend.Command, tt.listen, tt.devServer, tt.command)
			}
			var got []string
			for _, rt := range cfg.Routes {
				got = append(got, routeLine(rt))
			}
			if strings.Join(got, "\n") != strings.Join(tt.routes, "\n") {
				t.Errorf("routes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.routes, "\n"))
			}
			for _, c := range tt.comments {
				if !strings.Contains(string(text), c) {
					t.Errorf("config lacks %q:\n%s", c, text)
				}
			}
		})
	}
}

func TestInitUnknownProjectWritesStarter(t *testing.T) {
	dir := copyFixture(t, "unknown")
	if p := Detect(dir); p != nil {
		t.Fatalf("Detect(unknown project) = %+v, want nil", p)
	}
	got, _ := os.ReadFile(writeInit(t, dir))
	if string(got) != Starter {
		t.Errorf("unknown project got:\n%s\nwant the starter", got)
	}
	if _, err := config.Parse("devproxy.toml", got, nil); err != nil {
		t.Errorf("the starter does not parse: %v", err)
	}
}

func TestJSEntries(t *testing.T) {
	src := `{ '/a': 'http://x', "/b": { target: "http://y", f: (p) => p.replace(/^\/b/, '') }, // c, d
  c: [1, 2], }`
	inner, _, ok := jsBalanced(src, 0)
	if !ok {
		t.Fatal("unbalanced")
	}
	var keys []string
	for _, e := range jsEntries(inner) {
		keys = append(keys, e.Key)
	}
	if got, want := strings.Join(keys, ","), "/a,/b,c"; got != want {
		t.Errorf("keys = %s, want %s", got, want)
	}
}

// TestHMRWarningsOnlyForTheProjectsDevServer: a route on a dev server's
// hot-reload path is worth a warning only when the project's dev server
// uses that path (or the project is not recognised).
func TestHMRWarningsOnlyForTheProjectsDevServer(t *testing.T) {
	const routes = `[frontend]
dev_server = "http://localhost:5173"

[routes]
"/api" = "http://localhost:8080"
"/ws" = "http://localhost:8080"
"/ng-cli-ws" = "http://localhost:8080"

[routes."/_next"]
target = "http://localhost:8081"
`
	tests := []struct {
		fixture string
		want    []string
	}{
		{"vite", nil},
		{"sveltekit", nil},
		{"angular", nil},
		{"webpack", []string{`devproxy.toml:6:1: route "/ws" takes the hot-reload socket /ws (webpack-dev-server 4+) of this webpack-dev-server project: hot reload will not reach the dev server`}},
		{"angular-webpack", []string{`devproxy.toml:7:1: route "/ng-cli-ws" takes the hot-reload socket /ng-cli-ws (Angular's webpack dev server) of this Angular project`}},
		{"next", []string{`devproxy.toml:9:1: route "/_next" takes the hot-reload socket /_next/webpack-hmr (Next.js), /_next/hmr (Next.js 16+) of this Next.js project`}},
		{"unknown", []string{
			`devproxy.toml:9:1: route "/_next" takes the dev server's hot-reload socket /_next/webpack-hmr (Next.js), /_next/hmr (Next.js 16+); if that is your dev server`,
			`devproxy.toml:7:1: route "/ng-cli-ws" takes the dev server's hot-reload socket /ng-cli-ws (Angular's webpack dev server)`,
			`devproxy.toml:6:1: route "/ws" takes the dev server's hot-reload socket /ws (webpack-dev-server 4+)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(copyFixture(t, tt.fixture), config.DefaultFile)
			if err := os.WriteFile(path, []byte(routes), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range HMRWarnings(cfg) {
				got = append(got, strings.TrimPrefix(w.Error(), filepath.Dir(path)+string(filepath.Separator)))
			}
			if len(got) != len(tt.want) {
				t.Fatalf("warnings:\n%s\nwant %d", strings.Join(got, "\n"), len(tt.want))
			}
			for i := range tt.want {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("warning %d:\n%s\nwant it to start with\n%s", i, got[i], tt.want[i])
				}
			}
		})
	}
	cfg, err := config.Parse("devproxy.toml", []byte(strings.Replace(routes, "[frontend]\ndev_server = \"http://localhost:5173\"\n", "", 1)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := HMRWarnings(cfg); len(w) != 0 {
		t.Errorf("without a dev server: warnings = %v, want none", w)
	}
}
