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
	// Mock is the mock's answer when the route has one; it wins over Target.
	Mock string `json:"mock,omitempty"`
	// Delay, Throttle and Fail are what the file sets for the route ("" when not).
	Delay    string `json:"delay,omitempty"`
	Throttle string `json:"throttle,omitempty"`
	Fail     string `json:"fail,omitempty"`
	// Override is what the status page's switches set, nil when nothing.
	Override *overrideState `json:"override,omitempty"`
}

// networkPreset is one "slow" choice on the status page.
type networkPreset struct {
	Name     string `json:"name"`
	Title    string `json:"title"`
	Delay    string `json:"delay"`
	Throttle string `json:"throttle"`
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
	// Simulate is [simulate] ("" when off); Networks the presets the
	// "slow" switch offers.
	Simulate string          `json:"simulate,omitempty"`
	Networks []networkPreset `json:"networks"`
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
	case harPath:
		s.serveHAR(w, r)
	case config.ReservedPrefix + "/override":
		s.serveOverride(w, r, t)
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
	addrs := make([]string, 0, len(routes))
	for _, rt := range routes {
		if rt.Mock == nil {
			addrs = append(addrs, rt.addr)
		}
	}
	rep.Processes = []process.Status{}
	if sv := s.processes.Load(); sv != nil {
		rep.Processes = sv.Status()
	}
	probed := s.probe.check(ctx, addrs)
	rep.Routes = []routeStatus{}
	for _, rt := range routes {
		rs := routeStatus{Path: rt.Path, Name: rt.name, Target: rt.target.String(), Override: s.overrides.state(rt.name)}
		if rt.Mock != nil {
			rs.Mock, rs.Up = rt.Mock.String(), true // answered by devproxy itself: nothing to probe
		} else {
			p := probed[rt.addr]
			rs.Up, rs.DownReason, rs.LastAnswered = p.up, p.err, s.health.lastAnswered(rt.addr)
		}
		if rt.Delay > 0 {
			rs.Delay = rt.Delay.String()
		}
		if !rt.Throttle.IsZero() {
			rs.Throttle = rt.Throttle.String()
		}
		if rt.Fail.Rate > 0 {
			rs.Fail = rt.Fail.String()
		}
		rep.Routes = append(rep.Routes, rs)
	}
	if t.static != nil {
		// The static build is served by devproxy itself: always up, and
		// switchable like any route (its handler is simulated too).
		rep.Routes = append(rep.Routes, routeStatus{Path: "/", Name: "static", Target: "static " + t.cfg.Frontend.Static,
			Up: true, Override: s.overrides.state("static")})
	}
	if !t.cfg.Simulate.IsZero() {
		rep.Simulate = t.cfg.Simulate.String()
	}
	for _, n := range config.Networks {
		rep.Networks = append(rep.Networks, networkPreset{Name: n.Name, Title: n.Title, Delay: n.Delay.String(), Throttle: n.Throttle.String()})
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
