package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/devproxy/devproxy/devproxy"
	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/localca"
	"github.com/devproxy/devproxy/devproxy/process"
	"github.com/devproxy/devproxy/devproxy/project"
)

// serveFlags are the flags of serve, the command devproxy runs when none
// is named.
type serveFlags struct {
	path, listen, format *string
	quiet, verbose, open *bool
}

func newServeFlags(c Options) (*flagSet, serveFlags) {
	fs := newFlagSet(c, "serve", "[flags] [-- dev server command]",
		"Serve the frontend and routes from devproxy.toml. After --, a command that starts the dev server\n(it replaces [frontend] command): devproxy -- npm run dev")
	var f serveFlags
	f.path = configFlag(fs)
	f.listen = fs.String("listen", "", "serve on `ADDR` instead of the config's listen (e.g. localhost:3001, https://localhost:3443)")
	f.quiet = fs.Bool("quiet", false, "log warnings and errors only, not every request")
	f.verbose = fs.Bool("v", false, "verbose: debug logs")
	f.format = fs.String("log-format", "text", "log `FORMAT`: text or json")
	f.open = fs.Bool("open", false, "open the browser at devproxy's URL once it listens")
	fs.extra = [][2]string{{"-- CMD…", "start the dev server with CMD, instead of [frontend] command"}}
	return fs, f
}

func runServe(ctx context.Context, c Options, args []string) int {
	fs, f := newServeFlags(c)
	path, listen, quiet, verbose, format, open := f.path, f.listen, f.quiet, f.verbose, f.format, f.open
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	devCommand, ok := commandAfterDashes(c, args, fs.Args())
	if !ok {
		return exitUsage
	}
	log, closeLog, err := newLogger(c, *format, *quiet, *verbose)
	if err != nil {
		fmt.Fprintln(c.Stderr, "devproxy:", err)
		return exitUsage
	}
	defer closeLog()
	warnLowFileLimit(log)
	cfg, ok := loadConfig(c, *path, explicitFlag(fs, "config"))
	if !ok {
		return exitUsage
	}
	if *listen != "" {
		if problem := config.CheckListenAddr(*listen, cfg.AllowRemote); problem != "" {
			fmt.Fprintf(c.Stderr, "devproxy: --listen %s\n", problem)
			return exitUsage
		}
	}
	if devCommand != "" && cfg.Frontend.DevServer == "" {
		fmt.Fprintf(c.Stderr, "devproxy: -- %s: %s has no [frontend] dev_server, so devproxy cannot know where the dev server listens\n    fix:  [frontend]\n          dev_server = \"http://localhost:5173\"\n", devCommand, cfg.File)
		return exitUsage
	}
	cfg.Override(config.Overrides{Listen: *listen, DevCommand: devCommand})
	var ca *localca.CA
	if cfg.HTTPS && cfg.TLS == nil {
		if ca, err = openCA(c.Stdout); err != nil {
			fmt.Fprintln(c.Stderr, "devproxy:", err)
			return exitUsage
		}
	}
	srv, err := devproxy.New(devproxy.Options{Config: cfg, Assets: c.Assets, Logger: log, Version: Version(), Warnings: project.HMRWarnings, CA: ca})
	if err != nil {
		fmt.Fprintln(c.Stderr, "devproxy:", err)
		return exitUsage
	}
	lns, err := devproxy.Listen(cfg.Listen)
	if err != nil {
		fmt.Fprintln(c.Stderr, "devproxy:", err)
		return exitUsage
	}
	printBanner(c.Stdout, cfg, lns, devproxy.LANAddresses())
	color := c.IsTerminal != nil && c.IsTerminal() && os.Getenv("NO_COLOR") == ""
	procOut := c.Stdout
	if *format == "json" {
		procOut = c.Stderr // keep stdout JSON for the tools that read it
	}
	procs, err := process.Start(cfg.Commands(), procOut, color, log, watchdogCommand())
	if err != nil {
		for _, ln := range lns {
			ln.Close()
		}
		fmt.Fprintln(c.Stderr, "devproxy:", err)
		return exitFailed
	}
	// Stopped on every way out of runServe, so no dev server outlives devproxy.
	defer procs.Stop()
	srv.ShowProcesses(procs)
	if *open {
		openBrowser(devproxy.URL(cfg, lns), log)
	}
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

// watchdogCommand runs devproxy's own binary as the watchdog of a command's
// process group (process.Watchdog), so ps shows devproxy there, not a
// shell script. nil, and no watchdog, when the binary cannot be found.
func watchdogCommand() []string {
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	return []string{exe, watchdogName}
}

// printBanner shows the URL to open and the route table at startup, and
// for an https listen that a phone can reach, its LAN URL as a QR code.
func printBanner(w io.Writer, cfg *config.Config, lns []net.Listener, lan []netip.Addr) {
	fmt.Fprintf(w, "devproxy %s  →  %s\n", Version(), devproxy.URL(cfg, lns))
	if cfg.File != "" {
		fmt.Fprintf(w, "config %s\n", cfg.File)
	}
	_, port, _ := net.SplitHostPort(lns[0].Addr().String())
	if urls := devproxy.LANURLs(cfg, port, lan); len(urls) > 0 {
		printPhone(w, cfg, urls)
	}
	for _, warn := range cfg.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	printTable(w, cfg)
}

// printPhone shows how to open devproxy on a phone on the same network.
func printPhone(w io.Writer, cfg *config.Config, urls []string) {
	fmt.Fprintf(w, "on your phone (same Wi-Fi): %s\n", strings.Join(urls, "  "))
	if qr, err := devproxy.QRTerminal(urls[0]); err == nil {
		fmt.Fprint(w, qr)
	}
	if cfg.TLS == nil {
		fmt.Fprintf(w, "  once per phone, trust devproxy's CA first: open %s there (steps on the status page, %s%s/)\n",
			devproxy.CAURL(urls[0]), strings.TrimSuffix(urls[0], "/"), config.ReservedPrefix)
	}
}

// commandAfterDashes returns the command given after "--" as one shell
// line, quoting each word so the shell runs exactly what was typed.
func commandAfterDashes(c Options, args, rest []string) (string, bool) {
	if len(rest) == 0 {
		return "", true
	}
	dashes := len(args) > len(rest) && args[len(args)-len(rest)-1] == "--"
	if !dashes {
		fmt.Fprintf(c.Stderr, "devproxy: unexpected argument %q; to start a dev server with devproxy, put it after --: devproxy -- npm run dev\n", rest[0])
		return "", false
	}
	return process.CommandLine(rest), true
}
