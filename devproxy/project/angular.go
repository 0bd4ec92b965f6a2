package project

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// angularWorkspace is the part of angular.json init reads.
type angularWorkspace struct {
	DefaultProject string `json:"defaultProject"`
	Projects       map[string]struct {
		ProjectType string                   `json:"projectType"`
		Architect   map[string]angularTarget `json:"architect"`
		Targets     map[string]angularTarget `json:"targets"` // the newer spelling of architect
	} `json:"projects"`
}

// angularTarget is one architect target (build, serve) of a project.
type angularTarget struct {
	Builder              string                    `json:"builder"`
	Options              map[string]any            `json:"options"`
	Configurations       map[string]map[string]any `json:"configurations"`
	DefaultConfiguration string                    `json:"defaultConfiguration"`
}

// option is the value of key as `ng serve` uses it: from the default
// configuration when that sets it, else from options.
func (t angularTarget) option(key string) (any, bool) {
	if v, ok := t.Configurations[t.DefaultConfiguration][key]; ok {
		return v, true
	}
	v, ok := t.Options[key]
	return v, ok
}

// detectAngular reads angular.json's serve target: its port and the
// proxyConfig file, whose routes are read like Vite's server.proxy (the
// Angular dev server is Vite, or webpack-dev-server with the older
// builder; both take the same proxy object).
func detectAngular(dir string, p *Project) {
	data, err := os.ReadFile(filepath.Join(dir, "angular.json"))
	if err != nil {
		return
	}
	var ws angularWorkspace
	if err := json.Unmarshal(data, &ws); err != nil {
		p.Notes = append(p.Notes, "angular.json is not plain JSON; read its serve options by hand")
		return
	}
	name := angularApp(&ws)
	if name == "" {
		return
	}
	targets := ws.Projects[name].Architect
	if targets == nil {
		targets = ws.Projects[name].Targets
	}
	if b := targets["build"].Builder; strings.HasSuffix(b, ":browser") {
		p.hmr = angularWebpackHMR // the webpack builder's live reload socket
	}
	serve := targets["serve"]
	if port, ok := serve.option("port"); ok {
		if n, isNum := port.(float64); isNum && n > 0 && n < 65536 {
			p.DevPort, p.PortFrom = int(n), "angular.json serve port"
		}
	}
	file, ok := serve.option("proxyConfig")
	if s, isStr := file.(string); ok && isStr && s != "" {
		readAngularProxy(dir, filepath.ToSlash(s), p)
	}
}

// angularApp picks the project `ng serve` serves: the default one, else
// the first application.
func angularApp(ws *angularWorkspace) string {
	if _, ok := ws.Projects[ws.DefaultProject]; ok {
		return ws.DefaultProject
	}
	names := make([]string, 0, len(ws.Projects))
	for n := range ws.Projects {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if ws.Projects[n].ProjectType == "application" {
			return n
		}
	}
	if len(names) > 0 {
		return names[0]
	}
	return ""
}

// jsExport finds what a config module exports: module.exports = … or
// export default …, either a literal or a variable declared in the file.
var (
	jsExport  = regexp.MustCompile(`(?:module\.exports\s*=|export\s+default)\s*([{\[]|[A-Za-z_$][\w$]*)`)
	jsDeclare = `(?:const|let|var)\s+%s\s*=\s*([{\[])`
)

// readAngularProxy reads the routes of a proxy.conf.json or proxy.conf.js.
func readAngularProxy(dir, file string, p *Project) {
	data, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		p.Notes = append(p.Notes, fmt.Sprintf("angular.json names proxyConfig %s, which could not be read", file))
		return
	}
	src := string(data)
	from := file + ", angular.json's proxyConfig"
	open := strings.IndexAny(src, "{[") // JSON is a JavaScript literal already
	if !strings.HasSuffix(file, ".json") {
		open = -1
		if m := jsExport.FindStringSubmatchIndex(src); m != nil {
			open = m[2]
			if c := src[open]; c != '{' && c != '[' {
				decl := regexp.MustCompile(fmt.Sprintf(jsDeclare, regexp.QuoteMeta(src[m[2]:m[3]])))
				open = -1
				if d := decl.FindStringSubmatchIndex(src); d != nil {
					open = d[2]
				}
			}
		}
	}
	if open < 0 {
		p.Notes = append(p.Notes, from+": no literal proxy object; add its routes by hand")
		return
	}
	inner, _, ok := jsBalanced(src, open)
	if !ok {
		return
	}
	if src[open] == '[' {
		p.addProxyArray(inner, from)
		return
	}
	p.addProxyObject(inner, from)
}
