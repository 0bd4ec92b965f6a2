package cli

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/devproxy/devproxy/internal/testkit"
)

// TestHARSavesTheRunningLog: devproxy har finds the running devproxy
// through the config's listen address and saves its log as valid HAR.
func TestHARSavesTheRunningLog(t *testing.T) {
	t.Parallel()
	addr := testkit.FreeAddr(t)
	dir, path := serveMocked(t, addr)
	res, err := http.Get("http://" + addr + "/api/users?page=1")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()

	file := filepath.Join(dir, "session.har")
	code, stdout, stderr := runMain("har", "--config", path, "--out", file)
	if code != exitOK || stdout != "" || !strings.Contains(stderr, "wrote "+file+": 1 requests") {
		t.Fatalf("har --out: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := testkit.ValidateHAR(data); err != nil {
		t.Errorf("the saved file is not HAR 1.2: %v", err)
	}
	if !strings.Contains(string(data), `"url": "http://`+addr+`/api/users?page=1"`) {
		t.Errorf("the HAR does not list the request:\n%s", data)
	}
	// Without --out it goes to standard output; --listen names the address instead of the config.
	code, stdout, _ = runMain("har", "--listen", addr)
	if code != exitOK || testkit.ValidateHAR([]byte(stdout)) != nil {
		t.Errorf("har --listen: exit %d, stdout %.200q", code, stdout)
	}
}

func TestHARSaysWhyItCannot(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	nobody := testkit.FreeAddr(t)
	tests := []struct {
		name, config string
		args         []string
		code         int
		want         string
	}{
		{"nothing listening", "listen = \"" + nobody + "\"\n[routes]\n\"/a\" = \"http://localhost:1\"\n", nil, exitFailed, "nothing answers at http://" + nobody + "/__devproxy/har.json: is devproxy running?"},
		{"any free port", "listen = \"127.0.0.1:0\"\n[routes]\n\"/a\" = \"http://localhost:1\"\n", nil, exitUsage, "is any free port: give the address devproxy printed"},
		{"not loopback", "listen = \"192.0.2.10:3000\"\nallow_remote = true\n[routes]\n\"/a\" = \"http://localhost:1\"\n", nil, exitUsage, "is not a loopback address"},
		{"bad config", "[routes]\n\"/a\" = 1\n", nil, exitFailed, "1 error in"},
		{"stray argument", "", []string{"extra"}, exitUsage, `unexpected argument "extra"`},
	}
	for i, tt := range tests {
		path := filepath.Join(dir, tt.name+".toml")
		testkit.WriteFile(t, path, tt.config)
		code, _, stderr := runMain(append([]string{"har", "--config", path}, tt.args...)...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("%d %s: exit %d, stderr %q; want %d and %q", i, tt.name, code, stderr, tt.code, tt.want)
		}
	}
}

// TestHAROverHTTPS: an https devproxy is asked over TLS, trusting its
// local CA as a browser that ran devproxy trust does. (Not parallel: it
// points the user config directory, where the CA lives, at a temp dir.)
func TestHAROverHTTPS(t *testing.T) {
	isolateUserDirs(t)
	addr := testkit.FreeAddr(t)
	dir, path := serveMocked(t, "https://"+addr)
	file := filepath.Join(dir, "session.har")
	code, _, stderr := runMain("har", "--config", path, "--out", file)
	if code != exitOK || !strings.Contains(stderr, "from https://localhost:") {
		t.Fatalf("har over https: exit %d, stderr %q", code, stderr)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := testkit.ValidateHAR(data); err != nil {
		t.Error(err)
	}
	// --listen takes the same https:// form as serve's.
	if code, stdout, stderr := runMain("har", "--listen", "https://"+addr); code != exitOK || testkit.ValidateHAR([]byte(stdout)) != nil {
		t.Errorf("har --listen https://…: exit %d, stderr %q", code, stderr)
	}
}

// serveMocked serves, until the test ends, a config in a temp dir that
// listens on listen and mocks /api/users; it returns the dir and the
// config's path.
func serveMocked(t *testing.T, listen string) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "devproxy.toml")
	testkit.WriteFile(t, path, "listen = \""+listen+"\"\n[routes.\"/api/users\"]\nmock = { body = '[]' }\n")
	out, _, _ := serveInBackground(t, "--config", path)
	out.WaitFor(t, regexp.MustCompile(`→  https?://`))
	return dir, path
}
