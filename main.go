// Command devproxy puts one origin in front of a frontend dev server (or a
// static build) and its backends, so the browser never makes a cross-origin
// call. See README.md.
package main

import (
	"context"
	"embed"
	"io/fs"
	"os"
	"os/signal"
	"syscall"

	"github.com/devproxy/devproxy/devproxy/cli"
)

//go:embed static
var assets embed.FS

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first Ctrl-C devproxy shuts down gracefully; unregistering
	// lets a second one end it at once.
	context.AfterFunc(ctx, stop)
	static, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err) // the embed directive guarantees the directory
	}
	stopProfiling := startProfiling()
	code := cli.Main(ctx, os.Args[1:], cli.Options{
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Assets:     static,
		IsTerminal: func() bool { return isTerminal(os.Stdout) },
	})
	stop()
	stopProfiling()
	os.Exit(code)
}

// isTerminal reports whether f is a terminal (a character device), so
// logs get colour; NO_COLOR still turns it off.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
