package devproxy

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer collects command output written from several goroutines and
// signals every write.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	written chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{written: make(chan struct{}, 1)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.written <- struct{}{}:
	default: // a signal is already pending
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor returns the output once it matches re, or fails after a deadline.
func (b *syncBuffer) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.After(reloadWait)
	for {
		if m := re.FindStringSubmatch(b.String()); m != nil {
			return m
		}
		select {
		case <-b.written:
		case <-deadline:
			t.Fatalf("output never matched %s; got:\n%s", re, b.String())
		}
	}
}

func TestServeWatchesConfig(t *testing.T) {
	backends := map[string]string{}
	for _, name := range []string{"A", "B"} {
		be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, name) }))
		t.Cleanup(be.Close)
		backends[name] = be.URL
	}
	config := func(name string) []byte {
		return fmt.Appendf(nil, "listen = \"127.0.0.1:0\"\n[routes]\n\"/api\" = %q\n", backends[name])
	}
	path := filepath.Join(t.TempDir(), DefaultConfigName)
	if err := os.WriteFile(path, config("A"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut := newSyncBuffer(), newSyncBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exited := make(chan int, 1)
	go func() { // exits when ctx is cancelled
		exited <- Main(ctx, []string{"serve", "--config", path}, CLI{Stdout: out, Stderr: errOut, Assets: os.DirFS("../static")})
	}()
	base := out.waitFor(t, regexp.MustCompile(`→  (http://127\.0\.0\.1:\d+)/`))[1]
	out.waitFor(t, regexp.MustCompile(regexp.QuoteMeta("watching config for changes file="+path)))

	client := &http.Client{Timeout: reloadWait}
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
	if err := saveRenameOver(path, string(config("B"))); err != nil {
		t.Fatal(err)
	}
	out.waitFor(t, regexp.MustCompile(`config reloaded .*~ /api target `+regexp.QuoteMeta(backends["A"]+" → "+backends["B"])))
	if got := get(); got != "B" {
		t.Fatalf("GET /api after reload = %q, want B", got)
	}

	cancel()
	select {
	case code := <-exited:
		if code != exitOK {
			t.Errorf("exit status %d, want %d; stderr: %s", code, exitOK, errOut.String())
		}
	case <-time.After(reloadWait + shutdownGrace):
		t.Fatal("devproxy serve did not exit after cancel")
	}
	if s := errOut.String(); strings.TrimSpace(s) != "" {
		t.Errorf("stderr = %q, want empty", s)
	}
}
