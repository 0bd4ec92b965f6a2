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
	out.WaitFor(t, regexp.MustCompile(`config reloaded .*~ /api target `+regexp.QuoteMeta(backends["A"]+" → "+backends["B"])))
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
