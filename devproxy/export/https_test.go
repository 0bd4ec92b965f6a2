package export_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/export"
)

// TestHTTPSListenExported: an https listen becomes TLS and HTTP/2 on the
// same port in both engines — the [tls] files as the certificate, nginx's
// 497 as devproxy's http→https redirect — and both engines accept it;
// without [tls] the output says where a certificate must come from.
func TestHTTPSListenExported(t *testing.T) {
	t.Parallel()
	certs, err := filepath.Abs("../config/testdata/tls")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, config.DefaultFile)
	text := fmt.Sprintf("listen = \"https://localhost:3443\"\n[tls]\ncert = %q\nkey = %q\n[routes]\n\"/api\" = \"http://localhost:8080\"\n",
		filepath.Join(certs, "localhost.pem"), filepath.Join(certs, "localhost-key.pem"))
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	nginx, _, err := export.Nginx(cfg, export.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"listen 127.0.0.1:3443 ssl http2;", "ssl_certificate " + filepath.Join(certs, "localhost.pem") + ";",
		"error_page 497 =307 https://$host:$server_port$request_uri;"} {
		if !strings.Contains(nginx, want) {
			t.Errorf("nginx export lacks %q:\n%s", want, nginx)
		}
	}
	caddy, warns, err := export.Caddy(cfg, export.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(caddy, "https://localhost:3443") || !strings.Contains(caddy, "tls "+filepath.Join(certs, "localhost.pem")) {
		t.Errorf("Caddyfile lacks the https address or the tls line:\n%s", caddy)
	}
	if len(warns) == 0 {
		t.Error("no warning that Caddy refuses plain http on the https port instead of redirecting")
	}
	main := nginxConfig(t, cfg, t.TempDir(), nil)
	if out, err := exec.Command(haveNginx(t), "-t", "-q", "-p", filepath.Dir(main), "-e", "stderr", "-c", main).CombinedOutput(); err != nil {
		t.Errorf("nginx -t: %v\n%s", err, out)
	}
	cdir := t.TempDir()
	caddyfile := caddyConfig(t, cfg, cdir)
	if out, err := caddyCommand(haveCaddy(t), cdir, "validate", "--config", caddyfile, "--adapter", "caddyfile").CombinedOutput(); err != nil {
		t.Errorf("caddy validate: %v\n%s", err, out)
	}

	cfg.TLS = nil // the local CA: nothing on disk to point at
	nginx, warns, err = export.Nginx(cfg, export.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(nginx, "certificates live in devproxy's memory only") || len(warns) == 0 {
		t.Errorf("nginx export with the local CA does not say where the certificate must come from:\n%s", nginx)
	}
}
