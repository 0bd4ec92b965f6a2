package project

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/devproxy/devproxy/devproxy/config"
)

// Project is what devproxy init learned about the project in a directory.
type Project struct {
	Kind string // the dev server: "Vite", "Angular", "Create React App", "webpack-dev-server", "Next.js"
	// Framework is what runs on the dev server when that is worth naming
	// ("SvelteKit", "React" on Vite), or "".
	Framework string
	DevPort   int
	PortFrom  string // where DevPort came from, for the comment
	Command   string // "npm run dev"
	// StartWith is how to start devproxy when a package.json script runs
	// it ("npm run dev"), else "".
	StartWith string
	Routes    []Route
	Notes     []string // what could not be inferred
	proxyPort int      // devproxy's own port, chosen to avoid the dev server's
	// hmr are the hot-reload socket paths the dev server uses that devproxy
	// can only recognise by path (see HMRWarnings).
	hmr []hmrSocket
}

// Name names the project for people: "SvelteKit on Vite", "Angular".
func (p *Project) Name() string {
	if p.Framework != "" {
		return p.Framework + " on " + p.Kind
	}
	return p.Kind
}

// Route is a route read from the project's own proxy settings.
type Route struct {
	Path         string
	Target       string
	StripPrefix  bool
	ChangeOrigin bool
	From         string // "vite.config.ts server.proxy"
}

// packageJSON is the part of package.json init reads.
type packageJSON struct {
	Scripts         map[string]string `json:"scripts"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
	Proxy           any               `json:"proxy"` // CRA: a URL string
}

func (p *packageJSON) has(dep string) bool {
	_, a := p.Dependencies[dep]
	_, b := p.DevDependencies[dep]
	return a || b
}

// Detect reads dir's package.json and dev server configs. It returns
// nil when the project is not one it knows: init then writes Starter.
func Detect(dir string) *Project {
	data, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil
	}
	var pkg packageJSON
	if err := json.Unmarshal(data, &pkg); err != nil {
		return nil
	}
	p := &Project{}
	run := packageManager(dir)
	switch {
	case pkg.has("next"):
		p.Kind, p.DevPort, p.PortFrom = "Next.js", 3000, "Next's default"
		p.Command = scriptCommand(run, pkg.Scripts, "dev")
		p.hmr = nextHMR
		detectNext(dir, p)
	case pkg.has("@angular/build") || pkg.has("@angular-devkit/build-angular") || pkg.has("@angular/cli"):
		p.Kind, p.DevPort, p.PortFrom = "Angular", 4200, "Angular's default"
		p.Command = scriptCommand(run, pkg.Scripts, scriptRunning(pkg.Scripts, "ng serve", "start")...)
		detectAngular(dir, p)
	case pkg.has("vite"):
		p.Kind, p.DevPort, p.PortFrom = "Vite", 5173, "Vite's default"
		p.Framework = viteFramework(&pkg)
		p.Command = scriptCommand(run, pkg.Scripts, "dev")
		detectVite(dir, p)
	case pkg.has("react-scripts"):
		p.Kind, p.DevPort, p.PortFrom = "Create React App", 3000, "Create React App's default"
		p.Command = scriptCommand(run, pkg.Scripts, "start")
		p.hmr = webpackHMR
		detectCRA(dir, &pkg, p)
	case pkg.has("webpack-dev-server"):
		p.Kind, p.DevPort, p.PortFrom = "webpack-dev-server", 8080, "webpack-dev-server's default"
		p.Command = scriptCommand(run, pkg.Scripts, "dev", "start", "serve")
		p.hmr = webpackHMR
		detectWebpack(dir, p)
	default:
		return nil
	}
	if port, ok := scriptPort(pkg.Scripts, p.Command); ok {
		p.DevPort, p.PortFrom = port, "the --port in package.json scripts"
	}
	avoidStartingItself(p, pkg.Scripts)
	p.proxyPort = p.freePort()
	return p
}

// freePort is the port devproxy listens on: 3000, unless the dev server or
// a backend (an Express API on 3000 is common) has it.
func (p *Project) freePort() int {
	taken := map[string]bool{strconv.Itoa(p.DevPort): true}
	for _, rt := range p.Routes {
		if u, err := url.Parse(rt.Target); err == nil {
			taken[u.Port()] = true
		}
	}
	for _, port := range []int{3000, 4000, 3001, 4001} {
		if !taken[strconv.Itoa(port)] {
			return port
		}
	}
	return 3002
}

// packageManager is the command that runs a package.json script here.
func packageManager(dir string) string {
	for _, lock := range []struct{ file, run string }{{"pnpm-lock.yaml", "pnpm"}, {"yarn.lock", "yarn"}, {"bun.lockb", "bun run"}} {
		if _, err := os.Stat(filepath.Join(dir, lock.file)); err == nil {
			return lock.run
		}
	}
	return "npm run"
}

// viteFrameworks are what runs on Vite, most specific first, by the
// package that gives each away.
var viteFrameworks = []struct{ pkg, name string }{
	{"@sveltejs/kit", "SvelteKit"}, {"@react-router/dev", "React Router"}, {"@remix-run/dev", "Remix"},
	{"@solidjs/start", "SolidStart"}, {"vue", "Vue"}, {"svelte", "Svelte"}, {"solid-js", "Solid"},
	{"preact", "Preact"}, {"react", "React"}, {"lit", "Lit"},
}

// viteFramework names what runs on Vite, or "" for plain Vite.
func viteFramework(pkg *packageJSON) string {
	for _, f := range viteFrameworks {
		if pkg.has(f.pkg) {
			return f.name
		}
	}
	return ""
}

// scriptRunning returns the names of the scripts whose command contains
// cmd, prefer first when it is one of them.
func scriptRunning(scripts map[string]string, cmd, prefer string) []string {
	var names []string
	if strings.Contains(scripts[prefer], cmd) {
		names = append(names, prefer)
	}
	keys := make([]string, 0, len(scripts))
	for k := range scripts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k != prefer && strings.Contains(scripts[k], cmd) {
			names = append(names, k)
		}
	}
	return names
}

// scriptCommand is the first of names that package.json defines, as a command.
func scriptCommand(run string, scripts map[string]string, names ...string) string {
	for _, n := range names {
		if _, ok := scripts[n]; ok {
			if n == "start" && run == "npm run" {
				return "npm start"
			}
			return run + " " + n
		}
	}
	return ""
}

// avoidStartingItself drops a command whose script runs devproxy (the
// README's "dev": "devproxy -- vite"): as [frontend] command it would make
// devproxy start itself again, which fails on its own port.
func avoidStartingItself(p *Project, scripts map[string]string) {
	f := strings.Fields(p.Command)
	if len(f) == 0 {
		return
	}
	name := f[len(f)-1]
	if !runsDevproxy(scripts[name]) {
		return
	}
	p.Notes = append(p.Notes, fmt.Sprintf("a dev server command: package.json's %q script runs devproxy itself (%s), so start everything with %s; "+
		"as command here it would start devproxy again", name, scripts[name], p.Command))
	p.Command, p.StartWith = "", p.Command
}

// runsDevproxy reports whether a package.json script runs devproxy.
func runsDevproxy(script string) bool {
	for _, w := range strings.Fields(script) {
		if w == "devproxy" || strings.HasSuffix(w, "/devproxy") {
			return true
		}
	}
	return false
}

var scriptPortRe = regexp.MustCompile(`(?:--port[ =]|-p[ =]?|PORT=)(\d{2,5})\b`)

// scriptPort reads an explicit port from the script command runs.
func scriptPort(scripts map[string]string, command string) (int, bool) {
	f := strings.Fields(command)
	if len(f) == 0 {
		return 0, false
	}
	m := scriptPortRe.FindStringSubmatch(scripts[f[len(f)-1]])
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil && n > 0 && n < 65536
}

// firstFile returns the first of names that exists in dir, and its text.
func firstFile(dir string, names ...string) (string, string, bool) {
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err == nil {
			return n, string(data), true
		}
	}
	return "", "", false
}

var portFieldRe = regexp.MustCompile(`(?:^|[^\w$.])port\s*:\s*(\d{2,5})\b`)

// literalPort reads `port: N` from an object literal's inside, ignoring
// the proxy block (whose targets carry their own ports).
func literalPort(obj string) (int, bool) {
	if proxy, ok := jsObject(obj, "proxy"); ok {
		obj = strings.Replace(obj, proxy, "", 1)
	}
	m := portFieldRe.FindStringSubmatch(obj)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

func detectVite(dir string, p *Project) {
	name, src, ok := firstFile(dir, "vite.config.ts", "vite.config.js", "vite.config.mts", "vite.config.mjs", "vite.config.cts", "vite.config.cjs")
	if !ok {
		return
	}
	server, ok := jsObject(src, "server")
	if !ok {
		return
	}
	if port, ok := literalPort(server); ok {
		p.DevPort, p.PortFrom = port, name+" server.port"
	}
	if proxy, ok := jsObject(server, "proxy"); ok {
		p.addProxyObject(proxy, name+" server.proxy")
	}
}

// addProxyObject adds the routes of a proxy object keyed by path, as Vite's
// server.proxy, webpack-dev-server 4's devServer.proxy and Angular's
// proxy.conf.json write it: each value a target URL or an options object.
func (p *Project) addProxyObject(inner, from string) {
	for _, e := range jsEntries(inner) {
		if strings.HasPrefix(e.Key, "^") {
			p.Notes = append(p.Notes, fmt.Sprintf("%s %q is a regexp; devproxy routes by path prefix: add a route by hand", from, e.Key))
			continue
		}
		if target, ok := jsString(e.Value); ok {
			p.addRoute(Route{Path: e.Key, Target: target, From: from})
			continue
		}
		if !strings.HasPrefix(e.Value, "{") {
			p.Notes = append(p.Notes, fmt.Sprintf("%s %q is computed; add its route by hand", from, e.Key))
			continue
		}
		opts, _, _ := jsBalanced(e.Value, 0)
		p.addProxyOptions([]string{e.Key}, jsEntries(opts), from)
	}
}

// addProxyArray adds the routes of a proxy array, as webpack-dev-server 5
// and Angular's proxy.conf.js write it: [{ context: ['/api'], target }].
func (p *Project) addProxyArray(inner, from string) {
	for _, e := range jsEntries(inner) {
		if !strings.HasPrefix(e.Value, "{") {
			continue
		}
		optsText, _, _ := jsBalanced(e.Value, 0)
		opts := jsEntries(optsText)
		ctxv, _ := jsField(opts, "context")
		paths := jsStrings(ctxv)
		if len(paths) == 0 {
			p.Notes = append(p.Notes, from+": an entry without a literal context; add its route by hand")
			continue
		}
		p.addProxyOptions(paths, opts, from)
	}
}

// stripsPrefix reports whether a rewrite function or pathRewrite removes
// the route's prefix: path.replace(/^\/api/, ”) or {'^/api': ”}.
func stripsPrefix(code, prefix string) bool {
	code = strings.ReplaceAll(code, `\/`, `/`)
	return regexp.MustCompile(`\^?` + regexp.QuoteMeta(prefix) + `/?['"/]?\s*[,:]\s*(''|""|'/'|"/")`).MatchString(code)
}

func jsFieldString(entries []jsEntry, key string) (string, bool) {
	v, ok := jsField(entries, key)
	if !ok {
		return "", false
	}
	return jsString(v)
}

func jsFieldTrue(entries []jsEntry, key string) bool {
	v, ok := jsField(entries, key)
	return ok && strings.TrimSpace(v) == "true"
}

func detectWebpack(dir string, p *Project) {
	name, src, ok := firstFile(dir, "webpack.config.js", "webpack.config.cjs", "webpack.config.mjs", "webpack.config.ts", "webpack.dev.js", "webpack.config.dev.js")
	if !ok {
		return
	}
	ds, ok := jsObject(src, "devServer")
	if !ok {
		return
	}
	if port, ok := literalPort(ds); ok {
		p.DevPort, p.PortFrom = port, name+" devServer.port"
	}
	from := name + " devServer.proxy"
	re := regexp.MustCompile(`(?:^|[^\w$.])proxy\s*:\s*([{\[])`)
	m := re.FindStringSubmatchIndex(ds)
	if m == nil {
		return
	}
	inner, _, ok := jsBalanced(ds, m[2])
	if !ok {
		return
	}
	if ds[m[2]] == '{' { // webpack-dev-server 4: { '/api': { target, pathRewrite } }
		p.addProxyObject(inner, from)
		return
	}
	p.addProxyArray(inner, from) // webpack-dev-server 5: [{ context: ['/api'], target }]
}

// addProxyOptions adds routes from one entry's options: target,
// changeOrigin, and a rewrite (Vite) or pathRewrite (http-proxy-middleware)
// when it only strips the prefix.
func (p *Project) addProxyOptions(paths []string, opts []jsEntry, from string) {
	target, _ := jsFieldString(opts, "target")
	rewriteKey := "pathRewrite"
	rw, hasRewrite := jsField(opts, rewriteKey)
	if !hasRewrite {
		rewriteKey = "rewrite"
		rw, hasRewrite = jsField(opts, rewriteKey)
	}
	for _, path := range paths {
		rt := Route{Path: path, Target: target, ChangeOrigin: jsFieldTrue(opts, "changeOrigin"), From: from}
		if hasRewrite {
			rt.StripPrefix = stripsPrefix(rw, pathPrefix(path))
			if !rt.StripPrefix {
				p.Notes = append(p.Notes, fmt.Sprintf("%s %q has a %s devproxy could not read; see rewrite = { from, to } in the docs", from, path, rewriteKey))
			}
		}
		p.addRoute(rt)
	}
}

func detectCRA(dir string, pkg *packageJSON, p *Project) {
	if data, err := os.ReadFile(filepath.Join(dir, ".env")); err == nil {
		if m := regexp.MustCompile(`(?m)^PORT=(\d{2,5})\s*$`).FindStringSubmatch(string(data)); m != nil {
			p.DevPort, _ = strconv.Atoi(m[1])
			p.PortFrom = ".env PORT"
		}
	}
	defer craProxyField(pkg, p)
	name, src, ok := firstFile(dir, "src/setupProxy.js", "src/setupProxy.cjs")
	if !ok {
		return
	}
	from := name
	// app.use('/api', createProxyMiddleware({ ... })) and createProxyMiddleware('/api', { ... })
	re := regexp.MustCompile(`(?:app\.use\(\s*((?:'[^']*'|"[^"]*"|\[[^\]]*\]))\s*,\s*(?:createProxyMiddleware|proxy)\(\s*\{|(?:createProxyMiddleware|proxy)\(\s*((?:'[^']*'|"[^"]*"|\[[^\]]*\]))\s*,\s*\{)`)
	for _, m := range re.FindAllStringSubmatchIndex(src, -1) {
		pathsText := ""
		if m[2] >= 0 {
			pathsText = src[m[2]:m[3]]
		} else {
			pathsText = src[m[4]:m[5]]
		}
		opts, _, ok := jsBalanced(src, m[1]-1)
		if !ok {
			continue
		}
		p.addProxyOptions(jsStrings(pathsText), jsEntries(opts), from)
	}
}

// craProxyField reads package.json "proxy", after setupProxy.js (which is more precise).
func craProxyField(pkg *packageJSON, p *Project) {
	if target, ok := pkg.Proxy.(string); ok && target != "" {
		// CRA sends every request that is not a file and does not accept
		// text/html to "proxy"; devproxy routes by path, so /api is a guess.
		p.addRoute(Route{Path: "/api", Target: target, From: `package.json "proxy" (CRA forwards every non-page request there; /api is a guess: list the paths your backend serves)`})
	}
}

func detectNext(dir string, p *Project) {
	name, src, ok := firstFile(dir, "next.config.js", "next.config.mjs", "next.config.ts", "next.config.cjs")
	if !ok {
		return
	}
	from := name + " rewrites"
	re := regexp.MustCompile(`source\s*:\s*(['"` + "`" + `][^'"` + "`" + `]*['"` + "`" + `])\s*,\s*destination\s*:\s*(['"` + "`" + `][^'"` + "`" + `]*['"` + "`" + `])`)
	for _, m := range re.FindAllStringSubmatch(src, -1) {
		source, ok1 := jsString(m[1])
		dest, ok2 := jsString(m[2])
		if !ok1 || !ok2 {
			p.Notes = append(p.Notes, from+": a rewrite with a computed source or destination; add its route by hand")
			continue
		}
		u, err := url.Parse(dest)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			continue // a rewrite inside the Next app itself: Next keeps doing it
		}
		prefix := nextPrefix(source)
		destPrefix := nextPrefix(u.Path)
		rt := Route{Path: prefix, Target: u.Scheme + "://" + u.Host, From: from}
		switch destPrefix {
		case prefix:
		case "/", "":
			rt.StripPrefix = true
		default:
			p.Notes = append(p.Notes, fmt.Sprintf("%s %s → %s changes the path; devproxy sends it unchanged: add rewrite = { from, to } if the backend needs it", from, source, dest))
		}
		p.addRoute(rt)
	}
}

// nextPrefix turns a Next path pattern ("/api/:path*") into its literal prefix.
func nextPrefix(pattern string) string {
	var keep []string
	for _, seg := range strings.Split(pattern, "/") {
		if strings.HasPrefix(seg, ":") || strings.ContainsAny(seg, "*(") {
			break
		}
		keep = append(keep, seg)
	}
	return "/" + strings.Trim(strings.Join(keep, "/"), "/")
}

// pathPrefix is the route path for a proxy key: "/api/", "/api/*" and the
// glob "/api/**" all mean the prefix /api.
func pathPrefix(key string) string {
	return "/" + strings.Trim(strings.TrimRight(key, "*"), "/")
}

// addRoute keeps a route devproxy can serve, or notes why not.
func (p *Project) addRoute(rt Route) {
	path := pathPrefix(rt.Path)
	switch {
	case !strings.HasPrefix(rt.Path, "/"):
		p.Notes = append(p.Notes, fmt.Sprintf("%s %q is not a path prefix; add its route by hand", rt.From, rt.Path))
		return
	case rt.Target == "":
		p.Notes = append(p.Notes, fmt.Sprintf("%s %q has a computed target; add its route by hand", rt.From, rt.Path))
		return
	case config.IsReserved(path):
		return
	}
	fixed, problem := config.CheckTarget(rt.Target)
	if problem != "" {
		p.Notes = append(p.Notes, fmt.Sprintf("%s %q: %s", rt.From, rt.Path, problem))
		return
	}
	rt.Path, rt.Target = path, fixed
	for _, have := range p.Routes {
		if have.Path == rt.Path {
			return
		}
	}
	p.Routes = append(p.Routes, rt)
	sort.Slice(p.Routes, func(i, j int) bool { return p.Routes[i].Path < p.Routes[j].Path })
}
