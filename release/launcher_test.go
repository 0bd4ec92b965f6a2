//go:build linux

package main

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/devproxy/devproxy/internal/testkit"
)

// The launcher as npm installed it: node_modules/.bin/devproxy, what npx
// and package.json scripts run.
func installedLauncher(t *testing.T) string {
	t.Helper()
	return filepath.Join(installedProject(t), "node_modules", ".bin", "devproxy")
}

// TestLauncherExitsAsDevproxyDoes: same output, same exit status as the
// bare binary, failures included.
func TestLauncherExitsAsDevproxyDoes(t *testing.T) {
	t.Parallel()
	launcher := installedLauncher(t)
	o := builtRelease(t)
	bare := filepath.Join(o.out, "npm", hostTarget(t).npmPlatform(), "bin", "devproxy")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "devproxy.toml"), []byte("listen = 3000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"version"}, {"check"}, {"no-such-command"}, {"which", "/x", "--config", "missing.toml"}} {
		var got, want [2]string
		var gotCode, wantCode int
		gotCode, got[0], got[1] = runIn(t, dir, launcher, args...)
		wantCode, want[0], want[1] = runIn(t, dir, bare, args...)
		if gotCode != wantCode || got != want {
			t.Errorf("devproxy %s through the launcher: exit %d, stdout %q, stderr %q\nthe binary itself: exit %d, stdout %q, stderr %q",
				strings.Join(args, " "), gotCode, got[0], got[1], wantCode, want[0], want[1])
		}
		if args[0] != "version" && wantCode == 0 {
			t.Errorf("devproxy %s exits 0; the test wants a failure to compare", strings.Join(args, " "))
		}
	}
}

func runIn(t *testing.T, dir, name string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := npmCommand(dir, name, args...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatal(err)
		}
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// TestLauncherCtrlCInATerminal runs the launcher on a real terminal (a
// pty from script(1)) and presses Ctrl-C there: devproxy gets the SIGINT
// from the terminal and once more from the launcher, still stops once,
// gracefully, and the launcher exits 0. Its request lines are coloured:
// devproxy sees the terminal.
func TestLauncherCtrlCInATerminal(t *testing.T) {
	t.Parallel()
	launcher := installedLauncher(t)
	_, err := exec.LookPath("script")
	testkit.Require(t, err == nil, "script(1) for a pty (apt-get install bsdutils)")
	// -e: script exits as its command does; exec: no shell in between.
	cmd := npmCommand(t.TempDir(), "script", "-qefc", "exec '"+launcher+"' demo --listen 127.0.0.1:0", "/dev/null")
	keys, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	r := startGroup(t, cmd)
	addr := r.listening(t)
	get(t, "http://"+addr+"/")
	r.out.WaitFor(t, regexp.MustCompile(regexp.QuoteMeta("\x1b[32m200\x1b[0m"))) // the request line, status in green
	if _, err := io.WriteString(keys, "\x03"); err != nil {
		t.Fatal(err)
	}
	st := r.wait(t)
	if st.ExitCode() != 0 {
		t.Errorf("Ctrl-C on the terminal: the launcher ended with %s, want exit 0; output:\n%s", st, r.out)
	}
	if n := strings.Count(r.out.String(), "stopping: finishing requests in flight"); n != 1 {
		t.Errorf("devproxy began stopping %d times, want once; output:\n%s", n, r.out)
	}
	testkit.WaitPortFree(t, addr)
}

// TestLauncherForwardsSignals: a signal sent to the launcher alone (a
// process manager, kill) reaches devproxy, and the launcher ends as
// devproxy does: SIGTERM stops it gracefully (exit 0); SIGHUP, which it
// does not handle, kills it, and the launcher dies of it too.
func TestLauncherForwardsSignals(t *testing.T) {
	t.Parallel()
	launcher := installedLauncher(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			r := startGroup(t, npmCommand(t.TempDir(), launcher, "demo", "--listen", "127.0.0.1:0"))
			addr := r.listening(t)
			if err := r.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			ws := r.wait(t).Sys().(syscall.WaitStatus)
			if sig == syscall.SIGTERM && !(ws.Exited() && ws.ExitStatus() == 0 && strings.Contains(r.out.String(), "stopping: finishing requests in flight")) {
				t.Errorf("after SIGTERM to the launcher: %v, want devproxy stopping and exit 0; output:\n%s", r.cmd.ProcessState, r.out)
			}
			if sig == syscall.SIGHUP && !(ws.Signaled() && ws.Signal() == syscall.SIGHUP) {
				t.Errorf("after SIGHUP to the launcher: %v, want death by SIGHUP; output:\n%s", r.cmd.ProcessState, r.out)
			}
			testkit.WaitPortFree(t, addr)
		})
	}
}

// TestLauncherDiesOfDevproxysSignal: when devproxy is killed, the launcher
// dies of the same signal, so a shell sees what happened.
func TestLauncherDiesOfDevproxysSignal(t *testing.T) {
	t.Parallel()
	launcher := installedLauncher(t)
	r := startGroup(t, npmCommand(t.TempDir(), launcher, "demo", "--listen", "127.0.0.1:0"))
	addr := r.listening(t)
	child := childOf(t, r.cmd.Process.Pid)
	if err := syscall.Kill(child, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ws := r.wait(t).Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("devproxy killed: the launcher ended with %v, want death by SIGKILL; output:\n%s", r.cmd.ProcessState, r.out)
	}
	testkit.WaitPortFree(t, addr)
}

// childOf returns the one child process of pid (Linux: /proc's children list).
func childOf(t *testing.T, pid int) int {
	t.Helper()
	tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "children"))
	var children []string
	for _, task := range tasks {
		data, _ := os.ReadFile(task)
		children = append(children, strings.Fields(string(data))...)
	}
	if len(children) != 1 {
		t.Fatalf("process %d has children %q, want one", pid, children)
	}
	child, _ := strconv.Atoi(children[0])
	return child
}

// TestLauncherWithoutItsBinary: with the platform package missing the
// launcher says what to run; on a machine without a package it says so.
func TestLauncherWithoutItsBinary(t *testing.T) {
	t.Parallel()
	requireNPM(t)
	o := builtRelease(t)
	host := hostTarget(t)
	// The package folder as the release wrote it: no node_modules beside it.
	pkg := filepath.Join(t.TempDir(), "devproxy")
	if err := os.CopyFS(pkg, os.DirFS(filepath.Join(o.out, "npm", mainPackageName))); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runIn(t, t.TempDir(), "node", filepath.Join(pkg, "bin", "devproxy.js"), "version")
	for _, want := range []string{
		"the devproxy binary for this machine (" + host.npmPlatform() + ") is not installed",
		"fix: npm i -D devproxy@" + testVersion + " --include=optional",
		"or:  npm i -O " + host.npmPackage() + "@" + testVersion,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if code != 1 || stdout != "" {
		t.Errorf("without the binary: exit %d, stdout %q; want exit 1 and nothing on stdout", code, stdout)
	}

	// A package without this machine's platform.
	var pj map[string]any
	readJSON(t, filepath.Join(pkg, "package.json"), &pj)
	delete(pj["optionalDependencies"].(map[string]any), host.npmPackage())
	writeJSON(t, filepath.Join(pkg, "package.json"), pj)
	_, _, stderr = runIn(t, t.TempDir(), "node", filepath.Join(pkg, "bin", "devproxy.js"), "version")
	if want := "there is no prebuilt devproxy for this machine (" + host.npmPlatform() + "); there is one for "; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDevproxyTakesACopyOfCtrlCForTheSame: a SIGINT right after the first
// (the launcher passing on the terminal's) does not end devproxy at once:
// it still stops what it started, here a command that ignores SIGTERM and
// is killed after the grace, and exits 0.
func TestDevproxyTakesACopyOfCtrlCForTheSame(t *testing.T) {
	t.Parallel()
	o := builtRelease(t)
	dir := t.TempDir()
	config := "listen = \"127.0.0.1:0\"\n[routes]\n\"/api\" = \"http://127.0.0.1:9\"\n[[process]]\nname = \"stubborn\"\ncommand = \"trap '' TERM; echo up; while :; do sleep 1; done\"\n"
	if err := os.WriteFile(filepath.Join(dir, "devproxy.toml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	r := startGroup(t, npmCommand(dir, filepath.Join(o.out, "npm", hostTarget(t).npmPlatform(), "bin", "devproxy")))
	t.Cleanup(func() { noProcessesLeftIn(t, dir) })
	r.out.WaitFor(t, regexp.MustCompile(`stubborn \| up`))
	if err := r.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	r.out.WaitFor(t, regexp.MustCompile(`stopping: finishing requests in flight`))
	if err := r.cmd.Process.Signal(syscall.SIGINT); err != nil { // devproxy is stopping for 5 s: the grace of its command
		t.Fatal(err)
	}
	if st := r.wait(t); st.ExitCode() != 0 {
		t.Errorf("two SIGINTs in a row: devproxy ended with %s, want exit 0 after stopping its command; output:\n%s", st, r.out)
	}
	if !strings.Contains(r.out.String(), "process did not stop after SIGTERM; killing it") {
		t.Errorf("devproxy did not wait out its command's grace; output:\n%s", r.out)
	}
}
