package devproxy

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"text/tabwriter"
)

func runCheck(_ context.Context, c CLI, args []string) int {
	fs := newFlagSet(c, "check", "[flags]", "Validate the config and print the resolved route table. Exit status 1 when the config has errors.")
	path := configFlag(fs)
	if code, ok := noArgs(fs, "check", args); !ok {
		return code
	}
	cfg, ok := loadConfig(c, *path, explicitFlag(fs, "config"))
	if !ok {
		return exitFailed
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(c.Stdout, "warning: %s\n", w)
	}
	printTable(c.Stdout, cfg)
	fmt.Fprintf(c.Stdout, "%s is valid\n", cfg.File)
	return exitOK
}

// printTable prints the route table as aligned columns.
func printTable(w io.Writer, cfg *Config) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  listen\t%s\n", cfg.Listen)
	for _, rt := range cfg.Routes {
		fmt.Fprintf(tw, "  %s\t→ %s%s\n", rt.Path, rt.Target, routeFlags(rt))
	}
	switch fe := cfg.Frontend; {
	case fe.DevServer != "":
		fmt.Fprintf(tw, "  (everything else)\t→ dev server %s\n", fe.DevServer)
	case fe.Static != "":
		spa := ""
		if fe.SPA {
			spa = "  [spa fallback]"
		}
		fmt.Fprintf(tw, "  (everything else)\t→ static %s%s\n", fe.Static, spa)
	default:
		fmt.Fprintf(tw, "  (everything else)\t→ 404\n")
	}
	for _, p := range processesFor(cfg) {
		ready := ""
		if p.Ready != "" {
			ready = "  [ready: " + p.Ready + "]"
		}
		fmt.Fprintf(tw, "  run %s\t$ %s%s\n", p.Name, p.Command, ready)
	}
	tw.Flush()
}

func routeFlags(rt Route) string {
	var s string
	if rt.StripPrefix {
		s += " strip_prefix"
	}
	if rt.Rewrite != nil {
		s += fmt.Sprintf(" rewrite %s→%s", rt.Rewrite.From, rt.Rewrite.To)
	}
	if rt.ChangeOrigin {
		s += " change_origin"
	}
	if rt.Insecure {
		s += " insecure"
	}
	if rt.CORS != nil {
		s += " cors"
	}
	if rt.Cookies == "passthrough" {
		s += " cookies=passthrough"
	}
	if s == "" {
		return ""
	}
	return "  [" + s[1:] + "]"
}

func runWhich(_ context.Context, c CLI, args []string) int {
	fs := newFlagSet(c, "which", "[flags] PATH", "Explain which route a path matches and the upstream URL and Host it becomes. Nothing is sent.")
	path := configFlag(fs)
	host := fs.String("host", "", "the Host the browser would send (default: the listen address)")
	pos, code, ok := parseInterspersed(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(fs.Output(), "devproxy which: want exactly one path, e.g. devproxy which /api/users?id=1")
		fs.Usage()
		return exitUsage
	}
	cfg, ok := loadConfig(c, *path, explicitFlag(fs, "config"))
	if !ok {
		return exitUsage
	}
	srv, err := New(Options{Config: cfg, Assets: c.Assets})
	if err != nil {
		fmt.Fprintln(c.Stderr, "devproxy:", err)
		return exitUsage
	}
	u, err := url.ParseRequestURI(pos[0])
	if err != nil {
		fmt.Fprintf(c.Stderr, "devproxy which: %q is not a path such as /api/users?id=1\n", pos[0])
		return exitUsage
	}
	inHost := *host
	if inHost == "" {
		inHost = cfg.Listen
	}
	fmt.Fprint(c.Stdout, srv.explain(u, inHost))
	return exitOK
}
