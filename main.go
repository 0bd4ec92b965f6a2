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
	"time"

	"github.com/devproxy/devproxy/devproxy/cli"
)

//go:embed static
var assets embed.FS

// duplicateSignal is how long after the first Ctrl-C another one is taken
// for a copy of it; a person pressing Ctrl-C again takes longer.
const duplicateSignal = 500 * time.Millisecond

func main() {
	// On Windows, os.Interrupt is Ctrl-C or Ctrl-Break in the console and
	// SIGTERM is the console closing, logging off or shutting down: Go's
	// runtime turns the console control events into these (runtime/os_windows.go, ctrlHandler).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first Ctrl-C devproxy shuts down gracefully; unregistering
	// lets a second one end it at once. Not one within duplicateSignal,
	// though: that is the same keypress forwarded by a wrapper that got it
	// too (the npm package's launcher, concurrently, turbo).
	context.AfterFunc(ctx, func() { time.AfterFunc(duplicateSignal, stop) })
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
