//go:build unix

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/devproxy/devproxy/internal/testkit"
)

// testVersion is what the tests' release stamps.
const testVersion = "0.3.1-test.1"

// The release is built once per test binary, as a user runs it (go run
// ./release, not in this race-instrumented process, where compressing
// would take minutes). With CI set it builds all seven targets (about 10 s
// with the build cache .ci/run's cross-build step leaves); elsewhere only
// the host's and windows/amd64 (TestVerifyRefuses needs a binary of
// another platform), because a cold cross-build of seven targets takes
// minutes and `go test ./...` on a fresh clone must stay quick. The npm tarballs the install needs
// are packed once and one scratch project installs them once. All of it
// lives in tmpRoot, which TestMain removes.
var (
	tmpRoot string

	releaseOnce sync.Once
	releaseOpts options
	releaseErr  error

	packOnce  sync.Once
	tarballs  []string // the main package's and the host's, absolute
	packErr   error
	installed = struct {
		once sync.Once
		dir  string
		pkg  []byte // package.json as npm i -D left it
		err  error
	}{}
)

func TestMain(m *testing.M) {
	code := m.Run()
	if tmpRoot != "" {
		os.RemoveAll(tmpRoot)
	}
	os.Exit(code)
}

// builtRelease runs `go run ./release -version v0.3.1-test.1 -out DIR
// -npm=false` and returns its options (targets, folder, version).
func builtRelease(t *testing.T) options {
	t.Helper()
	releaseOnce.Do(func() {
		if tmpRoot, releaseErr = os.MkdirTemp("", "devproxy-release-test-"); releaseErr != nil {
			return
		}
		out := filepath.Join(tmpRoot, "dist")
		only := ""
		if os.Getenv("CI") == "" {
			only = runtime.GOOS + "/" + runtime.GOARCH
			if only != "windows/amd64" {
				only += ",windows/amd64"
			}
		}
		if releaseOpts, releaseErr = newOptions("v"+testVersion, out, only); releaseErr != nil {
			return
		}
		start := time.Now()
		cmd := exec.Command("go", "run", ".", "-version", "v"+testVersion, "-out", out, "-npm=false", "-targets", only)
		if output, err := cmd.CombinedOutput(); err != nil {
			releaseErr = fmt.Errorf("go run ./release: %w\n%s", err, output)
			return
		}
		t.Logf("release of %d targets built in %s", len(releaseOpts.targets), time.Since(start).Round(time.Millisecond))
	})
	if releaseErr != nil {
		t.Fatal(releaseErr)
	}
	return releaseOpts
}

// hostTarget is the release target of the machine the tests run on.
func hostTarget(t *testing.T) target {
	t.Helper()
	host := target{runtime.GOOS, runtime.GOARCH}
	if !slices.Contains(allTargets, host) {
		testkit.Require(t, false, fmt.Sprintf("%s is not a release target: no binary is built for this machine to run (the release builds %v)", host, allTargets))
	}
	return host
}

// requireNPM skips (fails in CI) without node and npm.
func requireNPM(t *testing.T) {
	t.Helper()
	_, nodeErr := exec.LookPath("node")
	_, npmErr := exec.LookPath("npm")
	testkit.Require(t, nodeErr == nil && npmErr == nil, "node 18+ and npm (apt-get install nodejs npm)")
}

// packedTarballs packs the main package and the host's platform package
// with npm pack, as the release does for all of them.
func packedTarballs(t *testing.T) (mainTarball, platformTarball string) {
	t.Helper()
	requireNPM(t)
	o := builtRelease(t)
	host := hostTarget(t)
	packOnce.Do(func() {
		npmDir := filepath.Join(o.out, "npm")
		var names []string
		names, packErr = npmPack(npmDir, []string{filepath.Join(npmDir, mainPackageName), filepath.Join(npmDir, host.npmPlatform())})
		for _, n := range names {
			tarballs = append(tarballs, filepath.Join(npmDir, n))
		}
	})
	if packErr != nil {
		t.Fatal(packErr)
	}
	if len(tarballs) != 2 {
		t.Fatalf("npm pack made %q, want the main package's tarball and %s's", tarballs, host.npmPackage())
	}
	return tarballs[0], tarballs[1]
}

// npmEnv is the environment of every npm, npx and node the tests run: no
// registry (a closed port on loopback, and offline mode, so npm may not
// even try), an empty cache of the test's own, no update check.
func npmEnv() []string {
	return append(os.Environ(),
		"npm_config_registry=http://127.0.0.1:9/", // the discard port: nothing listens there
		"npm_config_offline=true",
		"npm_config_cache="+filepath.Join(tmpRoot, "npm-cache"),
		"npm_config_update_notifier=false", "npm_config_audit=false", "npm_config_fund=false",
		"NODE_PATH=")
}

// viteProject is a Vite project as a user has it: vite in devDependencies
// (already installed: a package.json in node_modules/vite stands in for it,
// so the offline install has nothing to fetch), a dev script and a
// vite.config.js with a port and a proxy that init reads.
var viteProject = map[string]string{
	"package.json": `{
  "name": "scratch-app",
  "private": true,
  "scripts": { "dev": "vite" },
  "devDependencies": { "vite": "^5.4.0" }
}
`,
	"node_modules/vite/package.json": `{ "name": "vite", "version": "5.4.0" }` + "\n",
	"vite.config.js": `export default {
  server: {
    port: 5174,
    proxy: { '/api': 'http://localhost:8080' },
  },
}
`,
}

// installedProject is the scratch Vite project with devproxy installed
// from the tarballs: npm i -D <devproxy tarball> <platform tarball>, offline.
func installedProject(t *testing.T) string {
	t.Helper()
	mainTarball, platformTarball := packedTarballs(t)
	installed.once.Do(func() {
		dir := filepath.Join(tmpRoot, "app")
		for name, text := range viteProject {
			if installed.err = writeFileIn(dir, name, []byte(text), 0o644); installed.err != nil {
				return
			}
		}
		cmd := exec.Command("npm", "i", "-D", mainTarball, platformTarball, "--offline", "--no-audit", "--no-fund")
		cmd.Dir, cmd.Env = dir, npmEnv()
		out, err := cmd.CombinedOutput()
		if err != nil {
			installed.err = errors.New("npm i -D (offline): " + err.Error() + "\n" + string(out))
			return
		}
		if installed.pkg, installed.err = os.ReadFile(filepath.Join(dir, "package.json")); installed.err == nil {
			installed.dir = dir
		}
	})
	if installed.err != nil {
		t.Fatal(installed.err)
	}
	return installed.dir
}

// resetInstalledProject puts the project back as npm i -D left it: a test
// writes its devproxy.toml, server.js and package.json script into it, and
// go test -count 2 runs the test again in the same project.
func resetInstalledProject(t *testing.T, dir string) {
	t.Helper()
	for _, name := range []string{"devproxy.toml", "server.js"} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "package.json"), installed.pkg, 0o644); err != nil {
		t.Fatal(err)
	}
}

// run is a command started in its own process group, as a shell starts a
// job in a terminal: a Ctrl-C goes to every process in the group.
type run struct {
	cmd  *exec.Cmd
	out  *testkit.Buffer
	done chan struct{} // closed when the command has exited
	err  error         // cmd.Wait's, once done is closed
}

// startGroup starts cmd in a new process group with its output in a
// Buffer; the test's end kills the group if it is still there.
func startGroup(t *testing.T, cmd *exec.Cmd) *run {
	t.Helper()
	r := &run{cmd: cmd, out: testkit.NewBuffer(), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = r.out, r.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { // exits when the command does
		r.err = cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-r.done
		}
	})
	return r
}

// listening waits for devproxy's banner and returns the address it
// listens on (the tests give it port 0).
func (r *run) listening(t *testing.T) string {
	t.Helper()
	return r.out.WaitFor(t, regexp.MustCompile(`→  http://(127\.0\.0\.1:\d+)/`))[1]
}

// ctrlC does what a terminal does on Ctrl-C: SIGINT to the whole group.
func (r *run) ctrlC(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(-r.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
}

// wait waits for the command to exit and returns how it ended.
func (r *run) wait(t *testing.T) *os.ProcessState {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s still running 20s after it was told to stop; output:\n%s", r.cmd, r.out)
	}
	var ee *exec.ExitError
	if r.err != nil && !errors.As(r.err, &ee) {
		t.Fatalf("%s: %v", r.cmd, r.err)
	}
	return r.cmd.ProcessState
}

// processesIn lists the processes working in dir or below it, by pid, with
// their command lines: whatever a run there started, however deep.
func processesIn(dir string) map[int]string {
	found := map[int]string{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if err != nil || (cwd != dir && !strings.HasPrefix(cwd, dir+string(filepath.Separator))) {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		found[pid] = strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))
	}
	return found
}

// noProcessesLeftIn fails if any process still works in dir a moment
// after the stop (a killed process takes that long to leave /proc), and
// kills them so the next step starts clean.
func noProcessesLeftIn(t *testing.T, dir string) {
	t.Helper()
	var left map[int]string
	testkit.PollUntil(2*time.Second, func() bool { left = processesIn(dir); return len(left) == 0 })
	for pid, cmdline := range left {
		t.Errorf("process %d (%s) outlived the stop", pid, cmdline)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}
