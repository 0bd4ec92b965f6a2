//go:build linux

package cli

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy/process"
	"github.com/devproxy/devproxy/internal/testkit"
)

func TestOpenBrowserUsesXdgOpen(t *testing.T) {
	dir := t.TempDir()
	got := filepath.Join(dir, "opened")
	script := "#!/bin/sh\nprintf '%s' \"$1\" > " + process.CommandLine([]string{got}) + "\n" // builtins only: PATH holds nothing else
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	openBrowser("http://localhost:3000", slog.New(slog.DiscardHandler))
	// The opener is another process: the file it writes is the only signal.
	if !testkit.PollUntil(10*time.Second, func() bool {
		data, err := os.ReadFile(got)
		return err == nil && string(data) == "http://localhost:3000"
	}) {
		data, err := os.ReadFile(got)
		t.Fatalf("xdg-open did not receive the URL: %q, %v", data, err)
	}
}

func TestOpenBrowserWithoutOpenerIsSilent(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	rec := testkit.NewLogRecorder()
	openBrowser("http://localhost:3000", slog.New(rec))
	attrs, ok := rec.Find("no browser opener; skipping --open")
	if !ok || attrs["level"] != "DEBUG" {
		t.Errorf("no opener: log %v (found %v), want one DEBUG line", attrs, ok)
	}
}
