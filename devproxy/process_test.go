package devproxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperListenEnv makes the test binary a stand-in dev server: it listens
// on the address in this variable and serves until it is killed.
const helperListenEnv = "DEVPROXY_TEST_HELPER_LISTEN"

// helperSuperviseEnv makes the test binary a stand-in devproxy: it starts
// the helper dev server on the address in this variable under a Supervisor
// and waits to be killed, without ever calling Stop.
const helperSuperviseEnv = "DEVPROXY_TEST_HELPER_SUPERVISE"

// helperOnceEnv makes the test binary a backend that answers one request
// on the address in this variable, then exits with status 3.
const helperOnceEnv = "DEVPROXY_TEST_HELPER_ONCE"

func TestMain(m *testing.M) {
	if addr := os.Getenv(helperOnceEnv); addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			os.Exit(2)
		}
		done := make(chan struct{})
		go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { // ends with the process
			w.Header().Set("Connection", "close")
			fmt.Fprint(w, "once")
			close(done)
		}))
		<-done
		os.Exit(3)
	}
	if addr := os.Getenv(helperListenEnv); addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		fmt.Println("helper listening on", addr)
		for { // accepts until the process is killed
			conn, err := ln.Accept()
			if err != nil {
				os.Exit(1)
			}
			conn.Close()
		}
	}
	if addr := os.Getenv(helperSuperviseEnv); addr != "" {
		exe, _ := os.Executable()
		p := Process{Name: "dev", Command: shellQuote(exe) + " & wait", Env: []string{helperListenEnv + "=" + addr}}
		if _, err := StartProcesses([]Process{p}, os.Stdout, false, slog.New(slog.DiscardHandler)); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		select {} // until killed
	}
	os.Exit(m.Run())
}

// helperCommand is a shell command whose child (not the shell itself)
// listens on addr, as npm run dev → node does.
func helperCommand(t *testing.T, addr string) (string, []string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s & echo spawned; wait", shellQuote(exe)), []string{helperListenEnv + "=" + addr}
}

// waitPortFree dials addr until nothing accepts, failing after a deadline.
func waitPortFree(t *testing.T, addr string) {
	t.Helper()
	waitUntil(t, 10*time.Second, addr+" free (the process group must not outlive Stop)", func() bool {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if conn != nil {
			conn.Close()
		}
		return err != nil && errors.Is(err, syscall.ECONNREFUSED)
	})
}

func TestStopKillsTheWholeProcessGroup(t *testing.T) {
	addr := freeAddr(t)
	cmd, env := helperCommand(t, addr)
	rec := newLogRecorder()
	out := newSyncBuffer()
	sv, err := StartProcesses([]Process{{Name: "dev", Command: cmd, Env: env, Ready: addr}}, out, false, slog.New(rec))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sv.Stop)
	rec.wait(t, "process ready", 10*time.Second)
	sv.Stop()
	waitPortFree(t, addr)
	if _, exited := rec.find("process exited"); exited {
		t.Error("a stop by devproxy was reported as the process exiting by itself")
	}
}

// devproxy killed with SIGKILL runs no deferred Stop; the watchdog in the
// process group notices and takes the dev server down.
func TestDevServerDiesWithDevproxyEvenOnSIGKILL(t *testing.T) {
	addr := freeAddr(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out := newSyncBuffer()
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperSuperviseEnv+"="+addr)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	out.waitFor(t, regexp.MustCompile(`dev \| helper listening on `+regexp.QuoteMeta(addr)))
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	waitPortFree(t, addr)
}

func TestProcessOutputIsPrefixedPerLine(t *testing.T) {
	out := newSyncBuffer()
	rec := newLogRecorder()
	ps := []Process{
		{Name: "web", Command: `echo hello; echo oops >&2; printf partial`},
		{Name: "backend", Command: `echo from-backend`},
	}
	sv, err := StartProcesses(ps, out, false, slog.New(rec))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sv.Stop)
	out.waitFor(t, regexp.MustCompile(`web     \| partial\n`)) // the last line, without its newline, is printed at EOF
	out.waitFor(t, regexp.MustCompile(`from-backend\n`))
	got := out.String()
	for _, want := range []string{"web     | hello\n", "web     | oops\n", "web     | partial\n", "backend | from-backend\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q; got:\n%s", want, got)
		}
	}
}

func TestProcessOutputColoured(t *testing.T) {
	out := newSyncBuffer()
	sv, err := StartProcesses([]Process{{Name: "web", Command: "echo hi"}}, out, true, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sv.Stop)
	out.waitFor(t, regexp.MustCompile(regexp.QuoteMeta(processColors[0]+"web | "+ansiReset+"hi\n")))
}

func TestProcessExitIsReportedWithStatus(t *testing.T) {
	rec := newLogRecorder()
	sv, err := StartProcesses([]Process{{Name: "api", Command: "exit 3"}}, newSyncBuffer(), false, slog.New(rec))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sv.Stop)
	attrs := rec.wait(t, "process exited; devproxy keeps running and will not restart it", 10*time.Second)
	if attrs["name"] != "api" || attrs["status"] != "exit status 3" || attrs["level"] != "WARN" {
		t.Errorf("exit log = %v, want WARN name=api status=\"exit status 3\"", attrs)
	}
}

func TestProcessReadyWaitsForThePort(t *testing.T) {
	addr := freeAddr(t)
	rec := newLogRecorder()
	out := newSyncBuffer()
	// The command runs in the directory given, with the env given.
	dir := t.TempDir()
	sv, err := StartProcesses([]Process{{Name: "api", Command: `echo "in $(pwd) with $GREETING"; exec sleep 60`, Dir: dir, Env: []string{"GREETING=hi"}, Ready: addr}},
		out, false, slog.New(rec))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sv.Stop)
	realDir, _ := filepath.EvalSymlinks(dir)
	out.waitFor(t, regexp.MustCompile(regexp.QuoteMeta("in "+realDir+" with hi")))
	if _, ready := rec.find("process ready"); ready {
		t.Fatal("process reported ready while nothing listens on its port")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	attrs := rec.wait(t, "process ready", 10*time.Second)
	if attrs["name"] != "api" || attrs["ready"] != addr {
		t.Errorf("ready log = %v, want name=api ready=%s", attrs, addr)
	}
}

// devproxy -- CMD: the dev server devproxy started is gone once devproxy exits.
func TestServeStartsDevServerAndStopsItOnExit(t *testing.T) {
	devAddr := freeAddr(t)
	dir := t.TempDir()
	path := filepath.Join(dir, DefaultConfigName)
	config := fmt.Sprintf("listen = \"127.0.0.1:0\"\n[frontend]\ndev_server = \"http://%s\"\n", devAddr)
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(helperListenEnv, devAddr) // inherited by the command; the test binary itself already runs tests
	out, errOut := newSyncBuffer(), newSyncBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exited := make(chan int, 1)
	go func() { // exits when ctx is cancelled
		exited <- Main(ctx, []string{"serve", "--config", path, "--", exe, "-test.run=^$"}, CLI{Stdout: out, Stderr: errOut, Assets: os.DirFS("../static")})
	}()
	out.waitFor(t, regexp.MustCompile(`frontend \| helper listening on `+regexp.QuoteMeta(devAddr)))
	cancel()
	select {
	case code := <-exited:
		if code != 0 {
			t.Errorf("exit status %d; stderr:\n%s", code, errOut)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("devproxy did not exit after cancel")
	}
	waitPortFree(t, devAddr)
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
			fs := newFlagSet(CLI{Stderr: newSyncBuffer()}, "serve", "", "")
			fs.Bool("quiet", false, "")
			fs.Bool("v", false, "")
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			got, ok := commandAfterDashes(CLI{Stderr: newSyncBuffer()}, tt.args, fs.Args())
			if got != tt.want || ok != tt.ok {
				t.Errorf("commandAfterDashes(%q) = %q, %v; want %q, %v", tt.args, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseProcesses(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "api"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, DefaultConfigName)
	src := `
[frontend]
dev_server = "http://localhost:5173"
command = "npm run dev"

[[process]]
name = "api"
command = "go run ."
dir = "api"
env = { PORT = "8080" }
ready = 8080

[[process]]
command = "node worker.js"
ready = "http://localhost:9000/health"
`
	cfg, err := Parse(path, []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	ps := processesFor(cfg)
	if len(ps) != 3 {
		t.Fatalf("got %d processes, want 3: %+v", len(ps), ps)
	}
	checks := []struct{ name, got, want string }{
		{"frontend name", ps[0].Name, "frontend"},
		{"frontend command", ps[0].Command, "npm run dev"},
		{"frontend ready", ps[0].Ready, "localhost:5173"},
		{"frontend dir", ps[0].Dir, dir},
		{"api dir", ps[1].Dir, filepath.Join(dir, "api")},
		{"api env", strings.Join(ps[1].Env, ","), "PORT=8080"},
		{"api ready", ps[1].Ready, "localhost:8080"},
		{"worker name", ps[2].Name, "node"},
		{"worker dir", ps[2].Dir, dir},
		{"worker ready", ps[2].Ready, "http://localhost:9000/health"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestReloadKeepsRunningCommands(t *testing.T) {
	api := Process{Name: "api", Command: "go run ."}
	tests := []struct {
		name           string
		running, saved Config
		wantKeys       string
	}{
		{"unchanged", Config{Processes: []Process{api}}, Config{Processes: []Process{api}}, ""},
		{"frontend command edited", Config{Frontend: Frontend{Command: "npm run dev"}}, Config{Frontend: Frontend{Command: "pnpm dev"}}, "frontend.command"},
		{"command from the command line", Config{Frontend: Frontend{Command: "npm run dev"}, commandFromCLI: true}, Config{}, ""},
		{"process added", Config{}, Config{Processes: []Process{api}}, "process"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var keys []string
			for _, rk := range keepRunningKeys(&tt.running, &tt.saved) {
				keys = append(keys, rk.key)
			}
			if got := strings.Join(keys, ","); got != tt.wantKeys {
				t.Errorf("restart keys = %q, want %q", got, tt.wantKeys)
			}
			if tt.saved.Frontend.Command != tt.running.Frontend.Command || !sameProcesses(tt.saved.Processes, tt.running.Processes) {
				t.Errorf("applied config runs %q %v, want what is running: %q %v", tt.saved.Frontend.Command, tt.saved.Processes, tt.running.Frontend.Command, tt.running.Processes)
			}
		})
	}
}

func TestCheckListsProcesses(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, DefaultConfigName), `
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

// TestProcessRefusedWhenItsPortIsTaken: an old dev server still holding
// the port must not be mistaken for the one devproxy starts.
func TestProcessRefusedWhenItsPortIsTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	marker := filepath.Join(t.TempDir(), "started")
	_, err = StartProcesses([]Process{{Name: "frontend", Command: "touch " + marker + "; exec sleep 60", Ready: ln.Addr().String()}},
		newSyncBuffer(), false, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "already answers before devproxy started") {
		t.Fatalf("StartProcesses with a taken port: %v, want a refusal", err)
	}
	if _, statErr := os.Stat(marker); statErr == nil {
		t.Error("the command was started although its port was taken")
	}
}

// TestExitedBackendExplainedAndNotHeld: when a backend devproxy started
// exits, its route answers at once with a 502 that says so, instead of
// holding requests for a restart that will not come.
func TestExitedBackendExplainedAndNotHeld(t *testing.T) {
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	path := filepath.Join(t.TempDir(), "devproxy.toml")
	// A stand-in backend: answers once on its port, then exits with status 3.
	writeFile(t, path, fmt.Sprintf(`listen = "127.0.0.1:0"
[routes."/api"]
target = "http://localhost:%s"
retry = "1h"
[[process]]
name = "api"
command = "%s=%s exec %s"
ready = %s
`, port, helperOnceEnv, addr, shellQuote(os.Args[0]), port))
	out, errOut := newSyncBuffer(), newSyncBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go func() { // exits when ctx is cancelled
		exited <- Main(ctx, []string{"--config", path}, CLI{Stdout: out, Stderr: errOut, Assets: os.DirFS("../static")})
	}()
	defer func() { cancel(); <-exited }()
	m := out.waitFor(t, regexp.MustCompile(`→  (http://127\.0\.0\.1:\d+/)`))
	out.waitFor(t, regexp.MustCompile(`process ready name=api`))
	client := &http.Client{Timeout: 10 * time.Second} // far below retry: a held request would time out
	res, err := client.Get(m[1] + "api/x")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close() // the backend answered once and now exits
	out.waitFor(t, regexp.MustCompile(`process exited.*name=api.*exit status 3`))
	res, err = client.Get(m[1] + "api/x")
	if err != nil {
		t.Fatalf("request after the backend exited was held: %v", err)
	}
	var prob problem
	_ = json.NewDecoder(res.Body).Decode(&prob)
	res.Body.Close()
	if res.StatusCode != 502 || !strings.Contains(prob.Cause, "the api command devproxy started has exited (exit status 3)") {
		t.Errorf("got %d %+v, want a 502 naming the exited command", res.StatusCode, prob)
	}
}
