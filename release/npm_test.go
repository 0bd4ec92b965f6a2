//go:build linux

package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devproxy/devproxy/internal/testkit"
)

// TestNPMInstallOfflineAndRun is a user's path with the release's npm
// tarballs: `npm i -D` them into a Vite project with no registry to reach,
// then npx devproxy version, init, check, the demo stopped with Ctrl-C,
// and devproxy starting the dev server from a package.json script. Every
// step runs in the same project, in order.
func TestNPMInstallOfflineAndRun(t *testing.T) {
	dir := installedProject(t)
	resetInstalledProject(t, dir)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@devproxy", hostTarget(t).npmPlatform(), "bin", "devproxy")); err != nil {
		t.Fatalf("the platform package's binary is not installed: %v", err)
	}

	t.Run("version", func(t *testing.T) {
		code, out := npx(t, dir, "version")
		if code != 0 || out != "devproxy v"+testVersion+"\n" {
			t.Errorf("npx devproxy version: exit %d, %q; want exit 0, %q", code, out, "devproxy v"+testVersion+"\n")
		}
	})

	t.Run("init", func(t *testing.T) {
		code, out := npx(t, dir, "init")
		if code != 0 || !strings.Contains(out, "wrote devproxy.toml for this Vite project: dev server on port 5174") {
			t.Fatalf("npx devproxy init: exit %d, %q", code, out)
		}
		text, err := os.ReadFile(filepath.Join(dir, "devproxy.toml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`dev_server = "http://localhost:5174"`, `command = "npm run dev"`, `[routes."/api"]`, `target = "http://localhost:8080"`} {
			if !strings.Contains(string(text), want) {
				t.Errorf("devproxy.toml lacks %s:\n%s", want, text)
			}
		}
	})

	t.Run("check", func(t *testing.T) {
		code, out := npx(t, dir, "check")
		if code != 0 || !regexp.MustCompile(`/api +→ http://localhost:8080`).MatchString(out) || !strings.Contains(out, "devproxy.toml is valid") {
			t.Errorf("npx devproxy check: exit %d, output:\n%s", code, out)
		}
	})

	t.Run("demo stopped with Ctrl-C", func(t *testing.T) {
		r := startGroup(t, npmCommand(dir, "npx", "devproxy", "demo", "--listen", "127.0.0.1:0"))
		addr := r.listening(t)
		if body := get(t, "http://"+addr+"/"); !strings.Contains(body, "<html") {
			t.Errorf("the demo page through npx devproxy: %q", body)
		}
		r.ctrlC(t)
		r.out.WaitFor(t, regexp.MustCompile(`stopping: finishing requests in flight`))
		stoppedByCtrlC(t, r)
		testkit.WaitPortFree(t, addr)
		noProcessesLeftIn(t, dir)
	})

	t.Run("package.json script starting the dev server", func(t *testing.T) {
		serverAddr := testkit.FreeAddr(t)
		host, port, _ := strings.Cut(serverAddr, ":")
		files := map[string]string{
			"server.js": fmt.Sprintf(`require('http').createServer((req, res) => res.end('hello from server.js'))
  .listen(%s, %q, () => console.log('server.js listening'));
`, port, host),
			"devproxy.toml": fmt.Sprintf("listen = \"127.0.0.1:0\"\n[frontend]\ndev_server = \"http://%s\"\n", serverAddr),
			"package.json": `{
  "name": "scratch-app",
  "private": true,
  "scripts": { "dev": "devproxy -- node server.js" }
}
`,
		}
		for name, text := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		r := startGroup(t, npmCommand(dir, "npm", "run", "dev"))
		proxyAddr := r.listening(t)
		r.out.WaitFor(t, regexp.MustCompile(`frontend \| server.js listening`))
		testkit.WaitUntil(t, 10*time.Second, "server.js answering through devproxy", func() bool {
			res, err := http.Get("http://" + proxyAddr + "/")
			if err != nil {
				return false
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			return string(body) == "hello from server.js"
		})
		r.ctrlC(t)
		r.out.WaitFor(t, regexp.MustCompile(`process stopped.*frontend`)) // stopped by devproxy, not by its watchdog
		stoppedByCtrlC(t, r)
		testkit.WaitPortFree(t, serverAddr)
		testkit.WaitPortFree(t, proxyAddr)
		noProcessesLeftIn(t, dir)
	})
}

// npmCommand runs name (npm, npx, node, a bin) in dir with npmEnv.
func npmCommand(dir, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, npmEnv()
	return cmd
}

// npx runs `npx devproxy ARGS` in dir to its end.
func npx(t *testing.T, dir string, args ...string) (code int, output string) {
	t.Helper()
	cmd := npmCommand(dir, "npx", append([]string{"devproxy"}, args...)...)
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), string(out)
}

// stoppedByCtrlC waits for r and accepts how a Ctrl-C ends npm: devproxy
// exits 0, and npm exits 0 or, when the shell it runs scripts with is
// dash (Debian's sh), dies of the SIGINT too, as dash does once its
// command has finished. Anything else is a failure.
func stoppedByCtrlC(t *testing.T, r *run) {
	t.Helper()
	st := r.wait(t)
	ws := st.Sys().(syscall.WaitStatus)
	if !(ws.Exited() && ws.ExitStatus() == 0) && !(ws.Signaled() && ws.Signal() == syscall.SIGINT) {
		t.Errorf("%s ended with %s, want exit 0 (or SIGINT from npm's shell); output:\n%s", r.cmd, st, r.out)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Errorf("GET %s: %s", url, res.Status)
	}
	return string(body)
}
