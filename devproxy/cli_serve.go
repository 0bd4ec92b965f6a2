package devproxy

import (
	"context"
	"fmt"
	"io"
	"net"
)

func runServe(ctx context.Context, c CLI, args []string) int {
	fs := newFlagSet(c, "serve", "[flags]", "Serve the frontend and routes from devproxy.toml.")
	path := configFlag(fs)
	quiet := fs.Bool("quiet", false, "log warnings and errors only, not every request")
	verbose := fs.Bool("v", false, "verbose: debug logs")
	format := fs.String("log-format", "text", "log format: text or json")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	log, closeLog, err := newLogger(c, *format, *quiet, *verbose)
	if err != nil {
		fmt.Fprintln(c.Stderr, "devproxy:", err)
		return exitUsage
	}
	defer closeLog()
	cfg, ok := loadConfig(c, *path, explicitFlag(fs, "config"))
	if !ok {
		return exitUsage
	}
	srv, err := New(Options{Config: cfg, Assets: c.Assets, Logger: log, Version: Version()})
	if err != nil {
		fmt.Fprintln(c.Stderr, "devproxy:", err)
		return exitUsage
	}
	lns, err := Listen(cfg.Listen)
	if err != nil {
		fmt.Fprintln(c.Stderr, "devproxy:", err)
		return exitUsage
	}
	printBanner(c.Stdout, cfg, lns)
	wctx, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() { // exits when wctx is done, or at once if the watch cannot be set up
		defer close(watched)
		if err := srv.Watch(wctx, cfg.File); err != nil {
			log.Warn("config changes will not be picked up; restart devproxy after editing", "err", err)
		}
	}()
	err = srv.Serve(ctx, lns...)
	stopWatch()
	<-watched
	if err != nil {
		fmt.Fprintln(c.Stderr, "devproxy:", err)
		return exitFailed
	}
	return exitOK
}

// printBanner shows the URL to open and the route table at startup.
func printBanner(w io.Writer, cfg *Config, lns []net.Listener) {
	fmt.Fprintf(w, "devproxy %s  →  %s\n", Version(), URL(cfg.Listen, lns))
	if cfg.File != "" {
		fmt.Fprintf(w, "config %s\n", cfg.File)
	}
	for _, warn := range cfg.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	printTable(w, cfg)
}
