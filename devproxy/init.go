package devproxy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// starterConfig is what `devproxy init` writes on a project it knows nothing about.
const starterConfig = `# devproxy.toml: the browser talks only to devproxy, which serves your
# frontend and forwards API calls, so everything is same-origin: no CORS.
# Reference: https://github.com/devproxy/devproxy#configuration

listen = "localhost:3000"             # open http://localhost:3000

[frontend]
dev_server = "http://localhost:5173"  # Vite's default; webpack is often :8080, Next :3000
# static = "dist"                     # or serve a build directory instead

[routes]
"/api" = "http://localhost:8080"      # /api/* → your backend, path unchanged

# [routes."/auth"]
# target = "http://localhost:9000"
# strip_prefix = true                 # /auth/login is sent as /login
`

func runInit(_ context.Context, c CLI, args []string) int {
	flags := newFlagSet(c, "init", "[flags]", "Write a devproxy.toml for the project in the current directory (read from package.json and the\ndev server's config, never executed), or a commented starter. Never overwrites an existing file.")
	path := configFlag(flags)
	if code, ok := noArgs(flags, "init", args); !ok {
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
	text, said := starterConfig, "wrote %s: edit the dev_server port and routes, then run devproxy\n"
	if proj := detectProject(dirOf(*path)); proj != nil {
		text = proj.config()
		said = fmt.Sprintf("wrote %%s for this %s project: dev server on port %d, %d route(s); read the comments, then run devproxy\n", proj.Kind, proj.DevPort, len(proj.Routes))
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
