package cli

import (
	"context"
	"fmt"
	"runtime/debug"
)

// version is the release version, stamped by release builds:
//
//	go build -ldflags "-X github.com/devproxy/devproxy/devproxy/cli.version=v1.2.3"
//
// It is empty in every other build, which then reports what the Go
// toolchain recorded (see Version).
var version string

// Version is the version devproxy reports: the stamped release version;
// else the module version the toolchain recorded (v1.2.3 for go install
// …@v1.2.3; since Go 1.24, go build in a git clone records a
// pseudo-version with the commit and +dirty); else the commit alone when
// only that was recorded; else "devel".
func Version() string {
	bi, _ := debug.ReadBuildInfo()
	return versionOf(version, bi)
}

// versionOf is Version for a stamp and the build info (nil when there is none).
func versionOf(stamp string, bi *debug.BuildInfo) string {
	if stamp != "" {
		return stamp
	}
	if bi == nil {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision":
			rev = s.Value
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "+dirty"
		}
	}
	if rev == "" {
		return "devel"
	}
	return "devel-" + rev[:min(len(rev), 12)] + dirty
}

func runVersion(_ context.Context, c Options, args []string) int {
	fs := newFlagSet(c, "version", "", "Print devproxy's version: the release, or the module version and VCS revision it was built from.")
	if code, ok := noArgs(fs, args); !ok {
		return code
	}
	v := Version()
	fmt.Fprintf(c.Stdout, "devproxy %s\n", v)
	if v == "devel" {
		fmt.Fprintln(c.Stdout, "(this build recorded no version: go run, or go build with -buildvcs=false or outside a git clone;\n go build -buildvcs=true in a git clone records the commit)")
	}
	return exitOK
}
