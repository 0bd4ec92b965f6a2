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
		listen    string
		devServer string
		command   string
		routes    []string
		comments  []string // must appear in the file
	}{
		{
			name: "vite", listen: "localhost:3000", devServer: "http://localhost:5174", command: "npm run dev",
			routes: []string{
				"/api http://localhost:8080",
				"/auth http://127.0.0.1:9000 strip change_origin",
				"/socket.io http://localhost:5000",
			},
			comments: []string{"dev server port 5174 (vite.config.ts server.port)", `not inferred: vite.config.ts server.proxy "^/fallback/.*" is a regexp`, "server.allowedHosts"},
		},
		{
			name: "cra-proxy", listen: "localhost:4000", devServer: "http://localhost:3000", command: "npm start",
			routes:   []string{"/api http://localhost:5000"},
			comments: []string{`package.json "proxy"`, "WDS_SOCKET_PORT=4000"},
		},
		{
			name: "cra-setupproxy", listen: "localhost:3000", devServer: "http://localhost:3100", command: "npm start",
			routes: []string{
				"/api http://localhost:5000 change_origin",
				"/media http://localhost:5001",
				"/uploads http://localhost:5001 strip",
			},
			comments: []string{"dev server port 3100 (.env PORT)", "src/setupProxy.js", `"/media" has a pathRewrite devproxy could not read`},
		},
		{
			name: "webpack", listen: "localhost:3000", devServer: "http://localhost:8081", command: "npm start",
			routes: []string{
				"/api http://localhost:4000",
				"/graphql http://localhost:4000",
				"/legacy http://localhost:4001 strip change_origin",
			},
			comments: []string{"webpack.config.js devServer.proxy", "client.webSocketURL = 'auto://0.0.0.0:0/ws'", "allowedHosts"},
		},
		{
			name: "next", listen: "localhost:4000", devServer: "http://localhost:3000", command: "npm run dev",
			routes: []string{
				"/api http://localhost:8000",
				"/cms http://localhost:1337 strip",
			},
			comments: []string{"next.config.js rewrites"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeInit(t, copyFixture(t, tt.name))
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
