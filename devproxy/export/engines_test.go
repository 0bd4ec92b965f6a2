package export_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy"
	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/export"
	"github.com/devproxy/devproxy/internal/testkit"
)

// engine is one server the behaviour table runs against: devproxy itself,
// or nginx or Caddy running devproxy's exported config.
type engine struct {
	name string
	// start serves cfg on cfg.Listen until the test ends.
	start func(t *testing.T, cfg *config.Config, dir string)
}

var engines = []engine{
	{"devproxy", startDevproxy},
	{"nginx", startNginx},
	{"caddy", startCaddy},
}

const (
	engineStartTimeout = 20 * time.Second // a cold start of nginx or Caddy on a busy 2-core machine
	engineStopTimeout  = 10 * time.Second
	// secretToken is the value of ${EXPORT_TEST_TOKEN}: it must reach the
	// backend and never appear in an exported file.
	secretEnv   = "EXPORT_TEST_TOKEN"
	secretToken = "tok-3f9c2b7e-never-in-a-file"
)

func startDevproxy(t *testing.T, cfg *config.Config, _ string) {
	srv, err := devproxy.New(devproxy.Options{Config: cfg, Assets: os.DirFS("../../static")})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		t.Fatal(err)
	}
	testkit.ServeUntilDone(t, engineStopTimeout, func(ctx context.Context) error { return srv.Serve(ctx, ln) })
}

// haveNginx and haveCaddy require the engine, skipping on a laptop
// without it and failing in CI.
func haveNginx(t testing.TB) string {
	path, err := exec.LookPath("nginx")
	if err != nil {
		path, err = exec.LookPath("/usr/sbin/nginx")
	}
	testkit.Require(t, err == nil, "nginx (apt-get install nginx)")
	return path
}

func haveCaddy(t testing.TB) string {
	path, err := exec.LookPath("caddy")
	testkit.Require(t, err == nil, "caddy (apt-get install caddy)")
	return path
}

// nginxConfig exports cfg for nginx and wraps it in a main config that
// keeps everything (pid, logs, temp files) in dir. ${VAR} references are
// filled as envsubst would, from env.
func nginxConfig(t testing.TB, cfg *config.Config, dir string, env map[string]string) string {
	t.Helper()
	text, _, err := export.Nginx(cfg, export.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range env {
		text = strings.ReplaceAll(text, "${"+k+"}", v)
	}
	site := filepath.Join(dir, "devproxy.conf")
	testkit.WriteFile(t, site, text)
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;\n" // workers must read the test's temp dirs; the directive means nothing unless root
	}
	main := filepath.Join(dir, "nginx.conf")
	testkit.WriteFile(t, main, fmt.Sprintf(`%sdaemon off;
worker_processes 1;
pid %[2]s/nginx.pid;
error_log stderr;
events {
    worker_connections 256;
}
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path %[2]s/body;
    proxy_temp_path %[2]s/proxy;
    fastcgi_temp_path %[2]s/fastcgi;
    uwsgi_temp_path %[2]s/uwsgi;
    scgi_temp_path %[2]s/scgi;
    include %[3]s;
}
`, user, dir, site))
	return main
}

func startNginx(t *testing.T, cfg *config.Config, dir string) {
	bin := haveNginx(t)
	main := nginxConfig(t, cfg, dir, map[string]string{secretEnv: secretToken})
	runEngine(t, cfg.Listen, exec.Command(bin, "-p", dir, "-e", "stderr", "-c", main))
}

// caddyConfig exports cfg for Caddy with global options that keep its
// admin endpoint off and its state in dir.
func caddyConfig(t testing.TB, cfg *config.Config, dir string) string {
	t.Helper()
	text, _, err := export.Caddy(cfg, export.Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "Caddyfile")
	testkit.WriteFile(t, path, "{\n\tadmin off\n\tauto_https off\n}\n\n"+text)
	return path
}

// caddyCommand runs caddy with its home, data and config dirs in dir.
func caddyCommand(bin, dir string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir+"/data", "XDG_CONFIG_HOME="+dir+"/config", secretEnv+"="+secretToken)
	return cmd
}

func startCaddy(t *testing.T, cfg *config.Config, dir string) {
	bin := haveCaddy(t)
	path := caddyConfig(t, cfg, dir)
	runEngine(t, cfg.Listen, caddyCommand(bin, dir, "run", "--config", path, "--adapter", "caddyfile"))
}

// runEngine starts cmd, waits until addr accepts connections and stops
// the process (and only it) when the test ends. Its output is shown when
// the test fails.
func runEngine(t *testing.T, addr string, cmd *exec.Cmd) {
	t.Helper()
	out := testkit.NewBuffer()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // exits when the process does
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(engineStopTimeout):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(cmd.Path), out)
		}
	})
	up := testkit.PollUntil(engineStartTimeout, func() bool {
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			return true
		default:
		}
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
		}
		return err == nil
	})
	select {
	case err := <-exited:
		exited <- err
		t.Fatalf("%s exited at start (%v):\n%s", filepath.Base(cmd.Path), err, out)
	default:
	}
	if !up {
		t.Fatalf("%s is not accepting connections on %s after %s:\n%s", filepath.Base(cmd.Path), addr, engineStartTimeout, out)
	}
}
