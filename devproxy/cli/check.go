package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/project"
)

func runCheck(_ context.Context, c Options, args []string) int {
	fs := newFlagSet(c, "check", "[flags]", "Validate the config and print the resolved route table. Exit status 1 when the config has errors.")
	path := configFlag(fs)
	if code, ok := noArgs(fs, args); !ok {
		return code
	}
	cfg, ok := loadConfig(c, *path, explicitFlag(fs, "config"))
	if !ok {
		return exitFailed
	}
	for _, w := range append(cfg.Warnings, project.HMRWarnings(cfg)...) {
		fmt.Fprintf(c.Stdout, "warning: %s\n", w)
	}
	printTable(c.Stdout, cfg)
	fmt.Fprintf(c.Stdout, "%s is valid\n", cfg.File)
	return exitOK
}

// printTable prints the route table as aligned columns.
func printTable(w io.Writer, cfg *config.Config) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  listen\t%s\n", cfg.ListenURL())
	switch {
	case cfg.TLS != nil:
		fmt.Fprintf(tw, "  tls\t%s + %s\n", cfg.TLS.Cert, cfg.TLS.Key)
	case cfg.HTTPS:
		fmt.Fprintf(tw, "  tls\tdevproxy's local CA (devproxy trust)\n")
	}
	if !cfg.Simulate.IsZero() {
		fmt.Fprintf(tw, "  simulate\t%s  [every request]\n", cfg.Simulate)
	}
	for _, rt := range cfg.Routes {
		fmt.Fprintf(tw, "  %s\t→ %s%s\n", rt.Path, rt.Answer(), routeFlags(rt))
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
	for _, p := range cfg.Commands() {
		ready := ""
		if p.Ready != "" {
			ready = "  [ready: " + p.Ready + "]"
		}
		fmt.Fprintf(tw, "  run %s\t$ %s%s\n", p.Name, p.Command, ready)
	}
	tw.Flush()
}

func routeFlags(rt config.Route) string {
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
	if rt.Delay > 0 {
		s += " delay=" + rt.Delay.String()
	}
	if th := rt.Throttle; th.Down == th.Up && !th.IsZero() {
		s += " throttle=" + th.Down.String()
	} else if !th.IsZero() {
		s += fmt.Sprintf(" throttle=down:%s,up:%s", th.Down, th.Up)
	}
	if rt.Fail.Rate > 0 {
		s += " fail=" + strings.Replace(rt.Fail.String(), " ", "/", 1) // fail=10%/503
	}
	if s == "" {
		return ""
	}
	return "  [" + s[1:] + "]"
}
