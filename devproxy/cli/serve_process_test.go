package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/process"
	"github.com/devproxy/devproxy/internal/testkit"
)

// devproxy -- CMD: the dev server devproxy started is gone once devproxy exits.
func TestServeStartsDevServerAndStopsItOnExit(t *testing.T) {
	devAddr := testkit.FreeAddr(t)
	dir := t.TempDir()
	path := filepath.Join(dir, config.DefaultFile)
	text := fmt.Sprintf("listen = \"127.0.0.1:0\"\n[frontend]\ndev_server = \"http://%s\"\n", devAddr)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(testkit.HelperListenEnv, devAddr) // inherited by the command; the test binary itself already runs tests
	out, errOut := testkit.NewBuffer(), testkit.NewBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exited := make(chan int, 1)
	go func() { // exits when ctx is cancelled
		exited <- Main(ctx, []string{"serve", "--config", path, "--", exe, "-test.run=^$"}, Options{Stdout: out, Stderr: errOut, Assets: os.DirFS("../../static")})
	}()
	out.WaitFor(t, regexp.MustCompile(`frontend \| helper listening on `+regexp.QuoteMeta(devAddr)))
	cancel()
	select {
	case code := <-exited:
		if code != 0 {
			t.Errorf("exit status %d; stderr:\n%s", code, errOut)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("devproxy did not exit after cancel")
	}
	testkit.WaitPortFree(t, devAddr)
}

func TestCommandAfterDashes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
		ok   bool
	}{
		{"none", []string{"--quiet"}, "", true},
		{"plain", []string{"--", "npm", "run", "dev"}, "npm run dev", true},
		{"quoted", []string{"-v", "--", "sh", "-c", "echo 'a b'"}, `sh -c 'echo '\''a b'\'''`, true},
		{"no dashes", []string{"npm"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFlagSet(Options{Stderr: testkit.NewBuffer()}, "serve", "", "")
			fs.Bool("quiet", false, "")
			fs.Bool("v", false, "")
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			got, ok := commandAfterDashes(Options{Stderr: testkit.NewBuffer()}, tt.args, fs.Args())
			if got != tt.want || ok != tt.ok {
				t.Errorf("commandAfterDashes(%q) = %q, %v; want %q, %v", tt.args, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestCheckListsProcesses(t *testing.T) {
	dir := t.TempDir()
	testkit.WriteFile(t, filepath.Join(dir, config.DefaultFile), `
[frontend]
dev_server = "http://localhost:5173"
command = "npm run dev"
[[process]]
name = "api"
command = "go run ./cmd/api"
`)
	code, out, errOut := runCLI(t, dir, "check")
	if code != 0 {
		t.Fatalf("check: exit %d: %s", code, errOut)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`run frontend +\$ npm run dev  \[ready: localhost:5173\]\n`),
		regexp.MustCompile(`run api +\$ go run \./cmd/api\n`),
	} {
		if !want.MatchString(out) {
			t.Errorf("check output does not match %s:\n%s", want, out)
		}
	}
}

// TestExitedBackendExplainedAndNotHeld: when a backend devproxy started
// exits, its route answers at once with a 502 that says so, instead of
// holding requests for a restart that will not come.
func TestExitedBackendExplainedAndNotHeld(t *testing.T) {
	addr := testkit.FreeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	path := filepath.Join(t.TempDir(), "devproxy.toml")
	// A stand-in backend: answers once on its port, then exits with status 3.
	testkit.WriteFile(t, path, fmt.Sprintf(`listen = "127.0.0.1:0"
[routes."/api"]
target = "http://localhost:%s"
retry = "1h"
[[process]]
name = "api"
command = "%s=%s exec %s"
ready = %s
`, port, testkit.HelperOnceEnv, addr, process.CommandLine([]string{os.Args[0]}), port))
	out, _, _ := serveInBackground(t, "--config", path)
	m := out.WaitFor(t, regexp.MustCompile(`→  (http://127\.0\.0\.1:\d+/)`))
	out.WaitFor(t, regexp.MustCompile(`process ready name=api`))
	client := &http.Client{Timeout: 10 * time.Second} // far below retry: a held request would time out
	res, err := client.Get(m[1] + "api/x")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close() // the backend answered once and now exits
	out.WaitFor(t, regexp.MustCompile(`process exited.*name=api.*exit status 3`))
	res, err = client.Get(m[1] + "api/x")
	if err != nil {
		t.Fatalf("request after the backend exited was held: %v", err)
	}
	var prob struct{ Cause string }
	_ = json.NewDecoder(res.Body).Decode(&prob)
	res.Body.Close()
	if res.StatusCode != 502 || !strings.Contains(prob.Cause, "the api command devproxy started has exited (exit status 3)") {
		t.Errorf("got %d %+v, want a 502 naming the exited command", res.StatusCode, prob)
	}
}

// TestWatchdogCommandIsHiddenAndSafe: the hidden command reaches the
// watchdog, which refuses a process group it was not started in.
func TestWatchdogCommandIsHiddenAndSafe(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no process groups to refuse: its watchdog is a job object (process/group_windows.go)")
	}
	code, out, errOut := runMain(watchdogName, "1")
	if code != 2 || out != "" || errOut != "" {
		t.Errorf("_watchdog 1: exit %d, out %q, err %q; want 2 and silence", code, out, errOut)
	}
	if _, help, _ := runMain("--help"); strings.Contains(help, watchdogName) {
		t.Errorf("help mentions the hidden %s command", watchdogName)
	}
}
