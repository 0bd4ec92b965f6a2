package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/process"
)

// Options are what the command line runs with.
type Options struct {
	// Stdout receives the banner, logs and command output; Stderr usage
	// and errors.
	Stdout, Stderr io.Writer
	// Assets holds the static/ pages.
	Assets fs.FS
	// IsTerminal reports whether Stdout is a terminal (for colour); nil means it is not.
	IsTerminal func() bool
}

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1 // check found errors, doctor found a blocked call
	exitUsage  = 2 // bad flags or a bad config at startup
)

type command struct {
	name, summary string
	run           func(ctx context.Context, c Options, args []string) int
}

func commands() []command {
	return []command{
		{"serve", "run the proxy (the default when no command is given)", runServe},
		{"check", "validate devproxy.toml and print the route table", runCheck},
		{"export", "write the route table as nginx or Caddy configuration", runExport},
		{"har", "save the running devproxy's request log as a HAR file", runHAR},
		{"which", "explain where a URL path would be sent, without sending it", runWhich},
		{"init", "write a devproxy.toml for the project in the current directory", runInit},
		{"demo", "run a built-in demo: a page, an API and devproxy in front of both", runDemo},
		{"doctor", "explain what the browser will say about a cross-origin call", runDoctor},
		{"trust", "make browsers trust devproxy's local CA, for listen = \"https://…\"", runTrust},
		{"version", "print the version", runVersion},
		{"help", "print the help of a command: devproxy help doctor", runHelp},
	}
}

// watchdogName is the hidden command that runs process.Watchdog: devproxy
// starts its own binary with it beside each command it runs. It is in no
// help text; a person never types it.
const watchdogName = "_watchdog"

// Main runs the devproxy command line with args (without the program name)
// and returns the process exit status.
func Main(ctx context.Context, args []string, c Options) int {
	if len(args) > 0 && args[0] == watchdogName {
		return process.Watchdog(args[1:])
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		for _, cmd := range commands() {
			if cmd.name == args[0] {
				return cmd.run(ctx, c, args[1:])
			}
		}
		fmt.Fprintf(c.Stderr, "devproxy: unknown command %q\n\n", args[0])
		usage(c.Stderr, c)
		return exitUsage
	}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		usage(c.Stdout, c)
		return exitOK
	}
	return runServe(ctx, c, args)
}

// loadConfig reads the config and prints its errors, telling a user with no
// config what to do next.
func loadConfig(c Options, path string, explicit bool) (*config.Config, bool) {
	cfg, err := config.Load(path)
	if err == nil {
		return cfg, true
	}
	if errors.Is(err, fs.ErrNotExist) {
		if explicit {
			fmt.Fprintf(c.Stderr, "devproxy: config %s does not exist\n", path)
		} else {
			fmt.Fprintf(c.Stderr, "devproxy: no %s in this directory.\n  devproxy init   writes a starter config\n  devproxy demo   shows devproxy working with a built-in page and API\n", config.DefaultFile)
		}
		return nil, false
	}
	fmt.Fprintln(c.Stderr, err)
	var ces config.Errors
	if errors.As(err, &ces) {
		fmt.Fprintf(c.Stderr, "devproxy: %s in %s\n", plural(len(ces), "error", "errors"), path)
	}
	return nil, false
}

// parseInterspersed parses flags that may come before or after the
// positional arguments ("devproxy which /api --host x") and returns the
// positional ones.
func parseInterspersed(fs *flagSet, args []string) (pos []string, code int, ok bool) {
	for len(args) > 0 { // each round consumes at least one argument
		if code, ok := parseFlags(fs, args); !ok {
			return nil, code, false
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return pos, 0, true
}

// noArgs parses flags for a command that takes no positional arguments.
func noArgs(fs *flagSet, args []string) (int, bool) {
	pos, code, ok := parseInterspersed(fs, args)
	if !ok {
		return code, false
	}
	if len(pos) > 0 {
		return usageError(fs, fmt.Sprintf("unexpected argument %q", pos[0])), false
	}
	return 0, true
}

// oneArg parses flags for a command that takes exactly one positional
// argument, before or after the flags. want says what is missing when
// there is none (or, with no check, more than one); check, when not nil,
// returns what is wrong with the argument, or "". Several arguments are
// checked as one, joined by spaces, so that the error quotes them all.
// After a mistake the error and the help go to stderr and ok is false.
func oneArg(fs *flagSet, args []string, want string, check func(string) string) (arg string, code int, ok bool) {
	pos, code, ok := parseInterspersed(fs, args)
	if !ok {
		return "", code, false
	}
	var problem string
	switch {
	case len(pos) == 0 || len(pos) > 1 && check == nil:
		problem = want
	case check != nil:
		if problem = check(strings.Join(pos, " ")); problem == "" && len(pos) > 1 {
			problem = want
		}
	}
	if problem != "" {
		return "", usageError(fs, problem), false
	}
	return pos[0], 0, true
}

// usageError prints "devproxy CMD: problem" and the command's help to
// stderr and returns the exit status for a mistake on the command line.
func usageError(fs *flagSet, problem string) int {
	fmt.Fprintf(fs.Output(), "devproxy %s: %s\n\n", fs.name, problem)
	fs.help(fs.Output())
	return exitUsage
}

// plural counts n things in words: "1 route", "2 routes", "0 routes".
func plural[N int | int64](n N, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func configFlag(fs *flagSet) *string {
	return fs.String("config", config.DefaultFile, "read the config from `FILE`")
}

func explicitFlag(fs *flagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// writeOut is --out: it writes data to file, or to standard output when
// file is "" or "-", and says on stderr what it wrote: "wrote FILE"
// followed by detail. It returns the exit status.
func writeOut(c Options, cmd, file string, data []byte, detail string) int {
	if file == "" || file == "-" {
		c.Stdout.Write(data)
		return exitOK
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		fmt.Fprintf(c.Stderr, "devproxy %s: %v\n", cmd, err)
		return exitFailed
	}
	fmt.Fprintf(c.Stderr, "wrote %s%s\n", file, detail)
	return exitOK
}
