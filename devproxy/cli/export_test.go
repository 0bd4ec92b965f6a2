package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devproxy/devproxy/internal/testkit"
)

const exportConfig = `
[frontend]
dev_server = "http://localhost:5173"

[routes."/api"]
target = "http://localhost:8080"
strip_prefix = true
headers = { "Authorization" = "Bearer ${EXPORT_CLI_TOKEN}" }
`

func TestExportWritesEachEngineAndWarnsOnStderr(t *testing.T) {
	t.Setenv("EXPORT_CLI_TOKEN", "cli-secret-value")
	dir := t.TempDir()
	testkit.WriteFile(t, filepath.Join(dir, "devproxy.toml"), exportConfig)
	for engine, want := range map[string]string{
		"nginx": "location ~ ^/api(?:/|$) {",
		"caddy": "@api path /api /api/*",
	} {
		code, out, errOut := runCLI(t, dir, "export", engine)
		if code != 0 {
			t.Fatalf("export %s exit %d, stderr:\n%s", engine, code, errOut)
		}
		if !strings.Contains(out, want) {
			t.Errorf("export %s: stdout has no %q:\n%s", engine, want, out)
		}
		if strings.Contains(out, "cli-secret-value") || strings.Contains(errOut, "cli-secret-value") {
			t.Errorf("export %s wrote the value of an environment variable", engine)
		}
		if !strings.HasPrefix(errOut, "warning: ") {
			t.Errorf("export %s: stderr = %q, want warnings (it cannot start the dev server's command, and more)", engine, errOut)
		}
	}
}

func TestExportOutAndServerName(t *testing.T) {
	t.Setenv("EXPORT_CLI_TOKEN", "x")
	dir := t.TempDir()
	testkit.WriteFile(t, filepath.Join(dir, "devproxy.toml"), exportConfig)
	code, out, errOut := runCLI(t, dir, "export", "--out", "site.conf", "nginx", "--server-name", "app.example.com")
	if code != 0 || out != "" {
		t.Fatalf("export --out exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	text, err := os.ReadFile(filepath.Join(dir, "site.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(text), "server_name app.example.com;") || !strings.Contains(errOut, "wrote site.conf") {
		t.Errorf("--out site.conf --server-name app.example.com: file\n%s\nstderr %q", text, errOut)
	}
}

func TestExportOutDashIsStdout(t *testing.T) {
	t.Setenv("EXPORT_CLI_TOKEN", "x")
	dir := t.TempDir()
	testkit.WriteFile(t, filepath.Join(dir, "devproxy.toml"), exportConfig)
	code, out, errOut := runCLI(t, dir, "export", "caddy", "--out", "-")
	if code != 0 || !strings.Contains(out, "@api path /api /api/*") || strings.Contains(errOut, "wrote") {
		t.Errorf("export --out -: exit %d, stdout\n%s\nstderr %q; want the config on stdout", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "-")); err == nil {
		t.Error(`export --out - wrote a file named "-"`)
	}
}

func TestExportExitStatuses(t *testing.T) {
	dir := t.TempDir()
	testkit.WriteFile(t, filepath.Join(dir, "devproxy.toml"), "[routes]\n\"/api\" = \"localhost:8080\"\n")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no engine", []string{"export"}, 2, "name the engine: nginx or caddy"},
		{"unknown engine", []string{"export", "apache"}, 2, `"apache" is not an engine`},
		{"two engines", []string{"export", "nginx", "caddy"}, 2, `"nginx caddy" is not an engine`},
		{"server name with a scheme", []string{"export", "nginx", "--server-name", "https://app.example.com/"}, 2, "give the host name only: --server-name app.example.com"},
		{"server name with a port", []string{"export", "caddy", "--server-name", "app.example.com:443"}, 2, "is not a host name"},
		{"invalid config, as check says", []string{"export", "nginx"}, 1, "devproxy.toml:2:"},
		{"missing config", []string{"export", "caddy", "--config", "nope.toml"}, 1, "config nope.toml does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, dir, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.stderr) || out != "" {
				t.Errorf("devproxy %s = exit %d, stdout %q, stderr:\n%s\nwant exit %d, nothing on stdout, stderr with %q",
					strings.Join(tt.args, " "), code, out, errOut, tt.code, tt.stderr)
			}
		})
	}
}
