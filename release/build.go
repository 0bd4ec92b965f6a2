package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// target is one platform devproxy ships for.
type target struct{ goos, goarch string }

// allTargets are the platforms a release builds by default.
var allTargets = []target{
	{"linux", "amd64"}, {"linux", "arm64"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
	{"freebsd", "amd64"},
}

func (t target) String() string { return t.goos + "/" + t.goarch }

// exe is the binary's file name on the target.
func (t target) exe() string {
	if t.goos == "windows" {
		return "devproxy.exe"
	}
	return "devproxy"
}

// npmPlatform is the target as Node names it, process.platform-process.arch:
// the suffix of its npm package and the values of its "os" and "cpu" fields.
func (t target) npmPlatform() string { return t.npmOS() + "-" + t.npmCPU() }

func (t target) npmOS() string {
	if t.goos == "windows" {
		return "win32"
	}
	return t.goos
}

func (t target) npmCPU() string {
	switch t.goarch {
	case "amd64":
		return "x64"
	case "386":
		return "ia32"
	}
	return t.goarch
}

// npmPackage is the name of the target's npm package.
func (t target) npmPackage() string { return "@devproxy/" + t.npmPlatform() }

// parseTargets reads -targets: "linux/amd64,darwin/arm64"; empty means all.
func parseTargets(s string) ([]target, error) {
	if s == "" {
		return allTargets, nil
	}
	var ts []target
	for _, name := range strings.Split(s, ",") {
		found := false
		for _, t := range allTargets {
			if t.String() == strings.TrimSpace(name) {
				ts, found = append(ts, t), true
			}
		}
		if !found {
			return nil, fmt.Errorf("-targets: %q is not a release target\n    want: some of %s", name, strings.Join(targetNames(allTargets), ","))
		}
	}
	return ts, nil
}

func targetNames(ts []target) []string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.String()
	}
	return names
}

// versionVar is the variable `devproxy version` prints when it is set.
const versionVar = "github.com/devproxy/devproxy/devproxy/cli.version"

// buildBinary cross-compiles the devproxy command in root for t into dst,
// stamped with version (which gets its v back: `devproxy version` says
// v0.3.0, as a `go install` of the tag would).
func buildBinary(root string, t target, version, dst string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X "+versionVar+"=v"+version, "-o", dst, ".")
	cmd.Dir = root
	// Later entries win: no cgo, so the binary runs on any libc; the
	// baseline instruction sets, whatever GOAMD64 the builder's shell has.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+t.goos, "GOARCH="+t.goarch, "GOAMD64=v1", "GOARM64=v8.0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s: %w\n%s", t, err, out)
	}
	return nil
}
