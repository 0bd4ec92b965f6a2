package cli

import (
	"context"
	"fmt"
	"runtime/debug"
)

// Version is the module version devproxy was built from.
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func runVersion(_ context.Context, c Options, args []string) int {
	fs := newFlagSet(c, "version", "", "Print devproxy's version: the release, or the module version and VCS revision it was built from.")
	if code, ok := noArgs(fs, args); !ok {
		return code
	}
	fmt.Fprintf(c.Stdout, "devproxy %s\n", Version())
	return exitOK
}
