// Command release builds devproxy for every platform it ships on and
// writes what a release publishes into one folder:
//
//	go run ./release                              # into dist/, version from VERSION (or the tag HEAD is on)
//	go run ./release -version v0.4.0 -out /tmp/dist
//	go run ./release -targets linux/amd64         # one platform, for a quick look
//
// The folder then holds one archive per platform, named as GoReleaser names
// them (devproxy_0.3.0_linux_amd64.tar.gz, devproxy_0.3.0_windows_amd64.zip),
// each with the binary, README.md and LICENSE; SHA256SUMS for the archives,
// in sha256sum's format; and npm/: the npm packages as folders and as
// `npm pack` tarballs, the main package devproxy (a launcher) and one package
// per platform, @devproxy/<os>-<cpu>, holding only the binary. Publish the
// platform packages before the one that depends on them:
//
//	for d in dist/npm/*-*/; do npm publish "$d" --access public; done
//	npm publish dist/npm/devproxy
//
// Binaries are built with CGO_ENABLED=0 and -trimpath, stripped, and
// stamped with the version (-X github.com/devproxy/devproxy/devproxy/cli.version).
// Archives have fixed times (SOURCE_DATE_EPOCH, else HEAD's commit time) and
// sorted entries, so one commit built with one Go version gives the same
// bytes. Packing needs npm (-npm=false skips it); everything else is Go.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	version := flag.String("version", "", "version to stamp, e.g. v0.4.0 (default: the tag HEAD is exactly on, else the VERSION file)")
	out := flag.String("out", "dist", "folder to write into; an earlier release there is replaced")
	pack := flag.Bool("npm", true, "pack the npm packages into tarballs with npm pack; -npm=false writes only their folders (no npm needed)")
	only := flag.String("targets", "", "comma-separated GOOS/GOARCH pairs to build (default: all of "+strings.Join(targetNames(allTargets), ", ")+")")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "release: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}
	o, err := newOptions(*version, *out, *only)
	if err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(2)
	}
	o.pack = *pack
	o.log = os.Stdout
	if _, err := release(o); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}
