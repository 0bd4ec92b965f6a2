package devproxy

import (
	"encoding/json"
	"maps"
	"mime"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/devproxy/devproxy/devproxy/config"
)

// The status page's switches: per route, "offline" (every request fails
// with a 503 or a dropped connection) and "slow" (a network preset instead
// of the route's delay and throttle, or none at all). They live in memory
// only, beside the route table, so they survive a config reload and are
// gone after a restart.

// networkNone switches a route's delay and throttle off, whatever the file says.
const networkNone = "none"

// overrideHeader must be on every call that flips a switch. A page on
// another origin cannot send a custom header without a CORS preflight,
// which devproxy never grants for its own paths, so no other site open in
// the browser can take a route offline (cross-site request forgery).
const overrideHeader = "X-Devproxy"

// override is what the status page switched for one route.
type override struct {
	offline string // "", config.FailStatus or config.FailReset
	network string // "" (as configured), networkNone or a preset's name
	preset  *sim   // the preset's conditions, with buckets of their own, when network names one
}

// overrides holds the switches, copied on write: a request reads them with
// one atomic load, and the pointer is nil while nothing is switched.
type overrides struct {
	mu sync.Mutex // serialises writers
	m  atomic.Pointer[map[string]override]
}

func (o *overrides) get(name string) override {
	m := o.m.Load()
	if m == nil {
		return override{}
	}
	return (*m)[name]
}

func (o *overrides) set(name string, ov override) {
	o.mu.Lock()
	defer o.mu.Unlock()
	next := map[string]override{}
	if m := o.m.Load(); m != nil {
		maps.Copy(next, *m)
	}
	if ov.offline == "" && ov.network == "" {
		delete(next, name)
	} else {
		next[name] = ov
	}
	if len(next) == 0 {
		o.m.Store(nil)
		return
	}
	o.m.Store(&next)
}

// overrideState is one route's switches as the API and status.json show them.
type overrideState struct {
	Offline string `json:"offline,omitempty"`
	Network string `json:"network,omitempty"`
}

func (o *overrides) state(name string) *overrideState {
	ov := o.get(name)
	if ov.offline == "" && ov.network == "" {
		return nil
	}
	return &overrideState{Offline: ov.offline, Network: ov.network}
}

// overrideRequest is the body of POST /__devproxy/override.
type overrideRequest struct {
	Route   string `json:"route"`
	Offline string `json:"offline"`
	Network string `json:"network"`
}

// serveOverride sets a route's switches: POST with a JSON body, the
// X-Devproxy header, and nothing that says another site sent it.
func (s *Server) serveOverride(w http.ResponseWriter, r *http.Request, t *table) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSONError(w, http.StatusMethodNotAllowed, "POST a JSON body to set a route's switches")
		return
	}
	if why := foreignCall(r); why != "" {
		s.log.Warn("status page switch refused", "origin", r.Header.Get("Origin"), "reason", why)
		writeJSONError(w, http.StatusForbidden, why)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeJSONError(w, http.StatusUnsupportedMediaType, "the body must be JSON (Content-Type: application/json)")
		return
	}
	var req overrideRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeJSONError(w, http.StatusBadRequest, "the body is not {\"route\": …, \"offline\": …, \"network\": …}: "+err.Error())
		return
	}
	if !t.hasRoute(req.Route) {
		writeJSONError(w, http.StatusNotFound, "no route "+req.Route+" in the running config")
		return
	}
	ov := override{offline: req.Offline, network: req.Network}
	switch req.Offline {
	case "", config.FailStatus, config.FailReset:
	default:
		writeJSONError(w, http.StatusBadRequest, `offline is "", "503" or "reset"`)
		return
	}
	switch req.Network {
	case "", networkNone:
	default:
		n, ok := config.LookupNetwork(req.Network)
		if !ok {
			writeJSONError(w, http.StatusBadRequest, "network is \"\" (as configured), \"none\" or a preset: "+req.Network+" is none of them")
			return
		}
		p := newSim(n.Delay, n.Throttle, config.Fail{}, "")
		ov.network, ov.preset = n.Name, &p
	}
	s.overrides.set(req.Route, ov)
	s.log.Info("status page switch", "route", req.Route, "offline", ov.offline, "network", ov.network)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(struct {
		Route    string         `json:"route"`
		Override *overrideState `json:"override"`
	}{req.Route, s.overrides.state(req.Route)})
}

// foreignCall says why r cannot come from devproxy's own status page, or
// "". The Host was checked before routing (DNS rebinding); here the
// browser's own statements about the caller are: Origin (sent on every
// POST) must be devproxy's, and Sec-Fetch-Site, when sent, same-origin.
func foreignCall(r *http.Request) string {
	if r.Header.Get(overrideHeader) == "" {
		return "the " + overrideHeader + " header is missing: only devproxy's status page may set switches"
	}
	if o := r.Header.Get("Origin"); o != "" && !isOwnOrigin(r, o) {
		return "a page on " + o + " may not set devproxy's switches"
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return "a " + site + " request may not set devproxy's switches"
	}
	return ""
}

// hasRoute reports whether name is a route of t, or "frontend" for its dev server.
func (t *table) hasRoute(name string) bool {
	switch name {
	case "frontend":
		return t.front != nil
	case "static":
		return t.static != nil
	}
	_, ok := t.byPath[name]
	return ok
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
