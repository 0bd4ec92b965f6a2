package devproxy

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/internal/web"
	"github.com/devproxy/devproxy/devproxy/process"
)

// routeStatus is one row of the status page's route table.
type routeStatus struct {
	Path         string    `json:"path"`
	Name         string    `json:"name"` // what the request log calls it: "/api", "frontend"
	Target       string    `json:"target"`
	Up           bool      `json:"up"`
	DownReason   string    `json:"down_reason,omitempty"`
	LastAnswered time.Time `json:"last_answered,omitzero"`
}

type statusReport struct {
	Version     string           `json:"version"`
	Config      string           `json:"config"`
	ConfigError string           `json:"config_error,omitempty"`
	Frontend    string           `json:"frontend"`
	Routes      []routeStatus    `json:"routes"`
	Processes   []process.Status `json:"processes"`
	Uptime      string           `json:"uptime"`
	Phone       *phoneStatus     `json:"phone,omitempty"`
}

// serveOwn answers devproxy's reserved paths; they are never proxied.
func (s *Server) serveOwn(w http.ResponseWriter, r *http.Request, t *table) {
	switch r.URL.Path {
	case config.ReservedPrefix + "/status.json":
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		rep := s.statusReport(r.Context(), t)
		rep.Phone = s.phone(r, t)
		_ = enc.Encode(rep)
	case config.ReservedPrefix + "/feed":
		s.serveFeed(w, r)
	case CAPath:
		s.serveCA(w, r)
	case phoneQRPath:
		s.servePhoneQR(w, r, t)
	case config.ReservedPrefix + "/status.js":
		w.Header().Set("Cache-Control", "no-store")
		http.ServeFileFS(w, r, s.assets, "status.js")
	case config.ReservedPrefix:
		http.Redirect(w, r, config.ReservedPrefix+"/", http.StatusFound) // status.js and the feed are relative to the slash
	case config.ReservedPrefix + "/":
		w.Header().Set("Cache-Control", "no-store")
		http.ServeFileFS(w, r, s.assets, "status.html")
	default:
		s.notFound(w, r, r.URL.Path+" is not a devproxy page", "the status page is at "+config.ReservedPrefix+"/")
	}
}

func (s *Server) statusReport(ctx context.Context, t *table) statusReport {
	rep := statusReport{Version: s.version, Config: t.cfg.File, Uptime: time.Since(s.started).Round(time.Second).String()}
	s.mu.Lock()
	if s.configErr != nil {
		rep.ConfigError = s.configErr.Error()
	}
	s.mu.Unlock()
	switch {
	case t.front != nil:
		rep.Frontend = "dev server " + t.front.target.String()
	case t.static != nil:
		rep.Frontend = "static " + t.cfg.Frontend.Static
	default:
		rep.Frontend = "none"
	}
	routes := t.routes
	if t.front != nil {
		routes = append(append([]*route(nil), routes...), t.front)
	}
	addrs := make([]string, len(routes))
	for i, rt := range routes {
		addrs[i] = rt.addr
	}
	rep.Processes = []process.Status{}
	if sv := s.processes.Load(); sv != nil {
		rep.Processes = sv.Status()
	}
	probed := s.probe.check(ctx, addrs)
	rep.Routes = []routeStatus{}
	for _, rt := range routes {
		p := probed[rt.addr]
		rep.Routes = append(rep.Routes, routeStatus{Path: rt.Path, Name: rt.name, Target: rt.target.String(),
			Up: p.up, DownReason: p.err, LastAnswered: s.health.lastAnswered(rt.addr)})
	}
	return rep
}

// ShowProcesses lists sv's commands on the status page.
func (s *Server) ShowProcesses(sv *process.Supervisor) {
	s.processes.Store(sv)
	// A backend that devproxy started and that exited is not restarting:
	// requests to it fail at once instead of waiting out the retry hold.
	sv.OnExit(func(readyAddr string) {
		t := s.table.Load()
		for _, rt := range append(t.routes, t.front) {
			if rt != nil && web.SameLocalAddr(rt.addr, readyAddr) {
				s.health.gaveUp(rt.addr)
			}
		}
	})
}
