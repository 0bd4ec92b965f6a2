package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPickVersion(t *testing.T) {
	tests := []struct {
		name, flag, tag, file string
		want, wantErr         string
	}{
		{name: "VERSION file", file: "0.3.0\n", want: "0.3.0"},
		{name: "tag on HEAD wins over the file", tag: "v0.4.0", file: "0.3.0\n", want: "0.4.0"},
		{name: "flag wins over both", flag: "v1.0.0-rc.1", tag: "v0.4.0", file: "0.3.0", want: "1.0.0-rc.1"},
		{name: "flag without v", flag: "2.0.0", want: "2.0.0"},
		{name: "a tag that is no version is ignored", tag: "nightly", file: "0.3.0", want: "0.3.0"},
		{name: "bad flag", flag: "latest", file: "0.3.0", wantErr: `-version "latest" is not a version`},
		{name: "bad file", file: "three", wantErr: `VERSION: "three" is not a version`},
		{name: "nothing", wantErr: "no version: HEAD is on no version tag and there is no VERSION file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pickVersion(tt.flag, tt.tag, tt.file)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("pickVersion = %q, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("pickVersion(%q, %q, %q) = %q, %v; want %q", tt.flag, tt.tag, tt.file, got, err, tt.want)
			}
		})
	}
}

// TestRepoVersionFile: the VERSION a clone builds with is a version.
func TestRepoVersionFile(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := resolveVersion("", root); err != nil {
		t.Error(err)
	}
}

func TestTargets(t *testing.T) {
	got, err := parseTargets("linux/amd64, windows/arm64")
	if err != nil || len(got) != 2 || got[1].npmPackage() != "@devproxy/win32-arm64" || got[1].exe() != "devproxy.exe" {
		t.Errorf("parseTargets = %v, %v; want linux/amd64 and windows/arm64 (@devproxy/win32-arm64, devproxy.exe)", got, err)
	}
	if _, err := parseTargets("linux/mips"); err == nil || !strings.Contains(err.Error(), `"linux/mips" is not a release target`) {
		t.Errorf("parseTargets(linux/mips) = %v, want an error naming it", err)
	}
	// Node's names: process.platform and process.arch.
	want := []string{"linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "win32-x64", "win32-arm64", "freebsd-x64"}
	for i, tg := range allTargets {
		if tg.npmPlatform() != want[i] {
			t.Errorf("%s.npmPlatform() = %s, want %s", tg, tg.npmPlatform(), want[i])
		}
	}
}

// TestArchivesAreReproducible: the same files and time give the same bytes.
func TestArchivesAreReproducible(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "devproxy")
	if err := os.WriteFile(src, bytes.Repeat([]byte("binary "), 1000), 0o755); err != nil {
		t.Fatal(err)
	}
	files := []archiveFile{{name: "devproxy", src: src, mode: 0o755}}
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, ext := range []string{".tar.gz", ".zip"} {
		var got [2][]byte
		for i := range got {
			path := filepath.Join(dir, "a"+ext)
			if err := writeArchive(path, files, mtime); err != nil {
				t.Fatal(err)
			}
			got[i], _ = os.ReadFile(path)
			// A later wall clock and a touched source change nothing.
			_ = os.Chtimes(src, time.Now(), time.Now())
		}
		if len(got[0]) == 0 || !bytes.Equal(got[0], got[1]) {
			t.Errorf("two %s archives of the same files differ", ext)
		}
	}
}

func TestCleanOutReplacesOnlyARelease(t *testing.T) {
	out := t.TempDir()
	for _, name := range []string{"SHA256SUMS", "devproxy_0.1.0_linux_amd64.tar.gz", "npm/devproxy/package.json"} {
		if err := writeFileIn(out, name, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := cleanOut(out); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("an earlier release was left: %v", entries)
	}
	if err := writeFileIn(out, "main.go", []byte("package main"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cleanOut(out); err == nil || !strings.Contains(err.Error(), "holds main.go, which a release does not write") {
		t.Errorf("cleanOut of a folder with main.go = %v, want a refusal", err)
	}
	if _, err := os.Stat(filepath.Join(out, "main.go")); err != nil {
		t.Errorf("main.go was removed: %v", err)
	}
}
