package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/internal/testkit"
)

func TestServeWatchesConfig(t *testing.T) {
	backends := map[string]string{}
	for _, name := range []string{"A", "B"} {
		be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, name) }))
		t.Cleanup(be.Close)
		backends[name] = be.URL
	}
	configFor := func(name string) []byte {
		return fmt.Appendf(nil, "listen = \"127.0.0.1:0\"\n[routes]\n\"/api\" = %q\n", backends[name])
	}
	path := filepath.Join(t.TempDir(), config.DefaultFile)
	if err := os.WriteFile(path, configFor("A"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut := testkit.NewBuffer(), testkit.NewBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exited := make(chan int, 1)
	go func() { // exits when ctx is cancelled
		exited <- Main(ctx, []string{"serve", "--config", path}, Options{Stdout: out, Stderr: errOut, Assets: os.DirFS("../../static")})
	}()
	base := out.WaitFor(t, regexp.MustCompile(`→  (http://127\.0\.0\.1:\d+)/`))[1]
	out.WaitFor(t, regexp.MustCompile(regexp.QuoteMeta("watching config for changes file="+path)))

	client := &http.Client{Timeout: testkit.OutputWait}
	defer client.CloseIdleConnections()
	get := func() string {
		t.Helper()
		res, err := client.Get(base + "/api")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return string(body)
	}
	if got := get(); got != "A" {
		t.Fatalf("GET /api = %q, want A", got)
	}
	// Saved as editors do: a temp file renamed over the config.
	if err := os.WriteFile(path+".tmp~", configFor("B"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp~", path); err != nil {
		t.Fatal(err)
	}
	// The form README shows, for one change as for many.
	out.WaitFor(t, regexp.MustCompile(`\n\d\d:\d\d:\d\d config reloaded routes=1\n  ~ /api target `+regexp.QuoteMeta(backends["A"]+" → "+backends["B"])+"\n"))
	if got := get(); got != "B" {
		t.Fatalf("GET /api after reload = %q, want B", got)
	}

	cancel()
	select {
	case code := <-exited:
		if code != exitOK {
			t.Errorf("exit status %d, want %d; stderr: %s", code, exitOK, errOut.String())
		}
	case <-time.After(testkit.OutputWait + 5*time.Second):
		t.Fatal("devproxy serve did not exit after cancel")
	}
	if s := errOut.String(); strings.TrimSpace(s) != "" {
		t.Errorf("stderr = %q, want empty", s)
	}
}

// TestServeWarnsOnceAndLogsWithoutEscapes: a config warning is printed
// once at startup (in the banner, not again as a log line) and logged again
// only by a reload that changes it; reloads and rejected saves print their
// text as indented blocks, and no line of the console log holds an escaped
// line break.
func TestServeWarnsOnceAndLogsWithoutEscapes(t *testing.T) {
	dir := t.TempDir() // no package.json: the dev server is not known, so /ws may be its HMR socket
	path := filepath.Join(dir, config.DefaultFile)
	base := "listen = \"127.0.0.1:0\"\nallowed_origins = [\"*\"]\n[frontend]\ndev_server = \"http://" + testkit.FreeAddr(t) + "\"\n[routes]\n\"/ws\" = \"http://localhost:8080\"\n"
	save := func(text string) {
		t.Helper()
		if err := os.WriteFile(path+".tmp~", []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".tmp~", path); err != nil {
			t.Fatal(err)
		}
	}
	save(base)
	out, _, _ := serveInBackground(t, "--config", path)
	out.WaitFor(t, regexp.MustCompile(`watching config for changes`))

	// A reload that keeps both warnings logs its change, not the warnings.
	save(base + "\"/health\" = \"http://localhost:8081\"\n")
	out.WaitFor(t, regexp.MustCompile(`config reloaded routes=2\n  \+ /health → http://localhost:8081\n`))
	// A rejected save: the error as a block under the line.
	save(base + "\"/health\" = \"http//localhost:8081\"\n")
	out.WaitFor(t, regexp.MustCompile(`warn  config rejected; keeping previous\n  \S+devproxy.toml:7:13: target "http//localhost:8081": the scheme http is not followed by "://"\n`+
		`      want: [^\n]+\n      fix:  "/health" = "http://localhost:8081"\n`))
	// A save that adds a warning logs that one only.
	save(base + "\"/_next\" = \"http://localhost:8081\"\n")
	out.WaitFor(t, regexp.MustCompile(`warn  config warning\n  \S+devproxy.toml:7:1: route "/_next" takes the dev server's hot-reload socket`))

	text := out.String()
	if n := strings.Count(text, `route "/ws" takes the dev server's hot-reload socket /ws`); n != 1 {
		t.Errorf("the /ws warning was printed %d times, want once (at startup):\n%s", n, text)
	}
	if n := strings.Count(text, "allowed_origins allows every origin"); n != 1 {
		t.Errorf("the allowed_origins warning was printed %d times, want once:\n%s", n, text)
	}
	if n := strings.Count(text, `route "/_next" takes`); n != 1 {
		t.Errorf("the /_next warning was printed %d times, want once (by the reload that added it):\n%s", n, text)
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, `\n`) {
			t.Errorf("log line with an escaped line break: %q", line)
		}
	}
}
