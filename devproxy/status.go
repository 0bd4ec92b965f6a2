package devproxy

import (
	"encoding/json"
	"net/http"
	"time"
)

// routeStatus is one row of the status page's route table.
type routeStatus struct {
	Path         string    `json:"path"`
	Target       string    `json:"target"`
	LastAnswered time.Time `json:"last_answered,omitzero"`
}

type statusReport struct {
	Version     string        `json:"version"`
	Config      string        `json:"config"`
	ConfigError string        `json:"config_error,omitempty"`
	Frontend    string        `json:"frontend"`
	Routes      []routeStatus `json:"routes"`
	Uptime      string        `json:"uptime"`
}

// serveOwn answers devproxy's reserved paths; they are never proxied.
func (s *Server) serveOwn(w http.ResponseWriter, r *http.Request, t *table) {
	switch r.URL.Path {
	case reservedPrefix + "/status.json":
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(s.statusReport(t))
	case reservedPrefix, reservedPrefix + "/":
		w.Header().Set("Cache-Control", "no-store")
		http.ServeFileFS(w, r, s.assets, "status.html")
	default:
		s.notFound(w, r, r.URL.Path+" is not a devproxy page", "the status page is at "+reservedPrefix+"/")
	}
}

func (s *Server) statusReport(t *table) statusReport {
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
	for _, rt := range t.routes {
		rep.Routes = append(rep.Routes, routeStatus{Path: rt.Path, Target: rt.target.String(), LastAnswered: s.health.lastAnswered(rt.addr)})
	}
	return rep
}
