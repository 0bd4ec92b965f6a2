//go:build unix

package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/devproxy/devproxy/internal/testkit"
)

// TestChecksumsAsAUserChecksThem runs `sha256sum -c SHA256SUMS`, README's
// command, on the release: every archive, and nothing else, checks out.
func TestChecksumsAsAUserChecksThem(t *testing.T) {
	o := builtRelease(t)
	_, err := exec.LookPath("sha256sum")
	testkit.Require(t, err == nil, "sha256sum (coreutils)")
	cmd := exec.Command("sha256sum", "-c", checksumsFile)
	cmd.Dir = o.out
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sha256sum -c: %v\n%s", err, out)
	}
	var want []string
	for _, tg := range o.targets {
		want = append(want, archiveName(testVersion, tg)+": OK")
	}
	slices.Sort(want)
	if got := strings.Split(strings.TrimSpace(string(out)), "\n"); !slices.Equal(got, want) {
		t.Errorf("sha256sum -c said\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestBinariesAreTheirTargets reads each built binary's header. (The
// release itself, through verify, checked that each archive holds this
// same file; TestVerifyRefuses shows that check can fail.)
func TestBinariesAreTheirTargets(t *testing.T) {
	o := builtRelease(t)
	for _, tg := range o.targets {
		f, err := os.Open(filepath.Join(o.out, "npm", tg.npmPlatform(), "bin", tg.exe()))
		if err != nil {
			t.Error(err)
			continue
		}
		if got := binaryPlatform(f); got != tg.String() {
			t.Errorf("%s's binary is a %s binary", tg, got)
		}
		f.Close()
	}
}

// TestVerifyRefuses: a release with a wrong binary, a wrong checksum, a
// stray file or an npm package that differs from its archive fails.
func TestVerifyRefuses(t *testing.T) {
	o := builtRelease(t)
	win := target{"windows", "amd64"}
	winBin := readFile(t, filepath.Join(o.out, "npm", win.npmPlatform(), "bin", win.exe()))
	linuxBin := readFile(t, filepath.Join(o.out, "npm", "linux-x64", "bin", "devproxy"))
	otherWinBin := bytes.Clone(winBin)
	otherWinBin[len(otherWinBin)-1] ^= 1
	tests := []struct {
		name          string
		archived, pkg []byte // the archive's binary and the npm package's
		extra         bool   // a stray file in the archive
		badSum        bool
		wantErr       string
	}{
		{name: "good", archived: winBin, pkg: winBin},
		{name: "wrong platform", archived: linuxBin, pkg: linuxBin, wantErr: "devproxy.exe is a linux/amd64 binary, want windows/amd64"},
		{name: "wrong checksum", archived: winBin, pkg: winBin, badSum: true, wantErr: "SHA256SUMS says 00000000"},
		{name: "stray file", archived: winBin, pkg: winBin, extra: true, wantErr: `holds ["LICENSE" "README.md" "devproxy.exe" "notes.txt"]`},
		{name: "npm package differs", archived: winBin, pkg: otherWinBin, wantErr: "differs from the one in the npm package @devproxy/win32-x64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			name := archiveName(testVersion, win)
			files := map[string][]byte{win.exe(): tt.archived, "README.md": []byte("readme"), "LICENSE": []byte("license")}
			if tt.extra {
				files["notes.txt"] = []byte("stray")
			}
			writeStoredZip(t, filepath.Join(dir, name), files)
			sum, _ := fileSHA256(filepath.Join(dir, name))
			if tt.badSum {
				sum = make([]byte, len(sum))
			}
			if err := writeFileIn(dir, checksumsFile, fmt.Appendf(nil, "%x  %s\n", sum, name), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := writeFileIn(dir, "npm/win32-x64/bin/devproxy.exe", tt.pkg, 0o755); err != nil {
				t.Fatal(err)
			}
			err := verify(dir, testVersion, []target{win})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("verify of a good release: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("verify = %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}

// writeStoredZip writes files uncompressed: fast even under -race.
func writeStoredZip(t *testing.T, path string, files map[string][]byte) {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(files[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestNPMPackages: the main package depends on every platform package at
// exactly its version, runs the launcher and has no install script; each
// platform package holds its binary and names its os and cpu.
func TestNPMPackages(t *testing.T) {
	o := builtRelease(t)
	var main map[string]any
	readJSON(t, filepath.Join(o.out, "npm", mainPackageName, "package.json"), &main)
	if main["name"] != "devproxy" || main["version"] != testVersion {
		t.Errorf("main package is %v@%v, want devproxy@%s", main["name"], main["version"], testVersion)
	}
	if fmt.Sprint(main["bin"]) != "map[devproxy:bin/devproxy.js]" || fmt.Sprint(main["engines"]) != "map[node:>=18]" {
		t.Errorf("main package bin %v engines %v, want the launcher and node >=18", main["bin"], main["engines"])
	}
	if _, ok := main["scripts"]; ok {
		t.Errorf("main package has scripts %v: installs must not run any", main["scripts"])
	}
	deps, _ := main["optionalDependencies"].(map[string]any)
	if len(deps) != len(allTargets) {
		t.Errorf("optionalDependencies = %v, want one per target", deps)
	}
	if !bytes.Equal(readFile(t, filepath.Join(o.out, "npm", mainPackageName, "bin", "devproxy.js")), launcher) {
		t.Errorf("bin/devproxy.js is not the launcher")
	}
	for _, tg := range allTargets {
		if deps[tg.npmPackage()] != testVersion {
			t.Errorf("optionalDependencies[%s] = %v, want exactly %s", tg.npmPackage(), deps[tg.npmPackage()], testVersion)
		}
	}
	for _, tg := range o.targets {
		dir := filepath.Join(o.out, "npm", tg.npmPlatform())
		var pkg packageJSON
		readJSON(t, filepath.Join(dir, "package.json"), &pkg)
		if pkg.Name != tg.npmPackage() || pkg.Version != testVersion || !slices.Equal(pkg.OS, []string{tg.npmOS()}) || !slices.Equal(pkg.CPU, []string{tg.npmCPU()}) {
			t.Errorf("%s/package.json = %+v, want %s@%s with os [%s] cpu [%s]", dir, pkg, tg.npmPackage(), testVersion, tg.npmOS(), tg.npmCPU())
		}
		if !slices.Equal(pkg.Files, []string{"bin/" + tg.exe()}) {
			t.Errorf("%s/package.json files = %q, want the binary only", dir, pkg.Files)
		}
		if fi, err := os.Stat(filepath.Join(dir, "bin", tg.exe())); err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("%s: no executable bin/%s: %v", dir, tg.exe(), err)
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	if err := json.Unmarshal(readFile(t, path), v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
