package cli

import (
	"context"
	"fmt"
	"net/url"

	"github.com/devproxy/devproxy/devproxy"
)

func runWhich(_ context.Context, c Options, args []string) int {
	fs := newFlagSet(c, "which", "[flags] PATH", "Explain which route a path matches and the upstream URL and Host it becomes. Nothing is sent.")
	path := configFlag(fs)
	host := fs.String("host", "", "the `HOST` the browser sends, checked as devproxy checks it (default: the listen address)")
	arg, code, ok := oneArg(fs, args, "want exactly one path, e.g. devproxy which /api/users?id=1", nil)
	if !ok {
		return code
	}
	cfg, ok := loadConfig(c, *path, explicitFlag(fs, "config"))
	if !ok {
		return exitUsage
	}
	srv, err := devproxy.New(devproxy.Options{Config: cfg, Assets: c.Assets})
	if err != nil {
		fmt.Fprintln(c.Stderr, "devproxy:", err)
		return exitUsage
	}
	u, err := url.ParseRequestURI(arg)
	if err != nil {
		fmt.Fprintf(c.Stderr, "devproxy which: %q is not a path such as /api/users?id=1\n", arg)
		return exitUsage
	}
	inHost := *host
	if inHost == "" {
		inHost = cfg.Listen
	}
	fmt.Fprint(c.Stdout, srv.Explain(u, inHost))
	return exitOK
}
