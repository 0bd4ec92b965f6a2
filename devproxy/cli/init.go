package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/project"
)

func runInit(_ context.Context, c Options, args []string) int {
	flags := newFlagSet(c, "init", "[flags]", "Write a devproxy.toml for the project in the current directory (read from package.json and the\ndev server's config, never executed), or a commented starter. Never overwrites an existing file.")
	path := flags.String("config", config.DefaultFile, "write the config to `FILE`")
	if code, ok := noArgs(flags, args); !ok {
		return code
	}
	f, err := os.OpenFile(*path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		fmt.Fprintf(c.Stderr, "devproxy init: %s already exists; not overwriting it (run devproxy check to validate it)\n", *path)
		return exitFailed
	}
	if err != nil {
		fmt.Fprintln(c.Stderr, "devproxy init:", err)
		return exitFailed
	}
	text, said := project.Starter, "wrote %s: edit the dev_server port and routes, then run devproxy\n"
	if proj := project.Detect(filepath.Dir(*path)); proj != nil {
		text = proj.Config()
		started := ""
		if proj.Command != "" {
			started = fmt.Sprintf(", started with %s", proj.Command)
		}
		run := cmp.Or(proj.StartWith, "devproxy")
		said = fmt.Sprintf("wrote %%s for this %s project: dev server on port %d%s, %s; read the comments, then run %s\n",
			proj.Name(), proj.DevPort, started, plural(len(proj.Routes), "route", "routes"), run)
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		fmt.Fprintln(c.Stderr, "devproxy init:", err)
		return exitFailed
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(c.Stderr, "devproxy init:", err)
		return exitFailed
	}
	fmt.Fprintf(c.Stdout, said, *path)
	return exitOK
}
