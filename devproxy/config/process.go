package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/devproxy/devproxy/devproxy/internal/web"
)

var processKeys = []string{"name", "command", "dir", "env", "ready"}

// Process is a command devproxy runs beside the proxy ([frontend] command
// or a [[process]] entry) and stops, with everything it started, on exit.
type Process struct {
	// Name prefixes the command's output. Default: the command's first word.
	Name string
	// Command is run with sh -c.
	Command string
	// Dir is the absolute working directory. Default: the config file's directory.
	Dir string
	// Env holds KEY=VALUE pairs added to devproxy's own environment.
	Env []string
	// Ready is a host:port that accepts connections once the command is up,
	// or an http(s) URL that answers. If empty, nothing is waited for.
	Ready string
	// Line is where the process is defined, for messages.
	Line int
}

// readProcesses reads the [[process]] array of tables.
func (cr *configReader) readProcesses(raw map[string]any, cfg *Config) {
	v, ok := raw["process"]
	if !ok {
		return
	}
	list, ok := v.([]map[string]any)
	if !ok {
		cr.typeErr([]string{"process"}, v, "an array of tables: a [[process]] header for each, with command = \"…\" under it", "")
		return
	}
	seen := map[string]bool{"frontend": cfg.Frontend.Command != ""}
	for i, tbl := range list {
		path := []string{"process", strconv.Itoa(i)}
		cr.checkKeys(tbl, path, processKeys)
		p := Process{Line: cr.ix.lookup(path...).Key.Line}
		cmd, _ := cr.str(tbl, path, "command")
		p.Command = cmd
		p.Name = defaultProcessName(cmd)
		if name, ok := cr.str(tbl, path, "name"); ok {
			p.Name = name
		}
		// Checked before the command, so that adding a missing command
		// does not reveal a second error.
		if seen[p.Name] {
			cr.failKey(with(path, "name"), fmt.Sprintf("[[process]] name %q is used twice", p.Name), "a unique short name; it prefixes the output", cr.fixValue(with(path, "name"), quote(fmt.Sprintf("%s-%d", p.Name, i+1))))
		}
		seen[p.Name] = true
		if strings.TrimSpace(cmd) == "" {
			if misspelled(tbl, "command") {
				continue // reported as an unknown key, with the suggestion
			}
			cr.failKey(path, fmt.Sprintf("[[process]] #%d has no command", i+1), "the shell command to run", cr.fixUnderHeader(path, `command = "npm run dev"`))
			continue
		}
		p.Dir = cr.dir
		if d, ok := cr.str(tbl, path, "dir"); ok {
			p.Dir = cr.processDir(with(path, "dir"), d)
		}
		if env, ok := cr.table(tbl, path, "env"); ok {
			p.Env = cr.processEnv(with(path, "env"), env)
		}
		if r, ok := tbl["ready"]; ok {
			p.Ready = cr.ready(with(path, "ready"), r)
		}
		cfg.Processes = append(cfg.Processes, p)
	}
}

// defaultProcessName is the command's first word without its directory: "npm", "go".
func defaultProcessName(cmd string) string {
	f := strings.Fields(cmd)
	if len(f) == 0 {
		return "process"
	}
	return filepath.Base(f[0])
}

func (cr *configReader) processDir(path []string, s string) string {
	dir := s
	if !filepath.IsAbs(dir) && cr.dir != "" {
		dir = filepath.Join(cr.dir, dir)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		cr.failValue(path, fmt.Sprintf("%s: directory %q does not exist", DisplayKey(path), s),
			"a directory, relative to the config file", "")
	}
	return dir
}

func (cr *configReader) processEnv(path []string, env map[string]any) []string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		s, ok := env[k].(string)
		if !ok {
			if n, isInt := env[k].(int64); isInt {
				cr.typeErr(with(path, k), env[k], "a string", cr.fixValue(with(path, k), fmt.Sprintf("\"%d\"", n)))
			} else {
				cr.typeErr(with(path, k), env[k], "a string", "")
			}
			continue
		}
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(s, 0) {
			cr.failKey(with(path, k), fmt.Sprintf("%s: %q is not a valid environment variable", DisplayKey(path), k), "NAME = \"value\"", "")
			continue
		}
		out = append(out, k+"="+s)
	}
	return out
}

// ready validates a readiness check: a port number, or an http(s) URL.
// It returns host:port for a port, the URL for a URL.
func (cr *configReader) ready(path []string, v any) string {
	want := "a port number (ready = 8080) or a URL that answers when the command is up (ready = \"http://localhost:8080/health\")"
	switch r := v.(type) {
	case int64:
		if r < 1 || r > 65535 {
			cr.failValue(path, fmt.Sprintf("%s = %d is not a port", DisplayKey(path), r), want, cr.fixValue(path, "8080"))
			return ""
		}
		return net.JoinHostPort("localhost", strconv.FormatInt(r, 10))
	case string:
		if web.IsPort(r) {
			cr.failValue(path, fmt.Sprintf("%s is the string %q", DisplayKey(path), r), want, cr.fixValue(path, r))
			return ""
		}
		u, err := url.Parse(r)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			cr.failValue(path, fmt.Sprintf("%s: %q is not an http(s) URL", DisplayKey(path), r), want, "")
			return ""
		}
		return r
	default:
		cr.typeErr(path, v, want, "")
		return ""
	}
}

// sameProcesses reports whether two [[process]] lists start the same commands.
func sameProcesses(a, b []Process) bool {
	return slices.EqualFunc(a, b, func(x, y Process) bool {
		return x.Name == y.Name && x.Command == y.Command && x.Dir == y.Dir && x.Ready == y.Ready && slices.Equal(x.Env, y.Env)
	})
}

// processNames lists processes for a log line: "api, worker".
func processNames(ps []Process) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// Commands returns what devproxy runs beside the proxy: the dev server's
// command first (named "frontend", ready when dev_server's port accepts),
// then each [[process]].
func (c *Config) Commands() []Process {
	var ps []Process
	if c.Frontend.Command != "" {
		dir := ""
		if c.File != "" {
			if abs, err := filepath.Abs(c.File); err == nil {
				dir = filepath.Dir(abs)
			} else {
				dir = filepath.Dir(c.File)
			}
		}
		ps = append(ps, Process{Name: "frontend", Command: c.Frontend.Command, Dir: dir, Ready: web.DialAddr(c.Frontend.DevServer)})
	}
	return append(ps, c.Processes...)
}
