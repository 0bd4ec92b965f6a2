package process

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/internal/testkit"
)

// helperSuperviseEnv makes the test binary a stand-in devproxy: it starts
// the helper dev server on the address in this variable under a Supervisor
// and waits to be killed, without ever calling Stop.
const helperSuperviseEnv = "DEVPROXY_TEST_HELPER_SUPERVISE"

// watchdogArg makes the test binary the watchdog, as devproxy's hidden
// command makes devproxy's binary one.
const watchdogArg = "_watchdog"

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == watchdogArg {
		os.Exit(Watchdog(os.Args[2:]))
	}
	testkit.RunHelper()
	if addr := os.Getenv(helperSuperviseEnv); addr != "" {
		exe, _ := os.Executable()
		p := config.Process{Name: "dev", Command: "'" + exe + "' & wait", Env: []string{testkit.HelperListenEnv + "=" + addr}}
		if _, err := Start([]config.Process{p}, os.Stdout, false, slog.New(slog.DiscardHandler), []string{exe, watchdogArg}); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		select {} // until killed
	}
	os.Exit(m.Run())
}

func TestStopKillsTheWholeProcessGroup(t *testing.T) {
	addr := testkit.FreeAddr(t)
	cmd, env := testkit.ListenCommand(t, addr)
	rec := testkit.NewLogRecorder()
	out := testkit.NewBuffer()
	sv, err := Start([]config.Process{{Name: "dev", Command: cmd, Env: env, Ready: addr}}, out, false, slog.New(rec), watchdog(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sv.Stop)
	rec.Wait(t, "process ready", 10*time.Second)
	sv.Stop()
	testkit.WaitPortFree(t, addr)
	if _, exited := rec.Find("process exited"); exited {
		t.Error("a stop by devproxy was reported as the process exiting by itself")
	}
}

// devproxy killed with SIGKILL runs no deferred Stop; the watchdog in the
// process group notices and takes the dev server down.
func TestDevServerDiesWithDevproxyEvenOnSIGKILL(t *testing.T) {
	addr := testkit.FreeAddr(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out := testkit.NewBuffer()
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperSuperviseEnv+"="+addr)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	out.WaitFor(t, regexp.MustCompile(`dev \| helper listening on `+regexp.QuoteMeta(addr)))
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	testkit.WaitPortFree(t, addr)
}

// watchdog is the command line that runs the test binary as a watchdog.
func watchdog(t *testing.T) []string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return []string{exe, watchdogArg}
}

func TestProcessOutputIsPrefixedPerLine(t *testing.T) {
	out := testkit.NewBuffer()
	rec := testkit.NewLogRecorder()
	ps := []config.Process{
		{Name: "web", Command: `echo hello; echo oops >&2; printf partial`},
		{Name: "backend", Command: `echo from-backend`},
	}
	sv, err := Start(ps, out, false, slog.New(rec), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sv.Stop)
	out.WaitFor(t, regexp.MustCompile(`web     \| partial\n`)) // the last line, without its newline, is printed at EOF
	out.WaitFor(t, regexp.MustCompile(`from-backend\n`))
	got := out.String()
	for _, want := range []string{"web     | hello\n", "web     | oops\n", "web     | partial\n", "backend | from-backend\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q; got:\n%s", want, got)
		}
	}
}

func TestProcessOutputColoured(t *testing.T) {
	out := testkit.NewBuffer()
	sv, err := Start([]config.Process{{Name: "web", Command: "echo hi"}}, out, true, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sv.Stop)
	out.WaitFor(t, regexp.MustCompile(regexp.QuoteMeta(colors[0]+"web | "+colorReset+"hi\n")))
}

func TestProcessExitIsReportedWithStatus(t *testing.T) {
	rec := testkit.NewLogRecorder()
	sv, err := Start([]config.Process{{Name: "api", Command: "exit 3"}}, testkit.NewBuffer(), false, slog.New(rec), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sv.Stop)
	attrs := rec.Wait(t, "process exited; devproxy keeps running and will not restart it", 10*time.Second)
	if attrs["name"] != "api" || attrs["exit"] != "exit status 3" || attrs["level"] != "WARN" {
		t.Errorf("exit log = %v, want WARN name=api exit=\"exit status 3\"", attrs)
	}
}

func TestProcessReadyWaitsForThePort(t *testing.T) {
	addr := testkit.FreeAddr(t)
	rec := testkit.NewLogRecorder()
	out := testkit.NewBuffer()
	// The command runs in the directory given, with the env given.
	dir := t.TempDir()
	sv, err := Start([]config.Process{{Name: "api", Command: `echo "in $(pwd) with $GREETING"; exec sleep 60`, Dir: dir, Env: []string{"GREETING=hi"}, Ready: addr}},
		out, false, slog.New(rec), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sv.Stop)
	realDir, _ := filepath.EvalSymlinks(dir)
	out.WaitFor(t, regexp.MustCompile(regexp.QuoteMeta("in "+realDir+" with hi")))
	if _, ready := rec.Find("process ready"); ready {
		t.Fatal("process reported ready while nothing listens on its port")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	attrs := rec.Wait(t, "process ready", 10*time.Second)
	if attrs["name"] != "api" || attrs["ready"] != addr {
		t.Errorf("ready log = %v, want name=api ready=%s", attrs, addr)
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
	_, err = Start([]config.Process{{Name: "frontend", Command: "touch " + marker + "; exec sleep 60", Ready: ln.Addr().String()}},
		testkit.NewBuffer(), false, slog.New(slog.DiscardHandler), nil)
	if err == nil || !strings.Contains(err.Error(), "already answers before devproxy started") {
		t.Fatalf("Start with a taken port: %v, want a refusal", err)
	}
	if _, statErr := os.Stat(marker); statErr == nil {
		t.Error("the command was started although its port was taken")
	}
}
