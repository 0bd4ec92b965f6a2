package cli

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/export"
)

// engines are the web servers export writes configuration for.
var engines = map[string]func(*config.Config, export.Options) (string, []export.Warning, error){
	"nginx": export.Nginx,
	"caddy": export.Caddy,
}

func runExport(_ context.Context, c Options, args []string) int {
	fs := newFlagSet(c, "export", "nginx|caddy [flags]",
		"Write the route table as nginx or Caddy configuration, for staging and production. What the engine\n"+
			"cannot do as devproxy does is a comment in the output and a warning on stderr. Header values from\n"+
			"the environment stay ${VAR} references. Exit status 1 when the config has errors.")
	path := configFlag(fs)
	out := fs.String("out", "", "write the configuration to `FILE` instead of standard output")
	name := fs.String("server-name", "", "the public host `NAME` to answer to, e.g. app.example.com (default: the names devproxy answers to)")
	engine, code, ok := oneArg(fs, args, "name the engine: nginx or caddy", func(arg string) string {
		if engines[arg] == nil {
			return fmt.Sprintf("%q is not an engine devproxy exports to (nginx or caddy)", arg)
		}
		return ""
	})
	if !ok {
		return code
	}
	if problem := checkServerName(*name); problem != "" {
		fmt.Fprintf(c.Stderr, "devproxy export: --server-name %s\n", problem)
		return exitUsage
	}
	cfg, ok := loadConfig(c, *path, explicitFlag(fs, "config"))
	if !ok {
		return exitFailed
	}
	text, warnings, err := engines[engine](cfg, export.Options{ServerName: *name})
	if err != nil {
		fmt.Fprintf(c.Stderr, "devproxy export: %v\n", err)
		return exitFailed
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(c.Stderr, "warning: %s\n", w)
	}
	for _, w := range warnings {
		fmt.Fprintf(c.Stderr, "warning: %s\n", w)
	}
	return writeOut(c, "export", *out, []byte(text), "")
}

// checkServerName returns what is wrong with a --server-name value, or "".
func checkServerName(name string) string {
	switch {
	case name == "":
		return ""
	case strings.Contains(name, "://"):
		if u, err := url.Parse(name); err == nil && u.Hostname() != "" {
			return fmt.Sprintf("%q is a URL; give the host name only: --server-name %s", name, u.Hostname())
		}
		return fmt.Sprintf("%q is a URL; give the host name only, e.g. --server-name app.example.com", name)
	case strings.ContainsAny(name, "/:@ \t;{}\"'"):
		return fmt.Sprintf("%q is not a host name; give one without port or path, e.g. --server-name app.example.com", name)
	}
	return ""
}
