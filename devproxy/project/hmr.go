package project

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/devproxy/devproxy/devproxy/config"
)

// hmrSocket is a path a dev server's hot-reload client opens a WebSocket
// on. devproxy recognises Vite's by its vite-hmr subprotocol and always
// sends it to the dev server; these it can only tell by path, so a route
// with the same path takes them.
type hmrSocket struct{ path, server string }

var (
	webpackHMR        = []hmrSocket{{"/ws", "webpack-dev-server 4+"}}
	nextHMR           = []hmrSocket{{"/_next/webpack-hmr", "Next.js"}, {"/_next/hmr", "Next.js 16+"}}
	angularWebpackHMR = []hmrSocket{{"/ng-cli-ws", "Angular's webpack dev server"}}
	// everyHMR is what an unrecognised project's dev server may use.
	everyHMR = append(append(append([]hmrSocket(nil), webpackHMR...), nextHMR...), angularWebpackHMR...)
)

// HMRWarnings returns a warning for each route of cfg that takes a
// hot-reload socket path of the dev server: hot reload would reach the
// route's backend instead. Which paths the dev server uses is read from the
// package.json beside cfg.File, as init reads it: none for Vite (and what
// runs on it: SvelteKit, Angular's application builder), /ws for
// webpack-dev-server, Next's for Next.js, and all of them when the project
// is not recognised. It returns nothing when cfg has no dev_server.
func HMRWarnings(cfg *config.Config) []*config.Error {
	if cfg.Frontend.DevServer == "" || len(cfg.Routes) == 0 {
		return nil
	}
	sockets, kind := everyHMR, ""
	if p := Detect(filepath.Dir(cfg.File)); p != nil {
		sockets, kind = p.hmr, p.Name()
	}
	var out []*config.Error
	for _, rt := range cfg.Routes {
		var taken []string
		for _, h := range sockets {
			if rt.Path == "/" || h.path == rt.Path || strings.HasPrefix(h.path, rt.Path+"/") {
				taken = append(taken, fmt.Sprintf("%s (%s)", h.path, h.server))
			}
		}
		if len(taken) == 0 {
			continue
		}
		msg := fmt.Sprintf("route %q takes the hot-reload socket %s of this %s project: hot reload will not reach the dev server",
			rt.Path, strings.Join(taken, ", "), kind)
		if kind == "" {
			msg = fmt.Sprintf("route %q takes the dev server's hot-reload socket %s; if that is your dev server, hot reload will not reach it",
				rt.Path, strings.Join(taken, ", "))
		}
		out = append(out, &config.Error{File: cfg.File, Line: max(rt.Line, 1), Col: 1, Msg: msg,
			Want: "a more specific route path, such as \"/api/ws\" (Vite's HMR socket is routed by its vite-hmr subprotocol and is never affected)"})
	}
	return out
}
