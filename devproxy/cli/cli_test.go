package cli

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/internal/testkit"
)

// runCLI runs the command line in dir and returns exit status, stdout, stderr.
func runCLI(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	assets := os.DirFS(staticDir(t))
	t.Chdir(dir)
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, Options{Stdout: &out, Stderr: &errb, Assets: assets})
	return code, out.String(), errb.String()
}

// serveInBackground runs the command line with args (serve, usually) and
// returns its stdout and stderr as they grow, and stop, which cancels it
// and returns its exit status (the test's end stops it too).
func serveInBackground(t *testing.T, args ...string) (out, errOut *testkit.Buffer, stop func() int) {
	t.Helper()
	out, errOut = testkit.NewBuffer(), testkit.NewBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go func() { // exits when stop or the test's end cancels ctx
		exited <- Main(ctx, args, Options{Stdout: out, Stderr: errOut, Assets: os.DirFS("../../static")})
	}()
	code, stopped := 0, false
	stop = func() int {
		if !stopped {
			stopped = true
			cancel()
			code = testkit.Receive(t, exited, testkit.OutputWait+5*time.Second, "devproxy serve exiting after cancel")
		}
		return code
	}
	t.Cleanup(func() { stop() })
	return out, errOut, stop
}

// staticDir is the absolute path of static/; call it before t.Chdir.
func staticDir(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("..", "..", "static"))
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func TestCheckValidPrintsTable(t *testing.T) {
	dir := t.TempDir()
	testkit.WriteFile(t, filepath.Join(dir, "devproxy.toml"), `
[frontend]
dev_server = "http://localhost:5173"
[routes]
"/api" = "http://localhost:8080"
[routes."/auth"]
target = "http://localhost:9000"
strip_prefix = true
`)
	code, out, errOut := runCLI(t, dir, "check")
	if code != 0 {
		t.Fatalf("check exit %d, stderr %s", code, errOut)
	}
	for _, want := range []string{"/api", "→ http://localhost:8080", "/auth", "[strip_prefix]", "(everything else)  → dev server http://localhost:5173", "devproxy.toml is valid"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
}

func TestCheckInvalidExits1WithPositions(t *testing.T) {
	dir := t.TempDir()
	testkit.WriteFile(t, filepath.Join(dir, "devproxy.toml"), "[routes.\"/api\"]\ntaget = \"http://localhost:8080\"\n")
	code, _, errOut := runCLI(t, dir, "check")
	if code != 1 {
		t.Errorf("check exit %d, want 1", code)
	}
	if !strings.Contains(errOut, `devproxy.toml:2:1: unknown key routes."/api".taget (did you mean "target"?)`) {
		t.Errorf("stderr lacks the positioned error:\n%s", errOut)
	}
}

func TestServeBadConfigExits2(t *testing.T) {
	dir := t.TempDir()
	testkit.WriteFile(t, filepath.Join(dir, "devproxy.toml"), "listen = \"0.0.0.0:3000\"\n[routes]\n\"/api\" = \"http://localhost:1\"\n")
	code, _, errOut := runCLI(t, dir)
	if code != 2 || !strings.Contains(errOut, "devproxy.toml:1:10:") {
		t.Errorf("serve with bad config: exit %d stderr %q, want 2 and a positioned error", code, errOut)
	}
}

func TestServeWithoutConfigSaysWhatToDo(t *testing.T) {
	code, _, errOut := runCLI(t, t.TempDir())
	if code != 2 || !strings.Contains(errOut, "devproxy init") || !strings.Contains(errOut, "devproxy demo") {
		t.Errorf("exit %d stderr %q", code, errOut)
	}
}

func TestInitWritesStarterAndNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCLI(t, dir, "init")
	if code != 0 || !strings.Contains(out, "wrote devproxy.toml") {
		t.Fatalf("init: exit %d out %q err %q", code, out, errOut)
	}
	if _, err := config.Load(filepath.Join(dir, "devproxy.toml")); err != nil {
		t.Errorf("starter config does not load: %v", err)
	}
	testkit.WriteFile(t, filepath.Join(dir, "devproxy.toml"), "# mine\n")
	code, _, errOut = runCLI(t, dir, "init")
	got, _ := os.ReadFile(filepath.Join(dir, "devproxy.toml"))
	if code != 1 || string(got) != "# mine\n" || !strings.Contains(errOut, "already exists") {
		t.Errorf("second init: exit %d, file %q, stderr %q", code, got, errOut)
	}
}

// TestInitSaysWhatItFound: init's one line names the framework and counts
// in words ("1 route", never "1 route(s)").
func TestInitSaysWhatItFound(t *testing.T) {
	tests := []struct{ name, pkg, vite, want string }{
		{"sveltekit", `{"scripts": {"dev": "vite dev"}, "devDependencies": {"@sveltejs/kit": "^2", "vite": "^7"}}`,
			`export default { server: { proxy: { '/api': 'http://localhost:8787' } } }`,
			"wrote devproxy.toml for this SvelteKit on Vite project: dev server on port 5173, started with npm run dev, 1 route; read the comments, then run devproxy\n"},
		{"angular", `{"scripts": {"start": "ng serve"}, "devDependencies": {"@angular/build": "^21", "@angular/cli": "^21"}}`, "",
			"wrote devproxy.toml for this Angular project: dev server on port 4200, started with npm start, 0 routes; read the comments, then run devproxy\n"},
		{"dev script runs devproxy", `{"scripts": {"dev": "devproxy -- vite"}, "devDependencies": {"devproxy": "^0.3", "vite": "^7"}}`, "",
			"wrote devproxy.toml for this Vite project: dev server on port 5173, 0 routes; read the comments, then run npm run dev\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			testkit.WriteFile(t, filepath.Join(dir, "package.json"), tt.pkg)
			if tt.vite != "" {
				testkit.WriteFile(t, filepath.Join(dir, "vite.config.js"), tt.vite)
			}
			code, out, errOut := runCLI(t, dir, "init")
			if code != 0 || out != tt.want {
				t.Errorf("init: exit %d\n got %q\nwant %q\nstderr %s", code, out, tt.want, errOut)
			}
		})
	}
}

func TestWhichExplainsRouting(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DEVPROXY_TEST_TOKEN", "abcdefghijklmnop")
	testkit.WriteFile(t, filepath.Join(dir, "devproxy.toml"), `
listen = "localhost:3000"
[frontend]
dev_server = "http://localhost:5173"
[routes."/api"]
target = "http://localhost:8080/v1"
strip_prefix = true
headers = { "Authorization" = "Bearer ${DEVPROXY_TEST_TOKEN}" }
[routes."/gh"]
target = "https://api.github.com"
change_origin = true
`)
	tests := []struct {
		path  string
		wants []string
	}{
		{"/api/users?id=1", []string{"route    /api  (devproxy.toml:5)", "upstream http://localhost:8080/v1/users?id=1", "Host     localhost:3000", "Authorization: •••", "X-Forwarded-Prefix: /api"}},
		{"/gh/repos", []string{"upstream https://api.github.com/gh/repos", "Host     api.github.com", "Origin   https://api.github.com"}},
		{"/src/main.ts", []string{"route    frontend dev server", "upstream http://localhost:5173/src/main.ts", "Host     localhost:5173"}},
		{"/__devproxy/", []string{"served by devproxy itself"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			code, out, errOut := runCLI(t, dir, "which", tt.path)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, want := range tt.wants {
				if !strings.Contains(out, want) {
					t.Errorf("which %s lacks %q:\n%s", tt.path, want, out)
				}
			}
			if strings.Contains(out, "abcdefghijklmnop") {
				t.Errorf("which printed a secret from the environment:\n%s", out)
			}
		})
	}
}

// TestWhichAppliesTheHostCheck: which says what the running proxy does,
// and for a Host it does not answer to that is a 403, not a route.
func TestWhichAppliesTheHostCheck(t *testing.T) {
	dir := t.TempDir()
	testkit.WriteFile(t, filepath.Join(dir, "devproxy.toml"), "allowed_hosts = [\"myapp.test\"]\n[routes]\n\"/api\" = \"http://localhost:8080\"\n")
	tests := []struct{ host, want string }{
		{"evil.example", "/api/me\n  refused: Host evil.example is not allowed; add it to allowed_hosts\n" +
			"  status   403, nothing is forwarded (DNS-rebinding protection)\n  fix      allowed_hosts = [\"evil.example\"]\n"},
		{"EVIL.example:3000", "  refused: Host evil.example is not allowed"},
		{"myapp.test:3000", "  route    /api  (devproxy.toml:3)\n"},
		{"app.localhost:3000", "  route    /api  (devproxy.toml:3)\n"},
		{"192.168.1.20:3000", "  route    /api  (devproxy.toml:3)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			code, out, errOut := runCLI(t, dir, "which", "--host", tt.host, "/api/me")
			if code != 0 || !strings.Contains(out, tt.want) {
				t.Errorf("which --host %s: exit %d\n%s%s\nwant it to contain %q", tt.host, code, out, errOut, tt.want)
			}
		})
	}
}

func TestUsageAndVersion(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := runCLI(t, dir, "--help")
	if code != 0 || !strings.Contains(out, "doctor") || !strings.Contains(out, "which") {
		t.Errorf("--help: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, dir, "version")
	if code != 0 || !strings.HasPrefix(out, "devproxy ") {
		t.Errorf("version: exit %d %q", code, out)
	}
	code, _, errOut := runCLI(t, dir, "frobnicate")
	if code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d %q", code, errOut)
	}
}

func TestFlagsAfterArgumentsAndStrayArguments(t *testing.T) {
	dir := t.TempDir()
	testkit.WriteFile(t, filepath.Join(dir, "devproxy.toml"), "[routes]\n\"/api\" = \"http://localhost:8080\"\n")
	code, out, errOut := runCLI(t, dir, "which", "/api/x", "--host", "127.0.0.1:3000")
	if code != 0 || !strings.Contains(out, "Host     127.0.0.1:3000") {
		t.Errorf("which with the flag after the path: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = runCLI(t, dir, "which")
	if code != 2 || !strings.Contains(errOut, "want exactly one path") {
		t.Errorf("which without a path: exit %d %q", code, errOut)
	}
	code, _, errOut = runCLI(t, dir, "check", "/api")
	if code != 2 || !strings.Contains(errOut, `unexpected argument "/api"`) {
		t.Errorf("check with a stray argument: exit %d %q", code, errOut)
	}
}

func TestServeListenFlagIsCheckedLikeTheKey(t *testing.T) {
	dir := t.TempDir()
	testkit.WriteFile(t, filepath.Join(dir, "devproxy.toml"), "[routes]\n\"/api\" = \"http://localhost:8080\"\n")
	code, _, errOut := runCLI(t, dir, "--listen", "0.0.0.0:3001")
	if code != 2 || !strings.Contains(errOut, "not a loopback address") {
		t.Errorf("--listen on every interface: exit %d %q", code, errOut)
	}
	code, _, errOut = runCLI(t, dir, "--listen", "3001")
	if code != 2 || !strings.Contains(errOut, "is not host:port") {
		t.Errorf("--listen without host: exit %d %q", code, errOut)
	}
}

func TestServeListenFlagOverridesConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "devproxy.toml")
	testkit.WriteFile(t, path, "listen = \"localhost:3999\"\n[routes]\n\"/api\" = \"http://localhost:8080\"\n")
	out, errOut := testkit.NewBuffer(), testkit.NewBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go func() { // exits when ctx is cancelled
		exited <- Main(ctx, []string{"--config", path, "--listen", "127.0.0.1:0"}, Options{Stdout: out, Stderr: errOut, Assets: os.DirFS("../../static")})
	}()
	m := out.WaitFor(t, regexp.MustCompile(`→  (http://127\.0\.0\.1:\d+/)`))
	res, err := http.Get(m[1] + "__devproxy/status.json")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cancel()
	if code := <-exited; code != 0 || res.StatusCode != 200 {
		t.Errorf("serve --listen: status %d, exit %d, stderr %s", res.StatusCode, code, errOut)
	}
}

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == watchdogName {
		// serve starts its own binary (this one, in tests) as the
		// watchdog of each command's process group.
		os.Exit(Main(context.Background(), os.Args[1:], Options{Stdout: os.Stdout, Stderr: os.Stderr}))
	}
	testkit.RunHelper() // serve tests run this binary as a stand-in dev server and backend
	os.Exit(m.Run())
}
