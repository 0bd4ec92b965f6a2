package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// flagSet is a command's flags with what its help says about it. Help
// that was asked for (--help, devproxy help CMD) goes to stdout; after a
// mistake it goes to stderr, below the error.
type flagSet struct {
	*flag.FlagSet
	name    string // "check"; "" for serve, which is also run without a name
	args    string // what follows the name: "[flags] PATH"
	summary string
	extra   [][2]string // help lines for arguments that are not flags ("-- CMD…")
	stdout  io.Writer
}

// newFlagSet returns a command's flags; its help names the command, its
// arguments and its summary.
func newFlagSet(c Options, name, args, summary string) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet("devproxy "+name, flag.ContinueOnError), name: name, args: args, summary: summary, stdout: c.Stdout}
	fs.SetOutput(c.Stderr)
	fs.Usage = func() {} // printed by parseFlags, to the right writer
	return fs
}

// help writes the command's help to w: usage line, summary and flags,
// with no section that would be empty.
func (fs *flagSet) help(w io.Writer) {
	usage := strings.TrimSpace("devproxy " + fs.name + " " + fs.args)
	if fs.name == "serve" {
		usage = strings.TrimSpace("devproxy [serve] " + fs.args)
	}
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", usage, fs.summary)
	if hasFlags(fs) {
		fmt.Fprintln(w, "\nFlags:")
		printFlags(w, fs)
	}
}

func hasFlags(fs *flagSet) bool {
	n := len(fs.extra)
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// printFlags lists the flags as a user types them: --name VALUE (one dash
// for one letter), the placeholder taken from the `quoted` word of the
// usage, and the default when it is not the zero value.
func printFlags(w io.Writer, fs *flagSet) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		name := "--" + f.Name
		if len(f.Name) == 1 {
			name = "-" + f.Name
		}
		if arg != "" {
			name += " " + arg
		}
		switch f.DefValue {
		case "", "false", "0", "0s", "[]":
		default:
			usage += " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", name, usage)
	})
	for _, e := range fs.extra {
		fmt.Fprintf(tw, "  %s\t%s\n", e[0], e[1])
	}
	tw.Flush()
}

// usage is devproxy's own help: what it is, the commands, and the flags of
// serve, which runs when no command is given.
func usage(w io.Writer, c Options) {
	fmt.Fprintln(w, "devproxy: one origin for your frontend and its backends; no CORS, cookies that stick.")
	fmt.Fprintln(w, "\nUsage:")
	fmt.Fprintln(w, "  devproxy [flags] [-- dev server command]   serve devproxy.toml (the serve command)")
	fmt.Fprintln(w, "  devproxy COMMAND [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprintln(w, "\nFlags (serve):")
	fs, _ := newServeFlags(c)
	printFlags(w, fs)
	fmt.Fprintln(w, "\nRun 'devproxy help COMMAND' for a command's flags. Flags take one dash or two: -config is --config.")
}

// runHelp is `devproxy help [COMMAND]`.
func runHelp(ctx context.Context, c Options, args []string) int {
	if len(args) == 0 {
		usage(c.Stdout, c)
		return exitOK
	}
	for _, cmd := range commands() {
		if cmd.name == args[0] && cmd.name != "help" {
			return cmd.run(ctx, c, []string{"--help"})
		}
	}
	fmt.Fprintf(c.Stderr, "devproxy help: unknown command %q\n\n", args[0])
	usage(c.Stderr, c)
	return exitUsage
}

// parseFlags parses args and returns ok=false with the exit status to use:
// 0 after --help (the help printed to stdout), 2 after a mistake (the
// error and the help printed to stderr).
func parseFlags(fs *flagSet, args []string) (code int, ok bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		fs.help(fs.stdout)
		return exitOK, false
	default: // the flag package has printed the error
		fs.help(fs.Output())
		return exitUsage, false
	}
}
