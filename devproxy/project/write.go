package project

import (
	"fmt"
	"strings"
)

// config renders the devproxy.toml for a detected project, saying in
// comments where each value came from and what the dev server needs.
func (p *Project) Config() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# devproxy.toml, written by `devproxy init` for this %s project.\n", p.Name())
	w("# The browser talks only to devproxy, which serves the dev server and forwards\n")
	w("# API calls, so everything is same-origin: no CORS, cookies that stick.\n#\n")
	w("# What init inferred (it reads config files as text and never runs them):\n")
	w("#   dev server port %d (%s)\n", p.DevPort, p.PortFrom)
	if p.Command != "" {
		w("#   dev server command %q (package.json scripts)\n", p.Command)
	}
	for _, rt := range p.Routes {
		w("#   %s → %s (%s)\n", rt.Path, rt.Target, rt.From)
	}
	if len(p.Routes) == 0 {
		w("#   no proxy settings, so no routes: add one per backend below\n")
	}
	for _, n := range p.Notes {
		w("#   not inferred: %s\n", n)
	}
	w("\nlisten = \"localhost:%d\"             # open http://localhost:%d\n", p.proxyPort, p.proxyPort)
	w("\n[frontend]\ndev_server = \"http://localhost:%d\"\n", p.DevPort)
	if p.Command != "" {
		w("# devproxy starts the dev server and stops it on exit; remove this line to run it yourself.\n")
		w("command = %q\n", p.Command)
	}
	if len(p.Routes) == 0 {
		w("\n# [routes]\n# \"/api\" = \"http://localhost:8080\"   # /api/* → your backend, path unchanged\n")
	}
	for _, rt := range p.Routes {
		w("\n# from %s\n[routes.%q]\ntarget = %q\n", rt.From, rt.Path, rt.Target)
		if rt.StripPrefix {
			w("strip_prefix = true                  # %s/users is sent as /users\n", rt.Path)
		}
		if rt.ChangeOrigin {
			w("change_origin = true                 # the backend sees its own Host\n")
		}
	}
	if advice := p.advice(); len(advice) > 0 {
		w("\n# What the dev server needs to work behind devproxy:\n")
		for _, a := range advice {
			w("# - %s\n", strings.ReplaceAll(a, "\n", "\n#   "))
		}
	}
	return b.String()
}

// advice is what this kind of dev server needs behind a proxy.
func (p *Project) advice() []string {
	hostOK := fmt.Sprintf("devproxy sends the dev server its own Host (localhost:%d), so its Host allow-list", p.DevPort)
	var out []string
	switch p.Kind {
	case "Vite":
		out = append(out,
			hostOK+"\n(server.allowedHosts) needs no change.",
			"HMR connects to the page's own origin, so it goes through devproxy. If vite.config sets\nserver.hmr.clientPort or server.hmr.host, remove them or set clientPort to "+fmt.Sprint(p.proxyPort)+".")
	case "Angular":
		out = append(out,
			"Angular's dev server opens its hot-reload socket on the page's own origin, so it goes through\ndevproxy: no HMR setting is needed.",
			hostOK+"\n(allowedHosts in angular.json) needs no change.")
		if len(p.Routes) > 0 {
			out = append(out, "Once devproxy routes your API, proxyConfig in angular.json is no longer needed.")
		}
	case "webpack-dev-server":
		out = append(out,
			"webpack-dev-server's HMR client connects to the dev server's own port, not the page's, unless\ntold otherwise: set devServer.client.webSocketURL = 'auto://0.0.0.0:0/ws' so it follows the page.",
			hostOK+"\n(devServer.allowedHosts, default 'auto') needs no change.")
	case "Create React App":
		out = append(out,
			fmt.Sprintf("CRA's HMR socket connects to the dev server's own port: put WDS_SOCKET_PORT=%d in .env so it\nconnects through devproxy.", p.proxyPort),
			hostOK+"\nneeds no change (DANGEROUSLY_DISABLE_HOST_CHECK is not needed).",
			"Once devproxy routes your API, package.json \"proxy\" and src/setupProxy.js are no longer needed.")
	case "Next.js":
		out = append(out,
			"Next's HMR uses /_next/webpack-hmr on the page's origin, so it goes through devproxy.",
			"The rewrites in next.config keep working; the routes above send those paths to the backend\ndirectly, so cookies and redirects are rewritten by devproxy.")
	}
	return out
}
