package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// target is one way to reach the backend: directly, through the plain
// reference proxy, or through devproxy.
type target struct {
	name string
	base string // http://host:port
	api  string // prefix the backend's endpoints are reached under
	proc *proc  // nil for direct
	// static is devproxy with a static frontend serving the page-load
	// files, for the page scenario; "" for the others.
	static string
}

// measurements maps a row key (see rows in report.go) to its value.
type measurements map[string]float64

// runOnce starts the backend and both proxies, measures every scenario on
// every target, and stops everything again.
func runOnce(o options, bin, dir string, run int) (map[string]measurements, error) {
	be, err := startBackend(dir)
	if err != nil {
		return nil, err
	}
	defer be.close()
	backendURL := "http://" + be.addr

	var dpArgs []string
	dpEnv := o.devEnv
	if o.quiet {
		dpArgs = append(dpArgs, "--quiet")
	}
	if o.profileDir != "" {
		dpEnv = append(dpEnv, "DEVPROXY_PROFILE="+o.profileDir)
	}
	dpConfig := fmt.Sprintf("[frontend]\ndev_server = %q\n\n[routes.\"/api\"]\ntarget = %q\nstrip_prefix = true\n", backendURL, backendURL)
	dp, err := startDevproxy(bin, dir, "devproxy", dpConfig, dpArgs, dpEnv)
	if err != nil {
		return nil, err
	}
	defer dp.stop()
	plain, err := startPlain(backendURL)
	if err != nil {
		return nil, err
	}
	defer plain.stop()

	out := map[string]measurements{}
	targets := []target{
		{name: "direct", base: backendURL},
		{name: "plain", base: "http://" + plain.addr, proc: plain},
		{name: "devproxy", base: "http://" + dp.addr, api: "/api", proc: dp},
	}
	var samplers []*rssSampler
	for _, t := range targets[1:] {
		m := measurements{"start_ms": ms(t.proc.started)}
		settle() // let the runtime finish starting before reading idle RSS
		if rss, _, err := memStatus(t.proc.pid()); err == nil {
			m["rss_idle"] = mib(rss)
		}
		out[t.name] = m
		samplers = append(samplers, sampleRSS(t.proc.pid()))
	}
	out["direct"] = measurements{}
	if o.selected(groupPage) {
		// The static frontend is a second devproxy (one config has one
		// frontend), measured in the page scenario beside the others.
		st, err := startDevproxy(bin, dir, "devproxy-static", fmt.Sprintf("[frontend]\nstatic = %q\n", dir), dpArgs, nil)
		if err != nil {
			return nil, err
		}
		defer st.stop()
		targets[2].static = "http://" + st.addr
	}

	logf("measuring %s, interleaved scenario by scenario", names(rotate(targets, run)))
	for _, sc := range scenarios {
		if !o.selected(sc.group) {
			continue
		}
		// Each scenario measures all three targets back to back, in an
		// order that rotates from run to run, so a burst of load from
		// elsewhere on a shared machine lands on one scenario of all
		// targets rather than on every scenario of one.
		for _, t := range rotate(targets, run) {
			sc.measure(o, t, out[t.name])
		}
	}

	return finish(out, targets, samplers), nil
}

// rotate returns targets starting at index run (mod len).
func rotate(targets []target, run int) []target {
	i := run % len(targets)
	return append(append([]target{}, targets[i:]...), targets[:i]...)
}

func names(targets []target) string {
	var s []string
	for _, t := range targets {
		s = append(s, t.name)
	}
	return strings.Join(s, ", ")
}

// finish adds the peak RSS of each proxy process.
func finish(out map[string]measurements, targets []target, samplers []*rssSampler) map[string]measurements {
	for i, t := range targets[1:] {
		peak := samplers[i].close()
		if _, hwm, err := memStatus(t.proc.pid()); err == nil {
			peak = max(peak, hwm)
		}
		out[t.name]["rss_peak"] = mib(peak)
	}
	return out
}

// scenario is one measurement, taken on every target in turn.
type scenario struct {
	group   string // for -only
	measure func(o options, t target, m measurements)
}

var scenarios = []scenario{
	{groupKeepAlive, func(o options, t target, m measurements) { keepAlive(o, t, m, 32) }},
	{groupKeepAlive, func(o options, t target, m measurements) { keepAlive(o, t, m, 256) }},
	{groupNewConn, func(o options, t target, m measurements) {
		nc := newClient(browserConns, false)
		r := withCPU(t, m, "new_cpu", func() result { return loadGET(nc, t.base+t.api+"/text", browserConns, o.duration) })
		m["new_rps"] = r.perSecond()
	}},
	{groupPage, func(o options, t target, m measurements) {
		page := measurePage(o, t)
		m["page_dev_ms"] = page
		switch {
		case t.static != "":
			m["page_static_ms"] = measurePage(o, target{name: t.name + "-static", base: t.static})
		default:
			m["page_static_ms"] = page // the same files, same path: there is no second frontend
		}
	}},
	{groupTransfer, func(o options, t target, m measurements) {
		r := withCPU(t, m, "down_cpu", func() result { return download(t.base+t.api+"/download", o.duration) })
		m["down_mibs"] = r.mibPerSecond()
	}},
	{groupTransfer, func(o options, t target, m measurements) {
		r := withCPU(t, m, "up_cpu", func() result { return upload(t.base+t.api+"/upload", o.duration) })
		m["up_mibs"] = r.mibPerSecond()
	}},
	{groupSSE, func(o options, t target, m measurements) {
		r := withCPU(t, m, "sse_cpu", func() result { return sse(t.base + t.api + "/sse") })
		m["sse_p50"] = ms(percentile(r.lat, 50))
		m["sse_p99"] = ms(percentile(r.lat, 99))
		m["sse_max"] = ms(percentile(r.lat, 100))
	}},
	{groupWS, func(o options, t target, m measurements) {
		ws := "ws" + strings.TrimPrefix(t.base, "http") + t.api + "/ws"
		r := withCPU(t, m, "ws_cpu", func() result { return wsEcho(ws, o.duration) })
		m["ws_rps"] = r.perSecond()
		m["ws_p99"] = ms(percentile(r.lat, 99))
	}},
}

// keepAlive fills the keep-alive rows for conns connections (and, at 32,
// the JSON row on the same connections).
func keepAlive(o options, t target, m measurements, conns int) {
	c := newClient(conns, true)
	defer c.CloseIdleConnections()
	url := t.base + t.api + "/text"
	loadGET(c, url, conns, o.duration/10) // warm-up: opens the connections
	k := fmt.Sprintf("ka%d_", conns)
	r := withCPU(t, m, k+"cpu", func() result { return loadGET(c, url, conns, o.duration) })
	m[k+"rps"] = r.perSecond()
	m[k+"p50"] = ms(percentile(r.lat, 50))
	m[k+"p99"] = ms(percentile(r.lat, 99))
	if conns == 32 {
		r := withCPU(t, m, "json32_cpu", func() result { return loadGET(c, t.base+t.api+"/json", conns, o.duration) })
		m["json32_rps"] = r.perSecond()
	}
}

// withCPU runs one load phase and records the proxy's CPU time per
// operation under key (nothing for direct).
func withCPU(t target, m measurements, key string, run func() result) result {
	var before time.Duration
	if t.proc != nil {
		before, _ = cpuTime(t.proc.pid())
	}
	r := run()
	if t.proc != nil && r.ops > 0 {
		after, _ := cpuTime(t.proc.pid())
		m[key] = float64((after - before).Microseconds()) / float64(r.ops)
	}
	if r.errs > 0 {
		logf("  %s %s: %d errors", t.name, strings.TrimSuffix(key, "_cpu"), r.errs)
	}
	return r
}

// measurePage returns the median page-load time in milliseconds.
func measurePage(o options, t target) float64 {
	r := loadPage(t.base, o.duration)
	if r.errs > 0 {
		logf("  %s page load: %d errors", t.name, r.errs)
	}
	return ms(percentile(r.lat, 50))
}

// percentile returns the p-th percentile (nearest rank) of lat; it sorts lat.
func percentile(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	i := int(float64(len(lat))*p/100+0.5) - 1
	return lat[min(max(i, 0), len(lat)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func mib(b int64) float64        { return float64(b) / (1 << 20) }

// settle gives a freshly started process a moment before its idle RSS is read.
func settle() { time.Sleep(100 * time.Millisecond) }

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...) }
